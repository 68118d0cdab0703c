"""The frame contract of each kind, checked at the part that produced the frame; caps that say enough."""

from __future__ import annotations

import numpy as np
import pytest

import camrig
from camrig.contract import caps_problems, frame_problems
from fakeplugins import breakers


@pytest.fixture
def breaking_host() -> camrig.Host:
    return camrig.Host(env={}, plugins={"breakers": breakers})


def bare(rig_dict, drop: str):
    sensor = {**rig_dict["rig"]["sensor"], "type": "breakers.bare", "drop": drop}
    rig_dict["rig"]["sensor"] = sensor
    return rig_dict


CONTRACT = "breaks the frame contract of its kind: "


@pytest.mark.parametrize(
    ("drop", "blamed"),
    [
        ("levels", CONTRACT + "a raw frame sets black_level < white_level in its metadata, not None and None"),
        ("bit_depth", "returned bit_depth None but declared 14"),  # its caps say 14
        ("exposure", CONTRACT + "a sensor sets the exposure it used"),
        ("units", CONTRACT + "a sensor's frame is in units 'DN', not 'electrons'"),
    ],
)
def test_a_sensor_that_leaves_out_its_metadata_is_blamed_not_the_next_stage(breaking_host, rig_dict, drop, blamed):
    rig = camrig.assemble(breaking_host, camrig.read_rig(bare(rig_dict, drop)))
    with pytest.raises(camrig.StageError) as err:
        rig.capture()
    assert err.value.role == "sensor" and err.value.plugin == "breakers" and err.value.accessory == "breakers.bare"
    assert blamed in str(err.value)


def test_a_sensor_whose_caps_leave_out_the_cfa_fails_the_check_naming_it(breaking_host, rig_dict):
    rig = camrig.assemble(breaking_host, camrig.read_rig(bare(rig_dict, "caps_cfa")), strict=False)
    (problem,) = rig.report.errors
    assert problem.rule == "formats" and problem.parts == ("sensor (breakers.bare)",)
    assert "colour filter array" in problem.message


def test_caps_carry_cfa_and_bit_depth(breaking_host, rig_dict):
    rig = camrig.assemble(breaking_host, camrig.read_rig(rig_dict))
    assert rig.caps["sensor"].cfa == "RGGB" and rig.caps["sensor"].bit_depth == 14
    assert rig.caps["stages[0]"].cfa == "RGGB"  # black level keeps them
    assert rig.caps["sensor"].describe() == "raw uint16 48x64 RGGB 14-bit"
    shot = rig.capture()
    assert shot.raw.caps() == rig.caps["link"]


def test_a_stage_that_needs_a_mosaic_after_a_mono_sensor_fails_the_check_naming_both(rig_dict):
    rig_dict["rig"]["sensor"].update(cfa="mono", qe=[[0.5, 0.5, 0.5]])
    rig = camrig.assemble(camrig.Host(env={}), camrig.read_rig(rig_dict), strict=False)
    (problem,) = rig.report.errors
    assert problem.rule == "formats"
    assert "sensor (sensors.cmos)" in problem.parts and "stages[1] (isp.demosaic)" in problem.parts
    assert "mono" in problem.message


def meta(**fields):
    return camrig.FrameMeta(**fields)


def test_contract_rules_by_kind():
    raw = camrig.Frame(
        np.zeros((4, 6), np.uint16),
        meta(format="raw", units="DN", cfa="RGGB", bit_depth=12, black_level=64, white_level=4095, exposure_s=0.01),
    )
    assert frame_problems(camrig.Kind.SENSOR, raw) == []
    assert frame_problems(camrig.Kind.LINK, raw) == []
    too_white = raw.derive(white_level=5000.0)
    assert "above the 12-bit maximum 4095" in frame_problems(camrig.Kind.SENSOR, too_white)[0]
    signed = camrig.Frame(raw.data.astype(np.int32), raw.meta)
    assert "unsigned" in frame_problems(camrig.Kind.SENSOR, signed)[0]
    rgb = camrig.Frame(np.zeros((4, 6), np.float32), meta(format="rgb_linear", units="1"))
    assert "(rows, cols, 3)" in frame_problems(camrig.Kind.STAGE, rgb)[0]
    lens = camrig.Frame(
        np.zeros((4, 6, 3), np.float32), meta(format="irradiance", units="W/m^2", bands_nm=(450, 550, 650))
    )
    assert frame_problems(camrig.Kind.LENS, lens) == [
        "a lens sets the pixel pitch of the focal plane (FrameMeta.pitch, um)"
    ]
    assert "a scene returns radiance" in frame_problems(camrig.Kind.SCENE, lens)[0]
    caps = camrig.Caps(format="raw", dtype="uint16", shape=(4, 6))
    found = caps_problems(camrig.Kind.SENSOR, caps)
    assert len(found) == 2 and "cfa=" in found[0] and "bit_depth=" in found[1]
    assert caps_problems(camrig.Kind.LINK, caps) == []
    assert (
        "bit_depth 20 does not fit in uint16"
        in caps_problems(camrig.Kind.SENSOR, caps.model_copy(update={"cfa": "mono", "bit_depth": 20}))[0]
    )
