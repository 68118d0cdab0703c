"""Scenes people bring (issue 15's speed targets): a picture turned into band radiance on the lens's grid.

Target: <= 3x one copy of the output array, after a one-time table build. The baseline is ``np.copyto`` into
a preallocated array of the output's shape and dtype, warm; candidate and baseline alternate, and each reports
its best of N (the median in the detail). What is timed is what a capture pays per frame: ``radiance`` (decode
by table, spectral upsampling and the light's scale, resampling, the write into a fresh output array) on 1
thread and on the capture's default threads (every core). Not timed as the target:

- the one-time table build (decode table, Mallett-Yuksel band integrals, the folded band tables), printed;
- reading the file (PNG inflate, JPEG decode), once per scene when the rig is checked, not per frame: the
  scene keeps the codes. Printed for a 12 MP PNG and JPEG of a smooth synthetic photo.

Cases: a 12 MP 8-bit sRGB photo (3 MP with --quick) into a 3-band scene framed on the sensor's own grid
(``fill``, same size), and resampled (bilinear): ``centre`` at 0.9 of its pixel pitch, ``fill`` on a 16:9
sensor, ``fit`` on a 3:2 sensor (surround at the sides). A 31-band scene at 2 MP (0.5 MP with --quick): a
spectral cube in its own bands (``scenes.hyperspectral``) on its grid and resampled, and a photo upsampled to
31 bands.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

import camrig
from run import Result, interleaved_times


def square_view(rows: int, cols: int, step: float = 1e-4) -> tuple[camrig.AngularGrid, camrig.FocalPlane]:
    view = camrig.AngularGrid(width=cols, height=rows, x0=-(cols - 1) / 2 * step, y0=-(rows - 1) / 2 * step, step=step)
    return view, camrig.FocalPlane(width_px=cols, height_px=rows, pitch_um=1.0)


def against_copy(name: str, render: Callable[[], np.ndarray], repeats: int, extra: str = "") -> Result:
    """``render``'s best time over the best of ``np.copyto`` into a preallocated array like its output."""
    out = render()
    src, dst = out, np.empty_like(out)
    dst[...] = 0  # touched: the baseline copies into memory already mapped
    c, b = interleaved_times(render, lambda: np.copyto(dst, src), repeats)
    return Result(
        name,
        min(c) / min(b),
        "<= 3",
        f"{min(c) * 1e3:.1f} ms (median {statistics.median(c) * 1e3:.1f}) vs copy {min(b) * 1e3:.1f} ms "
        f"(median {statistics.median(b) * 1e3:.1f}) of {out.nbytes / 1e6:.0f} MB{extra}",
    )


def synthetic_photo(rows: int, cols: int) -> np.ndarray:
    """Smooth colour gradients with a little noise: compresses as a photo does, unlike pure noise."""
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:rows, 0:cols].astype(np.float32)
    base = np.stack([x / cols, y / rows, 0.5 + 0.5 * np.sin(x / 97.0 + y / 61.0)], axis=-1) * 220
    return np.clip(base + rng.normal(0, 6, base.shape), 0, 255).astype(np.uint8)


def file_decode(photo: np.ndarray) -> str:
    """Best-of-3 time of ``read_image`` for the photo as PNG and as JPEG (quality 90)."""
    from PIL import Image

    from camrig_scenes.readers import read_image

    times = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("photo.png", "photo.jpg"):
            path = Path(tmp) / name
            Image.fromarray(photo).save(path, quality=90)  # JPEG quality 90; PNG at its default level (6)
            best = min(_timed(lambda: read_image(path)) for _ in range(3))  # noqa: B023 - called at once
            times.append(f"{name.split('.')[1].upper()} {best * 1e3:.0f} ms ({path.stat().st_size / 1e6:.0f} MB)")
    return ", ".join(times)


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run(quick: bool) -> list[Result]:
    from camrig_scenes import HyperspectralSpec, ImageSpec
    from camrig_scenes.hyperspectral import HyperspectralScene
    from camrig_scenes.image import ImageScene, rgb_source
    from camrig_scenes.render import Source, load_kernels
    from camrig_scenes.spectral import decode_table, rgb_tables

    load_kernels()
    repeats = 3 if quick else 7
    threads = sorted({1, os.cpu_count() or 1})
    results = []
    rows, cols = (1500, 2000) if quick else (3000, 4000)
    photo = np.random.default_rng(0).integers(0, 256, (rows, cols, 3), dtype=np.uint8)

    def photo_scene(spec: ImageSpec, data: np.ndarray) -> tuple[ImageScene, float]:
        """The scene of ``data`` and the seconds of its one-time table build (caches emptied first)."""
        start = time.perf_counter()
        rgb_tables.cache_clear()
        decode_table.cache_clear()
        scene = ImageScene(spec)
        scene.__dict__["source"] = rgb_source(spec, data, decode_table(8, "srgb"), "srgb")
        scene.band_map()
        return scene, time.perf_counter() - start

    scene, build = photo_scene(ImageSpec(framing="fill"), photo)
    view, plane = square_view(rows, cols)
    mp = f"{rows * cols / 1e6:.0f} MP"
    for n in threads:
        results.append(against_copy(f"photo {mp} -> 3-band scene, on the sensor grid, {n} thread(s)",
                                    lambda: scene.radiance(view, plane, n), repeats,  # noqa: B023
                                    f"; table build {build * 1e3:.0f} ms"))  # fmt: skip
    step = 2 * np.tan(np.radians(20)) / cols / 0.9
    resampled = [
        ("centre at 0.9 of its pitch", ImageSpec(framing="centre", fov_deg=40.0),
         square_view(round(rows * 0.9), round(cols * 0.9), step)),
        ("fill on a 16:9 sensor", ImageSpec(framing="fill"), square_view(round(cols * 0.54), round(cols * 0.96))),
        ("fit on a 3:2 sensor", ImageSpec(framing="fit"), square_view(round(rows * 0.8), round(rows * 1.2))),
    ]  # fmt: skip
    for label, spec, (view_r, plane_r) in resampled:
        scene_r = ImageScene(spec)
        scene_r.__dict__["source"] = scene.source
        for n in threads:
            results.append(against_copy(f"  resampled, {label} ({view_r.width} x {view_r.height}), {n} thread(s)",
                                        lambda: scene_r.radiance(view_r, plane_r, n), repeats))  # noqa: B023  # fmt: skip

    rows, cols = (600, 800) if quick else (1200, 1600)
    mp = f"{rows * cols / 1e6:.1f} MP"
    wave = tuple(float(w) for w in range(400, 701, 10))
    cube = np.random.default_rng(1).random((rows, cols, len(wave)), dtype=np.float32)
    hs = HyperspectralScene(HyperspectralSpec(wavelengths_nm=wave, framing="fill"))
    widths = np.full(len(wave), 10.0)
    hs.__dict__["source"] = Source(cube, None, widths[None, :], np.zeros(len(wave)), True, wave, None, None)
    hs_c = HyperspectralScene(HyperspectralSpec(wavelengths_nm=wave, framing="centre", fov_deg=40.0))
    hs_c.__dict__["source"] = hs.source
    view, plane = square_view(rows, cols)
    step = 2 * np.tan(np.radians(20)) / cols / 0.9
    view_c, plane_c = square_view(round(rows * 0.9), round(cols * 0.9), step)
    spec31 = ImageSpec(framing="fill", bands_nm=wave)
    scene31, build31 = photo_scene(spec31, np.ascontiguousarray(photo[:rows, :cols]))
    for n in threads:
        results.append(against_copy(f"cube {mp} x 31 bands -> scene, on the sensor grid, {n} thread(s)",
                                    lambda: hs.radiance(view, plane, n), repeats))  # noqa: B023  # fmt: skip
        results.append(against_copy(f"  resampled, centre at 0.9 of its pitch, {n} thread(s)",
                                    lambda: hs_c.radiance(view_c, plane_c, n), repeats))  # noqa: B023  # fmt: skip
        results.append(against_copy(f"photo {mp} -> 31-band scene (Mallett-Yuksel), on the grid, {n} thread(s)",
                                    lambda: scene31.radiance(view, plane, n), repeats,  # noqa: B023
                                    f"; table build {build31 * 1e3:.0f} ms"))  # fmt: skip
    rows, cols = (1500, 2000) if quick else (3000, 4000)
    print(f"  (reading the file, once per scene and outside the target: {rows * cols / 1e6:.0f} MP "
          f"{file_decode(synthetic_photo(rows, cols))})", flush=True)  # fmt: skip
    return results
