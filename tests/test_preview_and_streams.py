"""Preview keeps a sensor's class and its preset; a part that raises in a stream ends it as a StageError,
while a frame the modelled link loses is reported as dropped."""

from __future__ import annotations

import pytest

import camrig
from fakeplugins import breakers


def test_preview_keeps_a_subclass_and_a_preset(rig_dict):
    rig_dict["rig"]["sensor"]["type"] = "breakers.bare"
    rig = camrig.assemble(camrig.Host(env={}, plugins={"breakers": breakers}), camrig.read_rig(rig_dict))
    preview = rig.preview().parts["sensor"].accessory
    assert type(preview) is breakers.Bare and type(preview.spec) is breakers.BareSpec
    assert preview.in_preview and preview.spec.readout == rig.parts["sensor"].accessory.spec.preview_readout
    rig_dict["rig"]["sensor"] = {"type": "sensors.m43_20mp", "width_px": 64, "height_px": 48}
    rig = camrig.assemble(camrig.Host(env={}), camrig.read_rig(rig_dict), strict=False)
    spec = rig.preview().parts["sensor"].accessory.spec
    assert type(spec) is type(rig.parts["sensor"].accessory.spec) and type(spec).__name__ != "CmosSensorSpec"


@pytest.mark.parametrize("module", ["thread", "process"])
def test_a_part_that_raises_in_a_stream_ends_it_with_a_stage_error(rig_dict, module):
    """A bug in the module's half (in a thread or a process of its own) is an error naming the part, as it is
    in a capture: not a dropped frame."""
    rig_dict["rig"]["link"] = {"type": "links.optical", "packing": "raw8"}  # 14-bit samples do not fit in 8 bits
    phone = camrig.Phone(camrig.Host(env={}), module=module)
    phone.attach(camrig.read_rig(rig_dict))
    with pytest.raises(camrig.StageError) as err:
        list(phone.stream(3))
    assert err.value.role == "link" and err.value.plugin == "links" and "do not fit in 8 bits" in str(err.value)
    with pytest.raises(camrig.StageError, match="do not fit in 8 bits"):
        phone.capture()
    phone.detach()


def test_a_sensor_that_breaks_its_contract_in_a_stream_is_named(rig_dict):
    rig_dict["rig"]["sensor"].update(type="breakers.bare", drop="levels")
    phone = camrig.Phone(camrig.Host(env={}, plugins={"breakers": breakers}), module="thread")
    phone.attach(camrig.read_rig(rig_dict))
    with pytest.raises(camrig.StageError) as err:
        list(phone.stream(3))
    assert err.value.role == "sensor" and err.value.plugin == "breakers" and "black_level" in str(err.value)
    phone.detach()
