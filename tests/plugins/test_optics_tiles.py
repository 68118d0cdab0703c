"""The lens blurs in tiles on threads: the image equals the whole-frame computation to float round-off, and
is bit-identical for any number of threads."""

from __future__ import annotations

import numpy as np
import pytest

import camrig
from camrig.router import context

ZONED = {  # astigmatism and coma turned to every pixel's azimuth (6 sectors: fewer kernels), blended in radius
    "type": "optics.ideal",
    "focal_length_mm": 35.0,
    "f_number": 1.4,
    "azimuth_sectors": 6,
    "zones": [
        {"field": 0.0, "zernike_waves": {11: 0.04}},
        {"field": 0.7, "zernike_waves": {11: 0.04, 6: 0.06, 8: 0.04}},
        {"field": 1.0, "zernike_waves": {11: 0.04, 6: 0.12, 8: 0.08, 22: 0.02}},
    ],
}


@pytest.mark.parametrize(
    ("lens", "scene"),
    [({}, {}), ({"focus_distance_m": 2.0, "subject_distance_m": 1.4}, {"distance_m": 1.5, "tilt_deg": 30})],
    ids=["field zones", "zones x depth layers"],
)
def test_tiles_and_threads_do_not_change_the_image(host, rig_dict, lens, scene):
    rig_dict["rig"]["lens"] = {**ZONED, **lens}
    rig_dict["rig"]["sensor"] = {"type": "sensors.cmos", "width_px": 200, "height_px": 150, "pixel_pitch_um": 1.5}
    rig_dict["rig"]["link"]["bandwidth_gbit_s"] = 100
    rig_dict["capture"]["scene"] = {"type": "scenes.chart", "width_deg": 0.4, **scene}
    rig = camrig.assemble(host, camrig.read_rig(rig_dict))
    lens = rig.parts["lens"].accessory
    radiance = rig.parts["scene"].accessory.process(None, context(rig), "scene")

    def irradiance(tile: int, threads: int) -> np.ndarray:
        lens.TILE = tile  # the instance's tile size (the class default is 512)
        return lens.process(radiance, context(rig, threads=threads), "lens").data

    whole = irradiance(1024, 1)  # one tile: the whole frame at once
    tiled = irradiance(48, 1)  # 5 x 4 tiles, the last ones partial
    np.testing.assert_allclose(tiled, whole, rtol=0, atol=2e-6 * whole.max())
    np.testing.assert_array_equal(irradiance(48, 3), tiled)


@pytest.mark.parametrize("threads", [1, 3])
def test_the_image_written_over_the_handed_over_scene_is_the_same(host, rig_dict, threads):
    from dataclasses import replace

    rig_dict["rig"]["lens"] = ZONED
    rig_dict["rig"]["sensor"] = {"type": "sensors.cmos", "width_px": 200, "height_px": 150, "pixel_pitch_um": 1.5}
    rig_dict["rig"]["link"]["bandwidth_gbit_s"] = 100
    rig_dict["capture"]["scene"] = {"type": "scenes.chart", "width_deg": 0.4}
    rig = camrig.assemble(host, camrig.read_rig(rig_dict))
    lens = rig.parts["lens"].accessory
    lens.TILE = 40  # 5 x 4 tiles: every tile reads its neighbours' regions
    radiance = rig.parts["scene"].accessory.process(None, context(rig), "scene")
    fresh = lens.process(radiance, context(rig, threads=threads), "lens").data
    buffer = radiance.data.copy()  # the scene's memory, as the router hands it over
    handed = camrig.Frame(buffer, radiance.meta)
    over = lens.process(handed, replace(context(rig, threads=threads), reusable=buffer), "lens").data
    assert np.shares_memory(over, buffer)  # written over the scene
    np.testing.assert_array_equal(over, fresh)
