"""Registers a name our optics plugin already owns, beside a new one."""

import camrig
from camrig_optics import IdealLensSpec

camrig_api = ">=1,<2"
camrig_families = ["dup"]


@camrig.hookimpl
def camrig_accessory_types():
    return [
        camrig.AccessoryType("dup.fresh", camrig.Kind.LENS, IdealLensSpec, "camrig_optics.ideal:IdealLens"),
        camrig.AccessoryType("optics.ideal", camrig.Kind.LENS, IdealLensSpec, "camrig_optics.ideal:IdealLens"),
    ]
