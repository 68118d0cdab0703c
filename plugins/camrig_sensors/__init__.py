"""camrig sensors: focal-plane irradiance to raw DN, with every noise source of the EMVA 1288 camera model.

``sensors.cmos`` is the general model; the presets below are the same model with documented defaults.
Specs live here (cheap to import); the model itself is in :mod:`camrig_sensors.cmos`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

import camrig

camrig_api = ">=1,<2"

CFA = Literal["RGGB", "BGGR", "GRBG", "GBRG", "QUAD_RGGB", "mono"]
READOUT_MODES = Literal["full", "bin2x2_charge", "bin2x2_digital"]


class VideoReadout(BaseModel):
    """A video (live-view) readout of a high-resolution sensor: same-colour pixels combined ``bin`` x ``bin``,
    and of those groups only one in every ``skip`` read along each axis (row and column skipping), as
    high-resolution sensors read for video. The frame is ``bin x skip`` times smaller along each axis in the
    same CFA order (a sensor whose size is not a whole number of CFA tiles of groups is read centred, the
    remainder cropped); it is simulated at that size (docs/sensors.md, "Video readout")."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    bin: int = Field(
        ge=1, le=8, description="Same-colour pixels combined along each axis (bin x bin per output pixel)."
    )
    skip: int = Field(
        default=1,
        ge=1,
        le=8,
        description="One group of every `skip` read along each axis (1: no skipping); skipping aliases.",
    )
    combine: Literal["digital", "charge"] = Field(
        default="digital",
        description="'digital': the bin x bin reads averaged after the ADC (read noise / bin); 'charge': the charges "
        "summed on a shared floating diffusion and read once (mono only: Bayer neighbours of one colour share none).",
    )

    @property
    def factor(self) -> int:
        """Physical pixels per output pixel along each axis."""
        return self.bin * self.skip

    @property
    def reads(self) -> int:
        """Pixels combined into one output value."""
        return self.bin * self.bin

    def __str__(self) -> str:
        return f"bin {self.bin}x{self.bin} {self.combine}" + (f", skip {self.skip}" if self.skip > 1 else "")


READOUTS = READOUT_MODES | VideoReadout


class NoiseSwitches(BaseModel):
    """Which noise and defect sources are on (all by default); switch one off to isolate another."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    shot: bool = Field(default=True, description="Photon and dark-current shot noise (Poisson).")
    dark: bool = Field(default=True, description="Dark current (mean dark signal).")
    dsnu: bool = Field(default=True, description="Dark signal non-uniformity (fixed offset pattern).")
    prnu: bool = Field(default=True, description="Photo-response non-uniformity (fixed gain pattern).")
    read: bool = Field(default=True, description="Temporal read noise.")
    row: bool = Field(default=True, description="Temporal row noise (one offset per row per frame).")
    hot: bool = Field(default=True, description="Hot pixels (high dark current at fixed places).")
    clip: bool = Field(default=True, description="Full-well clipping.")


class DualGainSpec(BaseModel):
    """Dual conversion gain HDR readout: each pixel's charge is read through a high gain (low noise, small
    range) and a low gain (full range); the two are merged into one linear raw of ``output_bits``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    hcg_full_scale_e: float = Field(gt=0, description="Charge at which the high-gain read reaches the ADC top, e-.")
    hcg_read_noise_e: float = Field(ge=0, description="Read noise of the high-gain read, e- rms.")
    lcg_read_noise_e: float = Field(ge=0, description="Read noise of the low-gain read, e- rms.")
    output_bits: int = Field(default=20, ge=17, le=32, description="Bits of the merged linear raw (17..32).")
    output: Literal["merged", "hcg", "lcg"] = Field(
        default="merged",
        description="Which signal to output: the merge, or one gain channel (for EMVA 1288 per channel).",
    )


class CmosSensorSpec(camrig.SensorSpec):
    """A CMOS sensor following the EMVA 1288 linear camera model (release 4.0, section 2).

    Defaults: the 100 MP Four Thirds module, single gain.
    """

    mount: str = Field(default="MFT", description="Lens mount of the module.")
    flange_distance_mm: float = Field(default=19.25, gt=0, description="Module flange focal distance, mm (MFT: 19.25).")
    width_px: int = Field(default=11520, gt=0, description="Active pixels per row.")
    height_px: int = Field(default=8640, gt=0, description="Active rows.")
    pixel_pitch_um: float = Field(default=1.5, gt=0, description="Pixel pitch, um.")
    fill_factor: float = Field(
        default=1.0, gt=0, le=1, description="Light-collecting fraction of the pixel area (with microlenses)."
    )
    cfa: CFA = Field(
        default="RGGB", description="Colour filter array: a Bayer order, QUAD_RGGB (2x2 same-colour blocks) or mono."
    )
    bands_nm: tuple[float, ...] = Field(
        default=(450.0, 550.0, 650.0), min_length=1, description="Bands the QE table refers to, nm."
    )
    qe: tuple[tuple[float, ...], ...] | Literal["nikon_d5100"] = Field(
        default=((0.03, 0.08, 0.45), (0.08, 0.55, 0.08), (0.45, 0.10, 0.02)),
        description="Quantum efficiency (e- per photon, 0..1) per filter colour (rows R, G, B; one row for mono) "
        "and band (columns, in bands_nm order); or the name of a measured curve shipped with camrig "
        "('nikon_d5100': NPL's measurement of a Nikon D5100), sampled at bands_nm and scaled to peak_qe.",
    )
    peak_qe: float = Field(default=0.6, gt=0, le=1, description="Largest QE of a named qe curve (e- per photon).")
    full_well_e: float = Field(default=6000.0, gt=0, description="Full-well capacity, e-.")
    read_noise_e: float = Field(default=1.5, ge=0, description="Temporal read noise, e- rms (single-gain readout).")
    row_noise_e: float = Field(
        default=0.2, ge=0, description="Temporal row noise, e- rms (one offset per row per frame)."
    )
    dark_current_e_s: float = Field(
        default=2.0, ge=0, description="Mean dark current at the reference temperature, e-/s."
    )
    dark_reference_c: float = Field(default=25.0, description="Temperature the dark current is given at, deg C.")
    dark_doubling_c: float = Field(
        default=6.0, gt=0, description="Temperature rise that doubles the dark current, deg C."
    )
    temperature_c: float = Field(default=35.0, ge=-60, le=150, description="Sensor temperature, deg C.")
    dsnu_e: float = Field(
        default=0.5, ge=0, description="Dark signal non-uniformity: spatial sigma of the dark offset, e-."
    )
    prnu: float = Field(
        default=0.005, ge=0, lt=1, description="Photo-response non-uniformity: spatial sigma of the gain, relative."
    )
    hot_pixel_fraction: float = Field(default=1e-5, ge=0, le=1, description="Fraction of pixels that are hot.")
    hot_pixel_dark_current_e_s: float = Field(default=5000.0, ge=0, description="Dark current of a hot pixel, e-/s.")
    adc_bits: int = Field(default=14, ge=1, le=32, description="ADC bit depth (1..32).")
    black_level_dn: int = Field(default=256, ge=0, description="Black level offset, DN.")
    gain_dn_per_e: float | None = Field(
        default=None,
        gt=0,
        description="Conversion gain K, DN/e-; default: the ADC top at full well minus 5 read-noise sigmas.",
    )
    row_readout_ns: float = Field(default=3000.0, ge=0, description="Rolling-shutter readout time per row read, ns.")
    readout: READOUTS = Field(
        default="full",
        description="'full'; 'bin2x2_charge' (QUAD_RGGB or mono: 4 charges, one read); 'bin2x2_digital' (mean of 4 "
        "same-colour reads); or a video readout {bin, skip, combine} (binning and skipping, simulated at its output "
        "size).",
    )
    preview_readout: READOUTS = Field(
        default="full", description="Readout of the preview (live view) mode: one of the readout values."
    )
    preview_frame_rate_hz: float = Field(default=30.0, gt=0, description="Frame rate of the preview mode, Hz.")
    hdr: DualGainSpec | None = Field(
        default=None, description="Dual conversion gain HDR readout; none for single gain."
    )
    noise: NoiseSwitches = Field(default_factory=NoiseSwitches, description="Noise sources on or off.")
    instance_seed: int = Field(
        default=0, ge=0, description="Seed of this sensor's fixed patterns (PRNU, DSNU, hot pixels): its serial number."
    )
    base_iso: float = Field(
        default=100.0,
        gt=0,
        le=1e6,
        description="ISO speed rating at the base conversion gain (the default gain_dn_per_e); other gains scale it. "
        "A stated rating written into raw files (DNG ISO tags), not simulated from ISO 12232.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> CmosSensorSpec:
        rows = 1 if self.cfa == "mono" else 3
        if isinstance(self.qe, str):
            if rows != 3:
                raise ValueError(f"qe {self.qe!r} is a colour camera's curve; cfa {self.cfa} needs a table")
            from .colorimetry import named_qe

            named_qe(self.qe, self.bands_nm, self.peak_qe)  # raises if the bands leave its range
        elif len(self.qe) != rows:
            raise ValueError(f"qe needs {rows} row(s) for cfa {self.cfa}, got {len(self.qe)}")
        for row in self.qe_table():
            if len(row) != len(self.bands_nm):
                raise ValueError(f"each qe row needs one value per band ({len(self.bands_nm)}), got {len(row)}")
            if any(not 0 <= q <= 1 for q in row):
                raise ValueError(f"qe values must lie in [0, 1], got {row}")
        return self._consistent_readout()

    def qe_table(self) -> tuple[tuple[float, ...], ...]:
        """The QE table (colour rows x bands), a named curve resolved at ``bands_nm``."""
        if isinstance(self.qe, str):
            from .colorimetry import named_qe

            return tuple(tuple(float(v) for v in row) for row in named_qe(self.qe, self.bands_nm, self.peak_qe))
        return self.qe

    def _consistent_readout(self) -> CmosSensorSpec:
        if self.full_well_e <= 5 * self.read_noise_e:
            raise ValueError(f"full_well_e {self.full_well_e} must exceed 5 x read_noise_e ({self.read_noise_e})")
        bits = self.hdr.output_bits if self.hdr and self.hdr.output == "merged" else self.adc_bits
        if self.black_level_dn >= 2**bits - 1:
            raise ValueError(f"black_level_dn {self.black_level_dn} leaves no range in {bits} bits")
        for field, readout in (("readout", self.readout), ("preview_readout", self.preview_readout)):
            if isinstance(readout, VideoReadout):
                self._check_video(field, readout)
                continue
            if readout == "bin2x2_charge" and self.cfa not in ("QUAD_RGGB", "mono"):
                raise ValueError(
                    f"{field} bin2x2_charge needs same-colour neighbours sharing a floating diffusion "
                    f"(cfa QUAD_RGGB or mono), not {self.cfa}"
                )
            tile = 4 if readout != "full" and self.cfa != "mono" else 2
            if readout != "full" and (self.width_px % tile or self.height_px % tile):
                raise ValueError(f"{field} {readout} with cfa {self.cfa} needs width and height divisible by {tile}")
        if self.hdr is not None:
            if self.hdr.hcg_full_scale_e >= self.full_well_e:
                raise ValueError("hdr.hcg_full_scale_e must be below full_well_e (else the low gain adds nothing)")
            if self.readout != "full":
                raise ValueError("hdr needs readout 'full'")
        return self

    def _check_video(self, field: str, video: VideoReadout) -> None:
        if self.cfa == "QUAD_RGGB":
            raise ValueError(f"{field}: a video readout needs a Bayer CFA or mono; Quad Bayer bins with bin2x2_charge")
        if video.combine == "charge" and self.cfa != "mono" and video.bin > 1:
            raise ValueError(
                f"{field}: combine 'charge' needs same-colour neighbours sharing a floating diffusion (cfa mono), "
                f"not {self.cfa}"
            )
        tile = video.factor * (1 if self.cfa == "mono" else 2)  # whole CFA tiles in the output
        if self.width_px < tile or self.height_px < tile:
            raise ValueError(
                f"{field} ({video}) reads groups of {tile} x {tile} pixels; the sensor has only {self.width_px} x "
                f"{self.height_px} pixels"
            )


def _preset(name: str, doc: str, **defaults: object) -> type[CmosSensorSpec]:
    return camrig.spec_preset(CmosSensorSpec, name, doc, **defaults)


M43_100MP = _preset(
    "M43_100MPSpec",
    "Four Thirds 100 MP, single gain: 11520 x 8640 at 1.5 um (17.28 x 12.96 mm). Pixel figures are typical of "
    "published 1.4-1.5 um smartphone pixels (full well ~6000 e-, read noise ~1.5 e-): an assumption, not a datasheet. "
    "Preview: a video readout of such sensors, 4x4 same-colour digital binning with every other group skipped: "
    "1440 x 1080 (a phone's 4:3 preview stream) at 30 fps, simulated at that size.",
    preview_readout=VideoReadout(bin=4, skip=2),
)
M43_100MP_HDR = _preset(
    "M43_100MP_HDRSpec",
    "Four Thirds 100 MP with dual conversion gain (overflow-capacitor style): 1.5 um pixel whose well plus "
    "capacitor holds 40000 e-, high-gain read noise 0.7 e- (full scale 4000 e-), low-gain read noise 6 e-. "
    "An assumption sized to test the 16 EV claim (40000 / 0.7 = 15.8 EV by full well over read noise). "
    "Preview: 4x4 digital binning, every other group skipped (1440 x 1080), single (low) gain.",
    preview_readout=VideoReadout(bin=4, skip=2),
    full_well_e=40000.0,
    read_noise_e=6.0,
    adc_bits=14,
    hdr=DualGainSpec(hcg_full_scale_e=4000.0, hcg_read_noise_e=0.7, lcg_read_noise_e=6.0, output_bits=20),
)
M43_20MP = _preset(
    "M43_20MPSpec",
    "Four Thirds 20 MP: 5184 x 3888 at 3.34 um, full well 25000 e-, read noise 2.5 e-, 12-bit: figures typical "
    "of published measurements of 20 MP Four Thirds cameras at base ISO (an assumption, not a datasheet).",
    width_px=5184, height_px=3888, pixel_pitch_um=3.34, full_well_e=25000.0, read_noise_e=2.5, adc_bits=12,
    black_level_dn=64, row_readout_ns=5000.0, preview_readout="bin2x2_digital",
)  # fmt: skip
ONE_INCH_20MP = _preset(
    "OneInch20MPSpec",
    "1-inch 20 MP: 5472 x 3648 at 2.4 um (13.1 x 8.8 mm), full well 15000 e-, read noise 2.0 e-, 12-bit "
    "(typical of published 1-inch stacked sensors; an assumption).",
    width_px=5472, height_px=3648, pixel_pitch_um=2.4, full_well_e=15000.0, read_noise_e=2.0, adc_bits=12,
    black_level_dn=64, mount="fixed", flange_distance_mm=5.0, row_readout_ns=4000.0, preview_readout="bin2x2_digital",
)  # fmt: skip
PHONE_50MP = _preset(
    "Phone50MPSpec",
    "Phone main camera, 1/1.3-inch 50 MP Quad Bayer: 8160 x 6120 at 1.2 um (9.8 x 7.3 mm), full well 5000 e-, "
    "read noise 1.5 e-, 10-bit; usually read binned 2x2 (typical published figures; an assumption).",
    width_px=8160, height_px=6120, pixel_pitch_um=1.2, full_well_e=5000.0, read_noise_e=1.5, adc_bits=10,
    black_level_dn=64, cfa="QUAD_RGGB", mount="fixed", flange_distance_mm=4.0, row_readout_ns=2500.0,
    readout="bin2x2_charge", preview_readout="bin2x2_charge",
)  # fmt: skip

PRESETS: dict[str, tuple[type[CmosSensorSpec], str]] = {
    "sensors.cmos": (CmosSensorSpec, "CMOS sensor: EMVA 1288 model with every noise source, CFA, binning, HDR"),
    "sensors.m43_100mp": (M43_100MP, "Four Thirds 100 MP, 1.5 um, single gain"),
    "sensors.m43_100mp_hdr": (M43_100MP_HDR, "Four Thirds 100 MP, 1.5 um, dual conversion gain HDR"),
    "sensors.m43_20mp": (M43_20MP, "Four Thirds 20 MP, 3.34 um"),
    "sensors.one_inch_20mp": (ONE_INCH_20MP, "1-inch 20 MP, 2.4 um"),
    "sensors.phone_50mp": (PHONE_50MP, "phone 1/1.3-inch 50 MP Quad Bayer, 1.2 um"),
}


@camrig.hookimpl
def camrig_accessory_types() -> list[camrig.AccessoryType]:
    return [
        camrig.AccessoryType(name, camrig.Kind.SENSOR, spec, "camrig_sensors.cmos:CmosSensor", summary)
        for name, (spec, summary) in PRESETS.items()
    ]


def _readout_rule(rig: camrig.Rig) -> list[camrig.Problem]:
    """Each readout (capture and preview) must fit within its frame period."""
    sensor = rig.part("sensor")
    if not isinstance(sensor.accessory.spec, CmosSensorSpec):
        return []
    problems = []
    modes = [(sensor.accessory, rig.frame_rate_hz, "")]
    modes.append((sensor.accessory.preview(), sensor.accessory.spec.preview_frame_rate_hz, "preview "))
    for model, rate_hz, label in modes:
        readout_ns = model.readout_ns()
        if readout_ns * rate_hz <= 1e9:
            continue
        problems.append(
            camrig.Problem(
                severity=camrig.Severity.ERROR,
                rule="sensors.readout",
                parts=(sensor.label,),
                message=f"{label}readout takes {readout_ns / 1e6:.2f} ms per frame, longer than 1/{rate_hz:g} s",
                suggestion=f"the sensor reads at most {1e9 / readout_ns:.1f} fps in {label}readout "
                f"'{model.spec.readout}'",
            )
        )
    return problems


def _colour_rule(rig: camrig.Rig) -> list[camrig.Problem]:
    """A colour correction derived from the sensor (``isp.colour_correction`` without a fixed matrix) needs a
    response it can invert: refused here, before any capture, with the response's condition number."""
    sensor = rig.part("sensor")
    spec = sensor.accessory.spec
    if not isinstance(spec, CmosSensorSpec) or spec.cfa == "mono" or any(not 380 <= b <= 780 for b in spec.bands_nm):
        return []
    users = [
        p
        for p in rig.parts.values()
        if p.name == "isp.colour_correction" and getattr(p.accessory.spec, "matrix", None) is None
    ]
    if not users:
        return []
    from .colorimetry import check_correctable

    try:
        check_correctable(spec.qe_table(), spec.bands_nm)
    except ValueError as exc:
        return [
            camrig.Problem(
                severity=camrig.Severity.ERROR,
                rule="sensors.colour",
                parts=(sensor.label, users[0].label),
                message=str(exc),
                suggestion="give isp.colour_correction a fixed matrix, or a QE table whose rows differ",
            )
        ]
    return []


@camrig.hookimpl
def camrig_fit_rules() -> list[camrig.FitRule]:
    return [
        camrig.FitRule("sensors.readout", "the sensor reads a frame within the frame period", _readout_rule),
        camrig.FitRule(
            "sensors.colour", "a colour correction derived from the sensor can invert its response", _colour_rule
        ),
    ]
