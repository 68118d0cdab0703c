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
    """A validated rig file from a YAML/TOML path or a mapping, with ``dotted.path=value`` overrides.

    >>> file = read_rig(
    ...     {"rig": {"lens": {"type": "optics.ideal"}, "sensor": {"type": "sensors.cmos"}},
    ...      "capture": {"scene": {"type": "scenes.chart"}}},
    ...     overrides=["rig.lens.f_number=4", "capture.seed=7"],
    ... )
    >>> file.rig.lens.type, file.rig.lens.spec_fields, file.capture.seed
    ('optics.ideal', {'f_number': 4}, 7)
    """
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

    >>> small = {
    ...     "rig": {
    ...         "lens": {"type": "optics.ideal", "focal_length_mm": 35, "f_number": 2.8, "psf": "none"},
    ...         "sensor": {"type": "sensors.cmos", "width_px": 64, "height_px": 48, "pixel_pitch_um": 200.0},
    ...         "stages": [{"type": "isp.black_level"}, {"type": "isp.demosaic"}, {"type": "isp.gamma"}],
    ...     },
    ...     "capture": {"scene": {"type": "scenes.chart"}, "exposure_s": 1e-6},
    ... }
    >>> rig = load_rig(small, overrides=["rig.lens.f_number=4"])
    >>> print(rig.report.render())
    rig fits: no problems
    >>> shot = rig.capture(seed=1)
    >>> shot.raw.caps().describe(), shot.result.caps().describe()
    ('raw uint16 48x64 RGGB 14-bit', 'rgb_display float32 48x64x3')
    >>> [step.role for step in shot.timings]
    ['scene', 'lens', 'sensor', 'stages[0]', 'stages[1]', 'stages[2]']

    A rig file works the same way (``load_rig("examples/rigs/four_thirds_module.yaml")``, a path relative to
    the working folder). A rig that does not fit says why:

    >>> load_rig(small, overrides=["rig.lens.mount=EF"])
    Traceback (most recent call last):
    ...
    camrig.errors.RigDoesNotFit: rig does not fit: 1 error(s), 0 warning(s)
    error: [mount.chain] lens presents mount 'EF' but sensor takes 'MFT'
        parts: lens (optics.ideal), sensor (sensors.cmos)
        fix: add an adapter with front 'EF' and rear 'MFT'
    """
    file = read_rig(source, overrides)
    return assemble(host or host_for(file), file, strict=strict)
