"""Our sensor model measured by the EMVA 1288 reference implementation (the ``emva1288`` package).

For two presets we simulate the standard's photon-transfer data set (pairs of frames from dark to beyond
saturation at one exposure time), run the reference analysis, and compare what it measures with what the
spec configures.
"""

from __future__ import annotations

import logging
import math

import numpy as np
import pytest

emva = pytest.importorskip("emva1288.process")
from camrig_sensors import M43_20MP, M43_100MP, CmosSensorSpec  # noqa: E402
from camrig_sensors.cmos import CmosSensor, dark_current_e_s  # noqa: E402
from camrig_sensors.emva import flat_field_frames, mono_test_pixel, photon_sweep  # noqa: E402

EXPOSURE_S = 0.01


@pytest.fixture(autouse=True)
def numpy2_compat(monkeypatch):
    """emva1288 1.0.2 (its latest release) calls ``np.asfarray``, removed in NumPy 2.0; restore exactly that
    function for the duration of these tests (same behaviour: a float64 array)."""
    if not hasattr(np, "asfarray"):
        monkeypatch.setattr(np, "asfarray", lambda a, dtype=np.float64: np.asarray(a, dtype=dtype), raising=False)


def emva_saturation_e(full_well_e: float) -> float:
    """Saturation capacity as EMVA 1288 defines it (the mean at which the temporal variance peaks), predicted
    for our clipping: the collected charge X ~ N(mu, mu) is censored at the full well c, and

        Var[min(X, c)] = m2 - m1^2,  m1 = mu Phi(a) - s phi(a) + c (1 - Phi(a)),
        m2 = (mu^2 + s^2) Phi(a) - s (mu + c) phi(a) + c^2 (1 - Phi(a)),  s = sqrt(mu), a = (c - mu) / s

    (moments of the censored normal distribution). Its maximum lies ~2 sigma below c."""
    from scipy.stats import norm

    mu = np.linspace(0.8 * full_well_e, full_well_e, 20001)
    sd = np.sqrt(mu)
    a = (full_well_e - mu) / sd
    cdf, pdf = norm.cdf(a), norm.pdf(a)
    m1 = mu * cdf - sd * pdf + full_well_e * (1 - cdf)
    m2 = (mu**2 + sd**2) * cdf - sd * (mu + full_well_e) * pdf + full_well_e**2 * (1 - cdf)
    return float(mu[np.argmax(m2 - m1**2)])


def emva_results(spec: CmosSensorSpec, saturation_photons: float):
    """Run the reference analysis on a simulated sweep from dark to just past saturation."""
    sweep = np.concatenate([np.linspace(0, 0.9, 28)[1:], np.linspace(0.91, 1.3, 40)]) * saturation_photons
    temporal = {}
    for photons, (a, b) in photon_sweep(spec, [0.0, *sweep], EXPOSURE_S):
        imgs = emva.routines.get_int_imgs([a, b])
        temporal[photons] = {"sum": np.sum(imgs["sum"]), "pvar": np.sum(imgs["pvar"]), "dmean": imgs["dmean"]}
    half = float(sweep[len(sweep) // 3])
    spatial = {
        0.0: emva.routines.get_int_imgs(flat_field_frames(spec, 0.0, EXPOSURE_S, seeds=range(1000, 1008))),
        half: emva.routines.get_int_imgs(flat_field_frames(spec, half, EXPOSURE_S, seeds=range(2000, 2008))),
    }
    data = {
        "temporal": {EXPOSURE_S: temporal},
        "spatial": {EXPOSURE_S: spatial},
        "width": spec.width_px,
        "height": spec.height_px,
    }
    return emva.Results1288(emva.Data1288(data, loglevel=logging.WARNING).data, loglevel=logging.WARNING)


@pytest.mark.parametrize("preset", [M43_100MP, M43_20MP], ids=["m43_100mp", "m43_20mp"])
def test_reference_analysis_recovers_the_configured_sensor(preset):
    spec = mono_test_pixel(preset(), hot_pixel_fraction=0.0)
    sensor = CmosSensor(spec)
    qe = spec.qe[0][0] * spec.fill_factor
    result = emva_results(spec, saturation_photons=spec.full_well_e / qe)

    # expected from the spec: temporal dark noise = read, row and dark-current shot noise (EMVA 1288 eq. 6)
    sigma_d = math.sqrt(spec.read_noise_e**2 + spec.row_noise_e**2 + dark_current_e_s(spec) * EXPOSURE_S)
    sigma_y_dark_e = math.sqrt(sigma_d**2 + 1 / (12 * sensor.gain**2))  # plus quantisation, in e-
    saturation_e = emva_saturation_e(spec.full_well_e)
    dr = saturation_e / (sigma_y_dark_e + 0.5)  # EMVA 1288: mu_e.sat / (sigma_y.dark / K + 1/2)

    assert result.K == pytest.approx(sensor.gain, rel=0.03)
    assert result.QE / 100 == pytest.approx(qe, rel=0.03)
    assert result.sigma_d == pytest.approx(sigma_d, rel=0.05)
    assert result.u_e_sat == pytest.approx(saturation_e, rel=0.05)
    assert abs(math.log2(result.DR) - math.log2(dr)) < 0.1
