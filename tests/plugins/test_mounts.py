"""Mounts and adapters: flange arithmetic from published flange distances, and a focal reducer."""

from __future__ import annotations

import pytest

import camrig

PUBLISHED_FLANGE_MM = {"EF": 44.00, "F": 46.50, "M42": 45.46, "MFT": 19.25, "E": 18.00}  # mount makers' figures


@pytest.mark.parametrize(
    "name", ["mounts.ef_mft", "mounts.f_mft", "mounts.m42_mft", "mounts.mft_e", "mounts.ef_mft_reducer"]
)
def test_adapter_lengths_are_the_flange_differences(host, name):
    spec = host.resolve(name).type.spec()
    assert spec.length_mm == pytest.approx(PUBLISHED_FLANGE_MM[spec.front] - PUBLISHED_FLANGE_MM[spec.rear], abs=1e-9)


def lens_rig(rig_dict, adapters):
    rig_dict["rig"].update(
        lens={"type": "optics.ef_50mm_f1_8", "psf": "none"},
        adapters=[{"type": a} for a in adapters],
        sensor={"type": "sensors.cmos", "width_px": 64, "height_px": 48, "pixel_pitch_um": 20.0},
    )
    return rig_dict


def test_an_ef_lens_fits_the_module_through_the_adapter(host, rig_dict):
    report = camrig.assemble(host, camrig.read_rig(lens_rig(rig_dict, ["mounts.ef_mft"])), strict=False).report
    assert report.ok and report.problems == ()


def test_the_focal_reducer_shortens_the_focal_length_and_brightens_the_image(host, rig_dict):
    plain = camrig.assemble(host, camrig.read_rig(lens_rig(rig_dict, ["mounts.ef_mft"])))
    reduced = camrig.assemble(host, camrig.read_rig(lens_rig(rig_dict, ["mounts.ef_mft_reducer"])))
    lens = reduced.part("lens").accessory.spec
    focal_length_mm = plain.part("lens").accessory.spec.focal_length_mm  # the traced preset: 49.994 mm
    assert (lens.focal_length_mm, lens.f_number) == pytest.approx((focal_length_mm * 0.71, 1.8 * 0.71))
    assert (lens.mount, lens.flange_distance_mm) == ("EF", 44.0)  # the adapter still carries the EF flange
    assert reduced.geometry.view.step == pytest.approx(plain.geometry.view.step / 0.71)  # a wider view
    centre = (24, 32, 1)
    e_plain = plain.part("lens").accessory.process(*_radiance(plain)).data[centre]
    e_reduced = reduced.part("lens").accessory.process(*_radiance(reduced)).data[centre]
    assert e_reduced / e_plain == pytest.approx(1 / 0.71**2, rel=1e-3)  # E ~ 1 / N^2: one stop brighter
    assert reduced.capture().raw.data.shape == (48, 64)


def _radiance(rig):
    import numpy as np

    view = rig.geometry.view
    frame = camrig.Frame(
        np.ones((view.height, view.width, 3), np.float32),
        camrig.FrameMeta(format="radiance", units="W/(m^2 sr)", bands_nm=(450.0, 550.0, 650.0)),
    )
    ctx = camrig.CaptureContext(exposure_s=1e-3, seed=0, geometry=rig.geometry)
    return frame, ctx, "lens"


def test_a_lens_that_cannot_be_relayed_says_so(host, rig_dict):
    rig_dict["rig"].update(lens={"type": "fake.pinhole"}, adapters=[{"type": "mounts.ef_mft_reducer"}])
    with pytest.raises(camrig.ConfigError, match="rig.adapters: .*cannot be used through relay optics"):
        camrig.assemble(host, camrig.read_rig(rig_dict))


def test_an_adapter_out_of_square_tilts_the_sensor_against_the_image_plane(host, rig_dict):
    rig_dict = lens_rig(rig_dict, ["mounts.ef_mft"])
    rig_dict["rig"]["adapters"][0].update(tilt_deg=0.3, tilt_azimuth_deg=90)
    lens = camrig.assemble(host, camrig.read_rig(rig_dict)).part("lens").accessory.spec
    assert (lens.sensor_tilt_deg, lens.sensor_tilt_azimuth_deg) == pytest.approx((0.3, 90.0))
    # the phone's magnetic mount holds the whole module: its tolerance never reaches the lens
    rig_dict["rig"]["adapters"] = []
    rig_dict["rig"]["lens"] = {"type": "optics.ideal", "focal_length_mm": 35, "f_number": 2.8, "psf": "none"}
    rig_dict["rig"]["attachment"] = {"type": "mounts.magnetic", "tilt_tolerance_deg": 2.0}
    assert camrig.assemble(host, camrig.read_rig(rig_dict)).part("lens").accessory.spec.sensor_tilt_deg == 0


def test_a_lens_that_cannot_model_a_tilt_says_so(host, rig_dict):
    rig_dict["rig"].update(lens={"type": "fake.pinhole"}, adapters=[{"type": "mounts.ef_mft", "tilt_deg": 0.2}])
    with pytest.raises(camrig.ConfigError, match="rig.adapters: .*cannot model a sensor tilted"):
        camrig.assemble(host, camrig.read_rig(rig_dict))
