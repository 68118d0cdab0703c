"""camrig isp: the host's image-processing stages, in the order a rig usually lists them.

black level -> lens shading -> demosaic -> white balance -> colour correction -> (denoise, sharpen) -> tone
curve -> (scale). Each stage is its own accessory; ``docs/isp.md`` says what each does, with references.
Specs live here (cheap to import); the stages are in :mod:`camrig_isp.stages`, the image maths in
:mod:`camrig_isp.demosaic`, :mod:`camrig_isp.colour`, :mod:`camrig_isp.tone` and :mod:`camrig_isp.spatial`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

import camrig

camrig_api = ">=1,<2"


class BlackLevelSpec(camrig.StageSpec):
    """Subtract the black level and scale so the white level maps to 1 (levels read from the frame)."""


class LensShadingSpec(camrig.StageSpec):
    """Divide the raw by the lens's relative illumination (cos^4 fall-off, vignetting) so a uniform scene
    comes out flat; the lens reports its fall-off in the frame's metadata."""

    strength: float = Field(
        default=1.0,
        ge=0,
        le=1,
        description="Fraction of the fall-off to correct, in EV (1: all; phones often use less to keep corner noise "
        "down).",
    )


class WhiteBalanceSpec(camrig.StageSpec):
    """Per-channel gains on linear camera RGB, green kept at 1."""

    method: Literal["fixed", "gray_world", "as_shot"] = Field(
        default="gray_world",
        description="'fixed': use gains_rgb; 'gray_world': make the frame's mean gray; 'as_shot': the sensor's "
        "response to the scene illuminant's white (the frame's as-shot neutral).",
    )
    gains_rgb: tuple[float, float, float] = Field(
        default=(1.0, 1.0, 1.0), description="Gains for R, G, B with method 'fixed' (dimensionless, > 0)."
    )

    @field_validator("gains_rgb")
    @classmethod
    def _positive(cls, v: tuple[float, float, float]) -> tuple[float, float, float]:
        if any(g <= 0 for g in v):
            raise ValueError(f"white balance gains must be > 0, got {v}")
        return v


class DemosaicSpec(camrig.StageSpec):
    """Interpolate a Bayer mosaic to RGB."""

    method: Literal["bilinear", "malvar2004", "menon2007"] = Field(
        default="malvar2004",
        description="'bilinear'; 'malvar2004' (gradient-corrected linear, Malvar-He-Cutler); 'menon2007' "
        "(edge-directed: directional filtering with a posteriori decision; best at edges, about 30x slower).",
    )


class ColourCorrectionSpec(camrig.StageSpec):
    """White-balanced camera RGB to linear sRGB: the sensor's colour matrix (from its spectral response, carried
    in the frame) or a fixed matrix."""

    matrix: tuple[tuple[float, float, float], tuple[float, float, float], tuple[float, float, float]] | None = Field(
        default=None,
        description="Fixed 3x3 matrix from white-balanced camera RGB to linear sRGB (rows R, G, B); none: derive it "
        "from the frame's camera_from_xyz (the sensor's colour characterisation).",
    )


class GammaSpec(camrig.StageSpec):
    """Tone curve and display encoding: linear RGB to sRGB-encoded display RGB in [0, 1]."""

    exposure_gain: float = Field(default=1.0, gt=0, description="Linear gain applied before the curve.")
    curve: Literal["srgb", "filmic"] = Field(
        default="srgb",
        description="'srgb': clip at 1, then the sRGB transfer function (IEC 61966-2-1); 'filmic': Hable's filmic "
        "curve (soft shoulder, highlights roll off instead of clipping) before the sRGB encoding.",
    )
    white_point: float = Field(
        default=4.0, gt=1, description="Linear value the filmic curve maps to display white (headroom above 1)."
    )


class DenoiseSpec(camrig.StageSpec):
    """Gaussian smoothing of linear RGB, separately for luma and chroma (opponent colour space)."""

    luma_sigma_px: float = Field(default=0.0, ge=0, le=20, description="Gaussian sigma on luma, pixels (0: off).")
    chroma_sigma_px: float = Field(default=1.5, ge=0, le=20, description="Gaussian sigma on chroma, pixels (0: off).")


class SharpenSpec(camrig.StageSpec):
    """Unsharp mask: x + amount (x - G_sigma * x)."""

    amount: float = Field(default=0.5, ge=0, le=5, description="Gain of the high-pass detail added back.")
    sigma_px: float = Field(
        default=1.0, gt=0, le=20, description="Gaussian sigma of the blur the detail is taken against, pixels."
    )


class ScaleSpec(camrig.StageSpec):
    """Downscale RGB by an integer factor (area average), e.g. for preview."""

    factor: int = Field(default=2, ge=1, le=64, description="Integer downscale factor in each direction.")


@camrig.hookimpl
def camrig_accessory_types() -> list[camrig.AccessoryType]:
    kind = camrig.Kind.STAGE
    return [
        camrig.AccessoryType("isp.black_level", kind, BlackLevelSpec, "camrig_isp.stages:BlackLevel",
                             "subtract black level, normalise to white level"),
        camrig.AccessoryType("isp.lens_shading", kind, LensShadingSpec, "camrig_isp.stages:LensShading",
                             "undo the lens's relative illumination (cos^4, vignetting)"),
        camrig.AccessoryType("isp.demosaic", kind, DemosaicSpec, "camrig_isp.stages:Demosaic",
                             "Bayer mosaic to linear RGB (bilinear, Malvar 2004, Menon 2007)"),
        camrig.AccessoryType("isp.white_balance", kind, WhiteBalanceSpec, "camrig_isp.stages:WhiteBalance",
                             "per-channel gains: fixed, gray world or the scene illuminant's"),
        camrig.AccessoryType("isp.colour_correction", kind, ColourCorrectionSpec, "camrig_isp.stages:ColourCorrection",
                             "camera RGB to linear sRGB from the sensor's spectral response"),
        camrig.AccessoryType("isp.denoise", kind, DenoiseSpec, "camrig_isp.stages:Denoise",
                             "Gaussian luma/chroma noise reduction"),
        camrig.AccessoryType("isp.sharpen", kind, SharpenSpec, "camrig_isp.stages:Sharpen",
                             "unsharp mask"),
        camrig.AccessoryType("isp.gamma", kind, GammaSpec, "camrig_isp.stages:Gamma",
                             "tone curve (sRGB or filmic) and sRGB encoding for display"),
        camrig.AccessoryType("isp.scale", kind, ScaleSpec, "camrig_isp.stages:Scale",
                             "integer area downscale (preview)"),
    ]  # fmt: skip
