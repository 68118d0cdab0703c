"""Where an experiment's runs execute, kept on a leash: local workers die with their parent, and a Dask
scheduler address is parsed before anything connects and must answer within a deadline.

* :func:`die_with_parent` is the worker initializer of :class:`camrig.experiments.runner.LocalProcesses`: on
  Linux the kernel sends the worker SIGKILL when the ``camrig run`` process dies (``PR_SET_PDEATHSIG``);
  elsewhere, and as a backstop, a watchdog thread ends the worker within a second of its parent's going.
* :func:`parse_scheduler_address` accepts ``tcp://host:port`` (also ``tls``, ``ws``, ``wss``, ``ucx``, or a
  bare ``host:port``) and refuses anything else with a one-line :class:`~camrig.errors.UsageError`.
* :func:`probe_scheduler` connects to a TCP address with a deadline (``CAMRIG_SCHEDULER_TIMEOUT_S``, default
  5 s) and reads the handshake a Dask scheduler sends first; a port that stays silent or answers something
  else (a web server, say) is refused before the Dask client would wait or misread it.
"""

from __future__ import annotations

import os
import signal
import socket
import struct
import sys
import threading
import time
from urllib.parse import urlsplit

from ..errors import ConfigError, UsageError

__all__ = ["die_with_parent", "parse_scheduler_address", "probe_scheduler", "scheduler_timeout_s"]

SCHEMES = ("tcp", "tls", "ws", "wss", "ucx")
ENV_TIMEOUT = "CAMRIG_SCHEDULER_TIMEOUT_S"
DEFAULT_TIMEOUT_S = 5.0
_MAX_HANDSHAKE_BYTES = 1 << 20
"""A Dask handshake is a few hundred bytes; a length header above this is not one."""


def die_with_parent(parent_pid: int) -> None:
    """Make this (worker) process end when ``parent_pid`` does."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent_pid:  # the parent died before the line above took effect
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="camrig-parent-watch", daemon=True).start()


def scheduler_timeout_s() -> float:
    """Seconds to wait for a scheduler: ``CAMRIG_SCHEDULER_TIMEOUT_S``, default 5."""
    raw = os.environ.get(ENV_TIMEOUT, "").strip()
    if not raw:
        return DEFAULT_TIMEOUT_S
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not (0 < value <= 3600):
        raise ConfigError(f"{ENV_TIMEOUT}={raw!r}: expected seconds, more than 0 and at most 3600")
    return value


def parse_scheduler_address(text: str) -> str:
    """The scheduler address in Dask's form (``scheme://host:port``), or a :class:`UsageError` saying why not.

    >>> parse_scheduler_address("scheduler:8786"), parse_scheduler_address("tls://[::1]:8786")
    ('tcp://scheduler:8786', 'tls://[::1]:8786')
    >>> parse_scheduler_address("http://scheduler:8786")
    Traceback (most recent call last):
    ...
    camrig.errors.UsageError: --scheduler 'http://scheduler:8786': unknown scheme 'http://'; use one of tcp://, ...
    """
    raw = text.strip()
    where = f"--scheduler {text!r}"
    if not raw or any(c.isspace() for c in raw):
        raise UsageError(f"{where}: expected an address like tcp://host:8786")
    url = raw if "://" in raw else f"tcp://{raw}"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UsageError(f"{where}: {exc}; expected an address like tcp://host:8786") from None
    if parts.scheme not in SCHEMES:
        raise UsageError(
            f"{where}: unknown scheme '{parts.scheme}://'; use one of {', '.join(s + '://' for s in SCHEMES)}"
        )
    if not parts.hostname:
        raise UsageError(f"{where}: no host; expected an address like tcp://host:8786")
    if port is None or port == 0:
        raise UsageError(f"{where}: no port; expected an address like tcp://host:8786")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username or parts.password:
        raise UsageError(f"{where}: expected only scheme, host and port, like tcp://host:8786")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}:{port}"


def probe_scheduler(address: str, timeout_s: float) -> None:
    """For a ``tcp://`` address: connect within ``timeout_s`` and read the length header of the handshake a
    Dask scheduler sends on every new connection. Raises :class:`ConfigError` when nothing listens, nothing
    answers in time, or the answer is not a Dask handshake."""
    parts = urlsplit(address)
    if parts.scheme != "tcp" or parts.hostname is None or parts.port is None:
        return  # TLS, websockets, UCX: the Dask client's own deadline applies
    deadline = time.monotonic() + timeout_s
    try:
        sock = socket.create_connection((parts.hostname, parts.port), timeout=timeout_s)
    except TimeoutError:
        raise ConfigError(
            f"cannot reach the Dask scheduler at {address}: no answer within {timeout_s:g} s ({ENV_TIMEOUT})"
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot reach the Dask scheduler at {address}: {exc.strerror or exc}") from None
    try:
        header = b""
        while len(header) < 8:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = sock.recv(8 - len(header))
            except TimeoutError:
                raise ConfigError(
                    f"{address} accepts connections but sent no Dask handshake within {timeout_s:g} s: "
                    f"not a Dask scheduler? ({ENV_TIMEOUT} sets the wait)"
                ) from None
            except OSError as exc:
                raise ConfigError(f"cannot talk to the Dask scheduler at {address}: {exc.strerror or exc}") from None
            if not chunk:
                raise ConfigError(f"{address} closed the connection without a Dask handshake: not a Dask scheduler")
            header += chunk
    finally:
        sock.close()
    (length,) = struct.unpack("<Q", header)
    if not 0 < length <= _MAX_HANDSHAKE_BYTES:
        raise ConfigError(f"{address} answers, but not as a Dask scheduler (first bytes {header!r})")
