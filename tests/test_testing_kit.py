"""camrig.testing: the conformance suite passes on every built-in accessory and on the third-party example,
and fails, naming the rule, on accessories that each break one rule; its fixtures work in any session."""

from __future__ import annotations

from pathlib import Path

import pytest

import camrig
from camrig.testing import RULES, ConformanceError, check_accessory
from fakeplugins import nonconforming

ACME = Path(__file__).parents[1] / "examples" / "third_party" / "camrig-acme"
NEEDS = {  # fields without defaults
    "optics.ideal": {"focal_length_mm": 35, "f_number": 2.8},
    "optics.lensfun": {"maker": "Canon", "model": "Canon EF 50mm f/1.8 STM", "focal_length_mm": 50, "f_number": 2.8},
    "mounts.adapter": {"front": "EF", "rear": "MFT", "length_mm": 24.75},
    "optics.prescription": {  # a BK7 singlet, f ~ 97 mm, traced by optiland (the test extra installs it)
        "f_number": 8,
        "image_circle_mm": 1.0,
        "surfaces": [
            {"radius_mm": 100, "thickness_mm": 5, "index": 1.5168, "abbe": 64.17, "stop": True},
            {"radius_mm": -100, "thickness_mm": 95},
        ],
    },
}
BUILT_IN = sorted(r.type.name for r in camrig.Host(env={}).accessory_types)


@pytest.fixture(scope="module")
def host() -> camrig.Host:
    return camrig.Host(env={})


@pytest.fixture(autouse=True)
def _cache_in_tmp(tmp_path, monkeypatch):
    monkeypatch.setenv("CAMRIG_CACHE_DIR", str(tmp_path / "cache"))  # a traced prescription's cache stays here


@pytest.mark.parametrize("name", BUILT_IN)
def test_every_built_in_accessory_conforms(host, name):
    result = check_accessory(name, spec=NEEDS.get(name), host=host)
    assert not result.failed and "spec.described" in result.passed


def test_the_third_party_example_conforms(monkeypatch):
    monkeypatch.syspath_prepend(str(ACME))
    import camrig_acme

    result = check_accessory("acme.tele", host=camrig.Host(env={}, plugins={"acme": camrig_acme}))
    assert {"output.caps", "output.contract", "input.untouched", "seed.same", "threads"} <= set(result.passed)


@pytest.fixture(scope="module")
def bad_host() -> camrig.Host:
    host = camrig.Host(env={}, plugins={"bad": nonconforming})
    assert {p.name: p.status for p in host.plugins}["bad"] is camrig.PluginStatus.LOADED
    return host


def test_the_conforming_control_passes(bad_host):
    check_accessory("bad.copy", host=bad_host)


@pytest.mark.parametrize(("name", "rule"), sorted(nonconforming.BROKEN_RULE.items()))
def test_a_broken_accessory_fails_naming_the_rule_it_breaks(bad_host, name, rule):
    with pytest.raises(ConformanceError) as err:
        check_accessory(name, host=bad_host, noisy=True if name == "bad.copy" else None)
    assert list(err.value.failures)[0] == rule  # an unseeded stage also differs between thread counts
    assert len(err.value.failures) == 1 or name == "bad.unseeded"
    assert f"[{rule}] {RULES[rule]}" in str(err.value)


def test_one_broken_accessory_per_rule():
    assert sorted(set(nonconforming.BROKEN_RULE.values())) == sorted(RULES)


def test_fixtures_come_from_the_pytest_plugin(camrig_small_rig, camrig_host_factory):
    rig = camrig_small_rig("isp.white_balance", {"method": "fixed"})
    assert [p.name for p in rig.stages] == ["isp.black_level", "isp.demosaic", "isp.white_balance"]
    assert rig.capture(seed=1).result.data.shape == (48, 64, 3)
    only = camrig_host_factory({"bad": nonconforming}, installed=False)
    assert {r.type.name.partition(".")[0] for r in only.accessory_types} == {"bad"}


def test_pytest_is_the_test_kits_dependency_not_the_cores():
    import tomllib

    project = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())["project"]
    assert not any(d.lower().startswith("pytest") for d in project["dependencies"])
    assert any(d.startswith("pytest") for d in project["optional-dependencies"]["testing"])
    assert project["entry-points"]["pytest11"] == {"camrig": "camrig.testing"}
