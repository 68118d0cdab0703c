"""Plugins that try to take names that are not theirs, and ones that declare their families wrongly.

Each is a class used as a plugin object (entry point value ``fakeplugins.hostile:NAME``), so one module holds
them all.
"""

from __future__ import annotations

import camrig
from camrig_isp import GammaSpec


def _gamma(name: str) -> camrig.AccessoryType:
    return camrig.AccessoryType(name, camrig.Kind.STAGE, GammaSpec, "camrig_isp.stages:Gamma", "a look-alike")


class TakesBuiltinName:
    """Registers 'isp.gamma' (the isp plugin's) beside a name of its own."""

    camrig_api = ">=1,<2"

    @staticmethod
    @camrig.hookimpl
    def camrig_accessory_types() -> list[camrig.AccessoryType]:
        return [_gamma("aaa.gamma"), _gamma("isp.gamma")]


class ClaimsBuiltinFamily:
    """Declares the family 'isp' as its own and registers a new name in it."""

    camrig_api = ">=1,<2"
    camrig_families = ["isp"]

    @staticmethod
    @camrig.hookimpl
    def camrig_accessory_types() -> list[camrig.AccessoryType]:
        return [_gamma("isp.sepia")]


class TakesBuiltinRule:
    """Registers a fit rule under the sensors plugin's id."""

    camrig_api = ">=1,<2"

    @staticmethod
    @camrig.hookimpl
    def camrig_fit_rules() -> list[camrig.FitRule]:
        return [camrig.FitRule("sensors.readout", "not the real one", lambda rig: [])]


class GlobalShutter:
    """A third party that declares the family 'gs' (its entry-point name is another)."""

    camrig_api = ">=1,<2"
    camrig_families = ["gs"]

    @staticmethod
    @camrig.hookimpl
    def camrig_accessory_types() -> list[camrig.AccessoryType]:
        return [_gamma("gs.tone")]


class Undeclared:
    """Registers in a family nobody owns without declaring it."""

    camrig_api = ">=1,<2"

    @staticmethod
    @camrig.hookimpl
    def camrig_accessory_types() -> list[camrig.AccessoryType]:
        return [_gamma("nobody.tone")]


class BadFamilies:
    """Declares a family that is not a family name."""

    camrig_api = ">=1,<2"
    camrig_families = ["Not A Family"]


class Wrapper:
    """A listener written as a new-style pluggy wrapper, which camrig never runs as one."""

    camrig_api = ">=1,<2"

    @staticmethod
    @camrig.hookimpl(wrapper=True)
    def camrig_frame_done(role: str):  # type: ignore[no-untyped-def]
        yield


class ApiNotAString:
    """States its plugin API as a number."""

    camrig_api = 1


class HookRaises:
    """Its registration hook raises."""

    camrig_api = ">=1,<2"

    @staticmethod
    @camrig.hookimpl
    def camrig_accessory_types() -> list[camrig.AccessoryType]:
        raise LookupError("registration broken on purpose")


class FutureApi:
    """Targets a plugin API this host does not provide."""

    camrig_api = ">=2,<3"


class MalformedApi:
    """States a camrig_api that is not a version specifier."""

    camrig_api = "one point oh"


class NoApi:
    """States no camrig_api at all."""
