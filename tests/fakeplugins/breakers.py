"""A sensor that breaks the sensor's frame contract on request (plugin name 'breakers')."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

import camrig
from camrig_sensors import CmosSensorSpec
from camrig_sensors.cmos import CmosSensor

camrig_api = ">=1,<2"


class BareSpec(CmosSensorSpec):
    drop: Literal["nothing", "levels", "bit_depth", "exposure", "caps_cfa", "units"] = Field(
        default="nothing", description="What to leave out of the frame (or, 'caps_cfa', out of the caps)."
    )


class Bare(CmosSensor):
    def negotiate(self, upstream, geometry):
        caps = super().negotiate(upstream, geometry)
        return caps.model_copy(update={"cfa": None}) if self.spec.drop == "caps_cfa" else caps

    def process(self, frame, ctx, role):
        out = super().process(frame, ctx, role)
        drop = {
            "levels": {"black_level": None, "white_level": None},
            "bit_depth": {"bit_depth": None},
            "exposure": {"exposure_s": None},
            "units": {"units": "electrons"},
        }.get(self.spec.drop, {})
        return out.derive(**drop)


@camrig.hookimpl
def camrig_accessory_types():
    return [camrig.AccessoryType("breakers.bare", camrig.Kind.SENSOR, BareSpec, Bare, "drops metadata on request")]
