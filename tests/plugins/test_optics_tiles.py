"""The lens blurs in tiles on threads: the image is bit-identical for any number of threads. With the per-pixel
sector blend everywhere (SECTOR_BUDGET 0) it equals the whole-frame computation to float round-off; by default a
tile far enough from the centre takes a turned zone at one azimuth (IdealLens.sector_limits), so the image depends
on the tile size, by at most the sector blend's own error E x the largest pinhole irradiance."""

from __future__ import annotations

import math

import numpy as np
import pytest

import camrig
from camrig.router import context
from camrig_optics.ideal import IdealLens
from camrig_optics.psf import is_symmetric, rotated

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


def own_error(lens: IdealLens, plane: camrig.FocalPlane, margin: int, band: float) -> float:
    """The sector blend's own error, largest over the turned zones: ||(K_0 + K_1) / 2 - K(spacing / 2)||_1, K(phi)
    the kernel of the zone's wavefront turned by phi (exact: no interpolation)."""
    spacing = 2 * math.pi / lens.spec.azimuth_sectors
    errors = [0.0]
    for i, zone in enumerate(lens.spec.zones):
        waves = lens.zone_wavefront(i, band)
        if is_symmetric(waves):
            continue  # not turned
        k0, k1 = (lens.kernel(plane, band, waves, margin, None, a).astype(np.float64) for a in (0.0, spacing))
        exact = lens.kernel(plane, band, rotated(waves, spacing / 2), margin).astype(np.float64)
        errors.append(float(np.abs((k0 + k1) / 2 - exact).sum()))
    return max(errors)


@pytest.mark.parametrize(
    ("lens", "scene", "one_azimuth"),
    [
        ({}, {}, True),
        ({"focus_distance_m": 2.0, "subject_distance_m": 1.4}, {"distance_m": 1.5, "tilt_deg": 30}, False),
    ],
    ids=["field zones", "zones x depth layers"],
)
def test_tiles_and_threads_do_not_change_the_image(host, rig_dict, lens, scene, one_azimuth):
    """Threads: bit-identical. Tiles: round-off with the per-pixel blend; by default, within E x the largest
    pinhole irradiance per band (a tile's one azimuth adds at most the blend's own error E; with depth layers
    every tile blends per pixel, so the bound holds at round-off)."""
    rig_dict["rig"]["lens"] = {**ZONED, **lens}
    rig_dict["rig"]["sensor"] = {"type": "sensors.cmos", "width_px": 200, "height_px": 150, "pixel_pitch_um": 1.5}
    rig_dict["rig"]["link"]["bandwidth_gbit_s"] = 100
    rig_dict["capture"]["scene"] = {"type": "scenes.chart", "width_deg": 0.4, **scene}
    rig = camrig.assemble(host, camrig.read_rig(rig_dict))
    lens = rig.parts["lens"].accessory
    radiance = rig.parts["scene"].accessory.process(None, context(rig), "scene")

    def irradiance(tile: int, threads: int, budget: float = IdealLens.SECTOR_BUDGET) -> np.ndarray:
        lens.TILE = tile  # the instance's tile size (the class default is 512)
        lens.SECTOR_BUDGET = budget
        return lens.process(radiance, context(rig, threads=threads), "lens").data

    whole = irradiance(1024, 1, 0.0)  # one tile: the whole frame at once, blended per pixel
    np.testing.assert_allclose(irradiance(48, 1, 0.0), whole, rtol=0, atol=2e-6 * whole.max())  # 5 x 4 tiles
    tiled = irradiance(48, 1)  # the default: far tiles at one azimuth
    np.testing.assert_array_equal(irradiance(48, 3), tiled)
    plane = rig.geometry.plane
    margin = (rig.geometry.view.height - plane.height_px) // 2
    s = lens.spec
    factor = lens.relative_illumination(plane, margin) * math.pi / (4 * s.f_number**2 * (1 + lens.magnification) ** 2)
    for b, band in enumerate(radiance.meta.bands_nm):
        bound = own_error(lens, plane, margin, band) * float((radiance.data[:, :, b] * factor).max())
        difference = np.abs(tiled[:, :, b] - whole[:, :, b])
        assert difference.max() <= bound + 2e-6 * whole.max(), band
        assert (difference.max() > 2e-6 * whole.max()) == one_azimuth  # the one-azimuth path is taken, or not


@pytest.mark.parametrize("threads", [1, 3])
@pytest.mark.parametrize("distorted", [False, "barrel", "pincushion"])
def test_the_image_written_over_the_handed_over_scene_is_the_same(host, rig_dict, threads, distorted):
    """The blur written over the scene's own array (the router hands it over) equals the blur into a fresh one;
    with distortion the blurred ideal image lives there and the remap writes over it, strip by strip, in order."""
    from dataclasses import replace

    rig_dict["rig"]["lens"] = dict(ZONED)
    if distorted:  # barrel: every pixel reads outward; pincushion: the lower half reads rows above its own
        k1 = -0.05 if distorted == "barrel" else 0.05
        rig_dict["rig"]["lens"]["distortion"] = {"model": "poly5", "k1": k1, "k2": 0.01, "norm_radius_mm": 0.18}
        rig_dict["rig"]["lens"]["tca"] = {"model": "poly3", "red": [1.002, 0, 0], "blue": [0.998, 0, 0],
                                          "norm_radius_mm": 0.18}  # fmt: skip
    rig_dict["rig"]["sensor"] = {"type": "sensors.cmos", "width_px": 200, "height_px": 150, "pixel_pitch_um": 1.5}
    rig_dict["rig"]["link"]["bandwidth_gbit_s"] = 100
    rig_dict["capture"]["scene"] = {"type": "scenes.chart", "width_deg": 0.4}
    rig = camrig.assemble(host, camrig.read_rig(rig_dict))
    lens = rig.parts["lens"].accessory
    lens.TILE = 40  # 5 x 4 tiles: every tile reads its neighbours' regions
    lens.STRIP_ROWS = 16  # 10 remap strips, each reading rows the next ones write
    radiance = rig.parts["scene"].accessory.process(None, context(rig), "scene")
    fresh = lens.process(radiance, context(rig, threads=threads), "lens").data
    buffer = radiance.data.copy()  # the scene's memory, as the router hands it over
    handed = camrig.Frame(buffer, radiance.meta)
    over = lens.process(handed, replace(context(rig, threads=threads), reusable=buffer), "lens").data
    # written over the scene (the blur, then the remap over the blur), except where the remap would read rows it
    # has written: pincushion's inward reach (7 px here) beyond the margin; then the remap goes to a fresh array
    assert np.shares_memory(over, buffer) == (distorted != "pincushion")
    if distorted:
        d = lens.distortion_margin_px(rig.geometry.plane, tuple(radiance.meta.bands_nm))
        reach = lens.inward_reach_px(rig.geometry.plane, d, tuple(radiance.meta.bands_nm))
        assert (reach > d - 2) == (distorted == "pincushion"), (reach, d)
    np.testing.assert_array_equal(over, fresh)
