"""Preview keeps a sensor's class and its preset; a part that raises in a stream ends it as a StageError,
while a frame the modelled link loses is reported as dropped."""

from __future__ import annotations

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
