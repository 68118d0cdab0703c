"""camrig optics: lenses mapping scene radiance to focal-plane irradiance."""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

import camrig

from .distortion import DistortionSpec, TcaSpec, VignettingSpec

camrig_api = ">=1,<2"
MAX_NOLL = 37
"""Highest Noll Zernike index the optics model (camrig_optics.psf): radial orders up to 7 and (8, 0)."""


class AberrationZone(BaseModel):
    """Wavefront error at one field position, for an image point on the +x axis (azimuth 0: right of the image
    centre); the lens blends neighbouring zones linearly in field radius and turns each to the pixel's azimuth."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    field: float = Field(ge=0, le=1, description="Relative field radius: 0 on axis, 1 at the sensor corner.")
    zernike_waves: dict[int, float] = Field(
        description="RMS wavefront error per Noll index (4 defocus, 5-6 astigmatism, 7-8 coma, 11 spherical, up to "
        "37), waves, of an image point on the +x axis (e.g. 6 and 8: astigmatism and coma along the radius there)."
    )
    zernike_waves_by_nm: dict[float, dict[int, float]] = Field(
        default_factory=dict,
        description="Optional wavefront per wavelength (nm -> Noll index -> RMS waves at that wavelength, for one "
        "sensor position): each band takes the coefficients interpolated linearly at its wavelength (held beyond the "
        "ends), so longitudinal colour (Z4) and spherochromatism reach the blur; empty: zernike_waves for every band.",
    )

    pupil_edge: tuple[float, ...] = Field(
        default=(),
        description="Optional vignetted pupil: its edge radius (relative to the full pupil's, 0-1] at equally spaced "
        "azimuths from +x (the field's direction) towards +y, linearly interpolated; the PSF is formed over that "
        "pupil only, and zernike_waves need only hold inside it (a trace fits them there). Empty: the full pupil.",
    )

    @field_validator("pupil_edge")
    @classmethod
    def _edge(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if value and len(value) < 8:
            raise ValueError(f"pupil_edge: give at least 8 azimuths (or none), got {len(value)}")
        bad = [e for e in value if not 0 < e <= 1]
        if bad:
            raise ValueError(f"pupil_edge: edge radii must be in (0, 1], got {bad[0]}")
        return value

    @field_validator("zernike_waves_by_nm")
    @classmethod
    def _wavelengths(cls, value: dict[float, dict[int, float]]) -> dict[float, dict[int, float]]:
        bad = sorted(nm for nm in value if not 200 <= nm <= 2000)
        if bad:
            raise ValueError(f"zernike_waves_by_nm: wavelengths {bad} nm are outside 200-2000 nm")
        return value


class IdealLensSpec(camrig.LensSpec):
    """A rectilinear lens: camera equation, cos^4 falloff, diffraction and optional wavefront aberrations."""

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
    psf: Literal["diffraction", "none"] = Field(
        default="diffraction", description="'diffraction': blur by the pupil's PSF per band; 'none': a pinhole image."
    )
    aberrations_f_number: float | None = Field(
        default=None,
        ge=0.5,
        description="f-number the wavefront error (zernike_waves, zones) is given at, normally the lens wide open. "
        "Stopped down to f_number, the same wavefront is seen over the smaller pupil, so aberrations shrink (spherical "
        "as (N0/N)^4). None: the waves apply at f_number as given.",
    )
    zones_radius_mm: float | None = Field(
        default=None,
        gt=0,
        description="Image-plane radius, mm, that a zone's field 1 stands for (a traced lens: the half diagonal it was "
        "traced for, so a crop sees the zones of its own part of the field); None: the half diagonal of the sensor "
        "in front of the lens.",
    )
    scene_supersampling: int = Field(
        default=1,
        ge=1,
        le=8,
        description="Scene samples per pixel along each axis (cost grows with its square). 1 samples the scene at "
        "pixel centres, which aliases edges sharper than the blur when the PSF is under ~2 pixels (fast lenses on "
        "small pixels); 4 or more renders at the finer pitch and averages each pixel's samples (slanted-edge MTF).",
    )
    zernike_waves: dict[int, float] = Field(
        default_factory=dict, description="RMS wavefront error per Noll index over the whole field, waves (see zones)."
    )
    zones: list[AberrationZone] = Field(
        default_factory=list,
        description="Field-dependent wavefront error, by increasing field; replaces zernike_waves. Each zone is the "
        "wavefront of a point on the +x axis; a pixel at azimuth phi sees it turned by phi (azimuth_sectors).",
    )
    azimuth_sectors: int = Field(
        default=16,
        ge=0,
        le=64,
        description="Azimuths (equally spaced from +x) at which a zone with non-symmetric terms (astigmatism, coma, "
        "...) is turned and rendered; pixels between two blend them linearly in azimuth (docs/optics.md gives the "
        "error: 16 keeps astigmatism's orientation within 8 %). 0: zones keep their +x orientation everywhere.",
    )
    distortion: DistortionSpec | None = Field(
        default=None, description="Geometric distortion; none for a perfect rectilinear lens."
    )
    tca: TcaSpec | None = Field(
        default=None, description="Lateral colour (transverse chromatic aberration); none for none."
    )
    vignetting: VignettingSpec | None = Field(
        default=None, description="Measured relative illumination, replacing cos^4 (none: the natural cos^4 falloff)."
    )
    focus_distance_m: float = Field(
        default=math.inf, gt=0, description="Distance the lens is focused at, m (inf: infinity)."
    )
    subject_distance_m: float = Field(
        default=math.inf,
        gt=0,
        description="Distance of the subject, m. With a scene depth map: the subject that sets the largest blur (it "
        "sizes the blur margin).",
    )
    sensor_tilt_deg: float = Field(
        default=0.0,
        ge=0,
        le=5,
        description="Tilt of the sensor against the lens's image plane (a mount or adapter out of square), degrees: "
        "the "
        "sensor meets the image plane along a line through its centre and the focus error grows linearly away from it. "
        "An adapter's tilt_deg sets it.",
    )
    sensor_tilt_azimuth_deg: float = Field(
        default=0.0,
        description="Direction, degrees from +x (columns) towards +y (rows), in which the sensor leans away from "
        "the lens.",
    )

    @field_validator("zernike_waves")
    @classmethod
    def _noll(cls, value: dict[int, float]) -> dict[int, float]:
        bad = sorted(j for j in value if not 1 <= j <= MAX_NOLL)
        if bad:
            raise ValueError(f"Zernike indices {bad} are not supported (Noll 1..{MAX_NOLL})")
        return value

    @model_validator(mode="after")
    def _zones_and_distances(self) -> IdealLensSpec:
        fields = [z.field for z in self.zones]
        if fields != sorted(fields) or len(set(fields)) != len(fields):
            raise ValueError(f"zones must be in increasing field order, got fields {fields}")
        for z in self.zones:
            self._noll(z.zernike_waves)
            for waves in z.zernike_waves_by_nm.values():
                self._noll(waves)
        f_m = self.focal_length_mm * 1e-3
        for name in ("focus_distance_m", "subject_distance_m"):
            if getattr(self, name) <= f_m:
                raise ValueError(f"{name} {getattr(self, name)} m is inside the focal length ({f_m} m)")
        if self.aberrations_f_number is not None and self.f_number < self.aberrations_f_number * (1 - 1e-9):
            raise ValueError(
                f"f_number {self.f_number} opens wider than the aberrations_f_number {self.aberrations_f_number} the "
                "wavefront is known for (the lens wide open)"
            )
        return self


class LensfunSpec(camrig.LensSpec):
    """A real lens from the lensfun database: its distortion, lateral colour, mount and image circle are
    measured data; diffraction and the camera equation as for optics.ideal."""

    maker: str = Field(description="Lens maker as lensfun spells it, e.g. 'Canon'.")
    model: str = Field(description="Lens model as lensfun spells it, e.g. 'Canon EF 50mm f/1.8 II'.")
    focal_length_mm: float = Field(gt=0, description="Focal length used (within the lens's range), mm.")
    f_number: float = Field(ge=0.5, description="f-number used (not below the lens's maximum aperture).")
    transmission: float = Field(default=0.9, gt=0, le=1, description="Fraction of light the glass transmits.")
    mount: str | None = Field(default=None, description="None: lensfun's mount, mapped to camrig's mount names.")  # type: ignore[assignment]
    flange_distance_mm: float | None = Field(
        default=None, gt=0, description="None: the mount's published flange distance, mm."
    )  # type: ignore[assignment]
    image_circle_mm: float | None = Field(
        default=None, gt=0, description="None: the diagonal of the lens's calibration sensor, mm."
    )  # type: ignore[assignment]
    psf: Literal["diffraction", "none"] = Field(default="diffraction", description="'diffraction' or 'none' (pinhole).")
    zernike_waves: dict[int, float] = Field(
        default_factory=dict, description="RMS wavefront error per Noll index, waves."
    )
    focus_distance_m: float = Field(default=math.inf, gt=0, description="Distance the lens is focused at, m.")
    subject_distance_m: float = Field(default=math.inf, gt=0, description="Distance of the (flat) subject, m.")


class SurfaceSpec(BaseModel):
    """One refracting surface of a prescription, in order from the object side; light travels along +z."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    radius_mm: float = Field(
        description="Radius of curvature, mm: positive with its centre of curvature behind the surface (towards the "
        "image), negative in front; 0 for a flat surface."
    )
    thickness_mm: float = Field(
        ge=0, description="Axial distance from this surface to the next (the last surface: to the image plane), mm."
    )
    material: str | None = Field(
        default=None,
        description="Glass after this surface by catalogue name as optiland knows it (e.g. 'N-BK7', 'N-SF5'); none "
        "with no index: air.",
    )
    index: float | None = Field(
        default=None, ge=1, description="Refractive index n_d after this surface (with abbe; instead of material)."
    )
    abbe: float | None = Field(
        default=None, gt=0, description="Abbe number V_d of the medium after this surface (with index)."
    )
    semi_diameter_mm: float | None = Field(
        default=None,
        gt=0,
        description="Clear semi-aperture, mm: rays beyond it are stopped (vignetting); none: unclipped.",
    )
    conic: float = Field(default=0.0, description="Conic constant (0 sphere, -1 paraboloid).")
    stop: bool = Field(default=False, description="This surface is the aperture stop (exactly one surface is).")

    @model_validator(mode="after")
    def _medium(self) -> SurfaceSpec:
        if self.material is not None and self.index is not None:
            raise ValueError("give either material or index (with abbe), not both")
        if (self.index is None) != (self.abbe is None):
            raise ValueError("index and abbe go together (n_d and V_d of the medium after the surface)")
        return self


class TracedLensSpec(camrig.LensSpec):
    """What a lens traced from its surfaces shares with optics.ideal's rendering, beside the trace itself: the
    glass's transmission, the mount, the fall-off beyond the image circle, the PSF and scene sampling, focus and
    sensor tilt (the base of optics.prescription's and the published designs' specs)."""

    transmission: float = Field(default=0.9, gt=0, le=1, description="Fraction of light the glass transmits.")
    mount: str = Field(default="MFT", description="Lens mount name, compared verbatim along the chain.")
    flange_distance_mm: float = Field(
        default=19.25, gt=0, description="Flange focal distance the lens is designed for, mm."
    )
    vignetting_rolloff_mm: float = Field(
        default=2.0, gt=0, description="Radial distance beyond the image circle over which light falls to zero, mm."
    )
    psf: Literal["diffraction", "none"] = Field(default="diffraction", description="'diffraction' or 'none' (pinhole).")
    scene_supersampling: int = Field(
        default=1, ge=1, le=8, description="Scene samples per pixel along each axis (as optics.ideal)."
    )
    focus_distance_m: float = Field(
        default=math.inf, gt=0, description="Distance the lens is focused at, m (thin-lens refocus)."
    )
    subject_distance_m: float = Field(default=math.inf, gt=0, description="Distance of the subject, m.")
    sensor_tilt_deg: float = Field(
        default=0.0, ge=0, le=5, description="Tilt of the sensor against the image plane, degrees."
    )
    sensor_tilt_azimuth_deg: float = Field(
        default=0.0, description="Direction the sensor leans away from the lens, degrees from +x."
    )


class PrescriptionSpec(TracedLensSpec):
    """A lens from its optical prescription (inline surfaces or a Zemax .zmx file), traced by optiland (the
    optional extra camrig[prescription]) and reduced to an optics.ideal lens: focal length, distortion, relative
    illumination and Noll Zernike wavefront zones across the field (docs/optics.md, 'Prescriptions')."""

    surfaces: list[SurfaceSpec] | None = Field(
        default=None, min_length=1, description="The surfaces, object side first (the object at infinity); or zmx."
    )
    zmx: str | None = Field(
        default=None, description="Path of a Zemax .zmx file holding the surfaces (instead of surfaces)."
    )
    f_number: float = Field(
        ge=0.5,
        description="Working f-number N = effective focal length / entrance pupil diameter; not faster than "
        "the stop's semi-diameter allows.",
    )
    sensor_diagonal_mm: float | None = Field(
        default=None,
        gt=0,
        description="Diagonal of the sensor the lens is traced for, mm: the wavefront zones sit at field_points times "
        "its half (optics.ideal's zones are relative to the sensor corner); none: image_circle_mm.",
    )
    image_circle_mm: float = Field(
        gt=0, description="Diameter of the image circle the lens covers, mm (the fit checks read it)."
    )
    field_points: tuple[float, ...] = Field(
        default=(0.0, 0.5, 0.7, 1.0),
        min_length=1,
        description="Relative field radii (0 axis, 1 the sensor corner) where the wavefront is traced and fitted.",
    )
    wavelength_nm: float = Field(
        default=587.56,
        ge=350,
        le=1100,
        description="Reference wavelength, nm (default the d line): focal length, distortion and the sensor's best "
        "focus are traced at it, and it is each zone's zernike_waves.",
    )
    trace_wavelengths_nm: tuple[float, ...] = Field(
        default=(440.0, 490.0, 550.0, 600.0, 660.0),
        max_length=16,
        description="Wavelengths (nm) the wavefront is also traced at, the sensor where the reference wavelength "
        "focuses: each band takes the coefficients interpolated at its wavelength (longitudinal colour, "
        "spherochromatism); empty: the reference wavelength's wavefront for every band.",
    )
    zernike_terms: int = Field(
        default=37,
        ge=11,
        le=MAX_NOLL,
        description="Noll terms j = 1..zernike_terms fitted to the traced wavefront (11: up to primary spherical; "
        "37: every term to radial order 7 and the tertiary spherical, for fast lenses); the fit's RMS residual is "
        "reported per zone.",
    )
    image_plane: Literal["best_focus", "paraxial", "prescription"] = Field(
        default="best_focus",
        description="Where the sensor sits: 'paraxial' at the paraxial focus, 'best_focus' there moved to null the "
        "on-axis Zernike defocus (what contrast autofocus finds), 'prescription' at the last surface's thickness.",
    )
    pupil_rings: int = Field(
        default=12, ge=4, le=40, description="Rings of the hexapolar pupil sampling of the wavefront fit."
    )
    azimuth_sectors: int = Field(
        default=16, ge=0, le=64, description="Azimuths the traced zones are turned to (as optics.ideal's)."
    )

    @model_validator(mode="after")
    def _one_source(self) -> PrescriptionSpec:
        if (self.surfaces is None) == (self.zmx is None):
            raise ValueError("give exactly one of surfaces (inline) or zmx (a Zemax file)")
        if self.surfaces is not None:
            stops = [i for i, s in enumerate(self.surfaces) if s.stop]
            if len(stops) != 1:
                raise ValueError(f"surfaces: exactly one surface must be the stop (stop: true), found {len(stops)}")
        if any(not 0 <= f <= 1 for f in self.field_points) or list(self.field_points) != sorted(set(self.field_points)):
            raise ValueError(f"field_points must be increasing relative radii in [0, 1], got {list(self.field_points)}")
        if list(self.trace_wavelengths_nm) != sorted(set(self.trace_wavelengths_nm)) or any(
            not 350 <= nm <= 1100 for nm in self.trace_wavelengths_nm
        ):
            raise ValueError(
                "trace_wavelengths_nm must be increasing wavelengths in 350-1100 nm, got "
                f"{list(self.trace_wavelengths_nm)}"
            )
        return self


class DesignLensSpec(TracedLensSpec):
    """A lens from a published prescription shipped with camrig and shipped traced (camrig_optics/data/,
    camrig_optics.designs): focal length, distortion, relative illumination, lateral colour and wavefront zones
    come from the trace at the working f-number; no optiland needed (docs/optics.md, 'Published designs')."""

    design: Literal["m43_35mm_f1_4", "ef_50mm_f1_8"] = Field(
        description="The design: data/NAME.prescription.json (the cited surfaces) and data/NAME.trace.json (traced)."
    )
    f_number: float = Field(
        ge=0.5, description="Working f-number, within the traced range (wide open to f/16); the sensor at best focus."
    )


M43_35MM_F1_4 = camrig.spec_preset(
    DesignLensSpec,
    "M43_35mm_F1_4Spec",
    "The module's 35mm F1.4 for Four Thirds (MFT mount, 22 mm image circle): Marquardt's seven-element double "
    "Gauss, US 3,552,829 Example 1, scaled from 50 to 35 mm, traced (camrig_optics/data/m43_35mm_f1_4.*.json).",
    design="m43_35mm_f1_4",
    f_number=1.4,
    image_circle_mm=22.0,
)
PHONE_MAIN = camrig.spec_preset(
    IdealLensSpec,
    "PhoneMainSpec",
    "A phone main-camera lens for a 1/1.3-inch sensor: 6.8 mm F1.8 (24 mm equivalent), fixed to the module. "
    "Wavefront error assumed (lambda/20 RMS on axis, lambda/8 at the corner).",
    focal_length_mm=6.8,
    f_number=1.8,
    aberrations_f_number=1.8,
    image_circle_mm=12.4,
    mount="fixed",
    flange_distance_mm=4.0,
    zones=[
        AberrationZone(field=0.0, zernike_waves={11: 0.05}),
        AberrationZone(field=1.0, zernike_waves={11: 0.05, 5: 0.1, 8: 0.06}),
    ],
)
EF_50MM_F1_8 = camrig.spec_preset(
    DesignLensSpec,
    "EF50mmF1_8Spec",
    "A full-frame 50mm f/1.8 for the Canon EF mount (flange 44.00 mm): on the Four Thirds module it needs an "
    "EF to MFT adapter of 24.75 mm. Nakagawa's seven-element double Gauss, US 4,094,588 Example 1, at 50 mm, its "
    "stop closed to f/1.8, traced (camrig_optics/data/ef_50mm_f1_8.*.json).",
    design="ef_50mm_f1_8",
    f_number=1.8,
    image_circle_mm=43.3,
    mount="EF",
    flange_distance_mm=44.0,
)

LENSES: dict[str, tuple[type[IdealLensSpec], str]] = {
    "optics.ideal": (
        IdealLensSpec,
        "rectilinear lens: camera equation, cos^4, diffraction, Zernike aberrations, defocus",
    ),
    "optics.phone_main": (PHONE_MAIN, "phone main camera, 6.8 mm F1.8 (fixed)"),
}
DESIGN_LENSES: dict[str, tuple[type[DesignLensSpec], str]] = {
    "optics.m43_35mm_f1_4": (M43_35MM_F1_4, "the module's 35mm F1.4 (MFT), traced from US 3,552,829"),
    "optics.ef_50mm_f1_8": (EF_50MM_F1_8, "full-frame 50mm f/1.8 (Canon EF), traced from US 4,094,588"),
}


@camrig.hookimpl
def camrig_accessory_types() -> list[camrig.AccessoryType]:
    return [
        *(
            camrig.AccessoryType(name, camrig.Kind.LENS, spec, "camrig_optics.ideal:IdealLens", summary)
            for name, (spec, summary) in LENSES.items()
        ),
        *(
            camrig.AccessoryType(name, camrig.Kind.LENS, spec, "camrig_optics.designs:DesignLens", summary)
            for name, (spec, summary) in DESIGN_LENSES.items()
        ),
        camrig.AccessoryType("optics.lensfun", camrig.Kind.LENS, LensfunSpec, "camrig_optics.lensfun:LensfunLens",
                             "a real lens from the lensfun database (distortion, lateral colour, mount)"),
        camrig.AccessoryType("optics.prescription", camrig.Kind.LENS, PrescriptionSpec,
                             "camrig_optics.prescription:PrescriptionLens",
                             "a lens from its prescription (surfaces or .zmx), ray traced by optiland"),
    ]  # fmt: skip
