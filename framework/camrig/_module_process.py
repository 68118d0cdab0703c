"""The module's half of a preview stream in a process of its own, as the real module has its own processor.

In one process the module (sensor, link) and the phone (host stages) share one interpreter lock, and every
small array operation of one waits on the other; in two processes each side gets a core. The child
(``python -m camrig._module_process``, a clean interpreter: nothing inherited, no main module re-imported)
reads its order from stdin, rebuilds the host from the installed plugins (:meth:`Host.recipe`) and the rig
from its file, images the static scene once, and writes each raw frame (array and metadata) to stdout; the
parent feeds them to the stream's newest-wins mailbox. Stopping terminates the child: frames are independent,
so one cut short is simply dropped. Listener hooks for the module's parts fire in the module's process.
"""

from __future__ import annotations

import gc
import pickle
import struct
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import IO, Any, NoReturn

from ._memory import keep_freed_memory
from ._pacing import Pacer
from .api import read_rig
from .errors import CamrigError, FrameDropped, StageError
from .frame import Frame, FrameMeta
from .host import Host
from .rig import assemble
from .router import acquire, context, image

UNPACED_AHEAD = 2
"""Frames an unpaced module may be ahead of the host: the one the host develops and the next."""
STOP_TIMEOUT_S = 10.0
"""How long a terminated module may take to exit before it is killed."""


def _send(out: IO[bytes], message: Any) -> None:
    """One message: its length (8 bytes) and its pickle, so the reader takes it in one read."""
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    out.write(struct.pack("<Q", len(data)))
    out.write(data)
    out.flush()


def _receive(stream: IO[bytes]) -> Any:
    header = stream.read(8)
    if len(header) < 8:
        raise EOFError("the module process ended")
    (size,) = struct.unpack("<Q", header)
    data = stream.read(size)  # one buffered read of the whole frame, the interpreter lock released meanwhile
    if len(data) < size:
        raise EOFError("the module process ended mid-frame")
    return pickle.loads(data)


def _produce(order: dict[str, Any], out: IO[bytes], acks: IO[bytes]) -> None:
    """The child: write (index, data, meta, reason) per frame, then None. Unpaced (no ``rate_hz``), frame i
    waits for the parent's acknowledgement (one byte on ``acks``) that the host has taken frame
    i - ``UNPACED_AHEAD``: the module keeps the next frame ready while the host develops the last (hiding the
    transfer), never a queue of frames in the pipe."""
    try:
        keep_freed_memory()  # each frame reuses the last one's freed buffers
        preview = assemble(Host(env={}, **order["recipe"]), read_rig(order["rig"])).preview()
        optics = None
        pacer = Pacer(order["rate_hz"])
        gc.freeze()  # what this process set up lives to its end: full collections need not walk it (25-50 ms each)
        for index in range(order["frames"]):
            if order["rate_hz"] is None and index >= UNPACED_AHEAD and not acks.read(1):
                break  # the parent stopped listening
            ctx = context(preview, seed=order["seed"] + index)
            try:
                if optics is None:
                    optics, _ = image(preview, ctx)
                pacer.wait(index)
                raw, _ = acquire(preview, ctx, optics)
                message: Any = (index, raw.data, raw.meta.model_dump(mode="python"), None)
            except StageError as exc:
                if not isinstance(exc.__cause__, FrameDropped):
                    raise
                message = (index, None, None, f"{type(exc.__cause__).__name__}: {exc}")  # the modelled link lost it
            _send(out, message)
    except Exception as exc:  # a part's bug, or the module could not start: the stream ends with the error
        _send(out, (-1, None, None, _error_record(exc)))
    _send(out, None)


def _error_record(exc: Exception) -> dict[str, str]:
    """What the parent needs to raise ``exc`` again: a StageError keeps the part it names."""
    if isinstance(exc, StageError):
        return {"message": exc.detail, "plugin": exc.plugin, "accessory": exc.accessory, "role": exc.role}
    return {"message": f"module process failed: {type(exc).__name__}: {exc}"}


def _raise(record: dict[str, str]) -> NoReturn:
    if "role" in record:
        raise StageError(record["message"], plugin=record["plugin"], accessory=record["accessory"], role=record["role"])
    raise CamrigError(record["message"])


def remote_frames(
    recipe: dict[str, Any],
    rig_data: dict[str, Any],
    frames: int,
    seed: int,
    attached: Callable[[], bool],
    rate_hz: float | None = None,
) -> Iterator[tuple[int, Frame | None, str | None]]:
    """(index, raw frame or None, drop reason) from a module process, until it is done or ``attached()``
    turns false; the process has exited before this returns. ``rate_hz``: the module's frame rate; None: as
    fast as the host takes frames (each request for the next frame acknowledges the last)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "camrig._module_process"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert process.stdin is not None and process.stdout is not None
    try:
        pickle.dump(
            {"recipe": recipe, "rig": rig_data, "frames": frames, "seed": seed, "rate_hz": rate_hz}, process.stdin
        )
        process.stdin.flush()
        if rate_hz is not None:
            process.stdin.close()  # paced: the module keeps its own schedule
        received = 0
        while attached():
            if rate_hz is None and received:
                try:  # asked for the next frame: the host has taken the last one
                    process.stdin.write(b"\x01")
                    process.stdin.flush()
                except (BrokenPipeError, ValueError):
                    break
            received += 1
            try:
                message = _receive(process.stdout)
            except (EOFError, pickle.UnpicklingError):
                break  # the module died: the stream ends with what arrived
            if message is None:
                break
            index, data, meta, reason = message
            if index < 0:  # a part raised, or the module failed to start: the stream ends with that error
                _raise(reason)
            yield index, (None if data is None else Frame(data, FrameMeta.model_validate(meta))), reason
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        process.stdout.close()
        if not process.stdin.closed:
            try:
                process.stdin.close()
            except BrokenPipeError:
                pass


def _widen_pipe(stream: IO[bytes]) -> None:
    """Raise the pipe's buffer from 64 KiB to the system's limit (Linux ``F_SETPIPE_SZ``, typically 1 MiB), so
    a frame crosses in a few writes instead of dozens of writer-reader handovers; elsewhere nothing changes."""
    try:
        import fcntl

        with open("/proc/sys/fs/pipe-max-size") as limit:
            fcntl.fcntl(stream.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), int(limit.read()))
    except (ImportError, OSError, ValueError):
        pass


if __name__ == "__main__":
    _widen_pipe(sys.stdout.buffer)
    _produce(pickle.load(sys.stdin.buffer), sys.stdout.buffer, sys.stdin.buffer)
