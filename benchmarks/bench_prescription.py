"""optics.prescription: tracing the Four Thirds double-Gauss once (per-band wavefront to Noll 37), a cache hit,
and the lens stage of a 12 MP 3-band capture through the cached traced lens (zones turned to each pixel's
azimuth, per-band wavefronts) against an optics.ideal lens with as many radial zones and only rotationally
symmetric terms, measured in the same run (issue 16: <= 1.2x). The design is the preset's published prescription
(camrig_optics.designs)."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
import warnings

import numpy as np

import camrig
from camrig_optics import IdealLensSpec, PrescriptionSpec
from camrig_optics.ideal import IdealLens
from run import Result, interleaved

BANDS = (450.0, 550.0, 650.0)


def design() -> tuple[str, PrescriptionSpec]:
    """The Four Thirds fast double-Gauss: the shipped preset's prescription."""
    from camrig_optics.designs import prescription_spec

    return "m43_35mm_f1_4 preset prescription", prescription_spec("m43_35mm_f1_4", 1.4)


def setup(lens: IdealLens, rows: int, cols: int, pitch_um: float):  # type: ignore[no-untyped-def]
    plane = camrig.FocalPlane(width_px=cols, height_px=rows, pitch_um=pitch_um)
    view = lens.view(plane)
    ctx = camrig.CaptureContext(exposure_s=0.01, seed=0, geometry=camrig.Geometry(plane=plane, view=view))
    radiance = np.random.default_rng(0).random((view.height, view.width, 3), dtype=np.float32)
    frame = camrig.Frame(radiance, camrig.FrameMeta(format="radiance", units="W/(m^2 sr)", bands_nm=BANDS))
    return ctx, frame


def run(quick: bool) -> list[Result]:
    from camrig_optics import prescription as rx

    warnings.simplefilter("ignore")
    results = []
    source, spec = design()
    with tempfile.TemporaryDirectory() as cache:
        os.environ["CAMRIG_CACHE_DIR"] = cache
        start = time.perf_counter()
        rx.traced(spec)
        trace_s = time.perf_counter() - start
        hits = []
        for _ in range(5):
            start = time.perf_counter()
            rx.traced(spec)
            hits.append(time.perf_counter() - start)
        hit_s = statistics.median(hits)
        traced = rx.PrescriptionLens(spec)
    results.append(Result(f"trace of the {source} (f/{spec.f_number:g}, {len(spec.trace_wavelengths_nm) + 1} "
                          f"wavelengths, Noll 1..{spec.zernike_terms}) / a cache hit", trace_s / hit_s, ">= 1",
                          f"trace {trace_s:.1f} s once, cache hit {hit_s * 1e3:.1f} ms"))  # fmt: skip

    rows, cols = (1500, 2000) if quick else (3000, 4000)
    pitch_um = traced.derived["half_diagonal_mm"] * 2e3 / 5000  # 12 MP (4000 x 3000) on the traced diagonal
    symmetric = IdealLens(IdealLensSpec(
        focal_length_mm=traced.spec.focal_length_mm, f_number=traced.spec.f_number,
        image_circle_mm=traced.spec.image_circle_mm, distortion=traced.spec.distortion, tca=traced.spec.tca,
        vignetting=traced.spec.vignetting,
        zones=[{"field": z.field, "zernike_waves": {j: w for j, w in z.zernike_waves.items() if j in (4, 11, 22, 37)}}
               for z in traced.spec.zones]))  # fmt: skip
    ctx, frame = setup(traced, rows, cols, pitch_um)
    ctx_s, frame_s = setup(symmetric, rows, cols, pitch_um)
    start = time.perf_counter()
    traced.process(frame, ctx, "lens")  # the first frame computes the kernels (cached on the lens after)
    first_s = time.perf_counter() - start
    lens_s, base_s = interleaved(
        lambda: traced.process(frame, ctx, "lens"), lambda: symmetric.process(frame_s, ctx_s, "lens"),
        2 if quick else 3,
    )  # fmt: skip
    sectors = traced.spec.azimuth_sectors
    results.append(Result(
        f"lens stage, cached traced lens ({len(traced.spec.zones)} zones turned in {sectors} sectors, per-band "
        f"wavefronts), {rows * cols / 1e6:.0f} MP x 3 bands / optics.ideal, same radial zones, symmetric terms only",
        lens_s / base_s, "<= 1.2",
        f"traced {lens_s:.2f} s (first frame, kernels included, {first_s:.2f} s), symmetric {base_s:.2f} s, "
        f"pitch {pitch_um:.2f} um"))  # fmt: skip
    return results
