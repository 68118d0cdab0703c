"""camrig's test kit for plugin authors: fixtures and a conformance suite, as a pytest plugin.

Installed with camrig (``pip install "camrig[testing]"`` brings pytest) and registered under pytest's
``pytest11`` entry point, so in any test session::

    from camrig.testing import check_accessory

    def test_my_lens_conforms():
        check_accessory("acme.tele")                      # every rule below; raises naming the rules broken

    def test_in_a_rig(camrig_small_rig):
        rig = camrig_small_rig("acme.tele", {"f_number": 4})   # a small rig that fits around the part
        assert rig.capture(seed=1).result.data.shape == (48, 64, 3)

Fixtures: ``camrig_host`` (every installed plugin, the environment ignored), ``camrig_host_factory`` (a host
with the plugins you choose) and ``camrig_small_rig`` (a small rig around one part). The rules of
:func:`check_accessory`, by id:

===================  ===========================================================================================
``spec.schema``      the spec exports a JSON Schema
``spec.forbids``     the spec forbids unknown fields
``spec.described``   every field of the spec (and of the models nested in it) has a description
``spec.defaults``    the spec's defaults (with the values you pass) validate and build an accessory of its kind
``output.caps``      negotiate, then process: the frame matches the declared caps and holds no NaN or inf
``output.contract``  the frame keeps the frame contract of its kind (:mod:`camrig.contract`)
``input.untouched``  the input frame's data and planes are never written
``seed.same``        the same seed gives the same output
``seed.other``       another seed gives another output (sensors; others with ``noisy=True``)
``threads``          one thread and several give the same seeded output
``writer.refuses``   ``accepts`` answers None or the reason it cannot take a frame (raw, RGB, radiance), never raises
``writer.writes``    every frame it accepts is written, complete, to the path it was given and nowhere else
===================  ===========================================================================================
"""

from __future__ import annotations

import copy
import json
import math
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pydantic import BaseModel, ValidationError

from .accessory import KIND_BASES, AccessoryType, CaptureContext, Kind, Writer
from .config import PartConfig, rig_file_from_dict
from .contract import caps_mismatch, frame_problems
from .fit import Problem
from .frame import Format, Frame, FrameMeta
from .host import Host, Registered
from .rig import Rig, assemble
from .router import checked_output, context

__all__ = ["RULES", "Conformance", "ConformanceError", "NoSmallRig", "check_accessory", "small_rig", "small_rig_config"]

RULES: dict[str, str] = {
    "spec.schema": "the spec exports a JSON Schema",
    "spec.forbids": "the spec forbids unknown fields",
    "spec.described": "every field of the spec has a description",
    "spec.defaults": "the spec's defaults validate and build an accessory of its kind",
    "output.caps": "the output matches the declared caps and is finite",
    "output.contract": "the output keeps the frame contract of its kind",
    "input.untouched": "the input frame is never written",
    "seed.same": "the same seed gives the same output",
    "seed.other": "another seed gives another output",
    "threads": "the thread count does not change seeded output",
    "writer.refuses": "accepts() answers None or the reason it cannot take a frame, and never raises",
    "writer.writes": "every frame it accepts is written, complete, to the given path only",
}
"""Every conformance rule: id -> what it asks."""

SMALL_RIG: dict[str, Any] = {
    "rig": {
        "name": "camrig.testing small rig",
        "frame_rate_hz": 30,
        "lens": {"type": "optics.ideal", "focal_length_mm": 35, "f_number": 2.8, "psf": "none"},
        "sensor": {"type": "sensors.cmos", "width_px": 64, "height_px": 48, "pixel_pitch_um": 200.0},
        "attachment": {"type": "mounts.magnetic"},
        "link": {"type": "links.ideal", "bandwidth_gbit_s": 1.0, "latency_ns": 7.0},
        "stages": [{"type": "isp.black_level"}, {"type": "isp.demosaic"}, {"type": "isp.gamma"}],
    },
    "capture": {"scene": {"type": "scenes.chart"}, "exposure_s": 1e-6, "seed": 3},
}
"""The rig :func:`small_rig` starts from: 64 x 48 pixels of 200 um, made of camrig's own plugins."""

SMALL_GRID = {"width_px": 64, "height_px": 48}
"""A sensor under test reads this grid (its other settings are its own)."""


class ConformanceError(AssertionError):
    """An accessory broke conformance rules; ``failures`` maps each rule id broken to what happened."""

    def __init__(self, name: str, failures: dict[str, str]) -> None:
        self.name = name
        self.failures = failures
        lines = "\n".join(f"  [{rule}] {RULES[rule]}: {why}" for rule, why in failures.items())
        super().__init__(f"'{name}' breaks {len(failures)} conformance rule(s):\n{lines}")


@dataclass
class Conformance:
    """What :func:`check_accessory` found: the rules passed, skipped (with why) and failed (with what happened)."""

    name: str
    passed: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)


# -- a small rig around one part ----------------------------------------------------------------------------


def small_rig_config(host: Host, name: str, spec: Mapping[str, Any] | None = None) -> Iterator[dict[str, Any]]:
    """Rig configs (as mappings) that put accessory ``name`` with ``spec`` in its place in a small rig; a stage
    is tried after 0, 1, 2 and 3 of the usual stages (black level, demosaic, gamma) as the last stage."""
    reg = host.resolve(name)
    part = {"type": name, **(spec or {})}
    base = copy.deepcopy(SMALL_RIG)
    rig = base["rig"]
    kind = reg.type.kind
    if kind is Kind.SCENE:
        base["capture"]["scene"] = part
    elif kind is Kind.LENS:
        lens = _built_values(reg.type, spec)  # a lens may fill in its mount when built (from a database, say)
        rig["lens"] = part
        rig["sensor"].update(
            mount=lens.get("mount") or "MFT",
            flange_distance_mm=lens.get("flange_distance_mm") or 19.25,
            pixel_pitch_um=2.0,  # fine enough for a lens that models its point spread
        )
    elif kind is Kind.SENSOR:
        sensor = _values(reg.type, {**SMALL_GRID, **(spec or {})})
        rig["sensor"] = {**part, **{k: v for k, v in SMALL_GRID.items() if k not in (spec or {})}}
        pitch = float(sensor.get("pixel_pitch_um", 4.0))
        rig["lens"].update(
            mount=sensor.get("mount") or "MFT",
            flange_distance_mm=sensor.get("flange_distance_mm") or 19.25,
            image_circle_mm=2 * math.hypot(64, 48) * pitch * 1e-3,
            focal_length_mm=max(1.0, 35 * pitch / 200),
        )
    elif kind is Kind.LINK:
        rig["link"] = part
    elif kind is Kind.STAGE:
        usual = rig.pop("stages")
        for n in range(len(usual) + 1):
            yield {**copy.deepcopy(base), "rig": {**copy.deepcopy(rig), "stages": [*usual[:n], part]}}
        return
    elif kind is Kind.WRITER:
        rig["writers"] = [part]
    elif kind is Kind.MOUNT and _values(reg.type, spec).get("front") == "camrig-magnetic":
        rig["attachment"] = part
    yield base


def _values(t: AccessoryType, spec: Mapping[str, Any] | None) -> dict[str, Any]:
    try:
        return t.spec.model_validate(dict(spec or {})).model_dump()
    except ValidationError:
        return dict(spec or {})


def _built_values(t: AccessoryType, spec: Mapping[str, Any] | None) -> dict[str, Any]:
    try:
        return t.load_factory()(t.spec.model_validate(dict(spec or {}))).spec.model_dump()
    except Exception:  # noqa: BLE001 - the conformance rules report it; the rig just needs the settings
        return _values(t, spec)


def small_rig(host: Host, name: str, spec: Mapping[str, Any] | None = None) -> Rig:
    """A small rig that fits, around accessory ``name`` built from ``spec`` (its defaults where not given)."""
    problems: list[Problem] = []
    for config in small_rig_config(host, name, spec):
        rig = assemble(host, rig_file_from_dict(config), strict=False)
        if rig.report.ok:
            return rig
        problems += rig.report.errors
    raise NoSmallRig(name, problems)


class NoSmallRig(AssertionError):
    """No small rig around the part fits; ``problems`` holds the errors of every rig tried."""

    def __init__(self, name: str, problems: list[Problem]) -> None:
        self.problems = problems
        text = "\n".join(p.render() for p in problems)
        super().__init__(f"no small rig around '{name}' fits (pass rig= to use one of your own):\n{text}")


# -- the conformance suite ----------------------------------------------------------------------------------


def check_accessory(
    name: str,
    *,
    spec: Mapping[str, Any] | None = None,
    host: Host | None = None,
    noisy: bool | None = None,
    rig: Rig | None = None,
) -> Conformance:
    """Run every conformance rule on accessory ``name`` (``family.name``) and raise :class:`ConformanceError`
    naming each rule broken; return what passed and what was skipped.

    ``spec``: values for fields without defaults (and anything else to set); ``host``: default every installed
    plugin; ``noisy``: whether another seed must change the output (default: for sensors); ``rig``: a rig of
    your own with the part in it, instead of the small rig.
    """
    host = host or Host(env={})
    reg = host.resolve(name)
    result = Conformance(name)
    _SpecRules(reg, spec, result).run()
    if not result.failed:
        _FlowRules(host, reg, spec, result, noisy, rig).run()
    if result.failed:
        raise ConformanceError(name, result.failed)
    return result


class _Rules:
    result: Conformance

    def rule(self, rule: str, check: Callable[[], str | None]) -> None:
        """Run ``check``: it returns None (passed), a message (failed) or raises :class:`_Skip`."""
        try:
            why = check()
        except _Skip as skip:
            self.result.skipped[rule] = str(skip)
            return
        except Exception as exc:  # noqa: BLE001 - the accessory raised: that breaks the rule
            why = f"raised {type(exc).__name__}: {exc}"
        if why is None:
            self.result.passed.append(rule)
        else:
            self.result.failed[rule] = why


class _Skip(Exception):
    """The rule does not apply (the message says why)."""


class _SpecRules(_Rules):
    def __init__(self, reg: Registered, spec: Mapping[str, Any] | None, result: Conformance) -> None:
        self.type, self.values, self.result = reg.type, dict(spec or {}), result

    def run(self) -> None:
        self.rule("spec.schema", self.schema)
        self.rule("spec.forbids", self.forbids)
        self.rule("spec.described", self.described)
        self.rule("spec.defaults", self.defaults)

    def schema(self) -> str | None:
        schema = self.type.spec.model_json_schema()
        json.dumps(schema)
        return None if schema.get("type") == "object" else f"the schema is not an object: {schema.get('type')!r}"

    def forbids(self) -> str | None:
        if self.type.spec.model_config.get("extra") != "forbid":
            return "model_config extra is not 'forbid'"
        try:
            self.type.spec.model_validate({**self.values, "surely_not_a_field": 1})
        except ValidationError as exc:
            if any(e["type"] == "extra_forbidden" for e in exc.errors()):
                return None
        return "an unknown field 'surely_not_a_field' was accepted"

    def described(self) -> str | None:
        missing = sorted(_undescribed(self.type.spec, self.type.spec.__name__))
        return f"fields without a description: {', '.join(missing)}" if missing else None

    def defaults(self) -> str | None:
        try:
            spec = self.type.spec.model_validate(self.values)
        except ValidationError as exc:
            return (
                f"the defaults do not validate ({exc.error_count()} error(s): {exc.errors()[0]['loc']}); pass "
                f"spec={{...}}"
            )
        built = self.type.load_factory()(spec)
        base = KIND_BASES[self.type.kind][0]
        if not isinstance(built, base):
            return f"the factory built {type(built).__name__}, not a camrig.{base.__name__}"
        return None


def _undescribed(model: type[BaseModel], where: str) -> Iterator[str]:
    for fname, info in model.model_fields.items():
        if not (info.description or "").strip():
            yield f"{where}.{fname}"
        for inner in _models_in(info.annotation):
            yield from _undescribed(inner, f"{where}.{fname}")


def _models_in(annotation: Any) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        yield from _models_in(arg)


class _FlowRules(_Rules):
    def __init__(
        self,
        host: Host,
        reg: Registered,
        spec: Mapping[str, Any] | None,
        result: Conformance,
        noisy: bool | None,
        rig: Rig | None,
    ) -> None:
        self.host, self.reg, self.spec, self.result, self.rig = host, reg, spec, result, rig
        self.kind = reg.type.kind
        self.noisy = self.kind is Kind.SENSOR if noisy is None else noisy

    def run(self) -> None:
        if self.kind in (Kind.MOUNT, Kind.MEASUREMENT):
            for rule in ("output.caps", "output.contract", "input.untouched", "seed.same", "seed.other", "threads"):
                self.result.skipped[rule] = f"no frame flows through a {self.kind.value}"
            return
        if self.rig is None:
            try:
                self.rig = small_rig(self.host, self.reg.type.name, self.spec)
            except NoSmallRig as exc:  # caps that break the kind's contract are the part's own fault
                broken = [p.message for p in exc.problems if p.rule == "formats" and "frame contract" in p.message]
                if not broken:
                    raise
                self.result.failed["output.contract"] = broken[0]
                return
        if self.kind is Kind.WRITER:
            self.rule("writer.refuses", self.writer_refuses)
            self.rule("writer.writes", self.writer_writes)
            return
        part = next(p for p in self.rig.chain if p.name == self.reg.type.name)
        self.part = part
        self.rule("output.caps", self.caps)
        if "output.caps" in self.result.failed:
            return
        self.rule("output.contract", self.contract)
        self.rule("input.untouched", self.untouched)
        self.rule("seed.same", self.same_seed)
        self.rule("seed.other", self.other_seed)
        self.rule("threads", self.threads)

    # the part's input and output --------------------------------------------------------------------------

    def ctx(self, seed: int = 7, threads: int = 1) -> CaptureContext:
        assert self.rig is not None
        return context(self.rig, seed=seed, threads=threads)

    def upstream(self, ctx: CaptureContext) -> Frame | None:
        """The frame the part receives (checked on the way, as a capture would)."""
        frame: Frame | None = None
        for p in self.rig.chain:  # type: ignore[union-attr]
            if p.role == self.part.role:
                return frame
            frame = checked_output(p, p.accessory.process(frame, ctx, p.role), self.rig.caps[p.role])  # type: ignore[union-attr]
        raise AssertionError("the part is not in the rig's chain")

    def output(self, seed: int = 7, threads: int = 1, *, input_seed: int | None = None) -> Frame:
        """The part's output for a capture with ``seed``; its input made with ``input_seed`` (default the same),
        so a rule can change the part's seed alone."""
        ctx = self.ctx(seed, threads)
        frame = self.upstream(self.ctx(seed if input_seed is None else input_seed, threads))
        return self.part.accessory.process(frame, ctx, self.part.role)  # type: ignore[no-any-return]

    def caps(self) -> str | None:
        assert self.rig is not None
        return caps_mismatch(self.output(), self.rig.caps[self.part.role])

    def contract(self) -> str | None:
        broken = frame_problems(self.kind, self.output())
        return "; ".join(broken) or None

    def untouched(self) -> str | None:
        ctx = self.ctx()
        frame = self.upstream(ctx)
        if frame is None:
            raise _Skip("a scene has no input")
        before = frame.data.copy(), {k: v.copy() for k, v in frame.planes.items()}
        self.part.accessory.process(frame, ctx, self.part.role)
        if not _same(before[0], frame.data):
            return "the input frame's data changed"
        changed = [k for k, v in before[1].items() if not _same(v, frame.planes[k])]
        return f"the input frame's planes {changed} changed" if changed else None

    def same_seed(self) -> str | None:
        a, b = self.output(seed=11), self.output(seed=11)
        return None if _same(a.data, b.data) else "two captures with seed 11 differ"

    def other_seed(self) -> str | None:
        if not self.noisy:
            raise _Skip(f"a {self.kind.value} need not be random (pass noisy=True to ask)")
        a, b = self.output(seed=11, input_seed=11), self.output(seed=12, input_seed=11)
        return None if not _same(a.data, b.data) else "seeds 11 and 12 give the same output for the same input"

    def threads(self) -> str | None:
        one, four = self.output(threads=1), self.output(threads=4)
        return None if _same(one.data, four.data) else "1 and 4 threads give different output for one seed"

    # writers ----------------------------------------------------------------------------------------------

    def frames(self) -> list[Frame]:
        """The small rig's raw frame and result, and a spectral radiance frame (which few writers take)."""
        assert self.rig is not None
        shot = self.rig.capture(seed=3)
        radiance = Frame(
            np.ones((4, 6, 3), np.float32),
            FrameMeta(format=Format.RADIANCE, units="W/(m^2 sr)", bands_nm=(450.0, 550.0, 650.0)),
        )
        return [shot.raw, shot.result, radiance]

    def writer(self) -> Writer[Any]:
        """The writer under test, built from the rig's writer settings for it (or its defaults)."""
        assert self.rig is not None
        file = self.rig.file
        found = [(i, c) for i, c in enumerate(file.rig.writers) if c.type == self.reg.type.name]
        index, config = found[0] if found else (0, PartConfig(type=self.reg.type.name))
        return self.host.build(config, Kind.WRITER, "writer", file.source, ("rig", "writers", index)).accessory

    def writer_refuses(self) -> str | None:
        writer = self.writer()
        for frame in self.frames():
            try:
                reason = writer.accepts(frame.caps())
            except Exception as exc:  # noqa: BLE001
                return (
                    f"accepts({frame.caps().describe()}) raised {type(exc).__name__}: {exc}, instead of giving a reason"
                )
            if reason is not None and not (isinstance(reason, str) and reason.strip()):
                return (
                    f"accepts({frame.caps().describe()}) returned {reason!r}: neither None nor the reason it "
                    "cannot write it"
                )
        return None

    def writer_writes(self) -> str | None:
        suffix = self.reg.type.suffixes[0]
        writer = self.writer()
        for frame in self.frames():
            try:
                if writer.accepts(frame.caps()) is not None:
                    continue
            except Exception:  # noqa: BLE001 - writer.refuses reports it
                continue
            with tempfile.TemporaryDirectory() as folder:
                target = Path(folder) / f"frame{suffix}"
                try:
                    writer.write(frame, target)
                except Exception as exc:  # noqa: BLE001
                    return f"it accepts {frame.caps().describe()} but writing it raised {type(exc).__name__}: {exc}"
                found = sorted(p.name for p in Path(folder).iterdir())
                if found != [target.name]:
                    return f"writing {frame.caps().describe()} to {target.name} left {found} in the folder"
                if target.stat().st_size == 0:
                    return f"writing {frame.caps().describe()} left an empty file"
        return None


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and a.dtype == b.dtype and bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))


# -- pytest fixtures ----------------------------------------------------------------------------------------


@pytest.fixture
def camrig_host() -> Host:
    """A host with every installed plugin, ignoring CAMRIG_DISABLE_PLUGINS / CAMRIG_ALLOW_PLUGINS."""
    return Host(env={})


@pytest.fixture
def camrig_host_factory() -> Callable[..., Host]:
    """Build isolated hosts: ``camrig_host_factory({"acme": camrig_acme}, installed=False)`` holds only your
    plugin; ``installed=True`` (default) adds every installed one; ``disable=[...]`` leaves some out."""

    def make(
        plugins: Mapping[str, object] | None = None, *, installed: bool = True, disable: tuple[str, ...] = ()
    ) -> Host:
        return Host(env={}, entry_points=None if installed else [], plugins=plugins, disable=disable)

    return make


@pytest.fixture
def camrig_small_rig(camrig_host: Host) -> Iterator[Callable[..., Rig]]:
    """``camrig_small_rig("acme.tele", {"f_number": 4}, host=None)``: a small assembled rig that fits, around
    the part (64 x 48 pixels, camrig's own scene, lens, sensor, link and stages elsewhere)."""
    rigs: list[Rig] = []

    def make(name: str, spec: Mapping[str, Any] | None = None, *, host: Host | None = None) -> Rig:
        rig = small_rig(host or camrig_host, name, spec)
        rigs.append(rig)
        return rig

    yield make
    for rig in rigs:
        rig.close()
