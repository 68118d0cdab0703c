"""Crash-safe file output: after a kill at any moment a folder holds the old state or the new one.

A write goes to a temporary file in the destination folder, is flushed to disk and moved into place with
one rename. Without ``force`` the final step is a hard link, which fails if the destination appeared in
the meantime, so an existing file is never replaced by accident.

Temporary files are named ``.NAME.camrig-HOST-PID-TOKEN.tmpSUFFIX`` (HOST: a short hash of the host name).
A process killed mid-write (SIGKILL, power loss) leaves them behind; the next write into that folder by any
camrig process on the same host sweeps the temporaries of processes that no longer run
(:func:`sweep_stale_temps`), once per folder and process.

A file and its sidecar (``NAME.json``, its provenance) land as a pair (:func:`write_with_sidecar`): both
are written in full first, then the sidecar is linked into place, then the file, and only then are the
temporaries removed. A kill before the sidecar lands leaves the old state; a kill after it finds the
sidecar's temporary still linked to the published sidecar, and the sweep completes the pair from the
finished temporary of the file (rolls forward). So a file never stands without its sidecar.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import socket
from collections.abc import Callable
from pathlib import Path

from .errors import OutputError, UsageError

__all__ = [
    "write_atomically",
    "write_with_sidecar",
    "sweep_stale_temps",
    "check_output_file",
    "check_output_folder",
    "SIDECAR_SUFFIX",
]

SIDECAR_SUFFIX = ".json"
"""A file's provenance sidecar is its name plus this."""

_HOST = hashlib.sha256(socket.gethostname().encode()).hexdigest()[:6]
_TEMP = re.compile(r"^\.(?P<final>.+)\.camrig-(?P<host>[0-9a-f]{6})-(?P<pid>\d+)-(?P<token>[0-9a-f]+)\.tmp")
_TEMP_OVERHEAD = len(".") + len(".camrig-") + 6 + len("-") + 10 + len("-") + 8 + len(".tmp") + 10
"""Bytes a temporary name adds to the final one, at most (pid up to 10 digits, suffix up to 10 bytes)."""
_swept: set[str] = set()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _name_max(folder: Path) -> int:
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):
        return 255


def _temp(path: Path, token: str) -> Path:
    """Create the temporary file for ``path`` (exclusively) and return its path."""
    tmp = path.with_name(f".{path.name}.camrig-{_HOST}-{os.getpid()}-{token}.tmp{path.suffix}")
    try:
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600))
    except OSError as exc:
        raise OutputError(f"{path}: cannot write in '{path.parent}': {exc.strerror or exc}") from exc
    return tmp


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _same(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def sweep_stale_temps(folder: str | Path) -> list[Path]:
    """Remove the temporaries that camrig processes on this host left in ``folder`` when they died, completing
    a file-and-sidecar pair whose sidecar had landed. Returns what was removed."""
    folder = Path(folder)
    stale: dict[str, list[tuple[Path, str]]] = {}  # token -> (temp path, final name)
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    for name in names:
        m = _TEMP.match(name)
        if m and m["host"] == _HOST and int(m["pid"]) != os.getpid() and not _alive(int(m["pid"])):
            stale.setdefault(m["token"], []).append((folder / name, m["final"]))
    removed: list[Path] = []
    for temps in stale.values():
        finals = {final: tmp for tmp, final in temps}
        for final, tmp in finals.items():  # a sidecar that landed: complete its file from its finished temporary
            main = final[: -len(SIDECAR_SUFFIX)]
            if final.endswith(SIDECAR_SUFFIX) and main in finals and _same(tmp, folder / final):
                if not _same(finals[main], folder / main):
                    with contextlib.suppress(OSError):
                        os.replace(finals[main], folder / main)
        for tmp, _ in sorted(temps, key=lambda t: t[1].endswith(SIDECAR_SUFFIX)):  # sidecar temporaries last
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
                removed.append(tmp)
    return removed


def _prepare(path: Path, force: bool) -> None:
    folder = path.parent
    if path.exists() and not force:
        raise OutputError(f"{path}: exists; pass force=True (CLI: --force) to overwrite")
    if path.is_dir():
        raise OutputError(f"{path}: is a folder")
    if not folder.is_dir():
        raise OutputError(f"{path}: folder '{folder}' does not exist")
    key = str(folder.resolve())
    if key not in _swept:
        sweep_stale_temps(folder)
        _swept.add(key)


def _finish(tmp: Path) -> None:
    os.chmod(tmp, 0o666 & ~_umask())  # land with the mode open() would give
    with open(tmp, "rb+") as fh:
        os.fsync(fh.fileno())


def _publish(tmp: Path, path: Path, force: bool) -> None:
    """Make ``path`` the file ``tmp`` is, keeping ``tmp`` (its link count marks an unfinished pair)."""
    if force:
        twin = tmp.with_name(tmp.name + ".link")
        try:
            os.link(tmp, twin)
        except OSError:  # file systems without hard links: a plain rename (the pair is then not recoverable)
            os.replace(tmp, path)
            return
        os.replace(twin, path)
        return
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise OutputError(f"{path}: appeared while writing; pass force=True to overwrite") from None
    except OSError:  # file systems without hard links
        if path.exists():
            raise OutputError(f"{path}: appeared while writing; pass force=True to overwrite") from None
        os.replace(tmp, path)


def _sync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_atomically(path: str | Path, write: Callable[[Path], None], *, force: bool = False) -> Path:
    """Call ``write(tmp)`` on a temporary path next to ``path`` and move the result to ``path``.

    Raises :class:`OutputError` if ``path`` exists (and not ``force``), its folder is missing or not
    writable, or the disk fails; any exception from ``write`` propagates after the temporary file is removed.

    >>> import shutil, tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> path = write_atomically(folder / "note.txt", lambda tmp: tmp.write_text("first"))
    >>> write_atomically(path, lambda tmp: tmp.write_text("second"), force=True).read_text()
    'second'
    >>> write_atomically(path, lambda tmp: tmp.write_text("third"))
    Traceback (most recent call last):
    ...
    camrig.errors.OutputError: .../note.txt: exists; pass force=True (CLI: --force) to overwrite
    >>> sorted(p.name for p in folder.iterdir())  # no temporary left behind
    ['note.txt']
    >>> shutil.rmtree(folder)
    """
    path = Path(path)
    _prepare(path, force)
    tmp = _temp(path, secrets.token_hex(4))
    try:
        write(tmp)
        _finish(tmp)
        _publish(tmp, path, force)
        _sync_folder(path.parent)
    except OSError as exc:
        raise OutputError(f"{path}: write failed: {exc.strerror or exc}") from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return path


def write_with_sidecar(path: str | Path, write: Callable[[Path], None], sidecar: str, *, force: bool = False) -> Path:
    """Write ``path`` with ``write(tmp)`` and its sidecar (``path`` + '.json') with the text ``sidecar`` as a
    pair: after a kill at any moment the file never stands without its sidecar (see the module docs)."""
    path = Path(path)
    side = path.with_name(path.name + SIDECAR_SUFFIX)
    _prepare(path, force)
    _prepare(side, force)
    token = secrets.token_hex(4)
    side_tmp = _temp(side, token)
    tmp: Path | None = None
    published: list[Path] = []
    try:
        side_tmp.write_text(sidecar, encoding="utf-8")
        _finish(side_tmp)
        tmp = _temp(path, token)
        write(tmp)
        _finish(tmp)
        _publish(side_tmp, side, force)
        published.append(side)
        _publish(tmp, path, force)
        published.append(path)
        _sync_folder(path.parent)
    except OSError as exc:
        raise OutputError(f"{path}: write failed: {exc.strerror or exc}") from exc
    finally:
        if len(published) == 1 and _same(side_tmp, side):  # the file failed to land: take its sidecar back
            with contextlib.suppress(OSError):
                side.unlink()
        for t in (tmp, side_tmp):  # the sidecar's temporary last: while it stands, the pair is unfinished
            if t is not None:
                with contextlib.suppress(FileNotFoundError):
                    t.unlink()
    return path


# -- checks of output paths, before any work ---------------------------------------------------------------


def _check_name(path: Path, extra: int = 0) -> None:
    """Each folder name within the file system's limit, the last name with room for our temporary names."""
    folder = path.parent if path.parent.is_dir() else Path(".")
    most = _name_max(folder)
    for i, part in enumerate(path.parts):
        limit = most - _TEMP_OVERHEAD - extra if i == len(path.parts) - 1 else most
        size = len(os.fsencode(part))
        if size > limit:
            raise UsageError(f"{path.parent / (part[:20] + '...')}: a name of {size} bytes; at most {limit} fit here")


def check_output_file(path: Path, *, force: bool, sidecar: bool) -> Path:
    """Refuse an output file path that cannot be written (a :class:`UsageError` naming it): a folder, a
    missing or unwritable folder, a name too long, or (without ``force``) an existing file or sidecar."""
    _check_name(path, len(SIDECAR_SUFFIX) if sidecar else 0)
    if path.is_dir():
        raise UsageError(f"{path}: is a folder; give a file name (its suffix picks the writer)")
    folder = path.parent
    if not folder.is_dir():
        raise UsageError(f"{path}: folder '{folder}' does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"{path}: cannot write in '{folder}' (read-only or not yours)")
    if not force:
        for existing in (path, path.with_name(path.name + SIDECAR_SUFFIX)) if sidecar else (path,):
            if existing.is_dir():
                raise UsageError(
                    f"{existing}: is a folder where the output's {'sidecar' if existing != path else 'file'} goes"
                )
            if existing.exists():
                raise UsageError(f"{existing}: exists; pass --force to overwrite")
    return path


def check_output_folder(path: Path) -> Path:
    """Refuse a run folder that cannot be made or written (a :class:`UsageError`): a file, a name too long,
    or a folder (or its nearest existing parent) that is not writable."""
    _check_name(path)
    if path.exists() and not path.is_dir():
        raise UsageError(f"{path}: is a file; a run folder is needed (give another --out)")
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise UsageError(f"{path}: '{existing}' is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UsageError(f"{path}: cannot write in '{existing}' (read-only or not yours)")
    return path
