"""Rig files: YAML or TOML, validated, with errors that name the file, the dotted path and (YAML) the line.

A rig file has three sections::

    plugins:            # optional: which plugins to load
      disable: [isp]
    rig:                # the parts; each part is {type: qualified.name, <spec fields>...}
      name: Four Thirds module
      lens: {type: optics.ideal, focal_length_mm: 35, f_number: 1.4, ...}
      adapters: []
      sensor: {type: sensors.cmos, ...}
      attachment: {type: mounts.magnetic}
      link: {type: links.ideal, bandwidth_gbit_s: 50, latency_ns: 5}
      stages: [{type: isp.black_level}, {type: isp.demosaic}, {type: isp.gamma}]
    capture:            # what one capture asks for
      scene: {type: scenes.chart}
      exposure_s: 0.01
      seed: 0

Dotted paths address any field from the top: ``rig.lens.f_number``, ``rig.stages.1.type``,
``capture.seed``. ``--set PATH=VALUE`` overrides one (the value is parsed as YAML: ``2.8``, ``true``,
``[1, 2]``).
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .bounded import Limits, check_shape, load_toml, load_yaml, read_config_text
from .checked import CheckedModel
from .errors import ConfigError

__all__ = [
    "PartConfig",
    "RigSection",
    "CaptureSection",
    "PluginsSection",
    "RigFile",
    "Source",
    "load_rig_file",
    "rig_file_from_dict",
    "apply_override",
    "format_validation_error",
    "read_config",
    "all_paths",
    "set_path",
]

Path_ = tuple[str | int, ...]


class PartConfig(CheckedModel):
    """One part: ``type`` names the accessory, every other key is a field of its spec."""

    model_config = ConfigDict(extra="allow", frozen=True)

    type: str = Field(description="Qualified accessory name, e.g. 'optics.ideal'.")

    @property
    def spec_fields(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class RigSection(CheckedModel):
    """The parts of one camera and what it is asked to do."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(default="rig", description="Name shown in reports.")
    make: str = Field(default="camrig", description="Camera make written into files.")
    model: str = Field(default="virtual module", description="Camera model written into files.")
    frame_rate_hz: float = Field(default=30.0, gt=0, description="Frame rate the rig must sustain, Hz.")
    lens: PartConfig = Field(description="The lens.")
    adapters: list[PartConfig] = Field(default_factory=list, description="Adapters from lens to module, in order.")
    sensor: PartConfig = Field(description="The sensor module.")
    attachment: PartConfig | None = Field(default=None, description="The mount that holds the module on the phone.")
    link: PartConfig | None = Field(default=None, description="The data link from module to phone.")
    stages: list[PartConfig] = Field(default_factory=list, description="Host processing stages, in order.")
    writers: list[PartConfig] = Field(
        default_factory=list,
        description="Writer settings, e.g. [{type: writers.png, bit_depth: 16}]: a file whose suffix one of these "
        "handles is written with its settings; other suffixes use their writer's defaults.",
    )


class CaptureSection(CheckedModel):
    """What one capture asks for."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    scene: PartConfig = Field(description="The scene source.")
    exposure_s: float = Field(default=0.01, gt=0, description="Exposure time, s.")
    seed: int = Field(default=0, ge=0, description="Seed of every random process in the capture.")


class PluginsSection(CheckedModel):
    """Which plugins to load (entry-point names)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    disable: list[str] = Field(default_factory=list, description="Plugins not to load.")
    allow: list[str] | None = Field(default=None, description="If given, load only these plugins.")


class _FileModel(CheckedModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    plugins: PluginsSection = Field(default_factory=PluginsSection, description="Plugin selection.")
    rig: RigSection = Field(description="The rig.")
    capture: CaptureSection = Field(description="The capture.")


@dataclass(frozen=True)
class Source:
    """Where a config came from, to point error messages at the right file and line."""

    name: str
    lines: Mapping[Path_, int] = field(default_factory=dict)

    def where(self, path: Sequence[str | int]) -> str:
        """``file:line`` of the deepest known prefix of ``path`` (``file`` alone when lines are unknown)."""
        key = tuple(path)
        while key:
            if key in self.lines:
                return f"{self.name}:{self.lines[key]}"
            key = key[:-1]
        return self.name


def dotted(path: Sequence[str | int]) -> str:
    return ".".join(str(p) for p in path)


def format_validation_error(
    exc: ValidationError, source: Source, prefix: Sequence[str | int] = (), model: type[BaseModel] | None = None
) -> str:
    """One line per pydantic error: ``file:line: dotted.path: message (got value)``; with the ``model`` that
    was validated, an unknown field names the closest known ones ("did you mean 'f_number'?")."""
    lines = []
    for err in exc.errors(include_url=False):
        path = (*prefix, *err["loc"])
        got = "" if err["type"] in ("missing", "extra_forbidden") else f" (got {_short_repr(err['input'])})"
        msg = "unknown field" if err["type"] == "extra_forbidden" else err["msg"]
        if err["type"] == "extra_forbidden" and model is not None:
            msg += _did_you_mean(model, err["loc"])
        lines.append(f"{source.where(path)}: {dotted(path)}: {msg}{got}")
    return "\n".join(lines)


def _did_you_mean(model: type[BaseModel], loc: Sequence[str | int]) -> str:
    """'; did you mean ...?' for the unknown field at ``loc`` of ``model`` (nested models followed), or ''."""
    fields: dict[str, Any] | None = dict(model.model_fields)
    for key in loc[:-1]:
        if fields is None or isinstance(key, int):
            continue  # list items: the field's model is the same
        info = fields.get(key)
        nested = [m for m in _models_in(info.annotation)] if info is not None else []
        fields = dict(nested[0].model_fields) if nested else None
    if not fields or not isinstance(loc[-1], str):
        return ""
    close = difflib.get_close_matches(loc[-1], list(fields), n=3, cutoff=0.6)
    return f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in getattr(annotation, "__args__", ()) or () for m in _models_in(arg)]


def _short_repr(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 5]}...{text[-2:]}"


@dataclass(frozen=True)
class RigFile:
    """A validated rig file (structure only; spec fields are validated when the host builds each part)."""

    plugins: PluginsSection
    rig: RigSection
    capture: CaptureSection
    source: Source
    data: Mapping[str, Any]
    """The raw mapping after overrides, as loaded (used to re-resolve and to record provenance)."""


def _yaml_lines(node: yaml.Node, path: Path_ = ()) -> dict[Path_, int]:
    """Map each dotted path in a composed YAML document to its 1-based line."""
    lines: dict[Path_, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            sub = (*path, key.value)
            lines[sub] = key.start_mark.line + 1
            lines.update(_yaml_lines(value, sub))
    elif isinstance(node, yaml.SequenceNode):
        for i, value in enumerate(node.value):
            sub = (*path, i)
            lines[sub] = value.start_mark.line + 1
            lines.update(_yaml_lines(value, sub))
    return lines


def read_config(path: Path, limits: Limits | None = None) -> tuple[Any, dict[Path_, int]]:
    """The data of a YAML or TOML config file and the line of each dotted path (YAML), within ``limits``
    (default: :meth:`Limits.from_env`)."""
    limits = limits or Limits.from_env()
    text = read_config_text(path, limits)  # a device, pipe or oversized file is refused before any reading
    suffix = path.suffix.lower()
    if suffix not in (".yaml", ".yml", ".toml"):
        raise ConfigError(f"{path}: unknown config format '{suffix}' (use .yaml, .yml or .toml)")
    if suffix == ".toml":
        return load_toml(text, str(path), limits), {}
    data, node = load_yaml(text, str(path), limits)
    return data, (_yaml_lines(node) if node is not None else {})


def all_paths(data: Any, path: Path_ = ()) -> list[str]:
    """Every dotted path in ``data`` (sections and values), depth first: what a ``--set`` may name."""
    out = [dotted(path)] if path else []
    if isinstance(data, Mapping):
        for k, v in data.items():
            out += all_paths(v, (*path, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += all_paths(v, (*path, i))
    return out


def apply_override(data: dict[str, Any], assignment: str) -> dict[str, Any]:
    """Return a copy of ``data`` with ``dotted.path=value`` applied (value parsed as YAML).

    Intermediate keys must exist (a typo gets the closest existing paths suggested); the last key may be new,
    so a spec field left at its default can be set.

    >>> data = {"rig": {"lens": {"type": "optics.ideal", "f_number": 2.8}}}
    >>> apply_override(data, "rig.lens.f_number=4")
    {'rig': {'lens': {'type': 'optics.ideal', 'f_number': 4}}}
    >>> apply_override(data, "rig.lens.psf=none")["rig"]["lens"]["psf"]  # a field left at its default
    'none'
    >>> apply_override(data, "rig.lense.f_number=4")
    Traceback (most recent call last):
    ...
    camrig.errors.ConfigError: --set rig.lense.f_number: no section 'rig.lense' in the config; did you mean ...?
    """
    if "=" not in assignment:
        raise ConfigError(f"--set {assignment!r}: expected dotted.path=value")
    key, _, raw = assignment.partition("=")
    key = key.strip()
    limits = Limits.from_env()
    if raw.strip():
        value, _ = load_yaml(raw, f"--set {key}", limits, depth=len(key.split(".")))
    else:
        value = ""
    return set_path(data, key, value)


def set_path(data: dict[str, Any], key: str, value: Any, what: str = "--set") -> dict[str, Any]:
    """Return a copy of ``data`` with the dotted path ``key`` set to ``value`` (a Python value), by the rules
    of :func:`apply_override`; errors start with ``what`` (where the path came from)."""
    parts = key.split(".")
    if not key or any(not p for p in parts):
        raise ConfigError(f"{what} {key!r}: empty path segment")
    out = copy.deepcopy(data)
    node: Any = out  # always a dict or a list: we only descend into sections
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise ConfigError(f"{what} {key}: '{dotted(parts[:i])}' has {len(node)} items; '{part}' is no index")
            if last:
                node[int(part)] = value
            else:
                node = node[int(part)]
        elif isinstance(node, dict):
            if last:
                node[part] = value
            elif isinstance(node.get(part), (dict, list)):
                node = node[part]
            elif part in node:
                raise ConfigError(f"{what} {key}: '{dotted(parts[: i + 1])}' is a value, not a section")
            else:
                close = difflib.get_close_matches(key, all_paths(data), n=3, cutoff=0.6)
                hint = f"; did you mean {', '.join(close)}?" if close else ""
                raise ConfigError(f"{what} {key}: no section '{dotted(parts[: i + 1])}' in the config{hint}")
    return out


def rig_file_from_dict(data: Mapping[str, Any], overrides: Sequence[str] = (), source: Source | None = None) -> RigFile:
    """Validate a rig file given as a mapping (the Python-API twin of :func:`load_rig_file`)."""
    source = source or Source("<dict>")
    if not isinstance(data, Mapping):
        raise ConfigError(f"{source.name}: a rig file must be a mapping with 'rig' and 'capture' sections")
    check_shape(data, source.name, Limits.from_env())
    resolved = dict(data)
    for assignment in overrides:
        resolved = apply_override(resolved, assignment)
    try:
        model = _FileModel.model_validate(resolved)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, source)) from None
    return RigFile(plugins=model.plugins, rig=model.rig, capture=model.capture, source=source, data=resolved)


def load_rig_file(path: str | Path, overrides: Sequence[str] = ()) -> RigFile:
    """Read and validate a YAML or TOML rig file, applying ``--set`` style overrides."""
    path = Path(path)
    data, lines = read_config(path)
    if not isinstance(data, Mapping):
        raise ConfigError(f"{path}: a rig file must be a mapping with 'rig' and 'capture' sections")
    return rig_file_from_dict(data, overrides, Source(str(path), lines))
