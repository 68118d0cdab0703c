"""Scenes people bring (issue 15's speed targets).

- A 12 MP 8-bit sRGB photo (3 MP with --quick) becomes a 3-band scene (``scenes.image``, Mallett-Yuksel
  upsampling) on a view of the same size: time as a ratio to one copy of the output array, after the one-time
  table build (target <= 3x; the table build's time is printed).
- A 31-band cube at 2 MP (0.5 MP with --quick) becomes a 31-band scene (``scenes.hyperspectral``): the same
  ratio (target <= 3x).

The copy is single-threaded; the capture splits the scene's rows over ``ctx.threads``. The file
reading is not part of the target (PNG inflate or .npy load happen once per scene, before any frame).
"""

from __future__ import annotations

import os
import time

import numpy as np

import camrig
from run import Result, interleaved


def square_view(rows: int, cols: int, step: float = 1e-4) -> tuple[camrig.AngularGrid, camrig.FocalPlane]:
    view = camrig.AngularGrid(width=cols, height=rows, x0=-(cols - 1) / 2 * step, y0=-(rows - 1) / 2 * step, step=step)
    return view, camrig.FocalPlane(width_px=cols, height_px=rows, pitch_um=1.0)


def run(quick: bool) -> list[Result]:
    from camrig_scenes import HyperspectralSpec, ImageSpec
    from camrig_scenes.hyperspectral import HyperspectralScene
    from camrig_scenes.image import ImageScene, rgb_source
    from camrig_scenes.render import Source, load_kernels
    from camrig_scenes.spectral import decode_table, rgb_tables

    load_kernels()
    results = []
    rows, cols = (1500, 2000) if quick else (3000, 4000)
    photo = np.random.default_rng(0).integers(0, 256, (rows, cols, 3), dtype=np.uint8)
    spec = ImageSpec(framing="fill")
    start = time.perf_counter()
    rgb_tables.cache_clear()
    decode_table.cache_clear()
    scene = ImageScene(spec)
    scene.__dict__["source"] = rgb_source(spec, photo, decode_table(8, "srgb"), "srgb")
    build = time.perf_counter() - start
    view, plane = square_view(rows, cols)
    out = scene.radiance(view, plane)
    threads = os.cpu_count() or 1
    for n in sorted({1, threads}):
        t, b = interleaved(lambda: scene.radiance(view, plane, n), lambda: out.copy(), 3 if quick else 5)
        results.append(
            Result(
                f"photo {rows * cols / 1e6:.0f} MP -> 3-band scene, {n} thread(s)",
                t / b,
                "<= 3",
                f"{t * 1e3:.0f} ms vs copy {b * 1e3:.0f} ms of {out.nbytes / 1e6:.0f} MB; table build "
                f"{build * 1e3:.1f} ms",
            )
        )
    # resampled: the same photo at 40 degrees on a view of 0.9 of its pixel count per axis (bilinear)
    spec_c = ImageSpec(framing="centre", fov_deg=40.0)
    scene_c = ImageScene(spec_c)
    scene_c.__dict__["source"] = scene.source
    step = 2 * np.tan(np.radians(20)) / cols / 0.9
    view_c, plane_c = square_view(round(rows * 0.9), round(cols * 0.9), step)
    out_c = scene_c.radiance(view_c, plane_c)
    t, b = interleaved(lambda: scene_c.radiance(view_c, plane_c), lambda: out_c.copy(), 3 if quick else 5)
    results.append(Result("  the same, resampled (bilinear, 1 thread)", t / b, "<= 3",
                          f"{t * 1e3:.0f} ms vs copy {b * 1e3:.0f} ms of {out_c.nbytes / 1e6:.0f} MB"))  # fmt: skip
    del out, out_c

    rows, cols = (600, 800) if quick else (1200, 1600)
    wave = tuple(float(w) for w in range(400, 701, 10))
    cube = np.random.default_rng(1).random((rows, cols, len(wave)), dtype=np.float32)
    hs = HyperspectralScene(HyperspectralSpec(wavelengths_nm=wave, framing="fill"))
    widths = np.full(len(wave), 10.0)
    hs.__dict__["source"] = Source(cube, None, widths[None, :], np.zeros(len(wave)), True, wave, None, None)
    view, plane = square_view(rows, cols)
    out = hs.radiance(view, plane)
    t, b = interleaved(lambda: hs.radiance(view, plane), lambda: out.copy(), 3 if quick else 5)
    results.append(Result(f"cube {rows * cols / 1e6:.1f} MP x 31 bands -> scene", t / b, "<= 3",
                          f"{t * 1e3:.0f} ms vs copy {b * 1e3:.0f} ms of {out.nbytes / 1e6:.0f} MB"))  # fmt: skip
    return results
