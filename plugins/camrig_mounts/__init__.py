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
    tilt_tolerance_deg: float = Field(
        default=0.1, ge=0,
        description="Worst-case module tilt on attach, degrees: the module holds lens and sensor together, so a tilt "
        "turns where it points (f tan(tilt) at the sensor), not its focus.",
    )  # fmt: skip
    decentre_tolerance_um: float = Field(
        default=50.0,
        ge=0,
        description="Worst-case module decentre on attach, um: it moves the viewpoint, not the focus.",
    )


class AdapterSpec(camrig.MountSpec):
    """A plain (glass-free) lens adapter: a tube of given length from one mount to another."""

    tilt_deg: float = Field(
        default=0.0, ge=0, le=5,
        description="How far out of square the adapter holds the lens against the sensor (machining, a worn bayonet), "
        "degrees: the image plane leans against the sensor, so focus drifts across the frame.",
    )  # fmt: skip
    tilt_azimuth_deg: float = Field(
        default=0.0,
        description="Direction of that tilt in the sensor plane, degrees from +x (columns) towards +y (rows).",
    )


class MountPart(camrig.Mount[camrig.MountSpec]):
    """A mount or adapter; all it has is its geometry."""

    def image_tilt(self) -> tuple[float, float]:
        """An adapter's tilt between lens and sensor; the phone's magnetic mount holds the whole module (0)."""
        return float(getattr(self.spec, "tilt_deg", 0.0)), float(getattr(self.spec, "tilt_azimuth_deg", 0.0))


FLANGE_MM = {"EF": 44.00, "F": 46.50, "M42": 45.46, "MFT": 19.25, "E": 18.00}
"""Published flange focal distances of the mounts the adapters below join, mm."""


def _adapter(name: str, front: str, rear: str, doc: str, **extra: object) -> type[AdapterSpec]:
    length = round(FLANGE_MM[front] - FLANGE_MM[rear], 2)
    return camrig.spec_preset(AdapterSpec, name, doc, front=front, rear=rear, length_mm=length, **extra)


EF_MFT = _adapter("EfMftSpec", "EF", "MFT", "Canon EF lens on a Micro Four Thirds body: 44.00 - 19.25 = 24.75 mm.")
F_MFT = _adapter("FMftSpec", "F", "MFT", "Nikon F lens on a Micro Four Thirds body: 46.50 - 19.25 = 27.25 mm.")
M42_MFT = _adapter(
    "M42MftSpec", "M42", "MFT", "M42 screw-mount lens on a Micro Four Thirds body: 45.46 - 19.25 = 26.21 mm."
)
MFT_E = _adapter(
    "MftESpec",
    "MFT",
    "E",
    "Micro Four Thirds lens on a Sony E body: 19.25 - 18.00 = 1.25 mm. (An E lens cannot go "
    "on an MFT body: its 18.00 mm flange is shorter than MFT's 19.25 mm.)",
)
EF_MFT_REDUCER = _adapter(
    "EfMftReducerSpec", "EF", "MFT",
    "A 0.71x focal reducer for EF lenses on MFT ('speed booster'): focal length and f-number x 0.71 (one stop "
    "brighter), image circle x 0.71; for the lens it stands at the EF flange distance.",
    focal_multiplier=0.71,
)  # fmt: skip

ADAPTERS = {
    "mounts.ef_mft": (EF_MFT, "Canon EF to Micro Four Thirds adapter (24.75 mm)"),
    "mounts.f_mft": (F_MFT, "Nikon F to Micro Four Thirds adapter (27.25 mm)"),
    "mounts.m42_mft": (M42_MFT, "M42 to Micro Four Thirds adapter (26.21 mm)"),
    "mounts.mft_e": (MFT_E, "Micro Four Thirds to Sony E adapter (1.25 mm)"),
    "mounts.ef_mft_reducer": (EF_MFT_REDUCER, "0.71x focal reducer, Canon EF to Micro Four Thirds"),
}


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
        *(
            camrig.AccessoryType(name, camrig.Kind.MOUNT, spec, MountPart, summary)
            for name, (spec, summary) in ADAPTERS.items()
        ),
    ]
