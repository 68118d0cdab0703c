"""Configuration-driven experiments: a base rig, a sweep over dotted paths, repeats and measurements.

An experiment file (YAML or TOML)::

    experiment:
      name: f-number sweep
      rig: ../rigs/four_thirds_module.yaml      # a path (relative to this file) or an inline rig mapping
      set: {rig.sensor.width_px: 1024}          # fixed changes to the base rig
      sweep:
        grid: {rig.lens.f_number: [1.4, 2, 2.8]}  # every combination of these
        zip: {capture.exposure_s: [...], ...}     # these side by side (equal lengths)
        list: [{rig.link.type: links.usb3}, ...]  # these points as given
      repeats: 2                                # each point this many times, with derived seeds
      seed: 0
      measurements: [{type: measure.mtf}, {type: measure.latency}]

The points are the product of the grid, the zip rows and the list entries (each group optional). Run ``k``
(point ``p``, repeat ``r``) captures with the seed ``SeedSequence(seed, spawn_key=(p, r))`` draws, so any
row can be reproduced alone and the results do not depend on where or in which order runs execute. Running
them, resuming and writing the table: :mod:`camrig.experiments.runner`.
"""

from __future__ import annotations

import copy
import difflib
import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ConfigDict, Field, ValidationError, field_validator, model_validator

from ..bounded import Limits, check_shape
from ..checked import CheckedModel
from ..config import (
    CaptureSection,
    PartConfig,
    RigSection,
    Source,
    all_paths,
    apply_override,
    format_validation_error,
    read_config,
    set_path,
)
from ..errors import ConfigError
from ..host import Host

__all__ = [
    "SweepSection",
    "ExperimentSection",
    "Run",
    "Experiment",
    "run_seed",
    "load_experiment",
    "experiment_from_dict",
    "check_paths",
]


class SweepSection(CheckedModel):
    """What varies: dotted paths into the rig file (``rig.lens.f_number``, ``capture.exposure_s``)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    grid: dict[str, list[Any]] = Field(default_factory=dict, description="Every combination of these values.")
    zip: dict[str, list[Any]] = Field(default_factory=dict, description="These lists side by side (equal lengths).")
    points: list[dict[str, Any]] = Field(default_factory=list, alias="list", description="Explicit points.")

    @field_validator("grid", "zip")
    @classmethod
    def _non_empty(cls, v: dict[str, list[Any]]) -> dict[str, list[Any]]:
        for path, values in v.items():
            if not values:
                raise ValueError(f"{path}: no values to sweep")
        return v

    @model_validator(mode="after")
    def _zip_lengths(self) -> SweepSection:
        lengths = {len(v) for v in self.zip.values()}
        if len(lengths) > 1:
            raise ValueError(f"zip lists must have equal lengths, got {sorted(lengths)}")
        return self

    def paths(self) -> list[str]:
        seen = [*self.grid, *self.zip, *(k for p in self.points for k in p)]
        return list(dict.fromkeys(seen))

    def expand(self) -> list[dict[str, Any]]:
        """The sweep's points, in order: grid (last path fastest), then zip rows, then list entries."""
        grid = [dict(zip(self.grid, combo)) for combo in itertools.product(*self.grid.values())] or [{}]
        rows = [dict(zip(self.zip, row)) for row in zip(*self.zip.values())] or [{}]
        listed = self.points or [{}]
        return [{**g, **z, **p} for g in grid for z in rows for p in listed]


class ExperimentSection(CheckedModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str = Field(description="Name of the experiment (report title).")
    rig: str | dict[str, Any] = Field(
        description="The base rig: a path relative to the experiment file, or a rig mapping."
    )
    overrides: dict[str, Any] = Field(
        default_factory=dict, alias="set", description="Fixed changes to the base rig, by dotted path."
    )
    sweep: SweepSection = Field(default_factory=SweepSection, description="What varies from run to run.")
    repeats: int = Field(default=1, ge=1, le=10_000, description="Runs per point, each with its own seed.")
    seed: int = Field(default=0, ge=0, description="Root of every run's seed.")
    measurements: list[PartConfig] = Field(default_factory=list, description="Measurements taken after each capture.")


class _ExperimentModel(CheckedModel):
    model_config = ConfigDict(extra="forbid")
    experiment: ExperimentSection


@dataclass(frozen=True)
class Run:
    """One run: a point of the sweep and a repeat."""

    index: int
    point: int
    repeat: int
    seed: int
    params: dict[str, Any]

    @property
    def run_id(self) -> str:
        return f"run-{self.index:05d}"


@dataclass
class Experiment:
    """A validated experiment: its section, the base rig mapping (with ``set`` applied) and where it came from."""

    section: ExperimentSection
    base: dict[str, Any]
    source: Source
    runs: list[Run] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.section.name

    def rig_for(self, run: Run) -> dict[str, Any]:
        """The rig file mapping of ``run``: the base with the run's swept values and its seed."""
        data = copy.deepcopy(self.base)
        for path, value in run.params.items():
            data = set_path(data, path, value, "experiment.sweep:")
        data.setdefault("capture", {})["seed"] = run.seed
        return data

    def resolved(self) -> dict[str, Any]:
        """Everything needed to reproduce every run: the experiment section and the base rig as used."""
        return {"experiment": self.section.model_dump(by_alias=True, exclude={"rig"}), "base_rig": self.base}


def run_seed(seed: int, point: int, repeat: int) -> int:
    """The capture seed of (point, repeat): independent streams from one root (NumPy SeedSequence)."""
    return int(np.random.SeedSequence(seed, spawn_key=(point, repeat)).generate_state(1, np.uint32)[0])


def load_experiment(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> Experiment:
    """Read and validate an experiment file; ``overrides`` ('dotted.path=value') change the experiment
    section (e.g. 'experiment.repeats=3')."""
    path = Path(path)
    data, lines = read_config(path)
    source = Source(str(path), lines)
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: an experiment file must be a mapping with an 'experiment' section")
    for assignment in overrides:
        data = apply_override(data, assignment)
    return experiment_from_dict(data, source, base_dir=path.parent)


def experiment_from_dict(
    data: dict[str, Any], source: Source | None = None, *, base_dir: Path = Path(".")
) -> Experiment:
    source = source or Source("<dict>")
    check_shape(data, source.name, Limits.from_env())
    try:
        section = _ExperimentModel.model_validate(data).experiment
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, source)) from None
    if isinstance(section.rig, str):
        rig_path = base_dir / section.rig
        base, _ = read_config(rig_path)
        if not isinstance(base, dict):
            raise ConfigError(f"{rig_path}: a rig file must be a mapping")
    else:
        base = copy.deepcopy(section.rig)
    for path, value in section.overrides.items():
        base = set_path(base, path, value, "experiment.set:")
    points = section.sweep.expand()
    runs = [
        Run(index=p * section.repeats + r, point=p, repeat=r, seed=run_seed(section.seed, p, r), params=params)
        for p, params in enumerate(points)
        for r in range(section.repeats)
    ]
    return Experiment(section=section, base=base, source=source, runs=runs)


def check_paths(experiment: Experiment, host: Host) -> None:
    """Every swept path must name something the rig has: a key of the base rig or a field of the part's spec
    (so a field left at its default can be swept). A ConfigError lists each bad path with close matches."""
    problems = []
    for path in experiment.section.sweep.paths():
        candidates = _candidates(experiment.base, host)
        if path not in candidates:
            close = difflib.get_close_matches(path, candidates, n=3, cutoff=0.6)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            problems.append(
                f"{experiment.source.where(('experiment', 'sweep'))}: sweep path '{path}' is not in the rig{hint}"
            )
    if problems:
        raise ConfigError("\n".join(problems))


def _candidates(base: dict[str, Any], host: Host) -> list[str]:
    """Dotted paths a sweep may name: every path in the base rig, and every spec field of each part."""
    out = set(all_paths(base))
    out |= {f"rig.{name}" for name in RigSection.model_fields}
    out |= {f"capture.{name}" for name in CaptureSection.model_fields}

    def parts(node: Any, prefix: str) -> None:
        if isinstance(node, dict):
            kind = node.get("type")
            if isinstance(kind, str):
                try:
                    spec = host.resolve(kind).type.spec
                    out.update(f"{prefix}.{name}" for name in spec.model_fields)
                except Exception:  # an unknown type is reported when the run assembles its rig
                    pass
            for k, v in node.items():
                parts(v, f"{prefix}.{k}" if prefix else str(k))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                parts(v, f"{prefix}.{i}")

    parts(base, "")
    return sorted(out)
