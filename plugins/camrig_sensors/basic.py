"""A basic linear sensor.

Photons per pixel and band (e.g. EMVA 1288 release 4.0, section 2.1, eq. 1)::

    n_p = E * A * t * lambda / (h * c)

with E the band irradiance (W/m^2), A the light-collecting pixel area (pitch^2 x fill factor), t the exposure.
Electrons: mu_e = sum_band QE(colour, band) * n_p, drawn from a Poisson distribution (shot noise), clipped at
the full well; then read noise (Gaussian, electrons rms) and the conversion gain K (DN/e-) plus black level,
rounded and clipped to the ADC range (EMVA 1288 linear camera model: mu_y = K (mu_e + mu_d) + offset).
"""

from __future__ import annotations

import math

import numpy as np

import camrig

from . import BasicSensorSpec

PLANCK_J_S = 6.62607015e-34
LIGHT_SPEED_M_S = 299_792_458.0
COLOUR_ROW = {"R": 0, "G": 1, "B": 2}


def cfa_sites(cfa: str) -> list[tuple[int, int, int]]:
    """(row offset, column offset, QE row) for each site of the 2x2 CFA tile ('mono': one 1x1 site)."""
    if cfa == "mono":
        return [(0, 0, 0)]
    return [(i // 2, i % 2, COLOUR_ROW[c]) for i, c in enumerate(cfa)]


class BasicSensor(camrig.Sensor[BasicSensorSpec]):
    @property
    def white_level(self) -> int:
        return 2**self.spec.adc_bits - 1

    @property
    def gain(self) -> float:
        """Conversion gain K, DN per electron.

        Default: the ADC top is reached at the full well minus 5 read-noise sigmas, so a saturated pixel
        (full well plus read noise) reads exactly the white level: clipped highlights are flat, as raw
        converters and the EMVA 1288 saturation point assume, at a cost of 5 sigma of the well.
        """
        s = self.spec
        return s.gain_dn_per_e or (self.white_level - s.black_level_dn) / (s.full_well_e - 5 * s.read_noise_e)

    def raw_bytes_per_frame(self) -> int:
        return math.ceil(self.spec.width_px * self.spec.height_px * self.spec.adc_bits / 8)

    def negotiate(self, upstream: camrig.Caps | None, geometry: camrig.Geometry) -> camrig.Caps:
        s = self.spec
        if upstream is None or upstream.format is not camrig.Format.IRRADIANCE:
            raise camrig.CapsError("a sensor takes irradiance")
        if tuple(upstream.bands_nm) != tuple(s.bands_nm):
            raise camrig.CapsError(f"its QE table is for bands {s.bands_nm} nm, the light comes in {upstream.bands_nm} nm")
        if upstream.shape[:2] != (s.height_px, s.width_px):
            raise camrig.CapsError(f"irradiance must cover the {s.height_px}x{s.width_px} pixel grid")
        return camrig.Caps(format=camrig.Format.RAW, dtype="uint16", shape=(s.height_px, s.width_px))

    def mean_electrons(self, irradiance: np.ndarray, exposure_s: float) -> np.ndarray:
        """Expected photo-electrons per pixel (before noise), float32, on the CFA mosaic."""
        s = self.spec
        area_m2 = (s.pixel_pitch_um * 1e-6) ** 2 * s.fill_factor
        photons_per_w_m2 = area_m2 * exposure_s * np.asarray(s.bands_nm) * 1e-9 / (PLANCK_J_S * LIGHT_SPEED_M_S)
        qe = np.asarray(s.qe)
        step = 1 if s.cfa == "mono" else 2
        mean = np.empty(irradiance.shape[:2], dtype=np.float32)
        for dy, dx, row in cfa_sites(s.cfa):
            weights = (qe[row] * photons_per_w_m2).astype(np.float32)
            mean[dy::step, dx::step] = irradiance[dy::step, dx::step, :] @ weights
        return mean

    def process(self, frame: camrig.Frame | None, ctx: camrig.CaptureContext, role: str) -> camrig.Frame:
        assert frame is not None
        s = self.spec
        rng = ctx.rng(role)
        mean = self.mean_electrons(frame.data, ctx.exposure_s)
        electrons = rng.poisson(mean).astype(np.float32)
        np.minimum(electrons, np.float32(s.full_well_e), out=electrons)
        if s.read_noise_e > 0:
            electrons += rng.standard_normal(electrons.shape, dtype=np.float32) * np.float32(s.read_noise_e)
        dn = electrons
        dn *= np.float32(self.gain)
        dn += np.float32(s.black_level_dn)
        np.rint(dn, out=dn)
        np.clip(dn, 0, self.white_level, out=dn)
        return camrig.Frame(
            dn.astype(np.uint16),
            frame.meta.model_copy(
                update=dict(
                    format=camrig.Format.RAW,
                    units="DN",
                    bands_nm=(),
                    pitch=s.pixel_pitch_um,
                    cfa=None if s.cfa == "mono" else s.cfa,
                    bit_depth=s.adc_bits,
                    black_level=float(s.black_level_dn),
                    white_level=float(self.white_level),
                    exposure_s=ctx.exposure_s,
                    modelled_ns={
                        **frame.meta.modelled_ns,
                        "exposure": round(ctx.exposure_s * 1e9),
                        "readout": round(s.row_readout_ns * s.height_px),
                    },
                )
            ),
        )
