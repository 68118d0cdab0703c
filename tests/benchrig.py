"""A noiseless mono bench rig for measurement and target tests: a diffraction-limited optics.ideal lens and a
mono CMOS sensor at 550 nm, everything a test does not override at the values the tests' hand calculations use."""

from __future__ import annotations

from typing import Any

import camrig

NO_NOISE = {"shot": False, "read": False, "row": False, "dsnu": False, "prnu": False, "hot": False, "dark": False}
"""Every noise source of sensors.cmos off."""


def mono_rig(
    scene: dict[str, Any],
    lens: dict[str, Any] | None = None,
    sensor: dict[str, Any] | None = None,
    exposure_s: float = 1e-3,
) -> camrig.Rig:
    """35 mm f/5.6 (40 mm image circle) on a noiseless 384 x 256 mono sensor of 2 um pixels (QE 0.6 at 550 nm,
    50 000 e- full well), magnetic mount; ``scene`` (550 nm), ``lens`` and ``sensor`` fields override, seed 1."""
    spec = {
        "rig": {
            "name": "bench",
            "frame_rate_hz": 1,
            "lens": {
                "type": "optics.ideal",
                "focal_length_mm": 35,
                "f_number": 5.6,
                "image_circle_mm": 40,
                **(lens or {}),
            },
            "sensor": {
                "type": "sensors.cmos",
                "width_px": 384,
                "height_px": 256,
                "pixel_pitch_um": 2.0,
                "cfa": "mono",
                "bands_nm": [550.0],
                "qe": [[0.6]],
                "full_well_e": 50000,
                "noise": NO_NOISE,
                **(sensor or {}),
            },
            "attachment": {"type": "mounts.magnetic"},
        },
        "capture": {"scene": {"bands_nm": [550.0], **scene}, "exposure_s": exposure_s, "seed": 1},
    }
    return camrig.assemble(camrig.Host(env={}), camrig.read_rig(spec))
