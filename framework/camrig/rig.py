"""Rigs: accessories assembled into one camera, checked before any frame flows.

Assembly builds every part from its validated spec, asks the sensor for its pixel grid and the lens for the
directions those pixels see, negotiates caps along the chain (scene -> lens -> sensor -> link -> stages, like
GStreamer caps), then runs every fit rule: the host's own and those plugins contribute.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ._version import __version__
from .accessory import CapsError, Kind, SensorSpec
from .config import PartConfig, RigFile
from .contract import caps_problems
from .errors import CamrigError, ConfigError, OutputError, RigDoesNotFit, StageError, blame, part_error
from .fit import FitReport, Problem, Severity
from .frame import Caps, Format, Frame
from .geometry import Geometry
from .host import Host, Part
from .memory import check_capture_memory
from .output import write_with_sidecar
from .router import CaptureResult, acquire, capture, context

__all__ = ["Rig", "assemble"]


class Rig:
    """An assembled rig: its parts by role, geometry, negotiated caps and fit report."""

    def __init__(self, host: Host, file: RigFile, parts: dict[str, Part], geometry: Geometry) -> None:
        self.host = host
        self.file = file
        self.parts = parts
        self.geometry = geometry
        self.caps: dict[str, Caps] = {}
        """Caps each role declared during negotiation (empty past a format mismatch)."""
        self.report = FitReport(())
        self._closed = False

    # -- structure -------------------------------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self.file.rig.name

    @property
    def frame_rate_hz(self) -> float:
        return self.file.rig.frame_rate_hz

    def sensor_rate_hz(self) -> float:
        """Frames per second the sensor delivers in this rig's mode: its own rate where it states one (a
        preview mode), else the rig's ``frame_rate_hz``."""
        rate = call_part(self.parts["sensor"], "frame_rate_hz")
        if rate is None:
            return self.frame_rate_hz
        if not isinstance(rate, (int, float)) or not rate > 0:
            raise part_error(self.parts["sensor"], f"frame_rate_hz() returned {rate!r}, not a positive number")
        return float(rate)

    def part(self, role: str) -> Part:
        try:
            return self.parts[role]
        except KeyError:
            raise KeyError(f"rig '{self.name}' has no part '{role}'; it has {', '.join(self.parts)}") from None

    @property
    def adapters(self) -> list[Part]:
        return _group(self.parts, "adapters")

    @property
    def stages(self) -> list[Part]:
        return _group(self.parts, "stages")

    @property
    def chain(self) -> list[Part]:
        """The parts frames flow through, in order."""
        order = ["scene", "lens", "sensor", "link"]
        return [self.parts[r] for r in order if r in self.parts] + self.stages

    @property
    def raw_role(self) -> str:
        """The role whose output is the raw frame as the host receives it."""
        return "link" if "link" in self.parts else "sensor"

    # -- use -------------------------------------------------------------------------------------------------

    def capture(self, *, seed: int | None = None, exposure_s: float | None = None) -> CaptureResult:
        """Capture one frame through the chain; see :func:`camrig.router.capture`."""
        return capture(self, seed=seed, exposure_s=exposure_s)

    def acquire(self, irradiance: Frame, *, seed: int | None = None, exposure_s: float | None = None) -> Frame:
        """The raw frame as the host receives it for a given focal-plane ``irradiance`` (sensor and link only):
        what a measurement needs to expose the sensor to a flat field, say. The frame must match the lens's
        output caps (``rig.caps['lens']``, or the last adapter's)."""
        raw, _ = acquire(self, context(self, seed=seed, exposure_s=exposure_s), irradiance)
        return raw

    def writer(self, path: str | Path, caps: Caps | None = None) -> Part:
        """The writer for ``path``'s suffix, checked against ``caps`` (default: the chain's output caps)."""
        path = Path(path)
        reg = self.host.writer_for(path.suffix)
        configs = [(i, c) for i, c in enumerate(self.file.rig.writers) if c.type == reg.type.name]
        index, config = configs[0] if configs else (None, PartConfig(type=reg.type.name))
        where = ("rig", "writers", index) if index is not None else ("writer",)
        part = self.host.build(config, Kind.WRITER, "writer", self.file.source, where)
        caps = caps or self.caps.get(self.chain[-1].role)
        if caps is not None:
            reason = part.accessory.accepts(caps)
            if reason:
                raise OutputError(f"{path}: writer '{part.name}' cannot write {caps.describe()} frames: {reason}")
        return part

    def write(self, frame: Frame, path: str | Path, *, force: bool = False) -> Path:
        """Write ``frame`` to ``path`` atomically with the writer registered for its suffix, and its provenance
        beside it (``path`` + '.json', see :meth:`provenance`). The rig's make and model travel with the frame
        (``extra['make']``, ``extra['model']``) for writers that record them."""
        frame = frame.derive(extra={"make": self.file.rig.make, "model": self.file.rig.model, **frame.meta.extra})

        def write(writer: Part, tmp: Path) -> None:
            writer.accessory.write(frame, tmp)

        return self._write_with_provenance(path, frame.caps(), frame, "write()", write, force=force)

    def provenance(self, frame: Frame, writer: Part) -> dict[str, Any]:
        """What produced ``frame``: camrig's version, the rig file (after overrides), the capture settings, the
        frame's metadata (history, modelled times, levels) and the writer."""
        return {
            "camrig": __version__,
            "rig_source": self.file.source.name,
            "rig": json.loads(json.dumps(self.file.data, default=str)),
            "capture": self._capture_settings(frame),
            "frame": {"caps": frame.caps().model_dump(mode="json"), "meta": frame.meta.model_dump(mode="json")},
            "writer": {
                "type": writer.name,
                "plugin": writer.plugin,
                "spec": writer.accessory.spec.model_dump(mode="json"),
            },
        }

    def _capture_settings(self, frame: Frame) -> dict[str, Any]:
        """The rig file's capture section with the seed and exposure the frame was actually taken with."""
        settings = self.file.capture.model_dump(mode="json")
        if isinstance(frame.meta.extra.get("seed"), int):
            settings["seed"] = frame.meta.extra["seed"]
        if frame.meta.exposure_s is not None:
            settings["exposure_s"] = frame.meta.exposure_s
        return settings

    def _sidecar(self, frame: Frame, writer: Part) -> str:
        return json.dumps(self.provenance(frame, writer), indent=2, default=str)

    def preview(self) -> Rig:
        """The same rig with the sensor in its preview mode (formats negotiated again; fit rules were checked
        on this rig, including the preview frame rate where the sensor plugin checks it). Where the preview
        mode reads a smaller grid (a binned and skipped video readout), the lens images the scene onto that
        grid: the preview is simulated at the size it is read, never at full size."""
        sensor = self.parts["sensor"]
        preview_sensor = Part("sensor", call_part(sensor, "preview"), sensor.registered)
        parts = {**self.parts, "sensor": preview_sensor}
        plane = call_part(preview_sensor, "focal_plane")
        geometry = self.geometry
        if plane != geometry.plane:
            geometry = Geometry(plane=plane, view=call_part(self.parts["lens"], "view", plane))
        rig = Rig(self.host, self.file, parts, geometry)
        problems = _negotiate(rig)
        if problems:
            raise RigDoesNotFit(FitReport(tuple(problems)))
        rig.report = self.report
        return rig

    def write_animation(
        self, frames: list[Frame], path: str | Path, frame_rate_hz: float, *, force: bool = False
    ) -> Path:
        """Write ``frames`` as one animated file (e.g. '.gif') atomically, with the provenance of the last."""
        if not frames:
            raise OutputError(f"{path}: no frames to write")

        def write(writer: Part, tmp: Path) -> None:
            try:
                writer.accessory.write_animation(frames, tmp, frame_rate_hz)
            except NotImplementedError as exc:
                raise OutputError(f"{path}: writer '{writer.name}' {exc}") from None

        return self._write_with_provenance(path, frames[0].caps(), frames[-1], "write_animation()", write, force=force)

    def _write_with_provenance(
        self,
        path: str | Path,
        caps: Caps,
        frame: Frame,
        doing: str,
        write: Callable[[Part, Path], None],
        *,
        force: bool,
    ) -> Path:
        """The one way a rig writes a file: the writer for ``path``'s suffix (checked against ``caps``) runs
        ``write(writer, tmp)``, blamed for what it raises as ``doing``, and the file lands atomically with the
        provenance of ``frame`` beside it (:func:`camrig.output.write_with_sidecar`)."""
        writer = self.writer(path, caps)

        def to_temporary(tmp: Path) -> None:
            with blame(writer, doing, passing=(CamrigError, OSError)):  # OSError: an OutputError naming the file
                write(writer, tmp)

        return write_with_sidecar(path, to_temporary, self._sidecar(frame, writer), force=force)

    def close(self) -> None:
        """Detach every part (listeners hear ``camrig_accessory_detached``)."""
        if self._closed:
            return
        self._closed = True
        for part in reversed(list(self.parts.values())):
            self.host.notify("camrig_accessory_detached", rig=self, role=part.role, accessory=part.accessory)

    def __enter__(self) -> Rig:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Rig({self.name!r}, parts={list(self.parts)})"

    def _repr_html_(self) -> str:
        """Jupyter's view: the parts, every fit rule with its verdict and the report ``camrig check`` prints."""
        from .display import rig_html

        return rig_html(self)


def _group(parts: dict[str, Part], group: str) -> list[Part]:
    """The parts of a list-valued role ('adapters', 'stages'), in order."""
    return [p for role, p in parts.items() if role.startswith(f"{group}[")]


def _roles(file: RigFile) -> Iterator[tuple[str, PartConfig, Kind, tuple[str | int, ...]]]:
    rig = file.rig
    yield "scene", file.capture.scene, Kind.SCENE, ("capture", "scene")
    yield "lens", rig.lens, Kind.LENS, ("rig", "lens")
    for i, a in enumerate(rig.adapters):
        yield f"adapters[{i}]", a, Kind.MOUNT, ("rig", "adapters", i)
    yield "sensor", rig.sensor, Kind.SENSOR, ("rig", "sensor")
    if rig.attachment is not None:
        yield "attachment", rig.attachment, Kind.MOUNT, ("rig", "attachment")
    if rig.link is not None:
        yield "link", rig.link, Kind.LINK, ("rig", "link")
    for i, s in enumerate(rig.stages):
        yield f"stages[{i}]", s, Kind.STAGE, ("rig", "stages", i)


def call_part(part: Part, method: str, *args: Any) -> Any:
    """Call an accessory method, turning any exception into a :class:`StageError` naming the part."""
    with blame(part, f"{method}()"):
        return getattr(part.accessory, method)(*args)


def _negotiate(rig: Rig) -> list[Problem]:
    """Caps along the chain. A part that refuses its upstream caps is a ``formats`` problem naming it, its
    neighbour and, for a raw frame, the part that made the mosaic (whose CFA or bit depth may be the cause);
    caps that break the frame contract of the part's kind are one naming the part."""
    upstream: Caps | None = None
    previous: Part | None = None
    mosaic_from: Part | None = None  # the part whose caps set the raw frame's CFA and bit depth
    for part in rig.chain:
        try:
            with blame(part, "negotiate()", passing=(CapsError,)):
                caps = part.accessory.negotiate(upstream, rig.geometry)
        except CapsError as exc:
            involved = [mosaic_from] if upstream is not None and upstream.format is Format.RAW else []
            involved += [previous, part]
            parts = tuple(dict.fromkeys(p.label for p in involved if p is not None))
            got = upstream.describe() if upstream else "nothing"
            return [
                Problem(
                    severity=Severity.ERROR,
                    rule="formats",
                    parts=parts,
                    message=f"{part.role} cannot take {got}: {exc}",
                )
            ]
        if not isinstance(caps, Caps):
            raise part_error(part, f"negotiate() returned {caps!r}, not camrig.Caps")
        broken = caps_problems(part.accessory.kind, caps)
        if broken:
            message = (
                f"{part.role} declares {caps.describe()}, which breaks the frame contract of a "
                f"{part.accessory.kind.value}: "
            )
            return [
                Problem(
                    severity=Severity.ERROR, rule="formats", parts=(part.label,), message=message + "; ".join(broken)
                )
            ]
        rig.caps[part.role] = caps
        if caps.format is Format.RAW and (
            upstream is None or (caps.cfa, caps.bit_depth) != (upstream.cfa, upstream.bit_depth)
        ):
            mosaic_from = part
        upstream, previous = caps, part
    return []


def _run_rules(rig: Rig) -> list[Problem]:
    problems: list[Problem] = []
    for rule, plugin in rig.host.rules:
        try:
            found = list(rule.check(rig))
            bad = [p for p in found if not isinstance(p, Problem)]
            if bad:
                raise TypeError(f"yielded {bad[0]!r}, not a camrig.Problem")
        except Exception as exc:  # noqa: BLE001 - a broken rule is reported, the other rules still run
            found = [
                Problem(
                    severity=Severity.ERROR,
                    rule=rule.id,
                    parts=(f"plugin {plugin}",),
                    message=f"rule '{rule.id}' of plugin '{plugin}' raised {type(exc).__name__}: {exc}",
                )
            ]
        problems += found
    return problems


def _check_memory(file: RigFile, sensor: Part) -> None:
    """Refuse a sensor grid whose capture would not fit in memory, naming the larger of its two fields."""
    spec = sensor.accessory.spec
    if not isinstance(spec, SensorSpec):
        return
    field = ("rig", "sensor", "width_px" if spec.width_px >= spec.height_px else "height_px")
    check_capture_memory(spec.width_px, spec.height_px, file.source.where(field), ".".join(field))


def assemble(host: Host, file: RigFile, *, strict: bool = True) -> Rig:
    """Build and check a rig. With ``strict`` (default), raise :class:`RigDoesNotFit` on any error problem;
    otherwise return the rig with its ``report`` for inspection (``camrig check``)."""
    parts: dict[str, Part] = {}
    errors: list[str] = []
    for role, cfg, kind, path in _roles(file):
        try:
            parts[role] = host.build(cfg, kind, role, file.source, path)
        except ConfigError as exc:
            errors.append(str(exc))
    for i, cfg in enumerate(file.rig.writers):  # writer settings are checked now, used when a file is written
        try:
            host.build(cfg, Kind.WRITER, "writer", file.source, ("rig", "writers", i))
        except ConfigError as exc:
            errors.append(str(exc))
    if errors:
        raise ConfigError("\n".join(errors))
    _check_memory(file, parts["sensor"])  # before any grid, view or frame is allocated

    def through_adapters(method: str, *args: float) -> None:  # the lens as the sensor sees it behind them
        lens = parts["lens"]
        try:
            parts["lens"] = Part("lens", call_part(lens, method, *args), lens.registered)
        except StageError as exc:
            raise ConfigError(f"{file.source.where(('rig', 'adapters'))}: rig.adapters: {exc}") from exc

    relay = math.prod(a.accessory.spec.focal_multiplier for a in _group(parts, "adapters"))
    if relay != 1.0:  # a focal reducer or teleconverter in the chain: the sensor sees a relayed lens
        through_adapters("relayed", relay)
    tilts = [call_part(a, "image_tilt") for a in _group(parts, "adapters")]
    tilt_x = sum(t * math.cos(math.radians(az)) for t, az in tilts)
    tilt_y = sum(t * math.sin(math.radians(az)) for t, az in tilts)
    if tilt_x or tilt_y:  # adapters out of square add as small rotations: the sensor sees a tilted image plane
        through_adapters("tilted", math.hypot(tilt_x, tilt_y), math.degrees(math.atan2(tilt_y, tilt_x)))
    plane = call_part(parts["sensor"], "focal_plane")
    view = call_part(parts["lens"], "view", plane)
    rig = Rig(host, file, parts, Geometry(plane=plane, view=view))
    problems = _negotiate(rig) + _run_rules(rig)
    rig.report = FitReport(tuple(problems))
    if strict and not rig.report.ok:
        raise RigDoesNotFit(rig.report)
    if rig.report.ok:
        for part in parts.values():
            host.notify("camrig_accessory_attached", rig=rig, role=part.role, accessory=part.accessory)
        host.notify("camrig_rig_assembled", rig=rig)
    return rig
