"""The Python entry points most users need: load a rig from a file or a mapping, check it, capture."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .config import RigFile, load_rig_file, rig_file_from_dict
from .host import Host
from .rig import Rig, assemble

__all__ = ["read_rig", "host_for", "load_rig"]


def read_rig(source: str | Path | Mapping[str, Any], overrides: Sequence[str] = ()) -> RigFile:
    """A validated rig file from a YAML/TOML path or a mapping, with ``dotted.path=value`` overrides."""
    if isinstance(source, Mapping):
        return rig_file_from_dict(source, overrides)
    return load_rig_file(source, overrides)


def host_for(file: RigFile, *, disable: Iterable[str] = (), allow: Iterable[str] | None = None) -> Host:
    """A host with the rig file's plugin selection merged with ``disable``/``allow``."""
    allowed = None
    if allow is not None or file.plugins.allow is not None:
        allowed = set(allow or ()) | set(file.plugins.allow or ())
    return Host(disable=[*file.plugins.disable, *disable], allow=allowed)


def load_rig(
    source: str | Path | Mapping[str, Any],
    *,
    overrides: Sequence[str] = (),
    host: Host | None = None,
    strict: bool = True,
) -> Rig:
    """Read, assemble and check a rig.

    ``host`` defaults to one built from the file's ``plugins`` section. With ``strict`` (default) a rig that
    does not fit raises :class:`camrig.RigDoesNotFit`; otherwise inspect ``rig.report``.

    >>> rig = load_rig("examples/rigs/four_thirds_module.yaml", overrides=["rig.sensor.width_px=64"])  # doctest: +SKIP
    >>> shot = rig.capture(seed=1)                                                                       # doctest: +SKIP
    >>> shot.raw, shot.result                                                                           # doctest: +SKIP
    """
    file = read_rig(source, overrides)
    return assemble(host or host_for(file), file, strict=strict)
