"""A video readout's preview is imaged at the size it is read: the lens images the scene onto the preview
grid, and that image agrees with the full-resolution image averaged over each preview pixel's footprint."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

import camrig
from camrig.router import context, image


def rigs(host, rig_dict, layout: str, **lens):
    # a sharp 35mm F1.4 (the module preset's former assumed zones): the traced preset's wider blur spreads its
    # edges beyond the calm mask below, which assumes a blur of about a preview pixel
    sharp = {"type": "optics.ideal", "focal_length_mm": 35, "f_number": 1.4, "image_circle_mm": 22,
             "zones": [{"field": 0, "zernike_waves": {11: 0.04}},
                       {"field": 0.7, "zernike_waves": {11: 0.04, 5: 0.06, 8: 0.04}},
                       {"field": 1, "zernike_waves": {11: 0.04, 5: 0.12, 8: 0.08}}]}  # fmt: skip
    rig_dict["rig"]["lens"] = {**sharp, **lens}
    rig_dict["rig"]["sensor"] = {
        "type": "sensors.cmos", "width_px": 192, "height_px": 144, "pixel_pitch_um": 1.5,
        "preview_readout": {"bin": 2, "skip": 2},
    }  # fmt: skip
    rig_dict["rig"]["link"]["bandwidth_gbit_s"] = 100
    rig_dict["capture"]["scene"] = {"type": "scenes.chart", "width_deg": 0.4, "layout": layout}
    rig = camrig.assemble(host, camrig.read_rig(rig_dict))
    return rig, rig.preview()


def test_the_preview_is_imaged_on_the_preview_grid(host, rig_dict):
    rig, preview = rigs(host, rig_dict, "chart")
    assert preview.geometry.plane == camrig.FocalPlane(width_px=48, height_px=36, pitch_um=6.0)
    assert preview.geometry.view.step == pytest.approx(4 * rig.geometry.view.step)  # the same field, 4x coarser
    irradiance, _ = image(preview, context(preview))
    assert irradiance.data.shape == (36, 48, 3) and irradiance.meta.pitch == 6.0
    raw = preview.capture(seed=1).raw
    assert raw.data.shape == (36, 48) and raw.meta.pitch == 6.0 and raw.meta.cfa == "RGGB"


@pytest.mark.parametrize("layout", ["flat", "edge"])
def test_the_preview_image_is_the_full_image_averaged_over_each_preview_pixel(host, rig_dict, layout):
    rig, _ = rigs(host, rig_dict, layout)
    full = image(rig, context(rig))[0].data.astype(np.float64)
    # Each preview pixel integrates the blurred image over its 6 um square, the 4 x 4 full pixels it covers.
    binned = full.reshape(36, 4, 48, 4, 3).mean(axis=(1, 3))
    # With the scene sampled as finely as the full sensor samples it (4 x 4 per preview pixel), the preview's
    # image is the full one averaged: only the blur kernel's sampling differs.
    _, fine = rigs(host, rig_dict, layout, scene_supersampling=4)
    small = image(fine, context(fine))[0].data.astype(np.float64)
    np.testing.assert_allclose(small, binned, rtol=2e-3, atol=1e-3 * binned.max())
    # As streamed (the scene sampled at preview pixel centres): the same where nothing varies within a pixel;
    # at the chart's edges the coarse samples alias, as the preview's own sampling does.
    _, preview = rigs(host, rig_dict, layout)
    small = image(preview, context(preview))[0].data.astype(np.float64)
    if layout == "flat":  # nothing to alias: the two agree everywhere, cos^4 fall-off included
        np.testing.assert_allclose(small, binned, rtol=2e-3)
        return
    steep = np.zeros(binned.shape[:2], bool)
    for axis in (0, 1):
        jump = np.abs(np.diff(binned, axis=axis)).max(axis=2) > 1e-2 * binned.max()
        lead, trail = [slice(None)] * 2, [slice(None)] * 2
        lead[axis], trail[axis] = slice(1, None), slice(None, -1)
        steep[tuple(lead)] |= jump
        steep[tuple(trail)] |= jump
    calm = ~ndimage.binary_dilation(steep, iterations=2)  # an edge point-sampled moves by up to a preview pixel
    assert calm.mean() > 0.5  # the comparison covers a good part of the frame
    np.testing.assert_allclose(small[calm], binned[calm], rtol=3e-3, atol=2e-3 * binned.max())
    assert small.mean() == pytest.approx(binned.mean(), rel=0.05)  # aliasing moves a few % of the flux here
