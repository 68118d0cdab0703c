"""camrig scenes: scene sources producing spectral radiance over an angular field."""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field, field_validator, model_validator

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
        default=(450.0, 550.0, 650.0),
        min_length=1,
        description="Centre wavelengths of the bands, nm, increasing (three for the srgb chart).",
    )
    illuminant: Literal["E", "D65", "D50", "A"] = Field(
        default="E",
        description="Spectrum of the light: equal energy (E), CIE daylight D65 or D50, or CIE A (tungsten, 2856 K).",
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
        "at 650, 550, 450 nm; quick, not colorimetric) or 'spectral' (measured reflectance spectra sampled at "
        "bands_nm).",
    )

    @model_validator(mode="after")
    def _bands(self) -> ChartSpec:
        if list(self.bands_nm) != sorted(set(self.bands_nm)):
            raise ValueError(f"bands_nm must increase, got {self.bands_nm}")
        if self.layout == "chart" and self.patches == "srgb" and len(self.bands_nm) != 3:
            raise ValueError(
                f"patches 'srgb' are defined for three bands; with {len(self.bands_nm)} use patches: spectral"
            )
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
        default=0.0,
        gt=-80,
        lt=80,
        description="Rotation of the chart about the vertical axis, degrees (right side farther when positive).",
    )


ILLUMINANTS = Literal["E", "D65", "D50", "A"]
FRAMINGS = Literal["centre", "fill", "fit"]


def _increasing_in(bands: tuple[float, ...], field: str, lo: float = 380.0, hi: float = 780.0) -> None:
    if list(bands) != sorted(set(bands)):
        raise ValueError(f"{field} must increase, got {bands}")
    if bands[0] < lo or bands[-1] > hi:
        raise ValueError(
            f"{field}: the spectral upsampling is tabulated from {lo:g} to {hi:g} nm; bands {bands} reach outside"
        )


class PlacedSpec(camrig.SceneSpec):
    """Where a picture sits in the view, how far away, and what surrounds it (base of the image scenes)."""

    framing: FRAMINGS = Field(
        default="centre",
        description="'centre': the picture subtends fov_deg horizontally, centred on the axis; 'fill': scaled to "
        "cover the sensor's whole field (the longer side cropped); 'fit': scaled to fit inside it (surround "
        "elsewhere).",
    )
    fov_deg: float = Field(
        default=40.0, gt=0, lt=170, description="Horizontal angle the picture subtends with framing 'centre', degrees."
    )
    distance_m: float = Field(
        default=math.inf,
        gt=0,
        description="Distance of the picture's plane on the axis, m (inf: at infinity); the depth map overrides it "
        "where it has one.",
    )
    depth_path: str | None = Field(
        default=None,
        description="Depth map of the picture, one value per pixel, same size: .npy, a 16-bit greyscale PNG or TIFF, "
        "a float TIFF, or OpenEXR (Z channel); times depth_scale_m gives metres. Feeds the lens's depth of field "
        "(planes['depth_m']).",
    )
    depth_scale_m: float = Field(
        default=1.0, gt=0, description="Metres per stored depth unit (0.001 for a PNG in millimetres)."
    )
    surround: float = Field(
        default=0.0, ge=0, le=1, description="Radiance outside the picture, as a fraction of the white's."
    )

    @field_validator("depth_path")
    @classmethod
    def _depth_file(cls, value: str | None) -> str | None:
        if value is not None:
            from .readers import _existing

            _existing(value)
        return value


class LuminanceSpec(PlacedSpec):
    """The absolute scale of a picture whose values are relative (a photo, a linear radiance map)."""

    white_luminance_cd_m2: float = Field(
        default=100.0, gt=0, description="Luminance of a pixel of value (1, 1, 1) (a perfect white), cd/m^2."
    )
    mean_luminance_cd_m2: float | None = Field(
        default=None, gt=0, description="Instead: the picture's mean luminance, cd/m^2 (sets the white's)."
    )
    ev100: float | None = Field(
        default=None,
        ge=-10,
        le=30,
        description="Instead: the scene's metered exposure value at ISO 100; mean luminance = 12.5 x 2^EV / 100 "
        "cd/m^2 (ISO 2720, K = 12.5).",
    )
    illuminant: ILLUMINANTS = Field(
        default="D65",
        description="Light the picture's colours are seen under: CIE D65 (the sRGB white), D50, A (tungsten) or "
        "equal energy E.",
    )
    bands_nm: tuple[float, ...] = Field(
        default=(450.0, 550.0, 650.0),
        min_length=1,
        description="Centre wavelengths of the bands, nm, increasing, within 380-780 (each band reaches halfway to "
        "its neighbours).",
    )

    @model_validator(mode="after")
    def _scale(self) -> LuminanceSpec:
        _increasing_in(self.bands_nm, "bands_nm")
        chosen = [f for f in ("mean_luminance_cd_m2", "ev100") if getattr(self, f) is not None]
        if "white_luminance_cd_m2" in self.model_fields_set:
            chosen.append("white_luminance_cd_m2")
        if len(chosen) > 1:
            raise ValueError(f"give one absolute scale, not {' and '.join(chosen)}")
        return self


class ImageSpec(LuminanceSpec):
    """A photo (PNG, JPEG or TIFF; 8 or 16 bits; sRGB or Display P3) as spectral radiance, by Mallett and Yuksel's
    spectral upsampling of its colours under a chosen light (docs/scenes.md)."""

    path: str | None = Field(
        default=None,
        description="Image file: PNG, JPEG or TIFF, 8 or 16 bits per channel, RGB or greyscale, without alpha or "
        "palette "
        "(relative to the working directory). None: a built-in 24-patch chart of the ColorChecker's sRGB values.",
    )
    bit_depth: Literal[8, 16] | None = Field(
        default=None, description="Bits per channel the file must hold (None: whatever it holds)."
    )
    colour_space: Literal["srgb", "display_p3"] = Field(
        default="srgb",
        description="RGB primaries of the values: sRGB (ITU-R BT.709) or Display P3; both have the D65 white.",
    )
    transfer: Literal["srgb", "linear"] = Field(
        default="srgb",
        description="Encoding of the values: the sRGB curve (IEC 61966-2-1, also Display P3's) or linear.",
    )

    @field_validator("path")
    @classmethod
    def _file(cls, value: str | None) -> str | None:
        if value is not None:
            from .readers import probe_image

            probe_image(value)
        return value

    @model_validator(mode="after")
    def _bits(self) -> ImageSpec:
        if self.path is not None and self.bit_depth is not None:
            from .readers import probe_image

            bits = probe_image(self.path).bits
            if bits != self.bit_depth:
                raise ValueError(f"bit_depth: {self.path} holds {bits}-bit samples, bit_depth says {self.bit_depth}")
        return self


class HdrSpec(LuminanceSpec):
    """Linear HDR radiance from OpenEXR (RGB in ITU-R BT.709 primaries, or Y), with an absolute scale: no
    clipping, any range."""

    path: str | None = Field(
        default=None,
        description="OpenEXR file with R, G, B (or Y) channels of linear, scene-referred values (relative to the "
        "working "
        "directory). None: a built-in step wedge of 24 one-EV steps.",
    )

    @field_validator("path")
    @classmethod
    def _file(cls, value: str | None) -> str | None:
        if value is not None:
            from .readers import probe_exr

            _, _, names = probe_exr(value)
            if not ({"R", "G", "B"} <= set(names) or "Y" in names):
                raise ValueError(f"{value}: channels {', '.join(names) or 'none'}; scenes.hdr reads R, G, B or Y")
        return value


class HyperspectralSpec(PlacedSpec):
    """A spectral cube with its own bands: ISETCam's multispectral .mat files or a .npy/.npz cube (docs/scenes.md)."""

    path: str | None = Field(
        default=None,
        description="ISETCam .mat (mcCOEF, basis.basis, basis.wave, optional imgMean, illuminant, fov, dist; "
        "photons) or a "
        ".npy/.npz cube (rows, cols, bands). None: a built-in cube of the ColorChecker's measured spectra under D65, "
        "at wavelengths_nm (default 450, 550, 650).",
    )
    wavelengths_nm: tuple[float, ...] | None = Field(
        default=None,
        min_length=1,
        description="Band centres of a .npy cube (or of the built-in cube), nm, increasing (a .npz holds them as "
        "'wavelengths').",
    )
    units: Literal["photons", "watts"] = Field(
        default="photons",
        description="Units of a .npy/.npz cube: 'photons' (quanta/(s sr m^2 nm), ISETCam's) or 'watts' (W/(sr m^2 "
        "nm)); .mat files are photons.",
    )
    fov_deg: float | None = Field(  # type: ignore[assignment]
        default=None,
        gt=0,
        lt=170,
        description="Horizontal angle the cube subtends with framing 'centre', degrees (None: the file's fov, else "
        "40).",
    )
    distance_m: float | None = Field(  # type: ignore[assignment]
        default=None, gt=0, description="Distance of the cube's plane, m (None: the file's dist, else at infinity)."
    )
    mean_luminance_cd_m2: float | None = Field(
        default=None,
        gt=0,
        description="Rescale the cube to this mean luminance, cd/m^2 (None: its values are absolute).",
    )

    @field_validator("path")
    @classmethod
    def _file(cls, value: str | None) -> str | None:
        if value is not None:
            from .readers import _existing

            if _existing(value).suffix.lower() not in (".mat", ".npy", ".npz"):
                raise ValueError(f"{value}: a cube is a .mat, .npy or .npz file")
        return value

    @model_validator(mode="after")
    def _wavelengths(self) -> HyperspectralSpec:
        if self.wavelengths_nm is not None and list(self.wavelengths_nm) != sorted(set(self.wavelengths_nm)):
            raise ValueError(f"wavelengths_nm must increase, got {self.wavelengths_nm}")
        if self.path is not None and self.path.lower().endswith(".npy") and self.wavelengths_nm is None:
            raise ValueError(f"wavelengths_nm: the .npy cube {self.path} needs its wavelengths")
        return self


class TargetSpec(camrig.SceneSpec):
    """A standard test target centred on the axis: a Siemens star, a grid of point sources, the ISO 12233 e-SFR
    chart, the USAF 1951 bars or a star field at given magnitudes (docs/scenes.md)."""

    pattern: Literal["siemens_star", "points", "esfr", "usaf1951", "star_field"] = Field(
        default="siemens_star",
        description="'siemens_star': binary sectors, light and dark, on a light ground (ISO 12233:2017 Annex F style "
        "star, for MTF in every direction); 'points': light discs on a black ground on a square grid (PSF, distortion "
        "and field checks); 'esfr': the ISO 12233:2017 e-SFR chart (slanted dark squares, 4:1 contrast, at the centre "
        "and across the field); 'usaf1951': the USAF 1951 bars (MIL-STD-150A) at distance_m; 'star_field': point "
        "stars of given magnitudes on a black sky.",
    )
    width_deg: float = Field(
        default=20.0,
        gt=0,
        lt=170,
        description="Diameter of the star, or width of the field of points, of the e-SFR chart or of the star field "
        "(height 2/3 of it), degrees.",
    )
    cycles: int = Field(default=36, ge=2, le=1000, description="Siemens star: light-dark pairs around the star.")
    point_spacing_deg: float = Field(
        default=2.0, gt=0, description="Points: angle between neighbouring points, degrees."
    )
    point_diameter_deg: float = Field(
        default=0.01,
        gt=0,
        description="Points: angular diameter of each disc, degrees (below a sample's size a point's flux goes to "
        "the sample holding its centre).",
    )
    light: float = Field(
        default=0.8, ge=0, le=1, description="Reflectance of the light parts (the ground; the points)."
    )
    dark: float = Field(
        default=0.05,
        ge=0,
        le=1,
        description="Reflectance of the star's dark sectors and of the USAF bars (the points' ground is black; the "
        "e-SFR squares are light / esfr_contrast).",
    )
    esfr_fields: tuple[float, ...] = Field(
        default=(0.5, 0.8),
        description="e-SFR: relative field heights (fractions of the chart's half-diagonal, in [0, 1)) of the "
        "squares placed towards the four corners, besides the one on the axis.",
    )
    esfr_square: float = Field(
        default=0.08, gt=0, lt=0.5, description="e-SFR: side of each square as a fraction of the chart's width."
    )
    esfr_angle_deg: float = Field(
        default=5.0, ge=2, le=20, description="e-SFR: rotation of the squares (their edges' slant), degrees."
    )
    esfr_contrast: float = Field(
        default=4.0,
        gt=1,
        le=100,
        description="e-SFR: light-to-dark reflectance ratio of the edges (ISO 12233:2014 and 2017: 4:1).",
    )
    usaf_groups: tuple[int, ...] = Field(
        default=(-2, -1, 0, 1),
        min_length=1,
        max_length=12,
        description="USAF 1951: groups drawn, left to right, each with its elements 1-6 (R = 2^(g + (e-1)/6) lp/mm).",
    )
    usaf_scale: float = Field(
        default=1.0,
        gt=0,
        description="USAF 1951: the chart's size over the MIL-STD-150A size (10: bars ten times wider, a tenth of "
        "the lp/mm).",
    )
    distance_m: float = Field(
        default=math.inf,
        gt=0,
        description="Distance of the target's plane on the axis, m (inf: at infinity). The USAF 1951 chart needs it "
        "(its bars are in lp/mm); a finite distance gives the lens a depth map (planes['depth_m']).",
    )
    star_magnitudes: tuple[float, ...] = Field(
        default=(0.0, 1.0, 2.0, 3.0, 4.0, 5.0),
        min_length=1,
        max_length=100_000,
        description="Star field: visual magnitude of each star (Vega = 0; 10^(-0.4 m) of its irradiance).",
    )
    star_positions_deg: tuple[tuple[float, float], ...] | None = Field(
        default=None,
        description="Star field: (x, y) angle of each star from the axis, degrees (x right, y down), one pair per "
        "magnitude. None: uniform at random over width_deg x 2/3 width_deg from star_seed.",
    )
    star_seed: int = Field(default=0, ge=0, description="Star field: seed of the random positions.")
    star_spectrum: Literal["vega", "flat"] = Field(
        default="vega",
        description="Star field: spectrum of every star: 'vega' (Bessell et al. 1998 UBVRI zero points) or 'flat' "
        "(Vega's V-band f_lambda at every wavelength).",
    )
    white_luminance_cd_m2: float = Field(
        default=100.0, gt=0, description="Luminance of a perfect white under the target's light, cd/m^2."
    )
    illuminant: ILLUMINANTS = Field(
        default="D65", description="Light on the target: CIE D65, D50, A or equal energy E."
    )
    bands_nm: tuple[float, ...] = Field(
        default=(450.0, 550.0, 650.0),
        min_length=1,
        description="Centre wavelengths of the bands, nm, increasing, within 380-780.",
    )

    @field_validator("star_magnitudes")
    @classmethod
    def _finite_magnitudes(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        bad = [m for m in value if not math.isfinite(m) or abs(m) > 50]
        if bad:
            raise ValueError(f"star magnitudes must be finite and within +-50, got {bad[0]}")
        return value

    @field_validator("star_positions_deg")
    @classmethod
    def _finite_positions(cls, value: tuple[tuple[float, float], ...] | None) -> tuple[tuple[float, float], ...] | None:
        if value is not None and not all(math.isfinite(a) and abs(a) < 85 for pair in value for a in pair):
            raise ValueError("star positions must be finite angles within +-85 degrees")
        return value

    @field_validator("esfr_fields")
    @classmethod
    def _fields(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if not all(0 < f < 1 for f in value):
            raise ValueError(f"relative field heights must lie in (0, 1), got {value}")
        return value

    @model_validator(mode="after")
    def _bands(self) -> TargetSpec:
        _increasing_in(self.bands_nm, "bands_nm")
        if self.pattern == "star_field" and self.star_positions_deg is not None:
            if len(self.star_positions_deg) != len(self.star_magnitudes):
                raise ValueError(
                    f"star_positions_deg: {len(self.star_positions_deg)} positions for "
                    f"{len(self.star_magnitudes)} star_magnitudes; give one (x, y) pair per star"
                )
        if self.pattern == "esfr":
            from .esfr import check_layout

            check_layout(self.width_deg, self.esfr_square, self.esfr_fields, self.esfr_angle_deg)
        if self.pattern == "usaf1951":
            if math.isinf(self.distance_m):
                raise ValueError("distance_m: the USAF 1951 chart is in lp/mm, give its distance (finite, in m)")
            if len(set(self.usaf_groups)) != len(self.usaf_groups) or not all(-10 <= g <= 12 for g in self.usaf_groups):
                raise ValueError(f"usaf_groups: distinct groups from -10 to 12, got {self.usaf_groups}")
        return self


@camrig.hookimpl
def camrig_accessory_types() -> list[camrig.AccessoryType]:
    return [
        camrig.AccessoryType(
            name="scenes.chart",
            kind=camrig.Kind.SCENE,
            spec=ChartSpec,
            factory="camrig_scenes.chart:Chart",
            summary="24-patch colour chart on a slanted-edge background",
        ),
        camrig.AccessoryType(
            name="scenes.image",
            kind=camrig.Kind.SCENE,
            spec=ImageSpec,
            factory="camrig_scenes.image:ImageScene",
            summary="a photo (PNG/JPEG/TIFF, sRGB or Display P3) as spectral radiance (Mallett-Yuksel upsampling)",
        ),
        camrig.AccessoryType(
            name="scenes.hdr",
            kind=camrig.Kind.SCENE,
            spec=HdrSpec,
            factory="camrig_scenes.hdr:HdrScene",
            summary="linear HDR radiance from OpenEXR, absolutely scaled",
        ),
        camrig.AccessoryType(
            name="scenes.hyperspectral",
            kind=camrig.Kind.SCENE,
            spec=HyperspectralSpec,
            factory="camrig_scenes.hyperspectral:HyperspectralScene",
            summary="a spectral cube (ISETCam .mat, .npy/.npz) with its own bands",
        ),
        camrig.AccessoryType(
            name="scenes.target",
            kind=camrig.Kind.SCENE,
            spec=TargetSpec,
            factory="camrig_scenes.targets:Target",
            summary="standard test targets: Siemens star, point grid, ISO 12233 e-SFR chart, USAF 1951, star field",
        ),
    ]
