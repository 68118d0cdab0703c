"""ACME lenses for camrig. This module stays light: specs and registrations only."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator

from pydantic import Field

import camrig

camrig_api = ">=1,<2"

log = logging.getLogger("camrig_acme")

NARROW_VIEW_DEG = 12.0
"""Horizontal field of view below which the acme.narrow_view rule warns."""


class TeleSpec(camrig.LensSpec):
    """The ACME 85mm f/2 short telephoto for the MFT mount (aberration-free model)."""

    focal_length_mm: float = Field(default=85.0, gt=0, description="Focal length, mm.")
    f_number: float = Field(default=2.0, ge=0.5, description="f-number (>= 0.5).")
    transmission: float = Field(default=0.92, gt=0, le=1, description="Fraction of light the glass transmits.")
    mount: str = Field(default="MFT", description="Lens mount.")
    flange_distance_mm: float = Field(default=19.25, gt=0, description="Flange focal distance, mm (MFT: 19.25).")
    image_circle_mm: float = Field(default=22.0, gt=0, description="Image circle diameter, mm.")


@camrig.hookimpl
def camrig_accessory_types() -> list[camrig.AccessoryType]:
    return [
        camrig.AccessoryType(
            name="acme.tele",
            kind=camrig.Kind.LENS,
            spec=TeleSpec,
            factory="camrig_acme.tele:Tele",
            summary="ACME 85mm f/2 short telephoto (MFT)",
        )
    ]


def _narrow_view(rig: camrig.Rig) -> Iterator[camrig.Problem]:
    lens = rig.part("lens")
    if lens.name != "acme.tele":
        return
    plane = rig.geometry.plane
    hfov = 2 * math.degrees(math.atan(plane.width_mm / 2 / lens.accessory.spec.focal_length_mm))
    if hfov < NARROW_VIEW_DEG:
        yield camrig.Problem(
            severity=camrig.Severity.WARNING,
            rule="acme.narrow_view",
            parts=(lens.label, rig.part("sensor").label),
            message=f"horizontal field of view {hfov:.1f} deg < {NARROW_VIEW_DEG:g} deg: hand-held shake shows",
            suggestion="a shorter focal length or a larger sensor",
        )


@camrig.hookimpl
def camrig_fit_rules() -> list[camrig.FitRule]:
    return [camrig.FitRule("acme.narrow_view", "warns when the telephoto's view is very narrow", _narrow_view)]


@camrig.hookimpl
def camrig_rig_assembled(rig: camrig.Rig) -> None:
    log.info("rig '%s' assembled with %s", rig.name, rig.part("lens").name)
