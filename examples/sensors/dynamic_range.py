"""Does the 100 MP Four Thirds module reach 16 EV? Measure it the way a lab would.

* Each gain channel is measured with the EMVA 1288 reference analysis (``emva1288`` package): DR =
  mu_p.sat / mu_p.min, reported in EV (log2).
* The merged HDR output is measured by a photon-transfer sweep: the saturation signal (mean electrons where
  the temporal variance peaks) over the temporal dark noise (electrons rms), both on the merged scale.

Run:  python examples/sensors/dynamic_range.py      (needs: pip install -e ".[test]"; ~1 min)
"""

from __future__ import annotations

import logging
import math

import numpy as np

from camrig_sensors import M43_100MP, M43_100MP_HDR
from camrig_sensors.cmos import CmosSensor
from camrig_sensors.emva import flat_field_frames, mono_test_pixel, photon_sweep

if not hasattr(np, "asfarray"):  # emva1288 1.0.2 predates NumPy 2.0
    np.asfarray = lambda a, dtype=np.float64: np.asarray(a, dtype=dtype)  # type: ignore[attr-defined]
from emva1288 import process as emva  # noqa: E402

EXPOSURE_S = 0.01


def sweep(spec, top_photons):
    """(photons, frame pair) from dark past saturation: log-spaced up to 80 % of ``top_photons`` so the dark
    end is resolved, then 1 % steps so the saturation (variance peak) is found precisely."""
    photons = np.concatenate([[0.0], np.geomspace(1, 0.8 * top_photons, 30), np.linspace(0.81, 1.3, 50) * top_photons])
    return photon_sweep(spec, photons, EXPOSURE_S)


def emva_dr_ev(spec, top_photons) -> tuple[float, float, float]:
    temporal = {}
    for p, (a, b) in sweep(spec, top_photons):
        imgs = emva.routines.get_int_imgs([a, b])
        temporal[p] = {"sum": np.sum(imgs["sum"]), "pvar": np.sum(imgs["pvar"]), "dmean": imgs["dmean"]}
    dark = flat_field_frames(spec, 0.0, EXPOSURE_S, seeds=range(100, 104))
    bright = flat_field_frames(spec, top_photons / 2, EXPOSURE_S, seeds=range(200, 204))
    spatial = {0.0: emva.routines.get_int_imgs(dark), top_photons / 2: emva.routines.get_int_imgs(bright)}
    data = {
        "temporal": {EXPOSURE_S: temporal},
        "spatial": {EXPOSURE_S: spatial},
        "width": spec.width_px,
        "height": spec.height_px,
    }
    r = emva.Results1288(emva.Data1288(data, loglevel=logging.WARNING).data, loglevel=logging.WARNING)
    return math.log2(r.DR), r.u_e_sat, r.sigma_d


def photon_transfer_dr_ev(spec, top_photons) -> tuple[float, float, float]:
    """DR of the merged output: saturation electrons (variance peak) / temporal dark noise electrons."""
    sensor = CmosSensor(spec)
    k, black = sensor.hcg_gain, spec.black_level_dn
    means, variances = [], []
    for _, (a, b) in sweep(spec, top_photons):
        a, b = a.astype(np.float64), b.astype(np.float64)
        means.append(((a + b) / 2).mean())
        variances.append(((a - b) ** 2).mean() / 2)  # temporal variance, fixed patterns cancel
    means, variances = np.array(means), np.array(variances)
    i_sat = int(np.argmax(variances))
    saturation_e = (means[i_sat] - black) / k
    dark_noise_e = math.sqrt(variances[0]) / k
    return math.log2(saturation_e / dark_noise_e), saturation_e, dark_noise_e


def main() -> None:
    rows = []
    single = mono_test_pixel(M43_100MP(), hot_pixel_fraction=0.0)
    qe = single.qe[0][0]
    rows.append(("m43_100mp (single gain)", "EMVA 1288", *emva_dr_ev(single, single.full_well_e / qe)))
    hdr = M43_100MP_HDR()
    for channel, top in (("hcg", hdr.hdr.hcg_full_scale_e), ("lcg", hdr.full_well_e)):
        spec = mono_test_pixel(hdr, hot_pixel_fraction=0.0, hdr={**hdr.hdr.model_dump(), "output": channel})
        rows.append((f"m43_100mp_hdr ({channel} channel)", "EMVA 1288", *emva_dr_ev(spec, top / qe)))
    merged = mono_test_pixel(hdr, hot_pixel_fraction=0.0)
    rows.append(("m43_100mp_hdr (merged)", "photon transfer", *photon_transfer_dr_ev(merged, hdr.full_well_e / qe)))
    print(f"{'sensor':32} {'method':16} {'DR (EV)':>8} {'sat (e-)':>9} {'dark (e-)':>9}")
    for name, method, ev, sat, dark in rows:
        print(f"{name:32} {method:16} {ev:8.2f} {sat:9.0f} {dark:9.2f}")


if __name__ == "__main__":
    main()
