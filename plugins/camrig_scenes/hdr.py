"""Linear HDR radiance from OpenEXR: ``scenes.hdr`` (docs/scenes.md).

The file's R, G, B channels are linear, scene-referred values in ITU-R BT.709 (sRGB) primaries, as OpenEXR's
default chromaticities say; a Y-only file is neutral. They become band radiance exactly as a linear photo does
(Mallett and Yuksel's upsampling, :mod:`camrig_scenes.spectral`), with no clipping and no range limit: a value
of (1, 1, 1) has ``white_luminance_cd_m2`` (1 for a file in cd/m^2), a value of 2^20 twenty stops more. NaN,
infinite or negative values are refused, naming the file and the channel. Read with the ``OpenEXR`` bindings
(``pip install 'camrig[exr]'``).
"""

from __future__ import annotations

import numpy as np

import camrig

from . import HdrSpec
from .image import rgb_source
from .render import PictureScene, Source

WEDGE_STEPS, WEDGE_FIRST_EV = 24, -12


def builtin_wedge(step_px: int = 10, rows: int = 40) -> np.ndarray:
    """(rows, 24 step_px, 1) float32: 24 grey steps one EV apart, 2^-12 ... 2^11, left to right."""
    values = 2.0 ** (WEDGE_FIRST_EV + np.arange(WEDGE_STEPS))
    return np.broadcast_to(
        np.repeat(values, step_px).astype(np.float32)[None, :, None], (rows, WEDGE_STEPS * step_px, 1)
    ).copy()


def read_hdr(path: str) -> np.ndarray:
    """(rows, cols, 3 or 1) float32 linear values of an OpenEXR file (R, G, B, else Y), checked."""
    from .readers import check_finite_nonnegative, read_exr_channels

    channels = read_exr_channels(path)
    names = ("R", "G", "B") if {"R", "G", "B"} <= set(channels) else ("Y",) if "Y" in channels else None
    if names is None:
        raise ValueError(f"{path}: channels {', '.join(sorted(channels)) or 'none'}; scenes.hdr reads R, G, B or Y")
    for name in names:
        check_finite_nonnegative(channels[name], f"{path}: channel {name}")
    return np.ascontiguousarray(np.stack([channels[n] for n in names], axis=-1))


class HdrScene(PictureScene, camrig.Scene[HdrSpec]):
    """Radiance of a linear HDR picture: L_b = sum_c v_c M[c, b], unclipped (module docstring)."""

    def load(self) -> Source:
        s = self.spec
        data = builtin_wedge() if s.path is None else read_hdr(s.path)
        return rgb_source(s, data, None, "srgb")  # type: ignore[arg-type]
