"""A photo as spectral radiance: ``scenes.image`` (docs/scenes.md).

Each pixel's code is decoded by a table (the sRGB curve of IEC 61966-2-1, or linear; 256 or 65536 entries),
Display P3 is taken to linear sRGB, and the colour becomes Mallett and Yuksel's reflectance under the chosen
light (:mod:`camrig_scenes.spectral`), scaled so a white pixel (1, 1, 1) has ``white_luminance_cd_m2``. A
greyscale photo is a neutral reflectance (r = g = b). The band radiance of every pixel is one 3 x bands matrix
away from its decoded value, so the whole photo becomes radiance in one pass (:mod:`camrig_scenes.render`).
"""

from __future__ import annotations

import numpy as np

import camrig

from . import ImageSpec, LuminanceSpec
from .chart import SRGB_8BIT
from .render import PictureScene, Source
from .spectral import decode_table, ev100_luminance, rgb_tables


def builtin_chart(patch_px: int = 50) -> np.ndarray:
    """(4 p, 6 p, 3) uint8: the ColorChecker's published sRGB values (BabelColor averages) as 6 x 4 patches of
    p x p pixels on a black ground, each patch's outer tenth left black as the chart's border."""
    out = np.zeros((4 * patch_px, 6 * patch_px, 3), np.uint8)
    edge = max(1, patch_px // 10)
    for i in range(24):
        r, c = divmod(i, 6)
        out[r * patch_px + edge : (r + 1) * patch_px - edge, c * patch_px + edge : (c + 1) * patch_px - edge] = (
            SRGB_8BIT[i]
        )
    return out


def mean_linear(data: np.ndarray, lut: np.ndarray | None) -> np.ndarray:
    """Mean linear value of each channel: from a histogram of the codes (one pass, no decoded copy)."""
    if lut is None:
        return data.reshape(-1, data.shape[2]).mean(axis=0, dtype=np.float64)
    return np.array(
        [np.bincount(data[..., c].ravel(), minlength=len(lut)) @ lut.astype(np.float64) for c in range(data.shape[2])]
    ) / (data.shape[0] * data.shape[1])


def white_luminance(spec: LuminanceSpec, mean_rgb: np.ndarray, y: np.ndarray) -> float:
    """Luminance of (1, 1, 1), cd/m^2, from the spec's absolute scale: given, or making the mean luminance
    (``mean_rgb @ y`` per cd/m^2 of white) what ``mean_luminance_cd_m2`` or ``ev100`` ask."""
    mean = spec.mean_luminance_cd_m2 if spec.ev100 is None else ev100_luminance(spec.ev100)
    if mean is None:
        return spec.white_luminance_cd_m2
    relative = float(mean_rgb @ y)
    if relative <= 0:
        raise ValueError(
            f"{getattr(spec, 'path', None) or 'the built-in picture'}: the picture is black: no mean luminance to scale"
        )
    return mean / relative


def rgb_source(spec: LuminanceSpec, data: np.ndarray, lut: np.ndarray | None, colour_space: str) -> Source:
    """The :class:`Source` of an RGB or greyscale picture under the spec's light and scale."""
    m, y = rgb_tables(spec.bands_nm, spec.illuminant, colour_space)
    if data.shape[2] == 1:  # grey: r = g = b
        m, y = m.sum(axis=0, keepdims=True), np.array([y.sum()])
    white = white_luminance(spec, mean_linear(data, lut), y)
    bands = len(spec.bands_nm)
    return Source(
        data=data,
        lut=lut,
        matrix=m * white,
        offset=np.zeros(bands),
        diagonal=False,
        bands_nm=spec.bands_nm,
        white=rgb_tables(spec.bands_nm, spec.illuminant, "srgb")[0].sum(axis=0) * white,
        illuminant=spec.illuminant,
    )


class ImageScene(PictureScene, camrig.Scene[ImageSpec]):
    """Radiance of a photo: L_b = sum_c rgb_c M[c, b] (module docstring)."""

    def load(self) -> Source:
        from .readers import read_image

        s = self.spec
        data = builtin_chart() if s.path is None else read_image(s.path, s.bit_depth)
        bits = 8 if data.dtype == np.uint8 else 16
        return rgb_source(s, data, decode_table(bits, s.transfer), s.colour_space)
