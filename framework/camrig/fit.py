"""Fit problems, rules and reports: the answer to 'do these parts make a camera?'."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from .rig import Rig

__all__ = ["Severity", "Problem", "FitRule", "FitReport"]


class Severity(StrEnum):
    ERROR = "error"
    """The rig cannot work; no frame will flow."""
    WARNING = "warning"
    """The rig works, but not as well as it could."""


class Problem(BaseModel):
    """One thing that does not fit, with the numbers and, where one exists, what would fit."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    severity: Severity = Field(description="'error' stops the rig; 'warning' lets it run.")
    rule: str = Field(description="Id of the rule that found the problem, e.g. 'mount.flange'.")
    parts: tuple[str, ...] = Field(description="Roles and accessory names involved, e.g. 'lens (optics.ideal)'.")
    message: str = Field(description="What is wrong, with the numbers.")
    suggestion: str | None = Field(default=None, description="What would fit, where one exists.")

    def render(self) -> str:
        text = f"{self.severity.value}: [{self.rule}] {self.message}"
        if self.parts:
            text += f"\n    parts: {', '.join(self.parts)}"
        if self.suggestion:
            text += f"\n    fix: {self.suggestion}"
        return text


@dataclass(frozen=True)
class FitRule:
    """A check run on every rig before frames flow. Contributed through ``camrig_fit_rules``."""

    id: str
    """Qualified id, e.g. ``mount.chain``."""
    summary: str
    """One line: what the rule checks."""
    check: Callable[[Rig], Iterable[Problem]]
    """Yields the problems found (nothing when the rig passes)."""


@dataclass(frozen=True)
class FitReport:
    """Every problem found on one rig.

    >>> report = FitReport((
    ...     Problem(severity="warning", rule="link.bandwidth", parts=("link (links.usb3)",),
    ...             message="the link carries 28 fps at most; the rig asks for 30", suggestion="a faster link"),
    ... ))
    >>> report.ok
    True
    >>> print(report.render())
    rig fits: 0 error(s), 1 warning(s)
    warning: [link.bandwidth] the link carries 28 fps at most; the rig asks for 30
        parts: link (links.usb3)
        fix: a faster link
    """

    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        """True when no problem is an error (warnings allowed)."""
        return not any(p.severity is Severity.ERROR for p in self.problems)

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity is Severity.ERROR)

    def render(self) -> str:
        if not self.problems:
            return "rig fits: no problems"
        head = "rig fits" if self.ok else "rig does not fit"
        counts = f"{len(self.errors)} error(s), {len(self.problems) - len(self.errors)} warning(s)"
        return f"{head}: {counts}\n" + "\n".join(p.render() for p in self.problems)

    def to_json(self) -> str:
        return json.dumps({"ok": self.ok, "problems": [p.model_dump(mode="json") for p in self.problems]}, indent=2)
