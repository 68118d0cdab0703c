"""camrig scenes: scene sources producing spectral radiance over an angular field."""

from __future__ import annotations

import math

from typing import Literal

from pydantic import Field, model_validator

import camrig

camrig_api = ">=1,<2"


class ChartSpec(camrig.SceneSpec):
    """A flat test chart at infinity, centred on the optical axis, on a slanted-edge background."""

    width_deg: float = Field(
        default=40.0, gt=0, lt=170, description="Horizontal angle the chart subtends, degrees (height is 2/3 of it)."
    )
    white_radiance_w_m2_sr: float = Field(
        default=0.5,
        gt=0,
        description="Radiance of a perfect white diffuser per 100 nm of spectrum, W/(m^2 sr): each band gets its "
        "width's share, shaped by the illuminant (with the default three 100 nm bands, the radiance of each band).",
    )
    bands_nm: tuple[float, ...] = Field(
        default=(450.0, 550.0, 650.0), min_length=1, description="Centre wavelengths of the bands, nm, increasing (three for the srgb chart)."
    )
    illuminant: Literal["E", "D65", "D50", "A"] = Field(
        default="E", description="Spectrum of the light: equal energy (E), CIE daylight D65 or D50, or CIE A (tungsten, 2856 K)."
    )
    layout: Literal["chart", "edge", "flat", "dots"] = Field(
        default="chart",
        description="'chart': the 24 patches on the slanted-edge background; 'edge': the slanted edge alone (an "
        "ISO 12233 target); 'flat': the light background everywhere (for vignetting and flat fields); 'dots': "
        "light dots on a dark ground, 9 x 5 on the chart's area, for distortion.",
    )
    patches: Literal["srgb", "spectral"] = Field(
        default="srgb",
        description="Patch reflectances: 'srgb' (the chart's linear sRGB values read as reflectance in three bands "
        "at 650, 550, 450 nm; quick, not colorimetric) or 'spectral' (measured reflectance spectra sampled at bands_nm).",
    )

    @model_validator(mode="after")
    def _bands(self) -> ChartSpec:
        if list(self.bands_nm) != sorted(set(self.bands_nm)):
            raise ValueError(f"bands_nm must increase, got {self.bands_nm}")
        if self.layout == "chart" and self.patches == "srgb" and len(self.bands_nm) != 3:
            raise ValueError(f"patches 'srgb' are defined for three bands; with {len(self.bands_nm)} use patches: spectral")
        if self.patches == "spectral" and (self.bands_nm[0] < 380 or self.bands_nm[-1] > 780):
            raise ValueError(f"spectral patches are measured from 380 to 780 nm; bands {self.bands_nm} reach outside")
        return self
    edge_angle_deg: float = Field(
        default=5.0, ge=-45, le=45, description="Tilt of the background's slanted edge from vertical, degrees."
    )
    distance_m: float = Field(
        default=math.inf, gt=0, description="Distance of the chart on the axis, m (inf: at infinity, no depth map)."
    )
    tilt_deg: float = Field(
        default=0.0, gt=-80, lt=80, description="Rotation of the chart about the vertical axis, degrees (right side farther when positive)."
    )


@camrig.hookimpl
def camrig_accessory_types() -> list[camrig.AccessoryType]:
    return [
        camrig.AccessoryType(
            name="scenes.chart",
            kind=camrig.Kind.SCENE,
            spec=ChartSpec,
            factory="camrig_scenes.chart:Chart",
            summary="24-patch colour chart on a slanted-edge background",
        )
    ]
