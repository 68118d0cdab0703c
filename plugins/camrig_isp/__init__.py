"""camrig isp: host image-processing stages."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

import camrig

camrig_api = ">=1,<2"


class BlackLevelSpec(camrig.StageSpec):
    """Subtract the black level and scale so the white level maps to 1 (levels read from the frame)."""


class WhiteBalanceSpec(camrig.StageSpec):
    """Per-channel gains on linear RGB."""

    method: Literal["fixed", "gray_world"] = Field(
        default="gray_world", description="'fixed': use gains_rgb; 'gray_world': make the frame's mean gray."
    )
    gains_rgb: tuple[float, float, float] = Field(
        default=(1.0, 1.0, 1.0), description="Gains for R, G, B with method 'fixed' (dimensionless, > 0)."
    )


class DemosaicSpec(camrig.StageSpec):
    """Interpolate a Bayer mosaic to RGB."""

    method: Literal["bilinear"] = Field(default="bilinear", description="Interpolation method.")


class GammaSpec(camrig.StageSpec):
    """Encode linear RGB for display with the sRGB transfer function (IEC 61966-2-1), clipped to [0, 1]."""

    exposure_gain: float = Field(default=1.0, gt=0, description="Linear gain applied before encoding.")


@camrig.hookimpl
def camrig_accessory_types() -> list[camrig.AccessoryType]:
    kinds = camrig.Kind.STAGE
    return [
        camrig.AccessoryType("isp.black_level", kinds, BlackLevelSpec, "camrig_isp.stages:BlackLevel",
                             "subtract black level, normalise to white level"),
        camrig.AccessoryType("isp.white_balance", kinds, WhiteBalanceSpec, "camrig_isp.stages:WhiteBalance",
                             "per-channel gains: fixed or gray world"),
        camrig.AccessoryType("isp.demosaic", kinds, DemosaicSpec, "camrig_isp.stages:Demosaic",
                             "Bayer mosaic to linear RGB (bilinear)"),
        camrig.AccessoryType("isp.gamma", kinds, GammaSpec, "camrig_isp.stages:Gamma",
                             "sRGB transfer function for display"),
    ]  # fmt: skip
