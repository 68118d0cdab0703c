"""The host: owns a plugin manager, loads plugins, keeps the registry of accessory types and rules.

There is no module-global plugin manager: every :class:`Host` owns its own, so a program (or a test) can
build as many isolated hosts as it likes::

    host = camrig.Host()                       # every installed plugin, minus CAMRIG_DISABLE_PLUGINS
    host = camrig.Host(disable=["isp"])        # like pytest's -p no:isp
    host = camrig.Host(entry_points=[], plugins={"mine": my_module})   # exactly these plugins

Plugins are found through the entry-point group ``camrig``. We walk the entry points ourselves rather than
calling ``PluginManager.load_setuptools_entrypoints``: that call stops at the first plugin that fails to
import, and one broken plugin must not take the others down. Blocking uses pluggy's own ``set_blocked``.

Families: the part of an accessory name (or fit rule id) before the dot is its *family*, and a family belongs
to one plugin: by default the family named like the plugin's entry point, plus any the plugin declares in
``camrig_families``. A plugin that registers a name in a family it does not own, or declares a family another
plugin owns, is refused and registers nothing. The families of the plugins shipped with camrig itself are
reserved for them whatever the load order, even when they are disabled, so an installed package can never
take over or knock out a built-in accessory.
"""

from __future__ import annotations

import difflib
import logging
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from importlib.metadata import EntryPoint, PackageNotFoundError, distribution, entry_points
from typing import Any

import pluggy
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version
from pydantic import ValidationError

from . import _rules, hookspecs
from .accessory import KIND_BASES, AccessoryType, Kind
from .claims import ClaimKind
from .config import PartConfig, Source, format_validation_error
from .errors import ConfigError, PluginError, UnknownAccessoryError
from .fit import FitRule
from .hookspecs import PROJECT

__all__ = [
    "Host",
    "PluginInfo",
    "PluginStatus",
    "Registered",
    "Part",
    "PLUGIN_API_VERSION",
    "ENTRY_POINT_GROUP",
    "FAMILY",
    "usable_cores",
]

PLUGIN_API_VERSION = "1.0"
"""Version of the plugin contract in :mod:`camrig.hookspecs`. Plugins state a specifier over it."""

ENTRY_POINT_GROUP = "camrig"
ENV_DISABLE = "CAMRIG_DISABLE_PLUGINS"
ENV_ALLOW = "CAMRIG_ALLOW_PLUGINS"
BUILTIN = "camrig"
"""Plugin name under which the host registers its own rules (the host runs on its own hooks)."""
DISTRIBUTION = "camrig"
"""The distribution whose ``camrig`` entry points are the built-in plugins."""
FAMILY = re.compile(r"^[a-z][a-z0-9_]*$")
"""A family name: the part of a qualified name before the dot."""

log = logging.getLogger("camrig")


class PluginStatus(StrEnum):
    """What became of a plugin the host found."""

    LOADED = "loaded"
    """Registered: its accessory types, rules and listeners are in use."""
    DISABLED = "disabled"
    """Not imported, as asked (``-p no:NAME``, deny/allow lists)."""
    FAILED = "failed"
    """Broken: it did not import, states no valid ``camrig_api``, a hook raised or returned something invalid,
    or it implements unknown or wrapper hooks."""
    REFUSED = "refused"
    """Sound, but the host would not take it: it targets another plugin API, or wants a plugin name, family
    or accessory name another plugin owns."""


@dataclass(frozen=True)
class PluginInfo:
    """What the host knows about one plugin."""

    name: str
    """Entry-point name (what ``-p no:NAME`` and allow/deny lists use)."""
    version: str
    """Version of the distribution that ships it ('unknown' when registered directly)."""
    status: PluginStatus
    detail: str = ""
    """Why it is disabled, failed or was refused; empty when loaded."""
    api: str | None = None
    """The plugin-API specifier it states (``camrig_api``), None when unknown (not imported, or not stated)."""
    families: tuple[str, ...] = ()
    """Families it owns (loaded) or asked for; only its default family (its name) when it was not imported."""
    hooks: tuple[str, ...] = ()
    """Hooks it implements, sorted (empty when it was not imported or not registered)."""
    builtin: bool = False
    """True for the plugins shipped with camrig (and the host's own rules)."""


@dataclass(frozen=True)
class Registered:
    """An accessory type and the plugin that registered it."""

    type: AccessoryType
    plugin: str
    version: str


@dataclass(frozen=True)
class Part:
    """A built accessory in its place in a rig."""

    role: str
    """Where it sits: 'lens', 'adapters[0]', 'stages[2]', ..."""
    accessory: Any
    """The built :class:`camrig.Accessory` (typed ``Any`` so rules can read kind-specific spec fields)."""
    registered: Registered

    @property
    def name(self) -> str:
        return self.registered.type.name

    @property
    def plugin(self) -> str:
        return self.registered.plugin

    @property
    def label(self) -> str:
        return f"{self.role} ({self.name})"


def _env_list(env: Mapping[str, str], key: str) -> list[str]:
    return [n.strip() for n in env.get(key, "").split(",") if n.strip()]


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity where the platform has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class Host:
    """Plugin discovery and the accessory registry.

    Parameters
    ----------
    entry_points:
        Entry points to load; default: every installed one in the ``camrig`` group.
    plugins:
        Further plugins to register directly, by name (modules or objects with ``@hookimpl`` functions).
    disable:
        Plugin names not to load (CLI ``-p no:NAME``, config ``plugins.disable``).
    allow:
        If given, load only these plugins (plus the host's own rules).
    env:
        Environment to read ``CAMRIG_DISABLE_PLUGINS`` / ``CAMRIG_ALLOW_PLUGINS`` from (comma-separated);
        default ``os.environ``. Pass ``{}`` to ignore the environment.
    threads:
        Threads a capture may use; default: every core this process may run on (:func:`usable_cores`).

    >>> host = Host(env={}, disable=["isp"])
    >>> host.resolve("optics.ideal").plugin
    'optics'
    >>> [(p.name, p.status.value) for p in host.plugins if p.name in ("isp", "optics")]
    [('isp', 'disabled'), ('optics', 'loaded')]
    >>> host.resolve("isp.gamma")
    Traceback (most recent call last):
    ...
    camrig.errors.UnknownAccessoryError: unknown accessory 'isp.gamma'...Plugin 'isp' ... is disabled: disabled.
    """

    def __init__(
        self,
        *,
        entry_points: Iterable[EntryPoint] | None = None,
        plugins: Mapping[str, object] | None = None,
        disable: Iterable[str] = (),
        allow: Iterable[str] | None = None,
        env: Mapping[str, str] | None = None,
        threads: int | None = None,
    ) -> None:
        env = os.environ if env is None else env
        self.threads = threads or usable_cores()
        """Threads a capture may use (``CaptureContext.threads``)."""
        self._pm = pluggy.PluginManager(PROJECT)
        self._pm.add_hookspecs(hookspecs)
        self._plugins: dict[str, PluginInfo] = {}
        self._name_clashes: list[PluginInfo] = []
        self._types: dict[str, Registered] = {}
        self._rules: dict[str, tuple[FitRule, str]] = {}
        self._claim_kinds: dict[str, tuple[ClaimKind, str]] = {}
        self._builtin_eps = _builtin_entry_points()
        self._families: dict[str, str] = {BUILTIN: BUILTIN}
        """Family -> owning plugin. The built-in plugins' families are theirs before any plugin loads."""
        self._families.update({name: name for name in self._builtin_eps})

        self._disabled = {name: "disabled" for name in disable}
        self._disabled.update({n: f"disabled by {ENV_DISABLE}" for n in _env_list(env, ENV_DISABLE)})
        allowed = set(allow) if allow is not None else None
        if env.get(ENV_ALLOW):
            allowed = (allowed or set()) | set(_env_list(env, ENV_ALLOW))
        self._allowed = allowed
        if BUILTIN in self._disabled:  # the host's own fit rules are not a plugin a user can switch off
            raise PluginError(
                f"'{BUILTIN}' is the host itself ({self._disabled[BUILTIN]}): its fit rules cannot be disabled"
            )
        for name in self._disabled:
            self._pm.set_blocked(name)

        self._add(BUILTIN, _rules, version=PLUGIN_API_VERSION, builtin=True)
        eps = entry_points if entry_points is not None else _installed_entry_points()
        for ep in sorted(eps, key=lambda ep: not self._is_builtin(ep)):  # built-ins first: they keep their names
            self._load_entry_point(ep)
        self._recipe: dict[str, Any] | None = None
        if entry_points is None and not plugins:  # rebuildable elsewhere from the installed plugins alone
            self._recipe = {
                "disable": sorted(self._disabled),
                "allow": None if allowed is None else sorted(allowed),
                "threads": threads,
            }
        for name, plugin in (plugins or {}).items():
            if name in self._plugins:
                self._fail(name, "unknown", f"another plugin is already named '{name}'")
                continue
            if self._skip(name, "unknown"):
                continue
            if self._check_api(name, plugin, "unknown"):
                self._add(name, plugin, version="unknown", builtin=False)
        self.unknown_names = self._report_unknown_names()
        """Names in the deny or allow list that no plugin has (each also logged, with the closest names)."""

    def _report_unknown_names(self) -> list[str]:
        known = sorted({BUILTIN, *self._plugins})
        listed = [(n, "disable list") for n in self._disabled] + [
            (n, "allow list") for n in sorted(self._allowed or ())
        ]
        unknown = []
        for name, where in listed:
            if name in known:
                continue
            close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
            hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else f"; plugins: {', '.join(known)}"
            unknown.append(name)
            log.warning("camrig: warning: %s names no plugin '%s'%s", where, name, hint)
        return unknown

    def recipe(self) -> dict[str, Any] | None:
        """Keyword arguments that build the same host in another process (``Host(env={}, **recipe)``), or None
        when this one holds plugin objects or entry points that only exist here."""
        return None if self._recipe is None else dict(self._recipe)

    # -- loading ---------------------------------------------------------------------------------------------

    def _is_builtin(self, ep: EntryPoint) -> bool:
        return self._builtin_eps.get(ep.name) == ep.value

    def _skip(self, name: str, version: str, builtin: bool = False) -> bool:
        reason = self._disabled.get(name)
        if reason is None and self._allowed is not None and name not in self._allowed:
            reason = "not in the allow list"
        if reason is not None:
            families = (name,) if FAMILY.match(name) else ()  # its default family; any it declares are unknown
            self._plugins[name] = PluginInfo(
                name, version, PluginStatus.DISABLED, reason, families=families, builtin=builtin
            )
            return True
        return False

    def _fail(
        self, name: str, version: str, detail: str, status: PluginStatus = PluginStatus.FAILED, **known: Any
    ) -> bool:
        """Record that plugin ``name`` did not load (``known``: further :class:`PluginInfo` fields) and log it once."""
        info = PluginInfo(name, version, status, detail, **known)
        if name in self._plugins:  # a second plugin under a taken name: report it beside the first
            self._name_clashes.append(info)
        else:
            self._plugins[name] = info
        log.error("camrig plugin '%s' %s: %s", name, status.value, detail)
        return False

    def _load_entry_point(self, ep: EntryPoint) -> None:
        version = ep.dist.version if ep.dist is not None else "unknown"
        builtin = self._is_builtin(ep)
        if ep.name in self._plugins:
            self._fail(
                ep.name,
                version,
                f"entry point '{ep.value}': another plugin is already named '{ep.name}'",
                PluginStatus.REFUSED,
            )
            return
        if self._skip(ep.name, version, builtin):
            return
        try:
            plugin = ep.load()
        except Exception as exc:  # noqa: BLE001 - any import failure is the plugin's, reported by name
            self._fail(ep.name, version, f"import of '{ep.value}' failed: {type(exc).__name__}: {exc}", builtin=builtin)
            return
        if self._check_api(ep.name, plugin, version):
            self._add(ep.name, plugin, version, builtin)

    def _check_api(self, name: str, plugin: object, version: str) -> bool:
        stated = getattr(plugin, "camrig_api", None)
        if stated is None:
            return self._fail(name, version, "does not state the plugin API it targets (camrig_api = '>=1,<2')")
        if not isinstance(stated, str):
            return self._fail(name, version, f"camrig_api must be a string like '>=1,<2', not {stated!r}")
        try:
            ok = Version(PLUGIN_API_VERSION) in SpecifierSet(stated)
        except InvalidSpecifier:
            return self._fail(name, version, f"camrig_api {stated!r} is not a version specifier like '>=1,<2'")
        if not ok:
            return self._fail(
                name,
                version,
                f"targets camrig plugin API '{stated}', but this host provides {PLUGIN_API_VERSION}",
                PluginStatus.REFUSED,
                api=stated,
            )
        return True

    def _add(self, name: str, plugin: object, version: str, builtin: bool) -> None:
        """Register ``plugin`` and its families, types and rules, all or nothing."""
        api = getattr(plugin, "camrig_api", None)
        api = api if isinstance(api, str) else None
        try:
            families = self._families_of(name, plugin, builtin)
        except _Rejected as rejected:
            self._fail(name, version, str(rejected), rejected.status, api=api, builtin=builtin)
            return
        known: dict[str, Any] = {"api": api, "families": families, "builtin": builtin}
        try:
            self._pm.register(plugin, name)
        except Exception as exc:  # noqa: BLE001 - pluggy validation errors, duplicate names
            self._fail(name, version, f"cannot register: {exc}", **known)
            return
        hooks = tuple(sorted(hc.name for hc in self._pm.get_hookcallers(plugin) or ()))
        try:
            types, rules, claim_kinds = self._collect(name, plugin, families, builtin)
        except _Rejected as rejected:
            self._pm.unregister(plugin)
            self._fail(name, version, str(rejected), rejected.status, hooks=hooks, **known)
            return
        for family in families:
            self._families[family] = name
        for t in types:
            self._types[t.name] = Registered(t, name, version)
        for r in rules:
            self._rules[r.id] = (r, name)
        for k in claim_kinds:
            self._claim_kinds[k.name] = (k, name)
        self._plugins[name] = PluginInfo(name, version, PluginStatus.LOADED, hooks=hooks, **known)

    def _families_of(self, name: str, plugin: object, builtin: bool) -> tuple[str, ...]:
        """The families ``plugin`` asks for (its name, if that is a family name, and ``camrig_families``),
        refused if another plugin owns one of them."""
        declared = getattr(plugin, "camrig_families", ())
        if isinstance(declared, str) or not isinstance(declared, Iterable):
            raise _Rejected(f"camrig_families must be a list of family names like ['acme'], not {declared!r}")
        declared = list(declared)
        bad = [f for f in declared if not (isinstance(f, str) and FAMILY.match(f))]
        if bad:
            raise _Rejected(f"camrig_families holds {bad[0]!r}, not a family name (lower case, like 'acme')")
        families = ([name] if FAMILY.match(name) else []) + [f for f in declared if f != name]
        for family in families:
            owner = self._families.get(family)
            if owner is None or (owner == name and (builtin or name not in self._builtin_eps)):
                continue
            whose = (
                f"the built-in plugin '{owner}'"
                if owner in self._builtin_eps or owner == BUILTIN
                else f"plugin '{owner}'"
            )
            raise _Rejected(f"cannot take family '{family}': it belongs to {whose}", PluginStatus.REFUSED)
        return tuple(dict.fromkeys(families))

    def _collect(
        self, name: str, plugin: object, families: tuple[str, ...], builtin: bool
    ) -> tuple[list[AccessoryType], list[FitRule], list[ClaimKind]]:
        callers = self._pm.get_hookcallers(plugin) or ()
        unknown = [hc.name for hc in callers if not hc.has_spec()]
        if unknown:
            raise _Rejected(f"implements unknown hook(s) {unknown}; see camrig.hookspecs")
        wrappers = [
            hc.name
            for hc in callers
            for impl in hc.get_hookimpls()
            if impl.plugin is plugin and (impl.wrapper or impl.hookwrapper)
        ]
        if wrappers:
            raise _Rejected(
                f"hook(s) {wrappers} are wrappers (wrapper=True or hookwrapper=True); camrig calls each plugin's "
                "hooks itself, so a wrapper would never run: use a plain @camrig.hookimpl"
            )
        types = self._call_own("camrig_accessory_types", name)
        rules = self._call_own("camrig_fit_rules", name)
        claim_kinds = self._call_own("camrig_claim_kinds", name)
        problems: list[str] = []
        refused: list[str] = []

        def owned(what: str, qualified: str) -> bool:
            """Whether ``qualified`` is in one of this plugin's families; a name in another's is refused."""
            family = qualified.partition(".")[0]
            if name == BUILTIN or family in families:  # the host's own rules keep their historical ids
                return True
            owner = self._families.get(family)
            if owner is not None:
                refused.append(f"{what} '{qualified}' is in family '{family}', which belongs to plugin '{owner}'")
            else:
                problems.append(
                    f"{what} '{qualified}' is in family '{family}', which is not one of this plugin's "
                    f"({', '.join(families) or 'none'}); declare it: camrig_families = ['{family}']"
                )
            return False

        def check(
            entries: list[Any],
            cls: type[AccessoryType | ClaimKind],
            hook: str,
            what: str,
            owner_of: Callable[[str], str | None],
        ) -> None:
            """Each entry of ``hook``: of its class, valid, in this plugin's families, new to the host and to it."""
            seen: set[str] = set()
            for entry in entries:
                if not isinstance(entry, cls):
                    problems.append(f"{hook} returned {entry!r}, not a camrig.{cls.__name__}")
                    continue
                found = entry.problems()
                problems.extend(f"{what} {entry.name!r}: {p}" for p in found)
                if found or not owned(what, entry.name):
                    continue
                owner = owner_of(entry.name)
                if owner is not None:
                    refused.append(f"{what} '{entry.name}' is already registered by plugin '{owner}'")
                elif entry.name in seen:
                    problems.append(f"{what} '{entry.name}' is registered twice by this plugin")
                seen.add(entry.name)

        check(types, AccessoryType, "camrig_accessory_types", "accessory",
              lambda n: self._types[n].plugin if n in self._types else None)  # fmt: skip
        for r in rules:
            if not isinstance(r, FitRule):
                problems.append(f"camrig_fit_rules returned {r!r}, not a camrig.FitRule")
            elif not owned("fit rule", r.id):
                continue
            elif r.id in self._rules:
                refused.append(f"fit rule '{r.id}' is already registered by plugin '{self._rules[r.id][1]}'")
        check(claim_kinds, ClaimKind, "camrig_claim_kinds", "claim kind",
              lambda n: self._claim_kinds[n][1] if n in self._claim_kinds else None)  # fmt: skip
        if problems:
            raise _Rejected("; ".join(problems + refused))
        if refused:
            raise _Rejected("; ".join(refused), PluginStatus.REFUSED)
        return types, rules, claim_kinds

    def _call_own(self, hook: str, plugin_name: str) -> list[Any]:
        """Call ``hook`` on one plugin only, flattening the sequences it returns."""
        out: list[Any] = []
        for impl in getattr(self._pm.hook, hook).get_hookimpls():
            if impl.plugin_name != plugin_name:
                continue
            try:
                result = impl.function()
            except Exception as exc:  # noqa: BLE001
                raise _Rejected(f"{hook} raised {type(exc).__name__}: {exc}") from exc
            if result is None:
                continue
            if not isinstance(result, Iterable) or isinstance(result, (str, bytes)):
                raise _Rejected(f"{hook} must return a sequence, got {type(result).__name__}")
            out.extend(result)
        return out

    # -- queries ---------------------------------------------------------------------------------------------

    @property
    def plugins(self) -> list[PluginInfo]:
        """Every plugin seen, loaded or not, sorted by name (a name used twice appears twice)."""
        return sorted([*self._plugins.values(), *self._name_clashes], key=lambda p: p.name)

    @property
    def accessory_types(self) -> list[Registered]:
        """Every registered accessory type, sorted by name."""
        return [self._types[n] for n in sorted(self._types)]

    @property
    def claim_kinds(self) -> dict[str, tuple[ClaimKind, str]]:
        """Every registered claim kind by qualified name, with the plugin that contributed it."""
        return dict(sorted(self._claim_kinds.items()))

    @property
    def rules(self) -> list[tuple[FitRule, str]]:
        """Every fit rule with the plugin that contributed it."""
        return list(self._rules.values())

    def status_report(self, name: str | None = None) -> list[dict[str, Any]]:
        """Every plugin seen (or those named ``name``), as JSON-ready records: name, status and reason,
        version, whether it is built in, the plugin API range it targets, its families, the accessory types,
        fit rules, claim kinds and hooks it contributes. What ``camrig plugins --json`` prints."""
        infos = [p for p in self.plugins if name is None or p.name == name]
        if name is not None and not infos:
            close = difflib.get_close_matches(name, [p.name for p in self.plugins], n=3, cutoff=0.6)
            hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else "."
            known = ", ".join(sorted({p.name for p in self.plugins}))
            raise PluginError(f"no plugin named '{name}'{hint} Plugins found: {known}.")
        records = []
        for info in infos:
            loaded = info.status is PluginStatus.LOADED
            types = [r.type for r in self.accessory_types if loaded and r.plugin == info.name]
            rules = [r for r, plugin in self.rules if loaded and plugin == info.name]
            records.append(
                {
                    "name": info.name,
                    "status": info.status.value,
                    "reason": info.detail,
                    "version": info.version,
                    "builtin": info.builtin,
                    "api": info.api,
                    "families": list(info.families),
                    "accessories": [{"name": t.name, "kind": t.kind.value, "summary": t.summary} for t in types],
                    "fit_rules": [{"id": r.id, "summary": r.summary} for r in rules],
                    "claim_kinds": [
                        {"name": k.name, "units": list(k.units), "conditions": list(k.conditions), "summary": k.summary}
                        for k, plugin in self._claim_kinds.values()
                        if loaded and plugin == info.name
                    ],
                    "hooks": list(info.hooks),
                }
            )
        return records

    def resolve(self, name: str) -> Registered:
        """The registration of ``name``; an unknown name names the closest ones and the disabled plugins."""
        try:
            return self._types[name]
        except KeyError:
            pass
        msg = f"unknown accessory '{name}'"
        close = difflib.get_close_matches(name, self._types, n=3, cutoff=0.6)
        if close:
            msg += f"; did you mean {', '.join(repr(c) for c in close)}?"
        family = name.partition(".")[0]
        if any(t.partition(".")[0] == family for t in self._types):
            raise UnknownAccessoryError(msg)
        off = [p for p in self._plugins.values() if p.status is not PluginStatus.LOADED]
        owner = next((p for p in off if family in p.families), None)
        if owner is None and family in self._families and self._families[family] not in self._plugins:
            msg += f" Family '{family}' belongs to the built-in plugin '{self._families[family]}', which was not found."
        elif owner is not None:
            msg += (
                f" Plugin '{owner.name}' would provide family '{family}' but is {owner.status.value}: {owner.detail}."
            )
        else:
            unknown = [p for p in off if p.status is PluginStatus.DISABLED or p.api is None]  # families not all known
            if unknown:
                msg += (
                    f" No loaded plugin provides family '{family}'; these plugins were not loaded and may: "
                    + ", ".join(f"'{p.name}' ({p.status.value}: {p.detail})" for p in unknown)
                    + "."
                )
            else:
                msg += f" No installed plugin provides family '{family}'."
        raise UnknownAccessoryError(msg)

    def build(self, part: PartConfig, kind: Kind, role: str, source: Source, path: tuple[str | int, ...]) -> Part:
        """Validate a part's spec and build the accessory, with errors pointing into the config."""
        where = f"{source.where((*path, 'type'))}: {'.'.join(map(str, path))}"
        try:
            reg = self.resolve(part.type)
        except UnknownAccessoryError as exc:
            raise UnknownAccessoryError(f"{where}: {exc}") from None
        if reg.type.kind != kind:
            raise ConfigError(f"{where}: '{part.type}' is a {reg.type.kind.value}, not a {kind.value}")
        try:
            spec = reg.type.spec.model_validate(part.spec_fields)
        except ValidationError as exc:
            raise ConfigError(format_validation_error(exc, source, path, reg.type.spec)) from None
        try:
            accessory = reg.type.load_factory()(spec)
        except Exception as exc:
            raise PluginError(
                f"{where}: plugin '{reg.plugin}' failed to build '{reg.type.name}': {type(exc).__name__}: {exc}"
            ) from exc
        base = KIND_BASES[kind][0]
        if not isinstance(accessory, base):
            raise PluginError(
                f"{where}: plugin '{reg.plugin}' built {type(accessory).__name__} for '{reg.type.name}', "
                f"which is not a camrig.{base.__name__}"
            )
        return Part(role, accessory, reg)

    def writer_for(self, suffix: str) -> Registered:
        """The writer registered for a file suffix (e.g. '.png')."""
        suffix = suffix.lower()
        found = [r for r in self.accessory_types if r.type.kind is Kind.WRITER and suffix in r.type.suffixes]
        if not found:
            known = sorted({s for r in self.accessory_types if r.type.kind is Kind.WRITER for s in r.type.suffixes})
            raise ConfigError(
                f"no writer for '{suffix or '(no suffix)'}' files; writers handle {', '.join(known) or 'nothing'}"
            )
        return found[0]

    def listens(self, hook: str) -> bool:
        """Whether any plugin implements the listener hook ``hook``."""
        return bool(getattr(self._pm.hook, hook).get_hookimpls())

    def notify(self, hook: str, **kwargs: Any) -> None:
        """Call a listener hook on every plugin; a listener that raises is logged and skipped."""
        for impl in getattr(self._pm.hook, hook).get_hookimpls():
            try:
                impl.function(*(kwargs[a] for a in impl.argnames))
            except Exception:  # noqa: BLE001 - listeners never stop the host
                log.exception("camrig listener %s of plugin '%s' raised", hook, impl.plugin_name)


class _Rejected(Exception):
    """A plugin's registration is invalid (or, with ``status`` REFUSED, conflicts with another's)."""

    def __init__(self, message: str, status: PluginStatus = PluginStatus.FAILED) -> None:
        super().__init__(message)
        self.status = status


def _installed_entry_points() -> list[EntryPoint]:
    return sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name)


def _builtin_entry_points() -> dict[str, str]:
    """Name -> value of the entry points the camrig distribution itself ships: the built-in plugins."""
    try:
        dist = distribution(DISTRIBUTION)
    except PackageNotFoundError:  # running from a source tree that is not installed: no plugin is built in
        return {}
    return {ep.name: ep.value for ep in dist.entry_points if ep.group == ENTRY_POINT_GROUP}
