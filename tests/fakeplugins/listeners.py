"""Listeners, one of which raises, and a rule that raises."""

import camrig

camrig_api = ">=1,<2"
HEARD: list[str] = []


@camrig.hookimpl
def camrig_frame_done(role):
    raise RuntimeError("listener broken on purpose")


@camrig.hookimpl
def camrig_accessory_attached(role):
    HEARD.append(f"attached {role}")


@camrig.hookimpl
def camrig_accessory_detached(role):
    HEARD.append(f"detached {role}")


def _broken_rule(rig):
    raise KeyError("no such thing")


@camrig.hookimpl
def camrig_fit_rules():
    return [camrig.FitRule("listeners.broken", "raises", _broken_rule)]
