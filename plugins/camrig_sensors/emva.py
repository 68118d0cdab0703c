"""Simulated EMVA 1288 measurements: flat fields of a known photon count, as on a sensor test bench.

EMVA 1288 (release 4.0, section 6) characterises a sensor from pairs of frames under a homogeneous light at
photon counts ``mu_p`` (photons per pixel area, fill factor excluded, so the measured QE includes it), from
dark to beyond saturation. These helpers make such frames from our model; any EMVA 1288 analysis (e.g. the
``emva1288`` reference implementation) can then measure the sensor as a lab would.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from . import CmosSensorSpec
from .cmos import LIGHT_SPEED_M_S, PLANCK_J_S, CmosSensor


def irradiance_for_photons(spec: CmosSensorSpec, photons_per_pixel: float, exposure_s: float, band: int) -> float:
    """Band irradiance (W/m^2) that puts ``photons_per_pixel`` photons on one pixel's area in ``exposure_s``:
    E = mu_p h c / (A t lambda), A = pitch^2 (EMVA 1288 4.0, eq. 1)."""
    area_m2 = (spec.pixel_pitch_um * 1e-6) ** 2
    return photons_per_pixel * PLANCK_J_S * LIGHT_SPEED_M_S / (area_m2 * exposure_s * spec.bands_nm[band] * 1e-9)


def flat_field_frames(
    spec: CmosSensorSpec, photons_per_pixel: float, exposure_s: float, seeds: Sequence[int], band: int = 0
) -> list[np.ndarray]:
    """Raw frames of a homogeneous light in one band, one per capture seed (temporal noise differs, fixed
    patterns do not)."""
    sensor = CmosSensor(spec)
    irradiance = np.zeros((spec.height_px, spec.width_px, len(spec.bands_nm)), dtype=np.float32)
    irradiance[:, :, band] = irradiance_for_photons(spec, photons_per_pixel, exposure_s, band)
    return [sensor.expose(irradiance, exposure_s, seed, "sensor") for seed in seeds]


def mono_test_pixel(spec: CmosSensorSpec, band_nm: float = 550.0, size: int = 128, **changes: object) -> CmosSensorSpec:
    """The same pixel as ``spec`` on a small monochrome test chip lit in one band (QE of the green filter
    there), as an EMVA 1288 measurement of one colour channel would see it."""
    bands = list(spec.bands_nm)
    band = bands.index(band_nm)
    green = spec.qe_table()[1 if spec.cfa != "mono" else 0][band]
    data = spec.model_dump()
    data.update(
        width_px=size, height_px=size, cfa="mono", bands_nm=(band_nm,), qe=((green,),), readout="full", **changes
    )
    return type(spec).model_validate(data)


def photon_sweep(
    spec: CmosSensorSpec, photons: Sequence[float], exposure_s: float, settle_points: int = 2
) -> Iterator[tuple[float, list[np.ndarray]]]:
    """(photon count, frame pair) along ``photons`` (ascending, starting dark), ending ``settle_points``
    points after the signal stops following the light, as a bench operator ends an EMVA 1288 sweep shortly
    past saturation.

    A point counts as saturated when its mean rose by less than a tenth of what the photon step should have
    added (extrapolating the signal so far), where that expected rise is at least 2 DN. A long saturated tail
    adds nothing to the analysis, and rare single-DN blips in it (a 5-sigma read-noise dip below the white
    level) stop the ``emva1288`` reference's backward search for the variance peak too early.
    """
    dark = previous_mean = previous_photons = None
    flat = 0
    for i, p in enumerate(photons):
        frames = flat_field_frames(spec, float(p), exposure_s, seeds=(2 * i, 2 * i + 1))
        yield float(p), frames
        mean = float(np.mean([f.mean() for f in frames]))
        if dark is None:
            dark = mean
        elif previous_mean is not None and previous_photons:
            expected_rise = (previous_mean - dark) * (p / previous_photons - 1)
            flat = flat + 1 if expected_rise >= 2 and mean - previous_mean < 0.1 * expected_rise else 0
            if flat >= settle_points:
                return
        previous_mean, previous_photons = mean, float(p)
