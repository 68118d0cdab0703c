"""Atomic file output: a write either lands whole or leaves nothing behind.

The writer writes a temporary file in the destination folder; we flush it to disk and move it into place
with one rename. Without ``force`` the final step is a hard link, which fails if the destination appeared in
the meantime, so an existing file is never replaced by accident.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from .errors import OutputError

__all__ = ["write_atomically"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomically(path: str | Path, write: Callable[[Path], None], *, force: bool = False) -> Path:
    """Call ``write(tmp)`` on a temporary path next to ``path`` and move the result to ``path``.

    Raises :class:`OutputError` if ``path`` exists (and not ``force``), its folder is missing or not
    writable, or the disk fails; any exception from ``write`` propagates after the temporary file is removed.
    """
    path = Path(path)
    folder = path.parent
    if path.exists() and not force:
        raise OutputError(f"{path}: exists; pass force=True (CLI: --force) to overwrite")
    if path.is_dir():
        raise OutputError(f"{path}: is a folder")
    if not folder.is_dir():
        raise OutputError(f"{path}: folder '{folder}' does not exist")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f".tmp{path.suffix}", dir=folder)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write in '{folder}': {exc.strerror or exc}") from exc
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; land with the mode open() would give
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        if force:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)
            except FileExistsError:
                raise OutputError(f"{path}: appeared while writing; pass force=True to overwrite") from None
            except OSError:  # file systems without hard links
                if path.exists():
                    raise OutputError(f"{path}: appeared while writing; pass force=True to overwrite") from None
                os.replace(tmp, path)
    except OSError as exc:
        raise OutputError(f"{path}: write failed: {exc.strerror or exc}") from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return path
