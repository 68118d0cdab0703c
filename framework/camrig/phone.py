"""The phone: modules snap on and off (hot-plug), capture full frames and stream a live preview.

No pairing: :meth:`Phone.attach` reads what was attached, checks that the parts fit (the rig's fit rules)
and makes it the current module; :meth:`Phone.detach` takes it away. :meth:`Phone.stream` runs the module's
half of the chain (scene -> lens -> sensor in preview mode -> link) on a producer thread, or in a process of
its own (``Phone(module="process")``, :mod:`camrig._module_process`), and the host stages in the caller's
thread.

A live stream (the default) paces the module to its sensor's frame rate, as a real sensor delivers frames;
unpaced, the module runs as fast as this machine allows. Between the halves sits a one-frame mailbox: when
the host is slower than the sensor, the newest frame wins and the one it replaces is reported as dropped
("superseded"), so nothing queues without bound (unpaced, the module waits for the mailbox to empty
instead: no frame is made only to be dropped). The scene is taken as static during a stream: it is imaged
through the lens once, and every frame draws its own sensor noise, link errors and host processing.
Detaching mid-stream ends the stream: frames in flight are reported dropped ("detached"), nothing is raised
into the application, and the producer thread is joined before the generator returns. Those are the only
drops, with a frame the modelled link loses (a part raising :class:`camrig.FrameDropped`): any other error
of a part, in either half, ends the stream with the :class:`camrig.StageError` naming it, as it fails a
capture.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ._memory import keep_freed_memory
from ._pacing import Pacer
from .api import host_for, read_rig
from .config import RigFile
from .errors import CamrigError, FrameDropped, StageError
from .frame import Frame
from .host import Host
from .rig import Rig, assemble
from .router import CaptureResult, acquire, context, develop, image

__all__ = ["Phone", "StreamFrame"]


@dataclass(frozen=True)
class StreamFrame:
    """One frame of a preview stream: delivered (``frame``) or dropped (``dropped`` says why)."""

    index: int
    frame: Frame | None
    dropped: str | None = None
    modelled_ns: int = 0
    """Modelled time from exposure start to the raw frame at the phone (exposure, readout, link), ns."""
    compute_s: float = 0.0
    """Measured compute time of the host stages on this machine, s."""

    @property
    def latency_s(self) -> float:
        """Preview latency: modelled module and link time plus the host's measured processing time."""
        return self.modelled_ns * 1e-9 + self.compute_s


class Phone:
    """The host side of the camera: one module at a time, attached and detached at will.

    >>> phone = Phone()
    >>> rig = phone.attach({
    ...     "rig": {
    ...         "lens": {"type": "optics.ideal", "focal_length_mm": 35, "f_number": 2.8, "psf": "none"},
    ...         "sensor": {"type": "sensors.cmos", "width_px": 64, "height_px": 48, "pixel_pitch_um": 200.0},
    ...         "stages": [{"type": "isp.black_level"}, {"type": "isp.demosaic"}, {"type": "isp.gamma"}],
    ...     },
    ...     "capture": {"scene": {"type": "scenes.chart"}, "exposure_s": 1e-6},
    ... })
    >>> [(f.index, f.dropped, f.frame.data.shape) for f in phone.stream(2, realtime=False)]
    [(0, None, (48, 64, 3)), (1, None, (48, 64, 3))]
    >>> phone.capture(seed=1).result.data.shape
    (48, 64, 3)
    >>> phone.detach()
    >>> phone.capture()
    Traceback (most recent call last):
    ...
    camrig.errors.CamrigError: no module attached
    """

    def __init__(self, host: Host | None = None, *, module: Literal["thread", "process"] = "thread") -> None:
        """``module``: where a preview stream runs the module's half. 'thread': a thread of this process
        (simple; the two halves share the interpreter lock); 'process': a process of its own, as the real
        module has its own processor (much faster with two cores or more; the host must come from installed
        plugins, and listener hooks for the module's parts fire in that process)."""
        self._host = host
        self._module = module
        self._rig: Rig | None = None
        self._lock = threading.Lock()
        self._generation = 0  # bumped on every attach and detach: a stream ends when it changes

    @property
    def rig(self) -> Rig | None:
        """The attached module's rig, or None."""
        return self._rig

    def attach(self, source: str | Path | Mapping[str, Any] | RigFile, overrides: Sequence[str] = ()) -> Rig:
        """Attach a module described by a rig file, a mapping or a validated :class:`camrig.RigFile`; the fit
        checks run first, and a rig that does not fit raises :class:`camrig.RigDoesNotFit` and leaves the
        phone as it was."""
        file = source if isinstance(source, RigFile) else read_rig(source, overrides)
        rig = assemble(self._host or host_for(file), file)
        with self._lock:
            previous, self._rig = self._rig, rig
            self._generation += 1
        if previous is not None:
            previous.close()
        return rig

    def detach(self) -> None:
        """Detach the module (if any); a running stream ends, its in-flight frames reported dropped."""
        with self._lock:
            rig, self._rig = self._rig, None
            self._generation += 1
        if rig is not None:
            rig.close()

    def _current(self) -> tuple[Rig, int]:
        with self._lock:
            if self._rig is None:
                raise CamrigError("no module attached")
            return self._rig, self._generation

    def capture(self, *, seed: int | None = None) -> CaptureResult:
        """A full-resolution capture through the attached module. A module detached while the frame is on its
        way ends the capture with a :class:`camrig.CamrigError` (the frame is dropped, never half-delivered)."""
        rig, generation = self._current()
        ctx = context(rig, seed=seed)
        raw, acquired = acquire(rig, ctx)
        if self._generation != generation:
            raise CamrigError("the module was detached during the capture: frame dropped")
        result, developed = develop(rig, raw, ctx)
        return CaptureResult(raw=raw, result=result, timings=tuple(acquired + developed))

    def stream(self, frames: int, *, seed: int = 0, realtime: bool = True) -> Iterator[StreamFrame]:
        """Stream ``frames`` preview frames (each with its own seed, ``seed + index``), newest-wins.

        ``realtime``: the module delivers frames at its sensor's frame rate (:meth:`Rig.sensor_rate_hz`), as a
        live sensor does; a frame the host is too busy for is superseded by the next. False: the simulator's
        ceiling, as fast as this machine runs the chain: the module makes each next frame while the host
        develops the last one, so no frame is made only to be superseded (a module process keeps one more
        ready, to hide the transfer; the host acknowledges each frame it takes).

        Streaming allocates and frees the same frame-sized arrays at every frame: on glibc the process keeps
        freed buffers of up to 32 MiB for reuse from then on (:mod:`camrig._memory`)."""
        rig, generation = self._current()
        keep_freed_memory()  # frames of a stream reuse freed buffers instead of faulting in fresh pages
        preview = rig.preview()
        rate_hz = preview.sensor_rate_hz() if realtime else None
        mailbox: dict[str, Any] = {}
        ready = threading.Condition()
        stop = threading.Event()

        def attached() -> bool:
            return self._generation == generation and not stop.is_set()

        module_threads = max(1, rig.host.threads // 2)  # the module's share of the cores; the host keeps the rest
        host_threads = max(1, rig.host.threads - module_threads)  # more would only contend with the module

        def local() -> Iterator[tuple[int, Any, Any]]:
            optics: Frame | None = None  # the scene is static during a stream: image it once
            pacer = Pacer(rate_hz)
            for index in range(frames):
                if not attached():
                    break
                ctx = context(preview, seed=seed + index, threads=host_threads)  # the host's, to develop the frame
                try:
                    if optics is None:  # before the stream flows: every core
                        optics, _ = image(preview, context(preview, seed=seed + index))
                    if not pacer.wait(index, stop):
                        break
                    raw, _ = acquire(preview, context(preview, seed=seed + index, threads=module_threads), optics)
                    yield index, raw, ctx
                except StageError as exc:
                    if not isinstance(exc.__cause__, FrameDropped):
                        raise  # a part's bug ends the stream, as it fails a capture
                    yield index, None, f"{type(exc.__cause__).__name__}: {exc}"  # the modelled link lost it

        recipe = rig.host.recipe() if self._module == "process" else None
        if self._module == "process":
            if recipe is None:
                raise CamrigError(
                    "module='process' needs a host built from installed plugins (no in-process plugin objects)"
                )
            recipe["threads"] = module_threads

        def remote() -> Iterator[tuple[int, Any, Any]]:
            from ._module_process import remote_frames  # not at import: `python -m` runs that module fresh

            assert recipe is not None
            for index, raw, reason in remote_frames(recipe, dict(rig.file.data), frames, seed, attached, rate_hz):
                yield (
                    (index, raw, context(preview, seed=seed + index, threads=host_threads))
                    if raw is not None
                    else (index, None, reason)
                )

        def produce() -> None:
            try:
                deliver()
            except BaseException as exc:  # noqa: BLE001 - handed to the consumer, which raises it
                with ready:
                    mailbox["error"] = exc
            with ready:
                mailbox["done"] = True
                ready.notify()

        def deliver() -> None:
            for item in remote() if self._module == "process" else local():
                with ready:
                    superseded = mailbox.get("pending")
                    mailbox["pending"] = item
                    if superseded is not None:
                        mailbox.setdefault("superseded", []).append(superseded[0])
                    ready.notify()
                    while not realtime and "pending" in mailbox and attached():
                        ready.wait(0.1)  # unpaced: the next frame starts once the host has taken this one
                if not attached():
                    break

        producer = threading.Thread(target=produce, name="camrig-module", daemon=True)
        producer.start()
        try:
            while True:
                with ready:
                    ready.wait_for(
                        lambda: "pending" in mailbox or "done" in mailbox or "superseded" in mailbox or not attached(),
                        timeout=1.0,
                    )
                    superseded = mailbox.pop("superseded", [])
                    item = mailbox.pop("pending", None)
                    done = mailbox.get("done", False)
                    ready.notify_all()  # an unpaced module waits for the mailbox to empty
                for index in superseded:
                    yield StreamFrame(index, None, "superseded")
                if not attached() and self._generation != generation:
                    if item is not None:
                        yield StreamFrame(item[0], None, "detached")
                    return
                if item is not None:
                    index, raw, ctx_or_reason = item
                    if raw is None:
                        yield StreamFrame(index, None, ctx_or_reason)
                    else:
                        result, timings = develop(preview, raw, ctx_or_reason)
                        if self._generation != generation:
                            yield StreamFrame(index, None, "detached")
                            return
                        modelled = sum(raw.meta.modelled_ns.values())
                        yield StreamFrame(index, result, None, modelled, sum(t.compute_s for t in timings))
                elif done:
                    error = mailbox.get("error")
                    if error is not None:
                        raise error
                    return
        finally:
            stop.set()
            with ready:
                ready.notify_all()
            producer.join()
