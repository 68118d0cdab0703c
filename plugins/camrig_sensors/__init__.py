"""camrig sensors: focal-plane irradiance to raw DN."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

import camrig

camrig_api = ">=1,<2"

CFA_PATTERNS = ("RGGB", "BGGR", "GRBG", "GBRG", "mono")


class BasicSensorSpec(camrig.SensorSpec):
    """A linear sensor with shot noise, read noise and full-well clipping.

    Defaults describe a 100 MP Four Thirds module: 11520 x 8640 pixels of 1.5 um (17.28 x 12.96 mm).
    """

    mount: str = Field(default="MFT", description="Lens mount of the module.")
    flange_distance_mm: float = Field(default=19.25, gt=0, description="Module flange focal distance, mm (MFT: 19.25).")
    width_px: int = Field(default=11520, gt=0, description="Active pixels per row.")
    height_px: int = Field(default=8640, gt=0, description="Active rows.")
    pixel_pitch_um: float = Field(default=1.5, gt=0, description="Pixel pitch, um.")
    fill_factor: float = Field(default=1.0, gt=0, le=1, description="Light-collecting fraction of the pixel area (with microlenses).")
    cfa: Literal["RGGB", "BGGR", "GRBG", "GBRG", "mono"] = Field(default="RGGB", description="Colour filter array pattern.")
    bands_nm: tuple[float, ...] = Field(
        default=(450.0, 550.0, 650.0), min_length=1, description="Wavelength bands the QE table refers to, nm."
    )
    qe: tuple[tuple[float, ...], ...] = Field(
        default=((0.03, 0.08, 0.45), (0.08, 0.55, 0.08), (0.45, 0.10, 0.02)),
        description="Quantum efficiency (electrons per photon, 0..1) per filter colour (rows R, G, B; one row "
        "for mono) and per band (columns, in bands_nm order).",
    )
    full_well_e: float = Field(default=6000.0, gt=0, description="Full-well capacity, electrons.")
    read_noise_e: float = Field(default=1.5, ge=0, description="Temporal read noise, electrons rms.")
    adc_bits: int = Field(default=14, ge=1, le=16, description="ADC bit depth (1..16).")
    black_level_dn: int = Field(default=256, ge=0, description="Black level offset, DN.")
    gain_dn_per_e: float | None = Field(
        default=None, gt=0, description="Conversion gain, DN per electron; default: the ADC top at full well minus 5 read-noise sigmas."
    )
    row_readout_ns: float = Field(default=3000.0, ge=0, description="Rolling-shutter readout time per row, ns.")

    @model_validator(mode="after")
    def _consistent(self) -> BasicSensorSpec:
        rows = 1 if self.cfa == "mono" else 3
        if len(self.qe) != rows:
            raise ValueError(f"qe needs {rows} row(s) for cfa {self.cfa}, got {len(self.qe)}")
        for row in self.qe:
            if len(row) != len(self.bands_nm):
                raise ValueError(f"each qe row needs one value per band ({len(self.bands_nm)}), got {len(row)}")
            if any(not 0 <= q <= 1 for q in row):
                raise ValueError(f"qe values must lie in [0, 1], got {row}")
        if self.full_well_e <= 5 * self.read_noise_e:
            raise ValueError(f"full_well_e {self.full_well_e} must exceed 5 x read_noise_e ({self.read_noise_e})")
        if self.black_level_dn >= 2**self.adc_bits - 1:
            raise ValueError(f"black_level_dn {self.black_level_dn} leaves no range in {self.adc_bits} bits")
        return self


@camrig.hookimpl
def camrig_accessory_types() -> list[camrig.AccessoryType]:
    return [
        camrig.AccessoryType(
            name="sensors.basic",
            kind=camrig.Kind.SENSOR,
            spec=BasicSensorSpec,
            factory="camrig_sensors.basic:BasicSensor",
            summary="linear sensor: photon shot noise, read noise, full-well clipping, Bayer CFA",
        )
    ]
