"""Owned families: a family belongs to one plugin, and no installed package can take a built-in's names."""

from __future__ import annotations

import pytest

import camrig
from camrig import PluginStatus
from conftest import ep

OURS = ["scenes", "optics", "mounts", "sensors", "links", "isp", "writers", "measure"]
ISP_STAGES = {
    "isp.black_level",
    "isp.lens_shading",
    "isp.demosaic",
    "isp.white_balance",
    "isp.colour_correction",
    "isp.denoise",
    "isp.sharpen",
    "isp.gamma",
    "isp.scale",
}


def hostile(name: str, attr: str):
    return ep(name, f"fakeplugins.hostile:{attr}")


def host_with(*first, disable=()):
    """Our plugins with ``first`` ahead of them in the list (as a name sorting first would be)."""
    return camrig.Host(env={}, entry_points=[*first, *(ep(n, f"camrig_{n}") for n in OURS)], disable=disable)


def info(host: camrig.Host, name: str) -> list[camrig.PluginInfo]:
    return [p for p in host.plugins if p.name == name]


def names(host: camrig.Host) -> set[str]:
    return {r.type.name for r in host.accessory_types}


def test_a_plugin_that_sorts_first_cannot_take_a_builtin_name(caplog):
    host = host_with(hostile("aaa", "TakesBuiltinName"))
    assert (
        "camrig plugin 'aaa' refused: accessory 'isp.gamma' is in family 'isp', which belongs to plugin 'isp'"
        in caplog.text
    )
    (aaa,) = info(host, "aaa")
    assert aaa.status is PluginStatus.REFUSED
    assert aaa.detail == "accessory 'isp.gamma' is in family 'isp', which belongs to plugin 'isp'"
    assert ISP_STAGES <= names(host)  # nothing of isp's was evicted
    assert host.resolve("isp.gamma").plugin == "isp"
    assert "aaa.gamma" not in names(host)  # all or nothing


def test_a_builtin_family_stays_reserved_when_the_builtin_is_disabled_or_absent():
    host = host_with(hostile("aaa", "TakesBuiltinName"), disable=["isp"])
    assert info(host, "aaa")[0].status is PluginStatus.REFUSED
    with pytest.raises(camrig.UnknownAccessoryError, match="'isp' would provide family 'isp' but is disabled"):
        host.resolve("isp.gamma")
    host = camrig.Host(env={}, entry_points=[hostile("aaa", "ClaimsBuiltinFamily")])  # isp not even listed
    (aaa,) = info(host, "aaa")
    assert aaa.status is PluginStatus.REFUSED and "family 'isp'" in aaa.detail and "built-in plugin 'isp'" in aaa.detail


def test_a_plugin_cannot_declare_a_builtin_family_or_take_a_builtin_rule():
    host = host_with(hostile("aaa", "ClaimsBuiltinFamily"), hostile("aab", "TakesBuiltinRule"))
    assert "built-in plugin 'isp'" in info(host, "aaa")[0].detail
    aab = info(host, "aab")[0]
    assert aab.status is PluginStatus.REFUSED and "'sensors.readout'" in aab.detail and "plugin 'sensors'" in aab.detail
    assert ("sensors.readout", "sensors") in {(r.id, p) for r, p in host.rules}
    assert info(host, "sensors")[0].status is PluginStatus.LOADED


def test_a_plugin_under_a_builtin_entry_point_name_is_refused_whatever_the_order():
    host = host_with(hostile("isp", "ClaimsBuiltinFamily"))  # listed before our own 'isp'
    loaded, refused = sorted(info(host, "isp"), key=lambda p: p.status is not PluginStatus.LOADED)
    assert loaded.builtin and loaded.status is PluginStatus.LOADED
    assert refused.status is PluginStatus.REFUSED and "already named 'isp'" in refused.detail
    assert ISP_STAGES <= names(host) and "isp.sepia" not in names(host)
    host = camrig.Host(env={}, entry_points=[hostile("isp", "TakesBuiltinName")])  # our isp not installed
    (isp,) = info(host, "isp")
    assert isp.status is PluginStatus.REFUSED and "built-in plugin 'isp'" in isp.detail


def test_the_first_third_party_to_declare_a_family_owns_it():
    host = camrig.Host(env={}, entry_points=[hostile("globalshutter", "GlobalShutter"), hostile("zz", "GlobalShutter")])
    gs, zz = info(host, "globalshutter")[0], info(host, "zz")[0]
    assert gs.status is PluginStatus.LOADED and gs.families == ("globalshutter", "gs")
    assert zz.status is PluginStatus.REFUSED
    assert zz.detail == "cannot take family 'gs': it belongs to plugin 'globalshutter'"
    assert host.resolve("gs.tone").plugin == "globalshutter"


def test_names_outside_the_plugins_families_and_malformed_declarations_fail_by_name():
    host = camrig.Host(env={}, entry_points=[hostile("undeclared", "Undeclared"), hostile("badfam", "BadFamilies")])
    und = info(host, "undeclared")[0]
    assert und.status is PluginStatus.FAILED and "camrig_families = ['nobody']" in und.detail
    assert "'Not A Family'" in info(host, "badfam")[0].detail


def test_wrapper_hooks_and_a_camrig_api_that_is_not_a_string_fail_at_load():
    host = camrig.Host(env={}, entry_points=[hostile("wrap", "Wrapper"), hostile("numapi", "ApiNotAString")])
    wrap = info(host, "wrap")[0]
    assert wrap.status is PluginStatus.FAILED and "camrig_frame_done" in wrap.detail and "wrapper" in wrap.detail
    numapi = info(host, "numapi")[0]
    assert numapi.status is PluginStatus.FAILED and "camrig_api must be a string" in numapi.detail


def test_unknown_name_in_a_family_of_a_disabled_plugin_says_so():
    host = camrig.Host(env={}, entry_points=[hostile("globalshutter", "GlobalShutter")], disable=["globalshutter"])
    with pytest.raises(camrig.UnknownAccessoryError) as err:
        host.resolve("gs.tone")
    msg = str(err.value)
    assert "No installed plugin" not in msg
    assert "No loaded plugin provides family 'gs'" in msg and "'globalshutter' (disabled" in msg
