"""camrig scenes: scene sources producing spectral radiance over an angular field."""

from __future__ import annotations

import math

from pydantic import Field

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
        description="Band radiance of a perfect white diffuser under the scene's light, W/(m^2 sr) per band.",
    )
    bands_nm: tuple[float, ...] = Field(
        default=(450.0, 550.0, 650.0), min_length=3, max_length=3, description="Centre wavelengths of the bands (B, G, R), nm."
    )
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
