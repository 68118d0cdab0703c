"""The basic sensor: photon counting by hand, Poisson statistics, clipping, spec validation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from camrig_sensors import CmosSensorSpec
from camrig_sensors.cmos import CmosSensor

import camrig

H, C = 6.62607015e-34, 299792458.0


def expose(sensor: CmosSensor, irradiance_w_m2, exposure_s=1e-3, seed=0):
    s = sensor.spec
    plane = sensor.focal_plane()
    view = camrig.AngularGrid(width=s.width_px, height=s.height_px, x0=0, y0=0, step=1e-3)
    ctx = camrig.CaptureContext(exposure_s=exposure_s, seed=seed, geometry=camrig.Geometry(plane=plane, view=view))
    data = np.broadcast_to(np.asarray(irradiance_w_m2, dtype=np.float32), (s.height_px, s.width_px, len(s.bands_nm)))
    frame = camrig.Frame(np.ascontiguousarray(data), camrig.FrameMeta(format="irradiance", units="W/m^2", bands_nm=s.bands_nm))
    return sensor.process(frame, ctx, "sensor")  # type: ignore[union-attr]


ONLY_SHOT_AND_READ = {"shot": True, "read": True, "clip": True, "dark": False, "dsnu": False, "prnu": False, "row": False, "hot": False}


def mono(**kw) -> CmosSensor:
    """A mono test sensor with only shot and read noise on, so the statistics below are exactly Poisson + Gaussian."""
    base = dict(width_px=200, height_px=100, pixel_pitch_um=2.0, cfa="mono", bands_nm=(550.0,), qe=((0.5,),), noise=ONLY_SHOT_AND_READ)
    return CmosSensor(CmosSensorSpec(**{**base, **kw}))


def test_mean_electrons_follow_photon_counting():
    sensor = CmosSensor(CmosSensorSpec(width_px=4, height_px=4, pixel_pitch_um=2.0, fill_factor=0.8))
    mean = sensor.mean_electrons(np.ones((4, 4, 3), dtype=np.float32) * np.float32([1.0, 2.0, 3.0]), 1e-3)
    area = (2e-6) ** 2 * 0.8
    photons = [e * area * 1e-3 * lam * 1e-9 / (H * C) for e, lam in zip([1.0, 2.0, 3.0], [450, 550, 650])]
    qe = sensor.spec.qe
    expected_r = sum(q * n for q, n in zip(qe[0], photons))
    expected_b = sum(q * n for q, n in zip(qe[2], photons))
    assert mean[0, 0] == pytest.approx(expected_r, rel=1e-6)  # RGGB: R at (0, 0)
    assert mean[1, 1] == pytest.approx(expected_b, rel=1e-6)


def test_shot_and_read_noise_statistics_at_high_counts():
    sensor = mono(read_noise_e=3.0, full_well_e=20000, adc_bits=16, black_level_dn=100, gain_dn_per_e=0.5)
    photons_per_w = (2e-6) ** 2 * 1e-3 * 550e-9 / (H * C)
    e = 1000 / (0.5 * photons_per_w)  # irradiance for mu_e = 1000
    dn = expose(sensor, [e]).data.astype(np.float64)
    n = dn.size
    mu_dn, var_dn = 100 + 0.5 * 1000, 0.5**2 * (1000 + 3.0**2) + 1 / 12  # EMVA 1288: var_y = K^2 (mu_e + s_d^2) + 1/12
    assert abs(dn.mean() - mu_dn) < 5 * math.sqrt(var_dn / n)
    assert abs(dn.var() / var_dn - 1) < 5 * math.sqrt(2 / n)


@pytest.mark.parametrize("mu", [1.0, 3.0, 10.0])
def test_shot_noise_is_poisson_at_low_counts(mu):
    sensor = mono(read_noise_e=0.0, adc_bits=12, black_level_dn=10, gain_dn_per_e=1.0)
    photons_per_w = (2e-6) ** 2 * 1e-3 * 550e-9 / (H * C)
    electrons = expose(sensor, [mu / (0.5 * photons_per_w)]).data.astype(np.int64) - 10
    n = electrons.size
    assert abs(electrons.mean() - mu) < 5 * math.sqrt(mu / n)
    assert abs(electrons.var() / mu - 1) < 5 * math.sqrt((2 + 1 / mu) / n)
    p0 = math.exp(-mu)
    assert abs((electrons == 0).mean() - p0) < 5 * math.sqrt(p0 * (1 - p0) / n) + 1e-12


def test_full_well_clips_to_the_white_level():
    sensor = mono()
    raw = expose(sensor, [1e3])
    assert raw.meta.white_level == 2**14 - 1
    assert (raw.data == 2**14 - 1).all()


def test_raw_metadata_and_bytes():
    sensor = mono()
    raw = expose(sensor, [1e-3], exposure_s=2e-3)
    assert raw.meta.modelled_ns == {"exposure": 2_000_000, "readout": 100 * 3000}
    assert (raw.meta.black_level, raw.meta.bit_depth, raw.meta.cfa) == (256.0, 14, None)
    assert sensor.raw_bytes_per_frame() == math.ceil(200 * 100 * 14 / 8)


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"qe": ((1.2, 0.5, 0.1), (0.1, 0.5, 0.1), (0.1, 0.1, 0.1))}, "qe values must lie in"),
        ({"qe": ((0.5, 0.5, 0.1),)}, "qe needs 3 row"),
        ({"adc_bits": 0}, "adc_bits"),
        ({"adc_bits": 33}, "adc_bits"),
        ({"read_noise_e": -1}, "read_noise_e"),
        ({"pixel_pitch_um": 0}, "pixel_pitch_um"),
        ({"adc_bits": 8, "black_level_dn": 255}, "leaves no range"),
    ],
)
def test_impossible_specs_are_refused(kw, message):
    with pytest.raises(ValueError, match=message):
        CmosSensorSpec(**kw)
