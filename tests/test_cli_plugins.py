"""`camrig plugins`: the status report of every plugin found, exit 1 when one failed or was refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from camrig.cli import main

BROKEN = {
    "aaa": (
        "fakeplugins.hostile:TakesBuiltinName",
        "refused",
        "'isp.gamma' is in family 'isp', which belongs to plugin 'isp'",
    ),
    "broken": ("fakeplugins.raises_on_import", "failed", "RuntimeError: this plugin is broken on purpose"),
    "future": ("fakeplugins.hostile:FutureApi", "refused", "targets camrig plugin API '>=2,<3'"),
    "malformed": ("fakeplugins.hostile:MalformedApi", "failed", "'one point oh' is not a version specifier"),
    "noapi": ("fakeplugins.hostile:NoApi", "failed", "does not state the plugin API"),
    "raises": ("fakeplugins.hostile:HookRaises", "failed", "camrig_accessory_types raised LookupError"),
    "wrap": ("fakeplugins.hostile:Wrapper", "failed", "are wrappers"),
    "zz": ("fakeplugins.hostile:ClaimsBuiltinFamily", "refused", "cannot take family 'isp'"),
}


def install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, plugins: dict[str, str]) -> None:
    """Install a distribution 'camrig-fakes' whose camrig entry points are ``plugins`` (name -> value)."""
    info = tmp_path / "camrig_fakes-0.3.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: camrig-fakes\nVersion: 0.3\n")
    (info / "entry_points.txt").write_text("[camrig]\n" + "".join(f"{n} = {v}\n" for n, v in plugins.items()))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("CAMRIG_DISABLE_PLUGINS", raising=False)
    monkeypatch.delenv("CAMRIG_ALLOW_PLUGINS", raising=False)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_json_report_of_our_plugins(capsys, monkeypatch):
    monkeypatch.delenv("CAMRIG_DISABLE_PLUGINS", raising=False)
    code, out, err = run(capsys, "plugins", "--json")
    report = json.loads(out)
    assert code == 0 and report["ok"] is True and report["plugin_api"] == "1.0" and err == ""
    by_name = {p["name"]: p for p in report["plugins"]}
    sensors = by_name["sensors"]
    assert sensors["status"] == "loaded" and sensors["reason"] == "" and sensors["builtin"] is True
    assert sensors["version"] == "0.1.0" and sensors["api"] == ">=1,<2" and sensors["families"] == ["sensors"]
    assert {"name": "sensors.cmos", "kind": "sensor"}.items() <= sensors["accessories"][0].items() or any(
        a["name"] == "sensors.cmos" for a in sensors["accessories"]
    )
    assert [r["id"] for r in sensors["fit_rules"]] == ["sensors.readout", "sensors.colour"]
    assert sensors["hooks"] == ["camrig_accessory_types", "camrig_fit_rules"]
    assert {r["id"] for r in by_name["camrig"]["fit_rules"]} >= {"mount.chain", "link.bandwidth"}


def test_every_way_to_fail_is_reported_with_its_reason_once_and_exit_1(capsys, tmp_path, monkeypatch):
    install(tmp_path, monkeypatch, {name: value for name, (value, _, _) in BROKEN.items()})
    code, out, err = run(capsys, "plugins", "--json")
    assert code == 1
    report = json.loads(out)
    assert report["ok"] is False
    by_name = {p["name"]: p for p in report["plugins"]}
    for name, (_, status, reason) in BROKEN.items():
        assert by_name[name]["status"] == status, name
        assert reason in by_name[name]["reason"], name
        assert by_name[name]["version"] == "0.3" and by_name[name]["accessories"] == []
        assert err.count(f"plugin '{name}' ") == 1, err  # printed once, not by the log a second time
    assert by_name["isp"]["status"] == "loaded" and len(by_name["isp"]["accessories"]) == 9
    code, out, err = run(capsys, "plugins")  # text: the same exit code and one line per failure
    assert code == 1 and all(err.count(f"plugin '{name}' ") == 1 for name in BROKEN)
    assert "aaa.gamma" not in out


def test_disabled_plugins_are_reported_but_do_not_fail(capsys, monkeypatch):
    monkeypatch.delenv("CAMRIG_DISABLE_PLUGINS", raising=False)
    code, out, err = run(capsys, "-p", "no:isp", "plugins", "--json")
    isp = next(p for p in json.loads(out)["plugins"] if p["name"] == "isp")
    assert code == 0 and isp["status"] == "disabled" and isp["reason"] == "disabled" and isp["accessories"] == []
    assert err.count("plugin 'isp' disabled") == 1


def test_one_plugin_in_full(capsys, tmp_path, monkeypatch):
    install(tmp_path, monkeypatch, {"gs": "fakeplugins.hostile:GlobalShutter", "wrap": "fakeplugins.hostile:Wrapper"})
    code, out, _ = run(capsys, "plugins", "gs")
    assert code == 0
    assert "plugin gs 0.3: loaded" in out and "gs.tone  stage" in out and "plugin API: >=1,<2" in out
    code, out, err = run(capsys, "plugins", "wrap")
    assert (
        code == 1 and "plugin wrap 0.3: failed" in out and "reason: hook(s) ['camrig_frame_done'] are wrappers" in out
    )
    assert err == ""
    code, out, _ = run(capsys, "plugins", "gs", "--json")
    (gs,) = json.loads(out)["plugins"]
    assert gs["families"] == ["gs"] and gs["accessories"][0]["name"] == "gs.tone"
    code, _, err = run(capsys, "plugins", "warp")
    assert code == 2 and "no plugin named 'warp'; did you mean 'wrap'?" in err


def test_an_unknown_name_in_the_family_of_a_disabled_plugin(capsys, tmp_path, monkeypatch):
    rig = tmp_path / "rig.yaml"
    rig.write_text(
        "rig: {name: r, lens: {type: optics.ideal}, sensor: {type: sensors.cmos}, stages: [{type: gs.tone}]}\n"
        "capture: {scene: {type: scenes.chart}}\n"
    )
    install(tmp_path, monkeypatch, {"globalshutter": "fakeplugins.hostile:GlobalShutter"})
    code, _, err = run(capsys, "-p", "no:globalshutter", "check", str(rig))
    assert code == 2 and "No installed plugin" not in err
    assert "No loaded plugin provides family 'gs'" in err and "'globalshutter' (disabled" in err
