"""Make the example scene files from nothing but NumPy (so their licence is camrig's own, MIT):

- ``garden.png``: a 960 x 640 8-bit sRGB picture: a sky gradient with a sun, hills, a ColorChecker (the
  published sRGB values) on an easel, a Siemens star and a slanted edge; ``garden_depth.png``: its depth map in
  centimetres, a 16-bit greyscale PNG (``depth_scale_m: 0.01``; sky 655.35 m, hills 200-400 m, the easel 3 m,
  the ground from 1.5 m to the hills);
- ``window.exr`` (with OpenEXR installed): a 480 x 320 linear radiance map of a dark room (2^-8) with a window
  onto a sunlit wall (2^4) and the sun's reflection (2^14): 22 EV in one frame.

    python examples/images/make_examples.py        # rewrites the files beside this script
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
SRGB_8BIT = np.array(
    [
        [115, 82, 68], [194, 150, 130], [98, 122, 157], [87, 108, 67], [133, 128, 177], [103, 189, 170],
        [214, 126, 44], [80, 91, 166], [193, 90, 99], [94, 60, 108], [157, 188, 64], [224, 163, 46],
        [56, 61, 150], [70, 148, 73], [175, 54, 60], [231, 199, 31], [187, 86, 149], [8, 133, 161],
        [243, 243, 242], [200, 200, 200], [160, 160, 160], [122, 122, 121], [85, 85, 85], [52, 52, 52],
    ]
)  # fmt: skip


def encode(linear: np.ndarray) -> np.ndarray:
    """Linear [0, 1] to 8-bit sRGB (IEC 61966-2-1)."""
    v = np.clip(linear, 0, 1)
    return np.rint(255 * np.where(v <= 0.0031308, 12.92 * v, 1.055 * v ** (1 / 2.4) - 0.055)).astype(np.uint8)


def garden(width: int = 960, height: int = 640) -> tuple[np.ndarray, np.ndarray]:
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    lin = np.zeros((height, width, 3))
    depth = np.full((height, width), np.inf)
    horizon = 0.45 * height
    sky = y < horizon
    t = (y / horizon)[..., None]
    lin[sky] = ((1 - t) * np.array([0.20, 0.35, 0.75]) + t * np.array([0.60, 0.70, 0.85]))[sky]
    sun = (x - 0.8 * width) ** 2 + (y - 0.15 * height) ** 2 < (0.035 * height) ** 2
    lin[sun] = 1.0
    hills = y > horizon - 40 * (1 + np.sin(x / width * 7)) * (0.6 + 0.4 * np.cos(x / width * 3))
    lin[hills] = np.array([0.12, 0.22, 0.08]) * (1 + 0.1 * np.sin(x / 13)[..., None])[hills]
    depth[hills] = 200 + 200 * (1 - (y[hills] - horizon + 80) / (height - horizon + 80)).clip(0, 1)
    ground = y > horizon + 20
    lin[ground] = np.array([0.10, 0.16, 0.06])
    depth[ground] = np.clip(1.5 * (height - horizon) / np.maximum(y[ground] - horizon, 1) * 2, 1.5, 400)
    # the easel: a ColorChecker, 6 x 4 patches of 40 px on a black card, 3 m away
    x0, y0, p = 60, 300, 40
    lin[y0 - 8 : y0 + 4 * p + 8, x0 - 8 : x0 + 6 * p + 8] = 0.02
    depth[y0 - 8 : y0 + 4 * p + 8, x0 - 8 : x0 + 6 * p + 8] = 3.0
    srgb = SRGB_8BIT / 255
    patch = np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)
    for i in range(24):
        r, c = divmod(i, 6)
        lin[y0 + r * p + 3 : y0 + (r + 1) * p - 3, x0 + c * p + 3 : x0 + (c + 1) * p - 3] = patch[i]
    # a Siemens star (36 cycles) and a slanted edge (5 degrees), 5 m away
    cx, cy, radius = 560, 420, 90
    rr, phi = np.hypot(x - cx, y - cy), np.arctan2(y - cy, x - cx)
    star = rr < radius
    lin[star] = np.where(np.sin(36 * phi[star]) >= 0, 0.8, 0.05)[:, None]
    depth[star] = 5.0
    box = (x > 700) & (x < 900) & (y > 340) & (y < 540)
    lin[box] = np.where((x[box] - 800) < (y[box] - 440) * np.tan(np.radians(5)), 0.8, 0.05)[:, None]
    depth[box] = 5.0
    return encode(lin), depth.astype(np.float32)


def window(width: int = 480, height: int = 320) -> np.ndarray:
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    rgb = np.full((height, width, 3), 2.0**-8, np.float32) * np.array([1.0, 0.9, 0.8], np.float32)
    pane = (x > 160) & (x < 400) & (y > 60) & (y < 240)
    rgb[pane] = 2.0**4 * np.array([1.0, 0.95, 0.85], np.float32)
    glint = (x - 300) ** 2 + (y - 120) ** 2 < 12**2
    rgb[glint] = 2.0**14
    return rgb


def main() -> None:
    from PIL import Image

    picture, depth = garden()
    Image.fromarray(picture).save(HERE / "garden.png", optimize=True)
    centimetres = np.clip(np.rint(depth * 100), 1, 65535).astype(np.uint16)  # sky: 655 m, far enough to be infinity
    Image.fromarray(centimetres).save(HERE / "garden_depth.png", optimize=True)
    try:
        import OpenEXR
    except ImportError:
        print("OpenEXR not installed: window.exr not written (pip install 'camrig[exr]')")
        return
    rgb = window()
    channels = {"R": rgb[..., 0].copy(), "G": rgb[..., 1].copy(), "B": rgb[..., 2].copy()}
    OpenEXR.File({"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage}, channels).write(
        str(HERE / "window.exr")
    )


if __name__ == "__main__":
    main()
