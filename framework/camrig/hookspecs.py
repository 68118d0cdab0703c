"""The plugin contract: every hook a camrig plugin may implement.

A plugin is a module (or object) registered under the entry-point group ``camrig``. It states the plugin-API
versions it targets in a module attribute, and implements any of the hooks below with ``@camrig.hookimpl``::

    # my_lenses/__init__.py
    import camrig

    camrig_api = ">=1,<2"          # PEP 440 specifier over camrig.PLUGIN_API_VERSION

    @camrig.hookimpl
    def camrig_accessory_types():
        return [camrig.AccessoryType(name="acme.tele", kind=camrig.Kind.LENS,
                                     spec=TeleSpec, factory="my_lenses.tele:Tele")]

Rules of the house:

* Keep the entry-point module light (pydantic specs and registrations); point ``factory`` at an import string
  so heavy dependencies load only when an accessory is built.
* A plugin owns its families: by default the one named like its entry point, plus any listed in a module
  attribute ``camrig_families = ["acme"]``. A name (accessory or fit rule) in another plugin's family, or a
  declared family that another plugin owns, gets the plugin refused. The built-in plugins' families are
  reserved for them whatever the load order.
* Registration is all or nothing: if any accessory type a plugin returns is invalid, or its name is not the
  plugin's to take, none of that plugin's types, rules or listeners stay registered, and the problem is
  reported under the plugin's name. Other plugins load regardless.
* Implementations are plain ``@hookimpl`` functions; wrappers (``wrapper=True``, ``hookwrapper=True``) are
  refused at load, since the host calls each plugin's hooks itself.
* Listener hooks are notifications: an exception raised in one is logged with the plugin's name and never
  stops a capture or the other listeners.

Every hook here is documented; ``tests/test_hookspecs.py`` fails if one is not.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from .accessory import Accessory, AccessoryType
    from .claims import ClaimKind
    from .fit import FitRule
    from .frame import Frame
    from .rig import Rig

PROJECT = "camrig"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# -- registration -------------------------------------------------------------------------------------------


@hookspec
def camrig_accessory_types() -> Sequence[AccessoryType]:
    """Return the accessory types this plugin provides.

    Called once per plugin when the host loads it. Names must be qualified (``family.name``) and their
    family one of the plugin's own: its entry-point name, or one it declares in ``camrig_families``. Each
    type's ``spec`` must subclass the spec base of its kind (``camrig.LensSpec`` for lenses, ...). Return an
    empty sequence if the plugin contributes only rules or listeners.
    """


@hookspec
def camrig_fit_rules() -> Sequence[FitRule]:
    """Return fit rules to run on every rig before frames flow.

    Each :class:`camrig.FitRule` has an id (``family.rule``, in one of the plugin's families), a one-line summary and a
    ``check(rig)`` callable yielding :class:`camrig.Problem` objects. A rule that raises is reported as an error problem
    naming the rule and its plugin; it does not abort the other checks.
    """


@hookspec
def camrig_claim_kinds() -> Sequence[ClaimKind]:
    """Return the claim kinds this plugin provides: quantities a product may claim that ``camrig audit`` can
    hold against physics.

    Called once per plugin when the host loads it, like ``camrig_accessory_types``: each
    :class:`camrig.ClaimKind` has a qualified name (``family.quantity``, in one of the plugin's families; a
    claims file may write the quantity alone), the unit spellings a claim may use, the condition names it
    understands, and ``assess(rig, claim) -> camrig.Assessment`` (or an import string to it) that returns the
    value, the physical bound with its formula, what would make a failing claim hold and the assumptions, or
    raises :class:`camrig.Untestable` with the reason the rig does not let it test the claim. An invalid kind,
    or a name another plugin owns, gets the plugin's whole registration refused. See ``docs/claims.md``.
    """


# -- listeners ----------------------------------------------------------------------------------------------


@hookspec
def camrig_rig_assembled(rig: Rig) -> None:
    """Called after a rig passed its fit checks and is ready for frames."""


@hookspec
def camrig_accessory_attached(rig: Rig, role: str, accessory: Accessory) -> None:  # type: ignore[type-arg]
    """Called when an accessory becomes part of a rig (at assembly, and on hot-plug attach)."""


@hookspec
def camrig_accessory_detached(rig: Rig, role: str, accessory: Accessory) -> None:  # type: ignore[type-arg]
    """Called when an accessory leaves a rig (when the rig is closed, and on hot-plug detach)."""


@hookspec
def camrig_frame_done(rig: Rig, role: str, frame: Frame, compute_s: float) -> None:
    """Called after each accessory in the chain produced a frame.

    ``role`` is the accessory's position (``'lens'``, ``'stages[2]'``, ...); ``compute_s`` the measured
    compute time of that step in seconds (modelled time is in ``frame.meta.modelled_ns``). The frame is
    read-only.
    """


LISTENER_HOOKS = ("camrig_rig_assembled", "camrig_accessory_attached", "camrig_accessory_detached", "camrig_frame_done")
