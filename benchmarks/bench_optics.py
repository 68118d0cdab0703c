"""The lens stage (optics.ideal with diffraction) on a 12 MP 3-band frame, against a plain scipy.fft
convolution of the same three planes with the same kernels; the same with three field zones; and its peak
memory against the 3-band float32 frame at 100 MP (3 MP with --quick)."""

from __future__ import annotations

import tracemalloc

import numpy as np
from scipy import signal

import camrig
from camrig_optics import IdealLensSpec
from camrig_optics.ideal import IdealLens
from run import Result, interleaved

BANDS = (450.0, 550.0, 650.0)


def setup(lens: IdealLens, rows: int, cols: int):
    plane = camrig.FocalPlane(width_px=cols, height_px=rows, pitch_um=1.5)
    view = lens.view(plane)
    ctx = camrig.CaptureContext(exposure_s=0.01, seed=0, geometry=camrig.Geometry(plane=plane, view=view))
    radiance = np.random.default_rng(0).random((view.height, view.width, 3), dtype=np.float32)
    frame = camrig.Frame(radiance, camrig.FrameMeta(format="radiance", units="W/(m^2 sr)", bands_nm=BANDS))
    margin = (view.height - rows) // 2
    kernels = [lens.kernel(plane, b, {}, margin) for b in BANDS]
    return ctx, frame, kernels


def baseline(frame: camrig.Frame, kernels: list[np.ndarray]) -> list[np.ndarray]:
    return [signal.fftconvolve(frame.data[:, :, b], k, mode="valid") for b, k in enumerate(kernels)]


def run(quick: bool) -> list[Result]:
    rows, cols = (1500, 2000) if quick else (3000, 4000)
    repeats = 2 if quick else 3
    results = []
    single = IdealLens(IdealLensSpec(focal_length_mm=35, f_number=1.4))
    zones = IdealLens(IdealLensSpec(focal_length_mm=35, f_number=1.4, zones=[
        {"field": 0.0, "zernike_waves": {}}, {"field": 0.6, "zernike_waves": {5: 0.1}},
        {"field": 1.0, "zernike_waves": {5: 0.2, 8: 0.2}}]))  # fmt: skip
    for label, lens, target in (("one PSF per band", single, "<= 1.3"), ("3 field zones", zones, "<= 3")):
        ctx, frame, kernels = setup(lens, rows, cols)
        lens_s, base_s = interleaved(
            lambda: lens.process(frame, ctx, "lens"), lambda: baseline(frame, kernels), repeats
        )
        results.append(Result(f"lens stage, {label}, {rows * cols / 1e6:.0f} MP x 3 bands / scipy fftconvolve",
                              lens_s / base_s, target, f"lens {lens_s:.2f} s, fftconvolve {base_s:.2f} s"))  # fmt: skip
    rows, cols = (1500, 2000) if quick else (8640, 11520)  # the module's 100 MP (3 MP with --quick)
    ctx, frame, _ = setup(single, rows, cols)
    tracemalloc.start()
    single.process(frame, ctx, "lens")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    frame_bytes = rows * cols * 3 * 4
    results.append(
        Result(
            f"lens peak memory / 3-band float32 frame, {rows * cols / 1e6:.0f} MP",
            peak / frame_bytes,
            "<= 3",
            f"peak {peak / 1e6:.0f} MB, frame {frame_bytes / 1e6:.0f} MB",
        )
    )
    return results
