"""The optics plugins' on-disk cache: traced prescriptions and pixel kernels, computed once per set of inputs.

Everything lives under :func:`cache_root` (``$CAMRIG_CACHE_DIR``, else ``$XDG_CACHE_HOME/camrig``, default
``~/.cache/camrig``): ``prescriptions/`` (:mod:`camrig_optics.prescription`) and ``kernels/``, one ``.npy`` per
pixel kernel (:meth:`camrig_optics.ideal.IdealLens.kernel`), named by the SHA-256 of every input it depends on,
of the source of :mod:`camrig_optics.psf` that computes it and of the NumPy and SciPy versions, so a changed
input, PSF code or library never reads a stale kernel. Entries are written atomically (a reader sees a whole file
or none); one that does not read back whole (truncated, another shape, not float32) is ignored and recomputed. The
kernel folder is kept to :data:`MAX_KERNELS` files: beyond that the least recently used are removed. Deleting the
folder is always safe.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import IO

import numpy as np

MAX_KERNELS = 4000
"""Kernel files kept (a 129 x 129 float32 kernel is 67 kB: about 270 MB at most); the oldest used go first."""
KEEP_KERNELS = 3000
"""Files left after a pruning (so it does not run on every write)."""


def cache_root() -> Path:
    """$CAMRIG_CACHE_DIR, else $XDG_CACHE_HOME/camrig (default ~/.cache/camrig)."""
    root = os.environ.get("CAMRIG_CACHE_DIR")
    if root:
        return Path(root)
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "camrig"


@cache
def _psf_source_sha() -> str:
    import scipy

    from . import psf

    code = hashlib.sha256(Path(psf.__file__).read_bytes()).hexdigest()
    return f"{code}|numpy {np.__version__}|scipy {scipy.__version__}"  # their FFTs and filters make the kernels


def kernel_key(inputs: tuple[object, ...]) -> str:
    """SHA-256 of ``inputs`` (their ``repr``: floats round-trip exactly), of the PSF code's source and of the
    NumPy and SciPy versions that run it."""
    return hashlib.sha256(f"{_psf_source_sha()}|{inputs!r}".encode()).hexdigest()


def _kernel_path(key: str) -> Path:
    return cache_root() / "kernels" / f"{key}.npy"


def load_kernel(key: str) -> np.ndarray | None:
    """The cached kernel ``key`` (read-only float32, square, odd side), or None when missing or unreadable."""
    path = _kernel_path(key)
    try:
        kernel = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError):
        return None
    if kernel.dtype != np.float32 or kernel.ndim != 2 or kernel.shape[0] != kernel.shape[1] or kernel.shape[0] % 2 == 0:
        return None
    if not np.isfinite(kernel).all():
        return None
    try:
        os.utime(path)  # recently used: pruned last
    except OSError:
        pass
    kernel.flags.writeable = False
    return kernel


def write_atomically(path: Path, write: Callable[[IO[bytes]], None], mode: int | None = None) -> None:
    """Create ``path``'s folder and write the file through a temporary one renamed over it: a reader sees the old
    file or the new one, never half of one; the temporary file never outlives a failed write. ``mode``: the file's
    permissions (the temporary file is private). OSError propagates."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def store_kernel(key: str, kernel: np.ndarray) -> None:
    """Write ``kernel`` under ``key`` atomically; a cache that cannot be written only costs the next run the work."""
    path = _kernel_path(key)
    try:
        write_atomically(path, lambda f: np.save(f, np.ascontiguousarray(kernel, dtype=np.float32), allow_pickle=False))
        _prune(path.parent)
    except OSError:
        pass


def _prune(folder: Path) -> None:
    """Remove the least recently used kernel files beyond :data:`MAX_KERNELS` (down to :data:`KEEP_KERNELS`)."""
    files = list(folder.glob("*.npy"))
    if len(files) <= MAX_KERNELS:
        return
    stamped = []
    for f in files:
        try:
            stamped.append((f.stat().st_mtime, f))
        except OSError:
            continue
    for _, f in sorted(stamped)[: len(stamped) - KEEP_KERNELS]:
        try:
            f.unlink()
        except OSError:
            pass
