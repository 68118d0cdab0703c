"""Bounded reading of config text: what a hostile file can cost before it is refused.

* A config file must be a regular file (not ``/dev/zero``, a pipe or a folder) of at most
  ``CAMRIG_CONFIG_MAX_BYTES`` bytes (default 1 MiB); it is opened without blocking and read no further.
* YAML is composed event by event: nesting deeper than ``CAMRIG_CONFIG_MAX_DEPTH`` (default 32) levels, or a
  document that would hold more than ``CAMRIG_CONFIG_MAX_NODES`` values (default 100 000) were its aliases
  expanded (a "billion laughs"), is refused as soon as it is seen; so is a key given twice in one mapping,
  naming both lines.
* TOML documents and ``--set`` values are held to the same depth and size.

Each refusal is a :class:`~camrig.errors.ConfigError` of one line naming the file (and line, for YAML).
"""

from __future__ import annotations

import os
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

from .errors import ConfigError

__all__ = ["Limits", "read_config_text", "load_yaml", "load_toml", "check_shape"]

ENV_MAX_BYTES = "CAMRIG_CONFIG_MAX_BYTES"
ENV_MAX_DEPTH = "CAMRIG_CONFIG_MAX_DEPTH"
ENV_MAX_NODES = "CAMRIG_CONFIG_MAX_NODES"


@dataclass(frozen=True)
class Limits:
    """How much a config may cost to read."""

    max_bytes: int = 1 << 20
    """Largest config file read, bytes."""
    max_depth: int = 32
    """Deepest nesting of mappings and lists (the top-level mapping is depth 1)."""
    max_nodes: int = 100_000
    """Most values (scalars, lists, mappings) a document may hold, every YAML alias counted as a copy."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Limits:
        """The defaults, changed by ``CAMRIG_CONFIG_MAX_BYTES``, ``..._MAX_DEPTH`` and ``..._MAX_NODES``."""
        env = os.environ if env is None else env
        values: dict[str, int] = {}
        for field, key in (("max_bytes", ENV_MAX_BYTES), ("max_depth", ENV_MAX_DEPTH), ("max_nodes", ENV_MAX_NODES)):
            raw = env.get(key, "").strip()
            if not raw:
                continue
            try:
                value = int(raw)
            except ValueError:
                value = 0
            if value < 1:
                raise ConfigError(f"{key}={raw!r}: expected a positive whole number")
            values[field] = value
        return cls(**values)


def read_config_text(path: Path, limits: Limits) -> str:
    """The text of a config file: a regular file of at most ``limits.max_bytes`` bytes, UTF-8."""
    try:
        # O_NONBLOCK: a FIFO opens at once instead of waiting for a writer; it is refused below
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a folder, not a config file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise ConfigError(f"{path}: is a folder, not a config file")
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError(
                f"{path}: not a regular file (a device, pipe or socket); config files must be regular files"
            )
        if info.st_size > limits.max_bytes:
            raise ConfigError(
                f"{path}: {info.st_size} bytes is more than a config file may hold ({limits.max_bytes}; "
                f"{ENV_MAX_BYTES})"
            )
        chunks: list[bytes] = []
        left = limits.max_bytes + 1  # the file may grow after fstat: read no more than the cap and one byte
        while left > 0:
            try:
                chunk = os.read(fd, min(left, 1 << 16))
            except OSError as exc:
                raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > limits.max_bytes:
        raise ConfigError(
            f"{path}: more than {limits.max_bytes} bytes, more than a config file may hold ({ENV_MAX_BYTES})"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start})") from None


# -- YAML ----------------------------------------------------------------------------------------------------

try:  # libyaml makes the events (fast, in C); the composition below stays in Python, where it is bounded
    from yaml._yaml import CParser as _Events
except ImportError:  # pragma: no cover - PyYAML without libyaml
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _Events(Reader, Scanner, Parser):  # type: ignore[no-redef]
        def __init__(self, stream: str) -> None:
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)


class _BoundedLoader(Composer, _Events, SafeConstructor, Resolver):  # type: ignore[misc]
    """PyYAML's safe loader, composed in Python so that depth, alias expansion and duplicate keys are checked
    node by node (the limits trip before the document is built, let alone expanded)."""

    def __init__(self, text: str, name: str, limits: Limits, depth: int = 0) -> None:
        _Events.__init__(self, text)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)
        Composer.__init__(self)
        self.source_name = name
        self.limits = limits
        self.depth = depth
        self.expanded: dict[int, int] = {}
        """Values under each composed node (by id), aliases counted as copies."""

    def _refuse(self, line: int, message: str) -> ConfigError:
        return ConfigError(f"{self.source_name}:{line + 1}: {message}")

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            node: Node = super().compose_node(parent, index)
            if id(node) not in self.expanded:  # the alias sits inside the value it names: endless when expanded
                raise self._refuse(mark.line, "an alias refers to a value that contains it (a recursive structure)")
            return node
        self.depth += 1
        if self.depth > self.limits.max_depth:
            mark = self.peek_event().start_mark
            raise self._refuse(mark.line, f"nested deeper than {self.limits.max_depth} levels ({ENV_MAX_DEPTH})")
        node = super().compose_node(parent, index)
        self.depth -= 1
        size = 1
        if isinstance(node, SequenceNode):
            size += sum(self.expanded[id(child)] for child in node.value)
        elif isinstance(node, MappingNode):
            size += sum(self.expanded[id(k)] + self.expanded[id(v)] for k, v in node.value)
        if size > self.limits.max_nodes:
            raise self._refuse(
                node.start_mark.line,
                f"holds more than {self.limits.max_nodes} values with its aliases expanded ({ENV_MAX_NODES})",
            )
        self.expanded[id(node)] = size
        return node

    def compose_mapping_node(self, anchor: str | None) -> MappingNode:
        node: MappingNode = super().compose_mapping_node(anchor)
        seen: dict[tuple[str, str], ScalarNode] = {}
        for key, _ in node.value:
            if not isinstance(key, ScalarNode) or key.tag == "tag:yaml.org,2002:merge":
                continue
            first = seen.setdefault((key.tag, key.value), key)
            if first is not key:
                raise self._refuse(
                    key.start_mark.line, f"key '{key.value}' given twice (first at line {first.start_mark.line + 1})"
                )
        return node


def load_yaml(text: str, name: str, limits: Limits, *, depth: int = 0) -> tuple[Any, Node | None]:
    """The data of one YAML document and its composed node tree (for line numbers), within ``limits``;
    ``depth`` levels are taken already (a ``--set`` value goes that deep into the config)."""
    loader = _BoundedLoader(text, name, limits, depth)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f"{name}:{mark.line + 1}" if mark is not None else name
        problem = getattr(exc, "problem", None) or getattr(exc, "context", None) or str(exc)
        if "maximum nesting depth" in str(problem):  # libyaml's own bound (1000), met while it reads ahead
            raise ConfigError(f"{where}: nested deeper than {limits.max_depth} levels ({ENV_MAX_DEPTH})") from None
        raise ConfigError(f"{where}: malformed YAML: {' '.join(str(problem).split())}") from None
    finally:
        loader.dispose()
    return data, node


# -- TOML and any loaded data -----------------------------------------------------------------------------------


def load_toml(text: str, name: str, limits: Limits) -> Any:
    """The data of a TOML document, held to the same depth and size as YAML."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{name}: malformed TOML: {' '.join(str(exc).split())}") from None
    except RecursionError:  # tomllib descends once per nested array or inline table
        raise ConfigError(f"{name}: nested deeper than {limits.max_depth} levels ({ENV_MAX_DEPTH})") from None
    check_shape(data, name, limits)
    return data


def check_shape(data: Any, name: str, limits: Limits, *, depth: int = 0) -> None:
    """Refuse ``data`` nested deeper than ``limits.max_depth`` (``depth`` levels taken already) or holding more
    than ``limits.max_nodes`` values (a value reached twice counts twice). Iterative: any depth is safe."""
    stack: list[tuple[Any, int, tuple[str, ...]]] = [(data, depth + 1, ())]
    count = 0
    while stack:
        value, level, path = stack.pop()
        count += 1
        if count > limits.max_nodes:
            raise ConfigError(f"{name}: holds more than {limits.max_nodes} values ({ENV_MAX_NODES})")
        if level > limits.max_depth:
            where = ".".join(path[:8]) + ("...." if len(path) > 8 else "")
            raise ConfigError(
                f"{name}: {where or 'the top level'}: nested deeper than {limits.max_depth} levels ({ENV_MAX_DEPTH})"
            )
        if isinstance(value, Mapping):
            stack.extend((v, level + 1, (*path, str(k))) for k, v in value.items())
        elif isinstance(value, (list, tuple)):
            stack.extend((v, level + 1, (*path, str(i))) for i, v in enumerate(value))
