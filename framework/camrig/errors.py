"""The errors camrig raises.

Every error a user can cause derives from :class:`CamrigError`, so the CLI can turn any of them into a
one-paragraph message without a traceback. Errors raised *inside* an accessory are never swallowed: they are
chained (``raise ... from exc``) under a :class:`StageError` that names the plugin, the accessory and the
stage.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from .fit import FitReport

__all__ = [
    "CamrigError",
    "ConfigError",
    "PluginError",
    "UnknownAccessoryError",
    "RigDoesNotFit",
    "StageError",
    "FrameDropped",
    "OutputError",
    "UsageError",
    "Blamed",
    "blame",
    "part_error",
]


class CamrigError(Exception):
    """Base of every error camrig reports to a user."""


class ConfigError(CamrigError):
    """A config file or override is malformed or fails validation.

    The message names the file, the dotted path and, for YAML, the line.
    """


class PluginError(CamrigError):
    """A plugin could not be loaded or registered, or a disabled plugin was asked for."""


class UnknownAccessoryError(ConfigError):
    """An accessory name that no loaded plugin registers; the message suggests the closest names."""


class RigDoesNotFit(CamrigError):
    """The fit checks found at least one error; ``report`` holds every problem."""

    def __init__(self, report: FitReport, doing: str | None = None) -> None:
        """``doing``: what needed a rig that fits, said before the report (``capturing needs ...``)."""
        self.report = report
        super().__init__(f"{doing}\n{report.render()}" if doing else report.render())


class FrameDropped(RuntimeError):
    """Raised *by a part* when the hardware it models loses the frame (a link whose packet stays corrupt after
    every retry). A capture fails with a :class:`StageError` caused by it; a preview stream reports the frame
    as dropped and goes on. Any other exception from a part is a bug and ends the stream as a ``StageError``."""


class StageError(CamrigError):
    """An accessory raised, or returned a frame that breaks what it declared.

    Attributes name where it happened so a program can react without parsing the message.
    """

    def __init__(self, message: str, *, plugin: str, accessory: str, role: str) -> None:
        self.plugin = plugin
        self.accessory = accessory
        self.role = role
        self.detail = message
        """What went wrong, without the part's name."""
        super().__init__(f"{role} '{accessory}' (plugin '{plugin}'): {message}")


class OutputError(CamrigError):
    """An output file cannot be written (exists without force, folder not writable, disk full, ...)."""


class UsageError(CamrigError):
    """A command-line option or argument is invalid (an empty or too long ``--out``, ``--workers 0``, a
    scheduler address that does not parse, ...): found before any work starts or any file is touched."""


class Blamed(Protocol):
    """What names a part in an error: its role in the rig, its accessory's name and the plugin that registered
    it (:class:`camrig.Part` is one)."""

    @property
    def role(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def plugin(self) -> str: ...


def part_error(part: Blamed, message: str) -> StageError:
    """The :class:`StageError` blaming ``part`` for ``message`` (what it did wrong: a value it returned, a frame
    that breaks its declared caps)."""
    return StageError(message, plugin=part.plugin, accessory=part.name, role=part.role)


@contextmanager
def blame(part: Blamed, doing: str, *, passing: tuple[type[Exception], ...] = (CamrigError,)) -> Iterator[None]:
    """Run the body as ``part`` ``doing`` something (``'negotiate()'``, ``'process()'``): an exception it
    raises becomes a :class:`StageError` naming the part and what it was doing, the original chained as its
    cause. Exceptions of the ``passing`` types go through unchanged (by default camrig's own errors, which
    already say where they come from).

    >>> from types import SimpleNamespace
    >>> lens = SimpleNamespace(role="lens", name="optics.ideal", plugin="optics")
    >>> try:
    ...     with blame(lens, "view()"):
    ...         1 / 0
    ... except StageError as exc:
    ...     error = exc
    >>> print(error)
    lens 'optics.ideal' (plugin 'optics'): view() raised ZeroDivisionError: division by zero
    >>> error.role, error.accessory, error.plugin, type(error.__cause__).__name__
    ('lens', 'optics.ideal', 'optics', 'ZeroDivisionError')
    """
    try:
        yield
    except passing:
        raise
    except Exception as exc:
        raise part_error(part, f"{doing} raised {type(exc).__name__}: {exc}") from exc
