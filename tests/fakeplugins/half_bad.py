"""Registers one valid and one invalid accessory, plus a rule: registration must be all or nothing."""

import camrig

camrig_api = ">=1"


class S(camrig.StageSpec):
    pass


@camrig.hookimpl
def camrig_accessory_types():
    return [
        camrig.AccessoryType("halfbad.good", camrig.Kind.STAGE, S, "x:Y"),
        camrig.AccessoryType("Not-Qualified", camrig.Kind.STAGE, S, "x:Y"),
    ]


@camrig.hookimpl
def camrig_fit_rules():
    return [camrig.FitRule("halfbad.rule", "never registered", lambda rig: [])]
