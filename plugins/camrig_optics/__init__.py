"""camrig optics: lenses mapping scene radiance to focal-plane irradiance."""

from __future__ import annotations

from pydantic import Field

import camrig

camrig_api = ">=1,<2"


class IdealLensSpec(camrig.LensSpec):
    """An aberration-free rectilinear lens focused at infinity (no diffraction yet)."""

    focal_length_mm: float = Field(gt=0, description="Focal length, mm.")
    f_number: float = Field(ge=0.5, description="f-number N = focal length / entrance pupil diameter (>= 0.5).")
    transmission: float = Field(default=0.9, gt=0, le=1, description="Fraction of light the glass transmits.")
    mount: str = Field(default="MFT", description="Lens mount name, compared verbatim along the chain.")
    flange_distance_mm: float = Field(
        default=19.25, gt=0, description="Flange focal distance the lens is designed for, mm (MFT: 19.25)."
    )
    image_circle_mm: float = Field(default=22.0, gt=0, description="Diameter of the covered image circle, mm.")
    vignetting_rolloff_mm: float = Field(
        default=2.0,
        gt=0,
        description="Radial distance beyond the image circle over which light falls to zero (mechanical "
        "vignetting), mm.",
    )


@camrig.hookimpl
def camrig_accessory_types() -> list[camrig.AccessoryType]:
    return [
        camrig.AccessoryType(
            name="optics.ideal",
            kind=camrig.Kind.LENS,
            spec=IdealLensSpec,
            factory="camrig_optics.ideal:IdealLens",
            summary="aberration-free rectilinear lens: camera equation with cos^4 falloff",
        )
    ]
