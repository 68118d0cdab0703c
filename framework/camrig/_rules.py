"""The host's own fit rules, registered through the same ``camrig_fit_rules`` hook a plugin uses.

The rules only compare what the spec bases and accessory methods declare (mount names, flange distances,
the lens's own coverage answer, bytes per frame); the physics behind those numbers lives in plugins.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import TYPE_CHECKING

from .fit import FitRule, Problem, Severity
from .hookspecs import hookimpl

if TYPE_CHECKING:
    from .rig import Rig

FLANGE_TOLERANCE_MM = 0.05
"""Flange mismatch tolerated before infinity focus is lost (typical helicoid/shim play)."""

COVERAGE_ERROR_EV = 2.0
"""Corners darker than this (from the limited image circle alone) make a rig that does not fit."""


def mount_chain(rig: Rig) -> Iterator[Problem]:
    """Lens mount == first adapter's front, each adapter's rear == next front, last rear == module mount."""
    lens, sensor = rig.part("lens"), rig.part("sensor")
    chain = [lens, *rig.adapters, sensor]
    for a, b in zip(chain, chain[1:]):
        offered = a.accessory.spec.mount if a is lens else a.accessory.spec.rear
        wanted = b.accessory.spec.mount if b is sensor else b.accessory.spec.front
        if offered != wanted:
            yield Problem(
                severity=Severity.ERROR,
                rule="mount.chain",
                parts=(a.label, b.label),
                message=f"{a.role} presents mount '{offered}' but {b.role} takes '{wanted}'",
                suggestion=f"add an adapter with front '{offered}' and rear '{wanted}'",
            )


def flange(rig: Rig) -> Iterator[Problem]:
    """Lens flange distance == module flange + adapter lengths, within tolerance."""
    lens, sensor = rig.part("lens"), rig.part("sensor")
    adapters = sum(a.accessory.spec.length_mm for a in rig.adapters)
    have = sensor.accessory.spec.flange_distance_mm + adapters
    need = lens.accessory.spec.flange_distance_mm
    gap = need - have
    if abs(gap) <= FLANGE_TOLERANCE_MM:
        return
    parts = (lens.label, *(a.label for a in rig.adapters), sensor.label)
    path = f"module flange {sensor.accessory.spec.flange_distance_mm:.2f} mm + adapters {adapters:.2f} mm"
    if gap > 0:
        yield Problem(
            severity=Severity.ERROR,
            rule="mount.flange",
            parts=parts,
            message=f"lens flange distance {need:.2f} mm > {path} = {have:.2f} mm: "
            "the lens sits too close and cannot focus at infinity",
            suggestion=f"add {gap:.2f} mm of adapter (total adapter length {adapters + gap:.2f} mm)",
        )
    else:
        fix = (
            f"use adapters totalling {adapters + gap:.2f} mm"
            if adapters + gap >= 0
            else f"no adapter can fit: the lens needs {-(adapters + gap):.2f} mm less than the module's own "
            "flange, which would need an adapter shorter than zero (a lens with corrective optics may)"
        )
        yield Problem(
            severity=Severity.ERROR,
            rule="mount.flange",
            parts=parts,
            message=f"lens flange distance {need:.2f} mm < {path} = {have:.2f} mm: "
            "the lens sits too far and cannot focus at infinity (macro only)",
            suggestion=fix,
        )


def attachment(rig: Rig) -> Iterator[Problem]:
    """The phone mount's front must take the module's attachment interface."""
    phone = rig.parts.get("attachment")
    if phone is None:
        return
    sensor = rig.part("sensor")
    offered, wanted = sensor.accessory.spec.attachment, phone.accessory.spec.front
    if offered != wanted:
        yield Problem(
            severity=Severity.ERROR,
            rule="mount.attachment",
            parts=(sensor.label, phone.label),
            message=f"the module attaches by '{offered}' but the phone mount takes '{wanted}'",
        )


def coverage(rig: Rig) -> Iterator[Problem]:
    """Lens image circle against the sensor diagonal; the lens says how dark the corners get."""
    lens, sensor = rig.part("lens"), rig.part("sensor")
    circle = lens.accessory.spec.image_circle_mm
    diagonal = rig.geometry.plane.diagonal_mm
    if circle >= diagonal:
        return
    passed = lens.accessory.coverage(diagonal / 2)
    ev = math.inf if passed <= 0 else -math.log2(passed)
    darker = "receive no light" if math.isinf(ev) else f"~{ev:.1f} EV darker"
    severity = Severity.ERROR if ev > COVERAGE_ERROR_EV else Severity.WARNING
    yield Problem(
        severity=severity,
        rule="optics.coverage",
        parts=(lens.label, sensor.label),
        message=f"image circle {circle:.1f} mm < sensor diagonal {diagonal:.1f} mm: corners {darker}",
        suggestion=f"a lens with an image circle of at least {diagonal:.1f} mm, or crop the sensor",
    )


def link_budget(rig: Rig) -> Iterator[Problem]:
    """Bytes per frame x frame rate asked against the link bandwidth."""
    link = rig.parts.get("link")
    if link is None:
        return
    sensor = rig.part("sensor")
    bits = 8 * sensor.accessory.raw_bytes_per_frame()
    bandwidth = link.accessory.spec.bandwidth_gbit_s * 1e9
    needed = bits * rig.frame_rate_hz
    if needed <= bandwidth:
        return
    yield Problem(
        severity=Severity.ERROR,
        rule="link.bandwidth",
        parts=(sensor.label, link.label),
        message=f"{bits / 8e6:.1f} MB per frame x {rig.frame_rate_hz:g} fps = {needed / 1e9:.2f} Gbit/s "
        f"> link bandwidth {bandwidth / 1e9:.2f} Gbit/s",
        suggestion=f"the link carries at most {bandwidth / bits:.2f} fps at this frame size",
    )


@hookimpl
def camrig_fit_rules() -> list[FitRule]:
    return [
        FitRule("mount.chain", "mount names match along lens, adapters and module", mount_chain),
        FitRule("mount.flange", "flange distances add up so the lens focuses at infinity", flange),
        FitRule("mount.attachment", "the module attaches to the phone mount", attachment),
        FitRule("optics.coverage", "the image circle covers the sensor diagonal", coverage),
        FitRule("link.bandwidth", "the link carries raw frames at the frame rate asked", link_budget),
    ]
