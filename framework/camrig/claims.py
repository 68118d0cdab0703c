"""Claims: what a product says about itself, and the claim kinds (from plugins) that hold it against physics.

A claims file names a rig and lists claims, each a quantity, a comparison and a value with its unit::

    rig: ../rigs/four_thirds_module.yaml     # a rig file, relative to this file's folder, or an inline rig
    claims:
      - {quantity: resolution_mp, op: ">=", value: 100, unit: MP}
      - {quantity: raw_frame_rate_hz, op: ">=", value: 30, unit: Hz, conditions: {resolution: full}}

A :class:`ClaimKind` (registered by a plugin through the ``camrig_claim_kinds`` hook) answers one quantity:
given the assembled rig and the claim, its ``assess`` returns an :class:`Assessment` (the value the model
gives, the physical bound and its formula, what would make the claim hold, the assumptions) or says why it
cannot test the claim on this rig. A kind whose value comes from a measurement also has a ``plan``: given the
rig and the claim, the :class:`MeasurementTask` to run (a rig mapping and measurement configs), which the audit
runs through the experiments' executors (local processes or a Dask cluster) before calling
``assess(rig, claim, measured=record)`` with the run's record. The host turns an assessment and the claim
into a :class:`Finding` (holds, fails, cannot be tested). Running an audit is :func:`camrig.audit.run_audit`.
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .checked import CheckedModel

if TYPE_CHECKING:
    from .rig import Rig

__all__ = [
    "Assessment",
    "Claim",
    "ClaimKind",
    "Finding",
    "MeasurementTask",
    "Plot",
    "Untestable",
    "Verdict",
    "compare",
    "conditions_problem",
    "finding",
    "untestable",
]

_NAME = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")

Op = Literal[">=", "<="]


class Claim(CheckedModel):
    """One claim of a claims file: ``quantity op value unit``, under optional conditions."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    quantity: str = Field(
        min_length=1,
        description="What is claimed: a claim kind, 'dynamic_range_ev' or qualified 'claims.dynamic_range_ev'.",
    )
    op: Op = Field(description="Comparison: '>=' (at least) or '<=' (at most).")
    value: float = Field(description="The claimed value, in `unit`.")
    unit: str = Field(
        min_length=1,
        description="Unit of `value`; must be one the claim kind states (e.g. 'EV', 'MP', 'Hz', 'ms').",
    )
    conditions: dict[str, str | float | int] = Field(
        default_factory=dict,
        description="Conditions the claim is made under (kind-specific: 'resolution: full', 'exposure_s: 0.005').",
    )
    label: str | None = Field(
        default=None,
        description="How the product states it, shown in reports (e.g. '16 stops of DR').",
    )

    def describe(self) -> str:
        cond = "".join(f" at {k}={v}" for k, v in self.conditions.items())
        return f"{self.quantity} {self.op} {self.value:g} {self.unit}{cond}"


class Verdict(StrEnum):
    """What an audit says of a claim."""

    HOLDS = "holds"
    FAILS = "fails"
    UNTESTABLE = "cannot be tested"


class Untestable(Exception):
    """Raised by a claim kind's ``assess`` when this rig or these conditions do not let it test the claim;
    the message is the reason shown in the report."""


class Plot(BaseModel):
    """The data behind a verdict, drawn beside ``audit.html`` and linked from its row: a curve (``x``, ``y``)
    or bars (``labels``, ``y``), with an optional horizontal line (the claimed value)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z0-9_]+$", description="File-name part: 'photon_transfer', 'frame_rate_terms'.")
    title: str = Field(description="What the plot shows.")
    style: Literal["curve", "bars"] = Field(description="'curve' (x against y) or 'bars' (one bar per label).")
    x_label: str = Field(default="", description="Label of the x axis (curves).")
    y_label: str = Field(description="Label of the y axis.")
    x: list[float] = Field(default_factory=list, description="x values (curves).")
    y: list[float] = Field(description="y values: one per x, or one per label.")
    labels: list[str] = Field(default_factory=list, description="Bar labels (bars).")
    line: float | None = Field(default=None, description="A horizontal reference line (the claimed value).")
    line_label: str = Field(default="", description="The reference line's legend.")
    log: bool = Field(default=False, description="Logarithmic axes (both for curves, y for bars).")


class Assessment(BaseModel):
    """What a claim kind found: the value the model gives, its physical bound, and what would make a claim hold."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    value: float = Field(
        description="The value of the quantity for this rig under the claim's conditions, in the kind's unit."
    )
    bound: str = Field(description="The physical bound that limits the quantity, as a formula with this rig's numbers.")
    needed: list[str] = Field(
        default_factory=list,
        description="What would make a failing claim hold (each alternative with its number); empty when it holds.",
    )
    fix: list[str] = Field(
        default_factory=list,
        description="The first alternative of `needed` as rig overrides ('rig.sensor.full_well_e=123000'): fed back "
        "with "
        "`camrig audit --set`, the claim holds.",
    )
    assumptions: list[str] = Field(
        default_factory=list,
        description="Assumptions behind the value (model, not measurement; what is left out).",
    )
    method: str = Field(
        default="model",
        description="How the value was obtained: 'model' (from the specs) or a measurement's name.",
    )
    plots: list[Plot] = Field(default_factory=list, description="The data behind the verdict, to draw.")


class Finding(BaseModel):
    """One row of an audit: the claim, the verdict and the numbers behind it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    claim: str = Field(description="The claim as written (quantity op value unit, conditions).")
    label: str | None = Field(default=None, description="The claim as the product states it, when given.")
    kind: str | None = Field(
        default=None,
        description="Qualified claim kind that assessed it; None when no kind matched.",
    )
    plugin: str | None = Field(default=None, description="Plugin that registered the kind.")
    verdict: Verdict = Field(description="holds, fails or cannot be tested.")
    value: float | None = Field(
        default=None,
        description="The value found, in `unit`; None when it cannot be tested.",
    )
    unit: str = Field(description="Unit of the claimed and found values.")
    bound: str | None = Field(default=None, description="The physical bound, with its numbers.")
    needed: list[str] = Field(
        default_factory=list,
        description="What would make the claim hold (when it fails).",
    )
    fix: list[str] = Field(
        default_factory=list,
        description="Rig overrides that make a failing claim hold (--set PATH=VALUE).",
    )
    assumptions: list[str] = Field(default_factory=list, description="Assumptions behind the value.")
    method: str | None = Field(default=None, description="'model' or the measurement that gave the value.")
    reason: str | None = Field(default=None, description="Why the claim cannot be tested; None otherwise.")
    plots: list[Plot] = Field(default_factory=list, description="The data behind the verdict (drawn in audit.html).")


def compare(value: float, op: str, claimed: float) -> bool:
    """Whether ``value op claimed`` (``>=`` or ``<=``)."""
    return value >= claimed if op == ">=" else value <= claimed


Assess = Callable[..., Assessment]


@dataclass(frozen=True)
class MeasurementTask:
    """What a claim needs measured: a rig file mapping (plain data, so it travels to a worker) and the
    measurements to take on one capture of it, as ``camrig run`` runs them (:func:`camrig.experiments.run_one`).
    ``note`` says in the report what was measured (``'on a 256 x 256 px crop'``)."""

    rig: dict[str, Any]
    measurements: list[dict[str, Any]]
    note: str = ""

    def key(self) -> str:
        """Identical tasks (the same rig and measurements) are run once per audit."""
        return json.dumps([self.rig, self.measurements], sort_keys=True, default=str)


Plan = Callable[["Rig", Claim], "MeasurementTask | None"]


@dataclass(frozen=True)
class ClaimKind:
    """A quantity a product may claim, and how to hold the claim against physics.

    ``name`` is qualified (``family.quantity``, the family one of the registering plugin's, like accessory
    names); a claims file may write the part after the dot alone when only one kind has it. ``units`` are the
    spellings a claim may use (compared case-sensitively, so 'ms' is not 'Ms'); the first is the canonical one.
    ``conditions`` are the condition names ``assess`` understands; a claim with any other is reported as
    cannot be tested, naming them. ``assess(rig, claim)`` (a callable or an import string ``"module:attr"``,
    loaded only when a claim needs it) returns an :class:`Assessment` or raises :class:`Untestable`.

    ``plan(rig, claim)`` (optional, a callable or an import string) returns the :class:`MeasurementTask` the
    claim needs, or None when it needs none (a model from the spec); the audit runs every task (locally or on
    Dask) and then calls ``assess(rig, claim, measured=record)``, the record of that run (``values``,
    ``curves``; ``status`` is ``'ok'``, else ``error`` says why, and the claim cannot be tested).
    """

    name: str
    units: tuple[str, ...]
    assess: str | Assess
    summary: str = ""
    conditions: tuple[str, ...] = ()
    plan: str | Plan | None = None
    _loaded: dict[str, Assess] = field(default_factory=dict, compare=False, repr=False)

    @property
    def quantity(self) -> str:
        """The name after the family: what a claims file writes."""
        return self.name.partition(".")[2]

    def problems(self) -> list[str]:
        """What is wrong with this registration (empty when it is sound)."""
        found = []
        if not isinstance(self.name, str) or not _NAME.match(self.name):
            found.append(f"name {self.name!r} is not qualified 'family.quantity' (lower case)")
        if not self.units or not all(isinstance(u, str) and u for u in self.units):
            found.append(f"units {self.units!r} must be a non-empty tuple of unit spellings")
        if isinstance(self.assess, str):
            if ":" not in self.assess:
                found.append(f"assess {self.assess!r} is not an import string 'module:attr'")
        elif not callable(self.assess):
            found.append(f"assess {self.assess!r} is neither callable nor an import string")
        if isinstance(self.plan, str) and ":" not in self.plan:
            found.append(f"plan {self.plan!r} is not an import string 'module:attr'")
        elif self.plan is not None and not isinstance(self.plan, str) and not callable(self.plan):
            found.append(f"plan {self.plan!r} is neither callable nor an import string")
        if not all(isinstance(c, str) for c in self.conditions):
            found.append(f"conditions {self.conditions!r} must be names")
        return found

    def load(self) -> Assess:
        """The ``assess`` callable, importing it on first use."""
        return self._import("assess", self.assess)

    def load_plan(self) -> Plan | None:
        """The ``plan`` callable (imported on first use), or None when the kind needs no measurement."""
        return None if self.plan is None else self._import("plan", self.plan)

    def _import(self, what: str, target: Any) -> Any:
        if not isinstance(target, str):
            return target
        if what not in self._loaded:
            module, _, attr = target.partition(":")
            self._loaded[what] = getattr(importlib.import_module(module), attr)
        return self._loaded[what]


def finding(kind: ClaimKind, plugin: str, claim: Claim, assessment: Assessment) -> Finding:
    """The verdict on ``claim`` from a kind's assessment."""
    holds = compare(assessment.value, claim.op, claim.value)
    return Finding(
        claim=claim.describe(), label=claim.label, kind=kind.name, plugin=plugin,
        verdict=Verdict.HOLDS if holds else Verdict.FAILS, value=assessment.value, unit=claim.unit,
        bound=assessment.bound, needed=[] if holds else assessment.needed,
        fix=[] if holds else assessment.fix, assumptions=assessment.assumptions,
        method=assessment.method, plots=assessment.plots,
    )  # fmt: skip


def untestable(claim: Claim, reason: str, kind: ClaimKind | None = None, plugin: str | None = None) -> Finding:
    """A finding that says why ``claim`` cannot be tested."""
    return Finding(
        claim=claim.describe(), label=claim.label, kind=kind.name if kind else None, plugin=plugin,
        verdict=Verdict.UNTESTABLE, unit=claim.unit, reason=reason,
    )  # fmt: skip


def conditions_problem(kind: ClaimKind, conditions: Mapping[str, Any]) -> str | None:
    """Why ``conditions`` are outside what ``kind`` understands, or None."""
    unknown = [c for c in conditions if c not in kind.conditions]
    if not unknown:
        return None
    knows = ", ".join(kind.conditions) or "none"
    return f"{kind.name} cannot set condition(s) {', '.join(map(repr, unknown))} (it knows: {knows})"
