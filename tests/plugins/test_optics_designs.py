"""Presets from published designs (camrig_optics.designs): the shipped trace is a fresh trace of the cited
prescription, the traced lens reproduces the patent's own focal length and back focus, the fast lens is not
sharpest wide open, and a missing or corrupt design file is named."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import camrig
from camrig_optics import designs
from camrig_optics.psf import pupil_edge_at, zernike

ROOT = Path(__file__).resolve().parents[2]

# (design, published focal length and back focus at the published scale, wide-open f-number)
PUBLISHED = {
    "m43_35mm_f1_4": (50.0, 36.5, 1.4),  # US 3,552,829 Ex. 1 as tabulated at f = 50 mm: Bf 36.5
    "ef_50mm_f1_8": (1.0, 0.7430, 1.8),  # US 4,094,588 Ex. 1: f = 1, back focus 0.7430
}


def paraxial(surfaces: list[dict], epd: float = 1.0) -> tuple[float, float, list[float]]:
    """EFL, back focal distance and marginal-ray heights by a y-nu paraxial trace (W. J. Smith, *Modern Optical
    Engineering*, 4th ed., ch. 3): n'u' = nu - y (n' - n) / R, y_next = y + t u'; object at infinity, ray
    height epd / 2. Independent of optiland."""
    y, nu, n = epd / 2, 0.0, 1.0
    heights = []
    for s in surfaces:
        heights.append(y)
        n2 = s.get("index") or 1.0
        r = s["radius_mm"]
        power = 0.0 if r == 0 else (n2 - n) / r
        nu = nu - y * power
        n = n2
        y_last, u = y, nu / n
        y = y + s["thickness_mm"] * u
    efl = -(epd / 2) / nu  # final medium is air: u' = nu
    bfd = -y_last / u
    return efl, bfd, heights


def scaled_surfaces(name: str) -> list[dict]:
    data = designs.load_prescription(name)
    k = data["scale"]
    return [dict(s, radius_mm=s["radius_mm"] * k, thickness_mm=s["thickness_mm"] * k,
                 **({"semi_diameter_mm": s["semi_diameter_mm"] * k} if "semi_diameter_mm" in s else {}))
            for s in data["surfaces"]]  # fmt: skip


@pytest.mark.parametrize("name", designs.DESIGNS)
def test_the_traced_lens_has_the_published_focal_length_back_focus_and_aperture(name):
    f_pub, bfd_pub, n_open = PUBLISHED[name]
    data = designs.load_prescription(name)
    trace = designs.load_trace(name)
    wide = trace["traces"][0]["derived"]
    efl, bfd, heights = paraxial(scaled_surfaces(name))
    # the shipped trace's focal length is the paraxial one of the scaled surfaces, and the patent's
    assert wide["efl_mm"] == pytest.approx(efl, rel=1e-6)
    assert efl / data["scale"] == pytest.approx(f_pub, rel=1e-3)
    assert wide["paraxial_bfd_mm"] == pytest.approx(bfd, rel=1e-6)
    assert bfd / data["scale"] == pytest.approx(bfd_pub, rel=6e-3)  # the table's Bf is rounded/set near focus
    # the stop's semi-diameter opens exactly to the preset's f-number: N = EFL / (2 sd_stop / (y_stop / y_EP))
    stop = next(i for i, s in enumerate(scaled_surfaces(name)) if s.get("stop"))
    sd = scaled_surfaces(name)[stop]["semi_diameter_mm"]
    assert efl / (2 * sd / (heights[stop] / 0.5)) == pytest.approx(n_open, rel=2e-3)
    assert trace["traces"][0]["f_number"] == n_open


@pytest.mark.parametrize("name", designs.DESIGNS)
def test_the_shipped_trace_is_a_fresh_trace_of_the_prescription(name):
    pytest.importorskip("optiland")
    from camrig_optics import prescription

    trace = designs.load_trace(name)
    stale = f"stale: run {designs.REFRESH}"
    for t in trace["traces"]:  # every input (surfaces, f-number, field, optiland, derivation version)
        assert t["cache_key"] == prescription.cache_key(designs.prescription_spec(name, t["f_number"])), stale
    wide = trace["traces"][0]  # and the numbers: wide open, where the trace is most sensitive
    fresh = prescription.derive(designs.prescription_spec(name, wide["f_number"]))
    assert_same(fresh, wide["derived"], stale)


def assert_same(fresh: object, shipped: object, stale: str, where: str = "derived") -> None:
    """Equal structure, strings and flags; numbers within 1e-9 relative (the last bits of a least-squares fit may
    differ between machines), 1e-12 absolute for zeros."""
    if isinstance(fresh, dict):
        assert isinstance(shipped, dict) and fresh.keys() == shipped.keys(), f"{where}: {stale}"
        for k in fresh:
            assert_same(fresh[k], shipped[k], stale, f"{where}.{k}")
    elif isinstance(fresh, list):
        assert isinstance(shipped, list) and len(fresh) == len(shipped), f"{where}: {stale}"
        for i, (a, b) in enumerate(zip(fresh, shipped)):
            assert_same(a, b, stale, f"{where}[{i}]")
    elif isinstance(fresh, float) and not isinstance(shipped, bool):
        assert shipped == pytest.approx(fresh, rel=1e-9, abs=1e-12), f"{where}: {shipped} != {fresh}: {stale}"
    else:
        assert fresh == shipped, f"{where}: {stale}"


def test_between_traced_stops_the_wider_trace_is_stopped_down_and_the_rest_interpolated():
    trace = designs.load_trace("m43_35mm_f1_4")
    by_n = {t["f_number"]: t["derived"] for t in trace["traces"]}
    mid = designs.derived_at(trace, 2.35)
    w = math.log(2.35 / 2.2) / math.log(2.5 / 2.2)  # by hand
    lo, hi = by_n[2.2]["vignetting"]["corner"], by_n[2.5]["vignetting"]["corner"]
    assert mid["vignetting"]["corner"] == pytest.approx((1 - w) * lo + w * hi, abs=1e-12)
    assert mid["efl_mm"] == pytest.approx(by_n[2.2]["efl_mm"], rel=1e-12)  # the aperture leaves EFL alone
    assert mid["f_number"] == 2.35
    assert mid["zones"] == designs.stopped_down_zones(by_n[2.2]["zones"], 2.2 / 2.35, 587.56)
    assert mid["zones"][0]["zernike_waves"]["4"] == pytest.approx(0.0, abs=1e-12)  # refocused on axis
    assert designs.derived_at(trace, 2.5) == by_n[2.5]  # a traced stop: as shipped
    with pytest.raises(ValueError, match="f_number 1.2: the design .*m43_35mm_f1_4.trace.json is traced from f/1.4"):
        designs.derived_at(trace, 1.2, str(designs.trace_path("m43_35mm_f1_4")))


@pytest.mark.parametrize("name", designs.DESIGNS)
def test_a_trace_stopped_down_is_the_next_stops_own_trace(name):
    """Stopping down is exact for the wavefront (the narrower pupil lies inside the traced one, where the fit
    holds) and leaves the rims where they were, so a traced stop, stopped down a third, must reproduce the
    independent trace of the next stop: the wavefront inside the next stop's pupil (piston removed) within 0.025
    waves RMS (the two fits' own residuals and the refocus), the vignetted pupil's edge within 0.002."""
    trace = designs.load_trace(name)
    by_n = {t["f_number"]: t["derived"] for t in trace["traces"]}
    stops = sorted(by_n)
    c = np.linspace(-1.0, 1.0, 121)
    x, y = np.meshgrid(c, c)
    rho, theta = np.hypot(x, y), np.arctan2(y, x)
    for wide, narrow in zip(stops[:5], stops[1:6]):
        down = designs.stopped_down_zones(by_n[wide]["zones"], wide / narrow, 587.56)
        for ours, theirs in zip(down, by_n[narrow]["zones"]):
            inside = (rho <= 1) & (rho <= pupil_edge_at(tuple(theirs["pupil_edge"]), theta))
            w_ours = sum(v * zernike(int(j), rho, theta) for j, v in ours["zernike_waves"].items())
            w_theirs = sum(v * zernike(int(j), rho, theta) for j, v in theirs["zernike_waves"].items())
            diff = (w_ours - w_theirs)[inside]
            rms = float(np.sqrt(np.mean((diff - diff.mean()) ** 2)))
            assert rms < 0.025, (name, wide, narrow, ours["field"], rms)
            phi = np.linspace(0, 2 * np.pi, 97)
            edges = [pupil_edge_at(tuple(z["pupil_edge"]), phi) for z in (ours, theirs)]
            assert np.max(np.abs(edges[0] - edges[1])) < 0.002, (name, wide, narrow, ours["field"])


def mtf50_on_axis(zernike_waves: dict[int, float], f_number: float, pitch_um: float, wavelength_um: float) -> float:
    """MTF50 (cycles/mm) of the pupil's PSF times the square pixel's sinc, along x: OTF = FT of the PSF
    |FT{P exp(i 2 pi W)}|^2 (Goodman, *Introduction to Fourier Optics*, ch. 6), W the Noll Zernike sum."""
    n_pupil, n_grid = 96, 768
    x = (np.arange(n_pupil) - (n_pupil - 1) / 2) / (n_pupil / 2)
    xx, yy = np.meshgrid(x, x)
    rho, theta = np.hypot(xx, yy), np.arctan2(yy, xx)
    inside = rho <= 1
    w = sum(c * zernike(int(j), rho, theta) for j, c in zernike_waves.items() if int(j) > 3)
    pupil = np.zeros((n_grid, n_grid), complex)
    pupil[:n_pupil, :n_pupil] = inside * np.exp(2j * np.pi * w)
    psf = np.abs(np.fft.fft2(pupil)) ** 2
    otf = np.abs(np.fft.fft2(psf))
    mtf = otf[0, : n_grid // 2] / otf[0, 0]
    # the OTF reaches zero at a shift of one pupil diameter (n_pupil samples): 1 / (lambda N) cycles/um
    f = np.arange(n_grid // 2) / n_pupil / (wavelength_um * f_number)
    total = mtf * np.abs(np.sinc(f * pitch_um))
    k = int(np.argmax(total < 0.5))
    return float(np.interp(0.5, [total[k], total[k - 1]], [f[k], f[k - 1]]) * 1e3)


def test_the_fast_lens_is_not_sharpest_wide_open():
    """Issue 16's proof: on axis, a fast double Gauss is softer at full aperture (spherical aberration, zonal
    residue) than stopped down to f/2.8, although diffraction alone would favour f/1.4; 1.5 um pixels."""
    from camrig_optics import M43_35MM_F1_4

    mtf50 = {}
    for n in (1.4, 2.8):
        lens = designs.DesignLens(M43_35MM_F1_4(f_number=n))
        mtf50[n] = mtf50_on_axis(lens.spec.zones[0].zernike_waves, n, 1.5, 0.5876)
    diffraction = {n: mtf50_on_axis({}, n, 1.5, 0.5876) for n in (1.4, 2.8)}
    assert diffraction[1.4] > diffraction[2.8]  # the check itself can tell apertures apart
    assert mtf50[1.4] < mtf50[2.8], mtf50


def test_the_traced_preset_builds_on_the_module_without_optiland(tmp_path):
    rig = (ROOT / "examples/rigs/four_thirds_module.yaml").read_text()
    start, end = rig.index("  lens:"), rig.index("  sensor:")
    (tmp_path / "rig.yaml").write_text(rig[:start] + "  lens:\n    type: optics.m43_35mm_f1_4\n" + rig[end:])
    code = (
        "import sys; sys.modules['optiland'] = None\n"  # import optiland now fails, as without the extra
        "import camrig\n"
        "host = camrig.Host(env={})\n"
        f"rig = camrig.assemble(host, camrig.read_rig({str(tmp_path / 'rig.yaml')!r}))\n"
        "lens = rig.parts['lens'].accessory\n"
        "print(type(lens).__name__, round(lens.derived['efl_mm'], 3), lens.spec.f_number)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["DesignLens", "34.999", "1.4"]


@pytest.mark.parametrize("damage", ["missing", "truncated", "no traces"])
def test_a_missing_or_corrupt_design_file_is_named(tmp_path, monkeypatch, damage):
    from camrig_optics import M43_35MM_F1_4

    for f in designs.DATA_DIR.glob("m43_35mm_f1_4.*.json"):
        shutil.copy(f, tmp_path / f.name)
    path = tmp_path / "m43_35mm_f1_4.trace.json"
    if damage == "missing":
        path.unlink()
    elif damage == "truncated":
        path.write_text(path.read_text()[:5000])
    else:
        path.write_text(json.dumps({"design": "m43_35mm_f1_4", "traces": []}))
    monkeypatch.setattr(designs, "DATA_DIR", tmp_path)
    with pytest.raises(designs.DesignError) as err:
        designs.DesignLens(M43_35MM_F1_4())
    message = str(err.value)
    assert str(path) in message and "\n" not in message
    assert {"missing": "design file missing", "truncated": "not a readable JSON", "no traces": "no traces"}[
        damage
    ] in message


def test_a_bad_prescription_file_names_the_surface(tmp_path, monkeypatch):
    for f in designs.DATA_DIR.glob("m43_35mm_f1_4.*.json"):
        shutil.copy(f, tmp_path / f.name)
    path = tmp_path / "m43_35mm_f1_4.prescription.json"
    data = json.loads(path.read_text())
    data["surfaces"][3]["thickness_mm"] = -1
    path.write_text(json.dumps(data))
    monkeypatch.setattr(designs, "DATA_DIR", tmp_path)
    with pytest.raises(designs.DesignError, match=r"m43_35mm_f1_4.prescription.json: surfaces\[3\]"):
        designs.load_prescription("m43_35mm_f1_4")


def test_presets_keep_their_mounts_and_fit_checks(host, rig_dict):
    rig_dict["rig"].update(lens={"type": "optics.ef_50mm_f1_8"}, sensor={"type": "sensors.m43_100mp"},
                           adapters=[{"type": "mounts.adapter", "front": "EF", "rear": "MFT", "length_mm": 24.75}],
                           frame_rate_hz=1)  # fmt: skip
    rig_dict["rig"]["link"]["bandwidth_gbit_s"] = 100
    rig = camrig.assemble(host, camrig.read_rig(rig_dict), strict=False)
    assert not rig.report.problems
    lens = rig.parts["lens"].accessory
    assert type(lens).__name__ == "DesignLens" and lens.spec.mount == "EF" and lens.spec.flange_distance_mm == 44.0
    assert lens.derived["efl_mm"] == pytest.approx(49.994, abs=1e-3)
