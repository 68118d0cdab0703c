"""Routing: one capture through the assembled chain, every output checked against its declared caps.

The router records measured compute time per step (the host's clock); modelled time (exposure, readout, link)
is the accessories' business and travels in ``frame.meta.modelled_ns``. The two are never mixed.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from .accessory import CaptureContext, Kind
from .contract import MONO, frame_problems
from .errors import RigDoesNotFit, blame, part_error
from .frame import Caps, Frame, StageRecord, count_nonfinite
from .host import Part

if TYPE_CHECKING:
    from .rig import Rig

__all__ = ["StepTiming", "CaptureResult", "capture", "context", "image", "acquire", "develop", "checked_output"]


@dataclass(frozen=True)
class StepTiming:
    """Measured compute time of one step of a capture."""

    role: str
    accessory: str
    plugin: str
    compute_s: float


@dataclass(frozen=True)
class CaptureResult:
    """What one capture produced."""

    raw: Frame
    """The raw frame as the host receives it (after the link, before any host stage)."""
    result: Frame
    """The frame after the last host stage."""
    timings: tuple[StepTiming, ...]
    """Measured compute time of each step, in chain order."""

    @property
    def compute_s(self) -> float:
        return sum(t.compute_s for t in self.timings)

    @property
    def modelled_ns(self) -> int:
        """Modelled time from exposure start to the processed frame, ns."""
        return sum(self.result.meta.modelled_ns.values())

    def _repr_html_(self) -> str:
        """Jupyter's view: the result's thumbnail and metadata, the raw caps and timings (:mod:`camrig.display`)."""
        from .display import capture_html

        return capture_html(self)


def checked_output(part: Part, out: object, declared: Caps, threads: int = 1) -> Frame:
    """``out``, what ``part`` returned from ``process``, if it is a frame that matches the caps the part
    ``declared``, keeps the frame contract of its kind and holds no NaN or inf; else a :class:`StageError`
    naming the part and what is wrong."""
    if not isinstance(out, Frame):
        raise part_error(part, f"returned {type(out).__name__}, not a camrig.Frame")
    data, meta = out.data, out.meta  # compared field by field: this runs once per step of every capture
    if meta.format != declared.format:
        raise part_error(part, f"returned a {meta.format.value} frame but declared {declared.format.value}")
    if data.dtype != declared.dtype:
        raise part_error(part, f"returned dtype {data.dtype} but declared {declared.dtype}")
    if data.shape != declared.shape:
        raise part_error(part, f"returned shape {data.shape} but declared {declared.shape}")
    if meta.bands_nm != declared.bands_nm:
        raise part_error(part, f"returned bands {meta.bands_nm} nm but declared {declared.bands_nm} nm")
    if declared.cfa is not None and (meta.cfa or MONO) != declared.cfa:
        raise part_error(part, f"returned CFA {meta.cfa or MONO!r} but declared {declared.cfa!r}")
    if declared.bit_depth is not None and meta.bit_depth != declared.bit_depth:
        raise part_error(part, f"returned bit_depth {meta.bit_depth} but declared {declared.bit_depth}")
    broken = frame_problems(part.accessory.kind, out)
    if broken:
        raise part_error(part, "breaks the frame contract of its kind: " + "; ".join(broken))
    bad = count_nonfinite(out.data, threads)
    if bad:
        raise part_error(part, f"returned {bad} non-finite value(s) (NaN or inf) of {out.data.size}")
    return out


def context(
    rig: Rig, *, seed: int | None = None, exposure_s: float | None = None, threads: int | None = None
) -> CaptureContext:
    """The capture context: the rig file's capture settings with ``seed`` / ``exposure_s`` overrides, and
    the host's thread budget unless ``threads`` says otherwise."""
    if not rig.report.ok:
        raise RigDoesNotFit(rig.report, "capturing needs a rig that passed its fit checks (camrig.assemble)")
    settings = rig.file.capture
    return CaptureContext(
        exposure_s=settings.exposure_s if exposure_s is None else exposure_s,
        seed=settings.seed if seed is None else seed,
        geometry=rig.geometry,
        threads=rig.host.threads if threads is None else threads,
    )


def reusable(frame: Frame | None, *, whole: bool = True) -> np.ndarray | None:
    """The writable array behind ``frame.data`` when nothing but the router's own variable holds ``frame``,
    its data view or the array (CPython reference counts: a listener, a caller keeping the raw, a cache or
    any other view holds one more), else None. See :attr:`CaptureContext.reusable`. ``whole``: only when the
    frame's data is the start of that array's memory, C-contiguous, and then as an array of the data's shape
    (else the array itself, of which the data may be any window)."""
    if frame is None or not hasattr(sys, "getrefcount"):
        return None
    data = frame.data
    owner = data.base
    if (
        not isinstance(owner, np.ndarray)
        or owner.base is not None
        or not (owner.flags.owndata and owner.flags.writeable)
    ):
        return None
    if whole and not (data.flags.c_contiguous and owner.flags.c_contiguous and data.ctypes.data == owner.ctypes.data):
        return None  # the data must be the start of the array's memory, in its own layout
    # each held by: the caller's variable (frame) or its holder (the frame's slot, the view's base), this
    # function's local, and getrefcount's argument
    if sys.getrefcount(frame) > 3 or sys.getrefcount(data) > 3 or sys.getrefcount(owner) > 3:
        return None
    if not whole or (owner.shape == data.shape and owner.dtype == data.dtype):
        return owner
    return owner.reshape(-1).view(np.uint8)[: data.nbytes].view(data.dtype).reshape(data.shape)  # e.g. kept memory


class _Handed:
    """A frame passed to :func:`_run` with its only reference: the run owns it (a frame passed as a plain
    argument is also held by the caller)."""

    def __init__(self, frame: Frame) -> None:
        self.frame: Frame | None = frame

    def take(self) -> Frame | None:
        frame, self.frame = self.frame, None
        return frame


def _run(
    rig: Rig, parts: list[Part], frame: Frame | _Handed | None, ctx: CaptureContext
) -> tuple[Frame | None, list[StepTiming]]:
    """Run ``parts`` in order, each output checked against its declared caps. An intermediate frame that only
    the chain holds is handed to the next part for reuse (:attr:`CaptureContext.reusable`); one the next part
    did not reuse is kept, once it is gone, for a later fresh array (:meth:`CaptureContext.empty`)."""
    if isinstance(frame, _Handed):
        frame = frame.take()
    timings: list[StepTiming] = []
    listened = rig.host.listens("camrig_frame_done")  # a listener may keep any frame it hears of
    for part in parts:
        spare = None if listened else reusable(frame)
        start = time.perf_counter()
        with blame(part, "process()", passing=()):  # camrig's own errors too: the part raised them
            out = part.accessory.process(frame, ctx if spare is None else replace(ctx, reusable=spare), part.role)
        compute_s = time.perf_counter() - start
        out = checked_output(part, out, rig.caps[part.role], ctx.threads)
        del spare
        if not listened:  # the input, if the part kept no hold on it, leaves its memory behind for later
            left = reusable(frame, whole=False)  # a lens's image is a window of the scene's array
            if left is not None and not np.may_share_memory(left, out.data):
                ctx.leftover.keep(left)
            del left
        frame = out.derive(history=(*out.meta.history, StageRecord(role=part.role, accessory=part.name)))
        del out  # the chain holds the new frame only through ``frame``: it may be handed on
        timings.append(StepTiming(part.role, part.name, part.plugin, compute_s))
        rig.host.notify("camrig_frame_done", rig=rig, role=part.role, frame=frame, compute_s=compute_s)
    return frame, timings


def image(rig: Rig, ctx: CaptureContext) -> tuple[Frame, list[StepTiming]]:
    """The optical half: scene -> lens, ending with the focal-plane irradiance."""
    optics = [p for p in rig.chain if p.accessory.kind in (Kind.SCENE, Kind.LENS)]
    irradiance, timings = _run(rig, optics, None, ctx)
    assert irradiance is not None
    return irradiance, timings


def acquire(rig: Rig, ctx: CaptureContext, irradiance: Frame | None = None) -> tuple[Frame, list[StepTiming]]:
    """The module's half: scene -> lens -> sensor -> link, ending with the raw frame as the host receives it.
    With ``irradiance`` (from :func:`image`), the optics are not run again."""
    timings: list[StepTiming] = []
    readout = [p for p in rig.chain if p.accessory.kind in (Kind.SENSOR, Kind.LINK)]
    if irradiance is None:  # the irradiance is the run's alone: its memory may serve the host's stages later
        optics = image(rig, ctx)
        timings, handed = optics[1], _Handed(optics[0])
        del optics
        raw, more = _run(rig, readout, handed, ctx)
    else:
        raw, more = _run(rig, readout, irradiance, ctx)
    assert raw is not None
    return raw, timings + more


def develop(rig: Rig, raw: Frame, ctx: CaptureContext) -> tuple[Frame, list[StepTiming]]:
    """The phone's half: the host stages, from the raw frame to the result."""
    result, timings = _run(rig, rig.stages, raw, ctx)
    assert result is not None
    return result, timings


def capture(rig: Rig, *, seed: int | None = None, exposure_s: float | None = None) -> CaptureResult:
    """Capture one frame: scene -> lens -> sensor -> link -> stages.

    ``seed`` and ``exposure_s`` default to the rig file's capture section. Raises :class:`StageError` naming
    plugin, accessory and role when an accessory raises (the original exception chained) or returns a frame
    that breaks its declared caps or holds non-finite values.
    """
    ctx = context(rig, seed=seed, exposure_s=exposure_s)
    raw, acquired = acquire(rig, ctx)
    result, developed = develop(rig, raw, ctx)
    raw, result = (f.derive(extra={**f.meta.extra, "seed": ctx.seed}) for f in (raw, result))  # for provenance
    return CaptureResult(raw=raw, result=result, timings=tuple(acquired + developed))
