"""Plugin discovery: isolation of broken plugins, transactional registration, API versions, allow/deny."""

from __future__ import annotations

import json
import logging
import subprocess
import sys

import pytest

import camrig
from camrig import PluginStatus
from conftest import ep

OURS = ["scenes", "optics", "mounts", "sensors", "links", "isp", "writers", "measure"]


def installed(*extra):
    return [ep(n, f"camrig_{n}") for n in OURS] + list(extra)


def status(host: camrig.Host, name: str) -> camrig.PluginInfo:
    return {p.name: p for p in host.plugins}[name]


def test_our_plugins_register_through_entry_points_like_anyone_else():
    host = camrig.Host(env={})
    loaded = {p.name for p in host.plugins if p.status is PluginStatus.LOADED}
    assert set(OURS) | {"camrig"} <= loaded
    by_name = {r.type.name: r for r in host.accessory_types}
    assert by_name["optics.ideal"].plugin == "optics"
    assert by_name["optics.ideal"].version == "0.1.0"
    kinds = {r.type.kind for r in host.accessory_types}
    assert kinds == set(camrig.Kind)  # at least one accessory of every kind


def test_each_host_owns_its_plugin_manager():
    a = camrig.Host(env={}, disable=["isp"])
    b = camrig.Host(env={})
    assert "isp.demosaic" not in {r.type.name for r in a.accessory_types}
    assert "isp.demosaic" in {r.type.name for r in b.accessory_types}


def test_plugin_that_raises_on_import_is_reported_and_others_load(caplog):
    with caplog.at_level(logging.ERROR, logger="camrig"):
        host = camrig.Host(env={}, entry_points=installed(ep("broken", "fakeplugins.raises_on_import")))
    info = status(host, "broken")
    assert info.status is PluginStatus.FAILED
    assert "RuntimeError: this plugin is broken on purpose" in info.detail
    assert "broken" in caplog.text
    assert "optics.ideal" in {r.type.name for r in host.accessory_types}


def test_plugin_without_api_statement_or_for_another_api_is_refused_by_name():
    host = camrig.Host(env={}, entry_points=[ep("noapi", "fakeplugins.no_api"), ep("future", "fakeplugins.future_api")])
    assert "camrig_api" in status(host, "noapi").detail
    detail = status(host, "future").detail
    assert ">=2,<3" in detail and camrig.PLUGIN_API_VERSION in detail


def test_registration_is_all_or_nothing():
    from fakeplugins import half_bad

    host = camrig.Host(env={}, entry_points=[], plugins={"halfbad": half_bad})
    info = status(host, "halfbad")
    assert info.status is PluginStatus.FAILED
    assert "'Not-Qualified'" in info.detail
    assert "halfbad.good" not in {r.type.name for r in host.accessory_types}
    assert "halfbad.rule" not in {r.id for r, _ in host.rules}


def test_duplicate_accessory_name_names_both_plugins_and_keeps_the_first():
    host = camrig.Host(env={}, entry_points=installed(ep("zdup", "fakeplugins.duplicate")))
    detail = status(host, "zdup").detail
    assert "'optics.ideal'" in detail and "'optics'" in detail
    assert host.resolve("optics.ideal").plugin == "optics"
    assert "dup.fresh" not in {r.type.name for r in host.accessory_types}  # transactional


def test_misspelt_hook_is_reported():
    host = camrig.Host(env={}, entry_points=[ep("typo", "fakeplugins.typo_hook")])
    assert "camrig_acessory_types" in status(host, "typo").detail


def test_disable_and_allow_lists_from_arguments_and_environment():
    host = camrig.Host(env={"CAMRIG_DISABLE_PLUGINS": "isp, writers"}, disable=["links"])
    assert {status(host, n).status for n in ("isp", "writers", "links")} == {PluginStatus.DISABLED}
    assert "CAMRIG_DISABLE_PLUGINS" in status(host, "isp").detail
    host = camrig.Host(env={"CAMRIG_ALLOW_PLUGINS": "optics"}, allow=["sensors"])
    loaded = {p.name for p in host.plugins if p.status is PluginStatus.LOADED}
    assert loaded == {"camrig", "optics", "sensors"}


def test_unknown_accessory_suggests_close_names_and_disabled_plugins():
    host = camrig.Host(env={}, disable=["isp"])
    with pytest.raises(camrig.UnknownAccessoryError, match="did you mean 'optics.ideal'"):
        host.resolve("optics.idael")
    with pytest.raises(camrig.UnknownAccessoryError, match="Plugin 'isp' would provide family 'isp' but is disabled"):
        host.resolve("isp.demosaic")
    with pytest.raises(camrig.UnknownAccessoryError, match="No installed plugin provides family 'zeiss'"):
        camrig.Host(env={}).resolve("zeiss.otus")


def test_rig_referencing_a_disabled_plugin_names_it(rig_dict):
    file = camrig.read_rig(rig_dict)
    with pytest.raises(camrig.ConfigError) as err:
        camrig.assemble(camrig.Host(env={}, disable=["isp"]), file)
    msg = str(err.value)
    assert "rig.stages.0" in msg and "'isp' would provide family 'isp' but is disabled" in msg


def test_listing_does_not_import_heavy_implementation_modules():
    code = (
        "import sys, camrig; h = camrig.Host(env={}); assert h.accessory_types;"
        "print([m for m in ('scipy', 'PIL', 'camrig_isp.stages', 'camrig_writers.files') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(out.replace("'", '"')) == []


def test_rules_and_listeners_run_on_the_hosts_own_hooks(rig_dict, caplog):
    from fakeplugins import listeners

    listeners.HEARD.clear()
    host = camrig.Host(env={}, plugins={"listeners": listeners})
    assert ("mount.flange", "camrig") in {(r.id, p) for r, p in host.rules}
    file = camrig.read_rig(rig_dict)
    rig = camrig.assemble(host, file, strict=False)
    broken = [p for p in rig.report.problems if p.rule == "listeners.broken"]
    assert broken and "KeyError" in broken[0].message and "plugin 'listeners'" in broken[0].message
    # a rig whose only error is a broken plugin rule does not fit; without that plugin it does
    assert not rig.report.ok
    rig = camrig.assemble(camrig.Host(env={}, plugins={"listeners": listeners}, disable=["listeners"]), file)
    assert rig.report.ok


def test_raising_listener_is_logged_and_never_stops_a_capture(rig_dict, caplog):
    from fakeplugins import listeners

    class NoRule:
        camrig_api = ">=1"
        camrig_frame_done = staticmethod(listeners.camrig_frame_done)
        camrig_accessory_attached = staticmethod(listeners.camrig_accessory_attached)
        camrig_accessory_detached = staticmethod(listeners.camrig_accessory_detached)

    listeners.HEARD.clear()
    host = camrig.Host(env={}, plugins={"listeners": NoRule()})
    with caplog.at_level(logging.ERROR, logger="camrig"):
        with camrig.assemble(host, camrig.read_rig(rig_dict)) as rig:
            shot = rig.capture()
    assert shot.result.meta.format is camrig.Format.RGB_DISPLAY
    assert "camrig_frame_done of plugin 'listeners' raised" in caplog.text
    assert listeners.HEARD[0] == "attached scene" and listeners.HEARD[-1] == "detached scene"
    assert len(listeners.HEARD) == 2 * len(rig.parts)


def test_two_plugins_under_one_name_keep_the_first_and_report_the_second():
    host = camrig.Host(env={}, entry_points=installed(ep("optics", "fakeplugins.duplicate")))
    infos = [p for p in host.plugins if p.name == "optics"]
    assert [p.status for p in infos] == [PluginStatus.LOADED, PluginStatus.REFUSED]
    assert "already named 'optics'" in infos[1].detail
    assert host.resolve("optics.ideal").plugin == "optics"
    assert "dup.fresh" not in {r.type.name for r in host.accessory_types}
