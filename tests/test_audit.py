"""camrig audit (issue 17): claims files, claim kinds as plugins, verdicts with the numbers behind them.

Every rig here is small (64 x 48 px): claim kinds read specs, no 100 MP frame is ever simulated. Each kind
gets a rig where its claim holds and one where it fails by a margin computed by hand below, and the figure
it says would make the claim hold, fed back into the rig, makes it hold.
"""

from __future__ import annotations

import json
import math
import types
from pathlib import Path
from typing import Any

import pytest
import yaml

import camrig
import camrig.experiments
from camrig.audit import load_claims, run_audit
from camrig.cli import main
from test_experiment import dask_cluster  # noqa: F401 - the fixture: a real scheduler and worker

SMALL_RIG: dict[str, Any] = {
    "rig": {
        "lens": {"type": "optics.ideal", "focal_length_mm": 35, "f_number": 2.8, "psf": "none"},
        "sensor": {
            "type": "sensors.cmos", "width_px": 64, "height_px": 48, "pixel_pitch_um": 200.0, "full_well_e": 6000.0,
            "read_noise_e": 1.5, "row_noise_e": 0.0, "dark_current_e_s": 0.0, "adc_bits": 14, "black_level_dn": 256,
            "row_readout_ns": 3000.0,
        },
        "link": {"type": "links.ideal", "bandwidth_gbit_s": 0.1, "latency_ns": 0.0},
        "stages": [],
    },
    "capture": {"scene": {"type": "scenes.chart"}, "exposure_s": 0.001},
}  # fmt: skip


@pytest.fixture(scope="module")
def host() -> camrig.Host:
    return camrig.Host(env={})


def _rig(**changes: Any) -> dict[str, Any]:
    """SMALL_RIG with ``sensor``/``link``/``capture`` fields changed."""
    data = json.loads(json.dumps(SMALL_RIG))
    for section, fields in changes.items():
        target = data["capture"] if section == "capture" else data["rig"][section]
        target.update(fields)
    return data


def audit(tmp_path: Path, host: camrig.Host, claims: list[dict[str, Any]], rig: dict[str, Any] | None = None,
          overrides: list[str] = ()) -> list[camrig.Finding]:  # fmt: skip
    path = tmp_path / "claims.yaml"
    path.write_text(yaml.safe_dump({"rig": rig or SMALL_RIG, "claims": claims}))
    return run_audit(load_claims(path, list(overrides)), host).findings


def claim(quantity: str, op: str, value: float, unit: str, **conditions: Any) -> dict[str, Any]:
    return {
        "quantity": quantity,
        "op": op,
        "value": value,
        "unit": unit,
        **({"conditions": conditions} if conditions else {}),
    }


def holds_after_fix(
    tmp_path: Path,
    host: camrig.Host,
    c: dict[str, Any],
    failed: camrig.Finding,
    rig: dict[str, Any] | None = None,
) -> None:
    assert failed.verdict is camrig.Verdict.FAILS and failed.fix, failed
    (again,) = audit(tmp_path, host, [c], rig, failed.fix)
    assert again.verdict is camrig.Verdict.HOLDS, (failed.fix, again)


# -- resolution ---------------------------------------------------------------------------------------------


def test_resolution_holds_and_fails_by_the_pixel_count(tmp_path: Path, host: camrig.Host) -> None:
    # 64 x 48 = 3072 px = 0.003072 MP
    ok, bad = audit(
        tmp_path,
        host,
        [
            claim("resolution_mp", ">=", 0.003, "MP"),
            claim("resolution_mp", ">=", 0.0031, "MP"),
        ],
    )
    assert ok.verdict is camrig.Verdict.HOLDS and ok.value == pytest.approx(0.003072)
    assert bad.verdict is camrig.Verdict.FAILS and bad.value == pytest.approx(0.003072)
    assert "64 x 48" in bad.bound
    # 0.0031 MP at 4:3 -> scale sqrt(3100/3072): 64.29 x 48.22 -> 65 x 49 = 3185 px
    assert bad.fix == ["rig.sensor.width_px=65", "rig.sensor.height_px=49"]
    holds_after_fix(tmp_path, host, claim("resolution_mp", ">=", 0.0031, "MP"), bad)


# -- dynamic range ------------------------------------------------------------------------------------------


def _dr_by_hand(
    full_well: float,
    read: float,
    row: float,
    dark_e: float,
    bits: int,
    black: int,
    hcg: tuple[float, float] | None = None,
) -> float:
    """EMVA 1288 DR = mu_e.sat / sigma_d written out: K puts the ADC top at full well - 5 sigma (the
    low-gain read's noise), sigma_d^2 = read^2 + row^2 + dark + 1/(12 K^2) at the gain that sets the noise."""
    span = 2**bits - 1 - black
    k = span / (full_well - 5 * read) if hcg is None else span / (full_well - 5 * 6.0)
    sat = span / k
    noise_gain, noise_read = (k, read) if hcg is None else (span / hcg[0], hcg[1])
    return math.log2(sat / math.sqrt(noise_read**2 + row**2 + dark_e + 1 / (12 * noise_gain**2)))


def test_dynamic_range_single_gain(tmp_path: Path, host: camrig.Host) -> None:
    # K = 16127 / 5992.5 = 2.6912 DN/e-, sigma_q = 0.1073 e-, sigma_d = 1.50383 e-:
    # DR = log2(5992.5 / 1.50383) = 11.960 EV
    expected = _dr_by_hand(6000, 1.5, 0.0, 0.0, 14, 256)
    assert expected == pytest.approx(11.9604, abs=1e-3)
    ok, bad = audit(
        tmp_path,
        host,
        [
            claim("dynamic_range_ev", ">=", 11.9, "EV"),
            claim("dynamic_range_ev", ">=", 12.0, "stops"),
        ],
    )
    assert ok.verdict is camrig.Verdict.HOLDS and ok.value == pytest.approx(expected, abs=1e-9)
    assert bad.verdict is camrig.Verdict.FAILS and bad.value == pytest.approx(expected, abs=1e-9)
    assert "log2(6000 / 1.5) = 11.97 EV" in bad.bound
    assert bad.fix[0].startswith("rig.sensor.full_well_e=") and "full_well_e >=" in bad.needed[0]
    assert "read_noise_e <=" in bad.needed[1]
    holds_after_fix(tmp_path, host, claim("dynamic_range_ev", ">=", 12.0, "EV"), bad)


def test_dynamic_range_past_the_adc_asks_for_bits(tmp_path: Path, host: camrig.Host) -> None:
    # at 14 bits, sigma_q / sat is fixed once the full well dominates: DR -> log2(16127 sqrt(12)) = 15.77 EV at most
    (bad,) = audit(tmp_path, host, [claim("dynamic_range_ev", ">=", 16, "EV")])
    assert bad.verdict is camrig.Verdict.FAILS
    assert "adc_bits >= 15" in bad.needed[0] and "rig.sensor.adc_bits=15" in bad.fix
    assert "cap it" in bad.needed[1]  # read noise alone cannot: quantisation at 6000 e- caps it
    holds_after_fix(tmp_path, host, claim("dynamic_range_ev", ">=", 16, "EV"), bad)


def test_dynamic_range_measured_by_photon_transfer(tmp_path: Path, host: camrig.Host) -> None:
    # measure.photon_transfer on a 256 x 256 crop: close to the model's 11.960 EV (its saturation is the
    # variance peak, a little below the ADC top), and the fix fed back holds when measured too
    expected = _dr_by_hand(6000, 1.5, 0.0, 0.0, 14, 256)
    c = claim("dynamic_range_ev", ">=", 12.0, "EV", method="measured")
    rig = _rig(sensor={"width_px": 256, "height_px": 256, "pixel_pitch_um": 20.0})  # 5.1 mm: inside the image circle
    (bad,) = audit(tmp_path, host, [c], rig)
    assert bad.verdict is camrig.Verdict.FAILS and bad.method == "measure.photon_transfer"
    assert bad.value == pytest.approx(expected, abs=0.15)
    assert any("measured by measure.photon_transfer" in a and "256 x 256 px crop" in a for a in bad.assumptions)
    holds_after_fix(tmp_path, host, c, bad, rig)


def test_dynamic_range_dual_gain_preset(tmp_path: Path, host: camrig.Host) -> None:
    # sensors.m43_100mp_hdr: low-gain saturation 40000 - 5 x 6 = 39970 e-; high-gain noise sqrt(0.7^2 + 0.2^2 +
    # dark + 1/(12 K_hcg^2)), K_hcg = 16127 / 4000; dark = 2 e-/s x 2^((35 - 25) / 6) x 1 ms
    rig = json.loads(json.dumps(SMALL_RIG))
    rig["rig"]["sensor"] = {
        "type": "sensors.m43_100mp_hdr",
        "width_px": 64,
        "height_px": 48,
        "pixel_pitch_um": 200.0,
    }
    dark = 2.0 * 2 ** (10 / 6) * 0.001
    expected = _dr_by_hand(40000, 6.0, 0.2, dark, 14, 256, hcg=(4000.0, 0.7))
    assert expected == pytest.approx(15.729, abs=1e-3)
    ok, bad = audit(
        tmp_path,
        host,
        [
            claim("dynamic_range_ev", ">=", 15.5, "EV"),
            claim("dynamic_range_ev", ">=", 16, "EV"),
        ],
        rig,
    )
    assert ok.verdict is camrig.Verdict.HOLDS and ok.value == pytest.approx(expected, abs=1e-9)
    assert bad.verdict is camrig.Verdict.FAILS and "log2(40000 / 0.7)" in bad.bound
    holds_after_fix(tmp_path, host, claim("dynamic_range_ev", ">=", 16, "EV"), bad, rig)


# -- frame rate ---------------------------------------------------------------------------------------------


def test_raw_frame_rate_link_bound(tmp_path: Path, host: camrig.Host) -> None:
    # 64 x 48 x 14 bit = 43008 bit; 0.1 Gbit/s -> 430.08 us -> 2325.1 Hz; readout 48 x 3 us -> 6944 Hz; 1/1 ms = 1000 Hz
    rig = _rig(capture={"exposure_s": 0.0001})  # 1 / exposure = 10000 Hz: the link bounds it
    ok, bad = audit(
        tmp_path,
        host,
        [
            claim("raw_frame_rate_hz", ">=", 2300, "Hz"),
            claim("raw_frame_rate_hz", ">=", 2400, "fps", resolution="full"),
        ],
        rig,
    )
    assert ok.verdict is camrig.Verdict.HOLDS and ok.value == pytest.approx(1e9 / 430080)
    assert bad.verdict is camrig.Verdict.FAILS and bad.fix == [
        "rig.link.bandwidth_gbit_s=0.104"
    ]  # 43008 x 2400 = 0.1032 Gbit/s
    holds_after_fix(tmp_path, host, claim("raw_frame_rate_hz", ">=", 2400, "Hz"), bad, rig)


def test_raw_frame_rate_readout_bound(tmp_path: Path, host: camrig.Host) -> None:
    # row time 30 us x 48 rows = 1.44 ms -> 694.4 Hz; link at 10 Gbit/s: 232558 Hz; exposure 0.1 ms: 10000 Hz
    rig = _rig(
        sensor={"row_readout_ns": 30000.0},
        link={"bandwidth_gbit_s": 10.0},
        capture={"exposure_s": 0.0001},
    )
    ok, bad = audit(
        tmp_path,
        host,
        [
            claim("raw_frame_rate_hz", ">=", 690, "Hz"),
            claim("raw_frame_rate_hz", ">=", 1000, "Hz"),
        ],
        rig,
    )
    assert ok.verdict is camrig.Verdict.HOLDS and ok.value == pytest.approx(1e9 / 1.44e6)
    assert bad.verdict is camrig.Verdict.FAILS and bad.fix == [
        "rig.sensor.row_readout_ns=20800"
    ]  # 1 ms / 48 rows = 20833 ns, 3 digits down
    holds_after_fix(tmp_path, host, claim("raw_frame_rate_hz", ">=", 1000, "Hz"), bad, rig)


def test_raw_frame_rate_other_resolution_cannot_be_tested(tmp_path: Path, host: camrig.Host) -> None:
    (f,) = audit(tmp_path, host, [claim("raw_frame_rate_hz", ">=", 30, "Hz", resolution="half")])
    assert f.verdict is camrig.Verdict.UNTESTABLE and "only 'full'" in (f.reason or "")


# -- preview latency ----------------------------------------------------------------------------------------


def test_preview_latency(tmp_path: Path, host: camrig.Host) -> None:
    # exposure 1 ms + readout 48 x 3 us = 0.144 ms + link 43008 bit / 0.1 Gbit/s = 0.43008 ms -> 1.57408 ms
    ok, bad = audit(
        tmp_path,
        host,
        [
            claim("preview_latency_ms", "<=", 1.6, "ms"),
            claim("preview_latency_ms", "<=", 1.5, "ms"),
        ],
    )
    assert ok.verdict is camrig.Verdict.HOLDS and ok.value == pytest.approx(1.57408)
    assert bad.verdict is camrig.Verdict.FAILS and bad.value == pytest.approx(1.57408)
    # link budget 1.5 - 1 - 0.144 = 0.356 ms -> 43008 bit / 356 us = 0.1208 Gbit/s -> 0.121
    assert bad.fix == ["rig.link.bandwidth_gbit_s=0.121"]
    holds_after_fix(tmp_path, host, claim("preview_latency_ms", "<=", 1.5, "ms"), bad)


def test_preview_latency_exposure_condition(tmp_path: Path, host: camrig.Host) -> None:
    (f,) = audit(
        tmp_path,
        host,
        [claim("preview_latency_ms", "<=", 1.0, "ms", exposure_s=0.0004)],
    )
    assert f.verdict is camrig.Verdict.HOLDS and f.value == pytest.approx(0.4 + 0.144 + 0.43008)


# -- sharpness ----------------------------------------------------------------------------------------------


def _mtf_by_hand(nu: float, n: float, pitch: float, lam: float = 0.55) -> float:
    s = nu * lam * n / pitch
    return (2 / math.pi) * (math.acos(s) - s * math.sqrt(1 - s * s)) * abs(math.sin(math.pi * nu) / (math.pi * nu))


def test_diffraction_pixel_mtf_by_hand() -> None:
    from camrig_claims.kinds import diffraction_pixel_mtf

    # f/4, 2.2 um, 550 nm at 0.25 cy/px: s = 0.25; (2/pi)(acos 0.25 - 0.25 sqrt(0.9375)) = 0.685037;
    # sinc(0.25) = 0.900316
    assert diffraction_pixel_mtf(0.25, 4.0, 2.2, 0.55) == pytest.approx(0.685037 * 0.900316, abs=2e-6)


def test_mtf50_bound_holds_fails_and_fix(tmp_path: Path, host: camrig.Host) -> None:
    rig = _rig(sensor={"pixel_pitch_um": 1.5})  # f/2.8 (SMALL_RIG's lens), 1.5 um pixels
    bisect = [0.0, 1.0]
    for _ in range(60):
        mid = sum(bisect) / 2
        bisect[_mtf_by_hand(mid, 2.8, 1.5) < 0.5] = mid
    expected = bisect[0]
    assert 0.3 < expected < 0.4  # diffraction at f/2.8 pulls the pixel aperture's 0.603 cy/px down
    ok, bad = audit(
        tmp_path,
        host,
        [
            claim("mtf50_cy_px", ">=", expected - 0.01, "cy/px"),
            claim("mtf50_cy_px", ">=", expected + 0.02, "cy/px"),
        ],
        rig,
    )
    assert ok.verdict is camrig.Verdict.HOLDS and ok.value == pytest.approx(expected, abs=1e-6)
    assert bad.verdict is camrig.Verdict.FAILS and bad.fix[0].startswith("rig.lens.f_number=")
    holds_after_fix(tmp_path, host, claim("mtf50_cy_px", ">=", expected + 0.02, "cy/px"), bad, rig)
    # at a stated f-number the fix is the pixel pitch; beyond the pixel aperture's 0.603 nothing helps
    (at, cap) = audit(
        tmp_path,
        host,
        [
            claim("mtf50_cy_px", ">=", expected + 0.02, "cy/px", f_number=2.8),
            claim("mtf50_cy_px", ">=", 0.7, "cy/px"),
        ],
        rig,
    )
    assert at.fix[0].startswith("rig.sensor.pixel_pitch_um=")
    assert cap.verdict is camrig.Verdict.FAILS and "pixel aperture alone caps MTF50 at 0.603" in cap.needed[-1]


def test_mtf50_condition_the_lens_cannot_produce(tmp_path: Path, host: camrig.Host) -> None:
    rig = json.loads(json.dumps(SMALL_RIG))
    rig["rig"]["lens"] = {"type": "optics.m43_35mm_f1_4"}
    rig["rig"]["sensor"]["pixel_pitch_um"] = 1.5
    (f,) = audit(tmp_path, host, [claim("mtf50_cy_px", ">=", 0.3, "cy/px", f_number=1.2)], rig)
    assert f.verdict is camrig.Verdict.UNTESTABLE and "opens to f/1.4 at most" in (f.reason or "")


# -- bad input ----------------------------------------------------------------------------------------------


def test_unknown_quantity_suggests(tmp_path: Path, host: camrig.Host) -> None:
    (f,) = audit(tmp_path, host, [claim("dynamic_range", ">=", 16, "EV")])
    assert f.verdict is camrig.Verdict.UNTESTABLE and "did you mean 'dynamic_range_ev'" in (f.reason or "")


def test_unit_mismatch_says_which(tmp_path: Path, host: camrig.Host) -> None:
    (f,) = audit(tmp_path, host, [claim("dynamic_range_ev", ">=", 96, "dB")])
    assert f.verdict is camrig.Verdict.UNTESTABLE
    assert "unit 'dB'" in (f.reason or "") and "'EV'" in (f.reason or "")


def test_claim_no_plugin_can_test(tmp_path: Path, host: camrig.Host) -> None:
    (snr, cond) = audit(
        tmp_path,
        host,
        [
            claim("noise_floor_db", ">=", 30, "dB", lux=10),
            claim("resolution_mp", ">=", 1, "MP", lux=10),
        ],
    )
    assert snr.verdict is camrig.Verdict.UNTESTABLE and "no loaded plugin provides claim kind 'noise_floor_db'" in (
        snr.reason or ""
    )
    assert cond.verdict is camrig.Verdict.UNTESTABLE and "'lux'" in (cond.reason or "")


def _plugin(**attrs: Any) -> types.ModuleType:
    module = types.ModuleType("acme_claims")
    module.camrig_api = ">=1,<2"  # type: ignore[attr-defined]
    for k, v in attrs.items():
        setattr(module, k, v)
    return module


def test_third_party_kind_that_raises_is_reported_not_crashing(tmp_path: Path) -> None:
    def broken(rig: camrig.Rig, c: camrig.Claim) -> camrig.Assessment:
        raise ZeroDivisionError("oops")

    def kinds() -> list[camrig.ClaimKind]:
        return [camrig.ClaimKind("acme.weird_mp", ("MP",), broken)]

    host = camrig.Host(plugins={"acme": _plugin(camrig_claim_kinds=camrig.hookimpl(kinds))}, env={})
    assert host.claim_kinds["acme.weird_mp"][1] == "acme"
    (f,) = audit(tmp_path, host, [claim("weird_mp", ">=", 1, "MP")])
    assert f.verdict is camrig.Verdict.UNTESTABLE and "raised ZeroDivisionError: oops" in (f.reason or "")


def test_claim_kind_names_follow_family_rules() -> None:
    def kinds() -> list[camrig.ClaimKind]:
        return [camrig.ClaimKind("claims.resolution_mp", ("MP",), "x:y")]

    host = camrig.Host(plugins={"acme": _plugin(camrig_claim_kinds=camrig.hookimpl(kinds))}, env={})
    info = next(p for p in host.plugins if p.name == "acme")
    assert info.status is camrig.PluginStatus.REFUSED and "belongs to plugin 'claims'" in info.detail

    def bad() -> list[camrig.ClaimKind]:
        return [camrig.ClaimKind("nodot", (), "x:y")]

    host = camrig.Host(plugins={"acme": _plugin(camrig_claim_kinds=camrig.hookimpl(bad))}, env={})
    info = next(p for p in host.plugins if p.name == "acme")
    assert info.status is camrig.PluginStatus.FAILED and "not qualified" in info.detail


def test_bad_claims_files_are_config_errors(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("rig: {}\nclaims:\n  - {quantity: resolution_mp, op: '>', value: 1, unit: MP}\n")
    with pytest.raises(camrig.ConfigError, match=r"c.yaml:3: claims.0.op"):
        load_claims(path)
    path.write_text("claims: [{quantity: resolution_mp, op: '>=', value: 1, unit: MP}]\n")
    with pytest.raises(camrig.ConfigError, match="rig"):
        load_claims(path)
    path.write_text("rig: missing.yaml\nclaims: [{quantity: resolution_mp, op: '>=', value: 1, unit: MP}]\n")
    with pytest.raises(camrig.ConfigError, match="missing.yaml"):
        load_claims(path)
    # hostile: the bounded loader refuses an alias bomb as it does for rig files
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi")
    )
    path.write_text(bomb + "rig: {}\nclaims: []\n")
    with pytest.raises(camrig.ConfigError):
        load_claims(path)


def test_rig_path_is_relative_to_the_claims_file(tmp_path: Path, host: camrig.Host) -> None:
    (tmp_path / "rigs").mkdir()
    (tmp_path / "rigs" / "small.yaml").write_text(yaml.safe_dump(SMALL_RIG))
    (tmp_path / "claims").mkdir()
    path = tmp_path / "claims" / "c.toml"
    path.write_text(
        'rig = "../rigs/small.yaml"\n[[claims]]\nquantity = "resolution_mp"\nop = ">="\nvalue = 0.003\nunit = "MP"\n'
    )
    (f,) = run_audit(load_claims(path), host).findings
    assert f.verdict is camrig.Verdict.HOLDS


# -- the command --------------------------------------------------------------------------------------------


def test_cli_audit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "rig": SMALL_RIG,
                "claims": [
                    claim("resolution_mp", ">=", 0.003, "MP"),
                    claim("snr_db", ">=", 1, "dB"),
                ],
            }
        )
    )
    out = tmp_path / "out"
    assert main(["audit", str(path), "--out", str(out)]) == 0  # cannot be tested does not fail...
    report = json.loads((out / "audit.json").read_text())
    assert [f["verdict"] for f in report["findings"]] == ["holds", "cannot be tested"]
    assert (out / "audit.html").read_text().startswith("<!doctype html>")
    assert main(["audit", str(path), "--out", str(out)]) == 2  # exists, no --force
    assert "exists; pass --force" in capsys.readouterr().err
    assert main(["audit", str(path), "--out", str(out), "--force", "--strict"]) == 1  # ...unless --strict
    assert main(["audit", str(path), "--set", "rig.sensor.width_px=32"]) == 1  # 32 x 48 = 0.0015 MP fails
    err = capsys.readouterr().err
    assert "camrig: claim fails: resolution_mp >= 0.003 MP" in err
    path.write_text("rig: {}\nclaims: []\n")
    assert main(["audit", str(path)]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) >= 1


# -- locally and on Dask -------------------------------------------------------------------------------------

MEASURED_RIG = _rig(sensor={"width_px": 256, "height_px": 256, "pixel_pitch_um": 20.0})
MEASURED_CLAIMS = [
    claim("dynamic_range_ev", ">=", 12.0, "EV", method="measured"),  # fails: 11.96 EV measured
    claim("dynamic_range_ev", ">=", 11.0, "EV", method="measured", exposure_s=0.001),  # the same task: run once
    claim("dynamic_range_ev", ">=", 11.0, "EV"),  # model: no task
    claim("resolution_mp", ">=", 0.06, "MP"),
]


class CountingExecutor(camrig.experiments.LocalProcesses):
    """This process, counting the tasks it is given and whether it was closed."""

    def __init__(self) -> None:
        super().__init__(1)
        self.tasks: list[Any] = []
        self.closed = False

    def submit_all(self, tasks: list[Any]) -> Any:
        self.tasks += tasks
        return super().submit_all(tasks)

    def close(self) -> None:
        self.closed = True


def _audit_with(tmp_path: Path, executor: Any) -> list[dict[str, Any]]:
    path = tmp_path / "claims.yaml"
    path.write_text(yaml.safe_dump({"rig": MEASURED_RIG, "claims": MEASURED_CLAIMS}))
    report = run_audit(load_claims(path), camrig.Host(env={}), executor=executor)
    return [f.model_dump(mode="json") for f in report.findings]


def test_measurements_run_through_the_executor_once_per_task(tmp_path: Path) -> None:
    executor = CountingExecutor()
    found = _audit_with(tmp_path, executor)
    assert [f["verdict"] for f in found] == ["fails", "holds", "holds", "holds"]
    assert [f["method"] for f in found[:3]] == ["measure.photon_transfer", "measure.photon_transfer", "model"]
    (task,) = executor.tasks  # two measured claims, one crop: measured once
    rig, measurements, run = task
    assert measurements == [{"type": "measure.photon_transfer"}] and run["run"] == "measurement-000"
    assert rig["rig"]["link"] is None and rig["rig"]["sensor"]["width_px"] == 256 and executor.closed


def test_a_failed_measurement_makes_its_claim_untestable(tmp_path: Path) -> None:
    class Failing(CountingExecutor):
        def submit_all(self, tasks: list[Any]) -> Any:
            for _, _, run in tasks:
                yield {**run, "status": "error", "error": f"{run['run']}: RuntimeError: worker lost"}

    found = _audit_with(tmp_path, Failing())
    assert found[0]["verdict"] == "cannot be tested" and "worker lost" in found[0]["reason"]
    assert [f["verdict"] for f in found[2:]] == ["holds", "holds"]


def test_verdicts_are_identical_locally_and_on_a_dask_cluster(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    from camrig.experiments import DaskCluster, LocalProcesses

    address = request.getfixturevalue("dask_cluster")  # test_experiment's: a real `dask scheduler` and worker

    here = _audit_with(tmp_path, LocalProcesses(1))
    pool = _audit_with(tmp_path, LocalProcesses(2))  # a process pool
    dask = _audit_with(tmp_path, DaskCluster(address, timeout_s=30))
    assert here == pool == dask
    assert [f["verdict"] for f in dask] == ["fails", "holds", "holds", "holds"]


def test_cli_audit_workers_and_scheduler(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump({"rig": MEASURED_RIG, "claims": MEASURED_CLAIMS[:1]}))
    assert main(["audit", str(path), "--workers", "2"]) == 1  # 12 EV measured fails
    assert "measured by measure.photon_transfer" in capsys.readouterr().out
    assert main(["audit", str(path), "--workers", "2", "--scheduler", "tcp://127.0.0.1:9"]) == 2
    assert "--workers sets local worker processes" in capsys.readouterr().err
    assert main(["audit", str(path), "--scheduler", "tcp://127.0.0.1:9"]) == 2
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in capsys.readouterr().err


def test_plugins_command_lists_claim_kinds(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plugins", "claims"]) == 0
    out = capsys.readouterr().out
    assert "claims.dynamic_range_ev  [EV/stops]" in out and "camrig_claim_kinds" in out
    assert main(["plugins", "--json"]) == 0
    (claims,) = [r for r in json.loads(capsys.readouterr().out)["plugins"] if r["name"] == "claims"]
    assert {k["name"] for k in claims["claim_kinds"]} >= {
        "claims.resolution_mp",
        "claims.mtf50_cy_px",
    }


def test_seed_module_example(host: camrig.Host) -> None:
    """The seed's claims: 99.5 MP is not 100; diffraction at F1.4 allows MTF50 0.3 cy/px; 12 EV is not 16;
    RAW at 30 fps and the preview hold (no 100 MP capture: the DR is measured on a 256 x 256 crop)."""
    report = run_audit(
        load_claims(Path(__file__).parents[1] / "examples" / "claims" / "four_thirds_module.yaml"),
        host,
    )
    assert [f.verdict.value for f in report.findings] == [
        "fails",
        "holds",
        "fails",
        "holds",
        "holds",
    ]


def test_shipping_camera_example(tmp_path: Path, host: camrig.Host) -> None:
    """Balluff BVS CA-SF with the Sony IMX420, from its published EMVA 1288 figures (cited in the file):
    SNRmax 43.8 dB -> 10^4.38 = 23988 e-; DNR 71.7 dB = 11.909 EV; 390 / 53.977 MHz = 7225.3 ns a row."""
    path = Path(__file__).parents[1] / "examples" / "claims" / "balluff_imx420.yaml"
    report = run_audit(load_claims(path), host)
    assert [f.verdict.value for f in report.findings] == ["holds", "holds", "holds", "fails"]
    mp, dr, fps, twelve = report.findings
    assert mp.value == pytest.approx(3216 * 2208 / 1e6)
    assert dr.value == pytest.approx(71.7 / (20 * math.log10(2)), abs=0.01)  # the published DNR, in EV
    assert fps.value == pytest.approx(1e9 / (2208 * 7225.3))
    assert twelve.fix == ["rig.sensor.full_well_e=25700"]
    again = run_audit(load_claims(path, twelve.fix), host)
    assert [f.verdict.value for f in again.findings] == ["holds"] * 4


def test_report_plots_are_written_beside_the_html_and_linked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from camrig.audit import write_report

    path = tmp_path / "claims.yaml"
    claims = [MEASURED_CLAIMS[0], claim("raw_frame_rate_hz", ">=", 30, "Hz"), claim("resolution_mp", ">=", 1, "MP")]
    path.write_text(yaml.safe_dump({"rig": MEASURED_RIG, "claims": claims}))
    report = run_audit(load_claims(path), camrig.Host(env={}))
    ptc, fps, mp = report.findings
    assert [p.name for p in ptc.plots] == ["photon_transfer"] and ptc.plots[0].log and len(ptc.plots[0].x) > 5
    (bars,) = fps.plots
    # by hand: readout 256 rows x 3 us = 0.768 ms; link 0.1 Gbit/s / (256 x 256 x 14 bit); exposure 1 ms
    assert bars.labels == ["readout", "link", "exposure"] and bars.line == 30
    assert bars.y == pytest.approx([1e9 / (256 * 3000), 0.1e9 / (256 * 256 * 14), 1000])
    assert fps.value == pytest.approx(min(bars.y)) and not mp.plots
    out = tmp_path / "out"
    written = write_report(report, out)
    assert [p.name for p in written] == [
        "audit-01-photon_transfer.png",
        "audit-02-frame_rate_terms.png",
        "audit.json",
        "audit.html",
    ]
    assert all(p.read_bytes()[:4] == b"\x89PNG" for p in written[:2])
    page = (out / "audit.html").read_text()
    assert "href='audit-01-photon_transfer.png'" in page and "href='audit-02-frame_rate_terms.png'" in page
    assert json.loads((out / "audit.json").read_text())["findings"][1]["plots"][0]["labels"][0] == "readout"
    assert not list(out.glob(".*"))  # no temporary left
    with pytest.raises(camrig.OutputError, match="exists"):
        write_report(report, out, force=False)
    monkeypatch.setitem(__import__("sys").modules, "matplotlib", None)  # without matplotlib: the table alone
    bare = tmp_path / "bare"
    assert [p.name for p in write_report(report, bare)] == ["audit.json", "audit.html"]
    assert "href=" not in (bare / "audit.html").read_text()


# -- snr_db -------------------------------------------------------------------------------------------------


def _snr_by_hand(lux: float, f_number: float, exposure_s: float, pitch_um: float) -> tuple[float, float]:
    """(electrons, SNR dB) of an 18 % grey patch, by hand: L = 0.18 E / pi; E_img = pi L T / (4 N^2) with the
    ideal lens's T = 0.9; 683 lm/W at 555 nm, h c / lambda = 3.5793e-19 J; QE 0.6 (sensors.cmos peak_qe);
    sigma_d^2 = 1.5^2 + 1 / (12 K^2), K = (16383 - 256) / 6000 DN/e-."""
    e_img = math.pi * (0.18 * lux / math.pi) * 0.9 / (4 * f_number**2)
    photon_j = 6.62607015e-34 * 299792458.0 / 555e-9
    mu = 0.6 * e_img / (683 * photon_j) * (pitch_um * 1e-6) ** 2 * exposure_s
    sigma2 = 1.5**2 + 1 / (12 * ((16383 - 256) / 6000) ** 2)
    return mu, 20 * math.log10(mu / math.sqrt(mu + sigma2))


def test_snr_at_a_light_level_by_hand(tmp_path: Path, host: camrig.Host) -> None:
    rig = _rig(sensor={"pixel_pitch_um": 4.0})
    mu, snr = _snr_by_hand(10, 2.8, 1 / 30, 4.0)
    assert mu == pytest.approx(67.6, abs=0.1) and snr == pytest.approx(18.16, abs=0.01)
    ok = claim("snr_db", ">=", 18, "dB", lux=10, exposure_s=1 / 30)
    bad = claim("snr_db", ">=", 20, "dB", lux=10, exposure_s=1 / 30)
    (good, failed) = audit(tmp_path, host, [ok, bad], rig)
    assert good.verdict is camrig.Verdict.HOLDS and good.value == pytest.approx(snr, abs=1e-4)
    assert failed.verdict is camrig.Verdict.FAILS and failed.value == pytest.approx(snr, abs=1e-4)
    # 20 dB needs mu = (100 + sqrt(100^2 + 4 x 100 x sigma_d^2)) / 2 = 102.2 e-; shot noise alone caps 67.6 e-
    # at 10 log10(67.6) = 18.3 dB, so no read noise reaches it
    assert any("102.2 e-" in n for n in failed.needed) and any("no read noise reaches it" in n for n in failed.needed)
    assert failed.fix[0].startswith("rig.lens.f_number=")  # the exposure is the claim's: the lens opens instead
    n_needed = float(failed.fix[0].partition("=")[2])
    assert n_needed == pytest.approx(2.8 * math.sqrt(mu / 102.2), abs=0.01)
    assert "<= sqrt(mu_e) (shot noise alone) = 18.30 dB" in (failed.bound or "")
    holds_after_fix(tmp_path, host, bad, failed, rig)
    # without an exposure condition the capture's is used, and the fix is a longer exposure
    plain = claim("snr_db", ">=", 20, "dB", lux=10)
    (at_capture,) = audit(tmp_path, host, [plain], rig)
    assert at_capture.value == pytest.approx(_snr_by_hand(10, 2.8, 0.001, 4.0)[1], abs=1e-4)
    assert at_capture.fix[0].startswith("capture.exposure_s=")
    holds_after_fix(tmp_path, host, plain, at_capture, rig)


def test_snr_needs_a_light_level_and_says_when_the_pixel_saturates(tmp_path: Path, host: camrig.Host) -> None:
    rig = _rig(sensor={"pixel_pitch_um": 4.0})
    (nolux, bright, read) = audit(
        tmp_path,
        host,
        [
            claim("snr_db", ">=", 20, "dB"),
            claim("snr_db", ">=", 20, "dB", lux=1e5, exposure_s=1),
            claim("snr_db", ">=", 30, "dB", lux=1000, exposure_s=0.01),
        ],
        rig,
    )
    assert nolux.verdict is camrig.Verdict.UNTESTABLE and "condition lux" in (nolux.reason or "")
    assert bright.verdict is camrig.Verdict.UNTESTABLE and "saturates the pixel" in (bright.reason or "")
    mu, snr = _snr_by_hand(1000, 2.8, 0.01, 4.0)  # 2028 e-: 32.6 dB, shot-noise dominated
    assert read.verdict is camrig.Verdict.HOLDS and read.value == pytest.approx(snr, abs=1e-4)
