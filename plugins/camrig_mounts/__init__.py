"""camrig mounts: the magnetic phone mount and lens adapters (geometry only; no frame passes through)."""

from __future__ import annotations

from pydantic import Field

import camrig

camrig_api = ">=1,<2"


class MagneticMountSpec(camrig.MountSpec):
    """The magnetic mount that holds a module on the back of a phone; no latch, no pairing."""

    front: str = Field(default="camrig-magnetic", description="Module interface the mount takes.")
    rear: str = Field(default="phone", description="What the mount attaches to.")
    length_mm: float = Field(default=0.0, ge=0, description="Optical path added, mm (none: not in the light path).")
    tilt_tolerance_deg: float = Field(default=0.1, ge=0, description="Worst-case module tilt on attach, degrees.")
    decentre_tolerance_um: float = Field(default=50.0, ge=0, description="Worst-case module decentre, um.")


class AdapterSpec(camrig.MountSpec):
    """A plain (glass-free) lens adapter: a tube of given length from one mount to another."""


class MountPart(camrig.Mount[camrig.MountSpec]):
    """A mount or adapter; all it has is its geometry."""


@camrig.hookimpl
def camrig_accessory_types() -> list[camrig.AccessoryType]:
    return [
        camrig.AccessoryType(
            name="mounts.magnetic",
            kind=camrig.Kind.MOUNT,
            spec=MagneticMountSpec,
            factory=MountPart,
            summary="magnetic phone mount for camera modules",
        ),
        camrig.AccessoryType(
            name="mounts.adapter",
            kind=camrig.Kind.MOUNT,
            spec=AdapterSpec,
            factory=MountPart,
            summary="glass-free adapter: front mount, rear mount, length",
        ),
    ]
