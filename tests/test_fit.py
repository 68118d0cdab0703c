"""Fit checks before frames flow, with the numbers worked out by hand."""

from __future__ import annotations

import math

import pytest

import camrig


def check(host, rig_dict, *overrides):
    return camrig.assemble(host, camrig.read_rig(rig_dict, overrides), strict=False).report


def by_rule(report):
    return {p.rule: p for p in report.problems}


def test_small_rig_fits(host, rig_dict):
    report = check(host, rig_dict)
    assert report.ok and report.problems == ()


def test_ef_lens_on_mft_module_reports_chain_flange_coverage_and_link(host):
    report = camrig.assemble(host, camrig.read_rig("examples/rigs/does_not_fit.yaml"), strict=False).report
    assert not report.ok
    found = by_rule(report)
    assert set(found) == {"mount.chain", "mount.flange", "optics.coverage", "link.bandwidth"}
    assert found["mount.chain"].suggestion == "add an adapter with front 'EF' and rear 'MFT'"
    # EF flange 44.00 mm - MFT 19.25 mm = 24.75 mm of adapter
    assert "24.75 mm" in found["mount.flange"].suggestion
    # 11520 x 8640 px x 14 bit = 174,182,400 bytes; 10 Gbit/s carries 10e9 / (8 x 174182400) = 7.18 fps
    bits = 11520 * 8640 * 14
    assert f"{10e9 / bits:.2f} fps" in found["link.bandwidth"].suggestion
    assert f"{bits * 30 / 1e9:.2f} Gbit/s" in found["link.bandwidth"].message


def test_adapted_ef_lens_fits(host):
    assert camrig.assemble(host, camrig.read_rig("examples/rigs/ef_adapted.yaml"), strict=False).report.ok


def test_flange_too_long_for_any_adapter(host, rig_dict):
    # a lens made for a 17 mm flange cannot reach focus on a 19.25 mm module: an adapter would be < 0 mm
    found = by_rule(check(host, rig_dict, "rig.lens.flange_distance_mm=17"))
    assert "no adapter can fit" in found["mount.flange"].suggestion
    assert "2.25 mm less" in found["mount.flange"].suggestion


def test_adapter_chain_must_close(host, rig_dict):
    rig_dict["rig"]["lens"].update(mount="EF", flange_distance_mm=44.0)
    rig_dict["rig"]["adapters"] = [
        {"type": "mounts.adapter", "front": "EF", "rear": "E", "length_mm": 26.0},
        {"type": "mounts.adapter", "front": "FE", "rear": "MFT", "length_mm": 0.0},
    ]
    found = by_rule(check(host, rig_dict))
    assert found["mount.chain"].parts == ("adapters[0] (mounts.adapter)", "adapters[1] (mounts.adapter)")
    # 19.25 + 26.0 = 45.25 mm > 44.0 mm: the lens sits 1.25 mm too far
    assert "45.25 mm" in found["mount.flange"].message
    assert "use adapters totalling 24.75 mm" == found["mount.flange"].suggestion


def test_negative_adapter_length_is_a_spec_error(host, rig_dict):
    rig_dict["rig"]["adapters"] = [{"type": "mounts.adapter", "front": "MFT", "rear": "MFT", "length_mm": -1}]
    with pytest.raises(
        camrig.ConfigError, match="rig.adapters.0.length_mm: Input should be greater than or equal to 0"
    ):
        check(host, rig_dict)


def test_coverage_warning_carries_the_lens_falloff_in_ev(host, rig_dict):
    # sensor 64 x 48 px at 200 um: 12.8 x 9.6 mm, diagonal 16.0 mm; circle 15.0 mm, roll-off 2 mm
    found = by_rule(check(host, rig_dict, "rig.lens.image_circle_mm=15", "rig.lens.vignetting_rolloff_mm=2"))
    p = found["optics.coverage"]
    s = (8.0 - 7.5) / 2.0  # centre separation of pupil and stop, in diameters
    passed = (2 / math.pi) * (math.acos(s) - s * math.sqrt(1 - s * s))
    assert p.severity is camrig.Severity.WARNING
    assert p.message == f"image circle 15.0 mm < sensor diagonal 16.0 mm: corners ~{-math.log2(passed):.1f} EV darker"


def test_coverage_far_too_small_is_an_error(host, rig_dict):
    found = by_rule(check(host, rig_dict, "rig.lens.image_circle_mm=8"))
    assert found["optics.coverage"].severity is camrig.Severity.ERROR
    assert "corners receive no light" in found["optics.coverage"].message


def test_attachment_must_match_module(host, rig_dict):
    found = by_rule(check(host, rig_dict, "rig.attachment.front=magsafe"))
    assert (
        found["mount.attachment"].message
        == "the module attaches by 'camrig-magnetic' but the phone mount takes 'magsafe'"
    )


def test_formats_are_negotiated_between_neighbours_before_frames_flow(host, rig_dict):
    rig_dict["rig"]["stages"] = [{"type": "isp.black_level"}, {"type": "isp.gamma"}, {"type": "isp.demosaic"}]
    found = by_rule(check(host, rig_dict))
    p = found["formats"]
    assert p.parts == (
        "sensor (sensors.cmos)",
        "stages[0] (isp.black_level)",
        "stages[1] (isp.gamma)",
    )  # with the mosaic's maker
    assert "stages[1] cannot take raw float32 48x64 RGGB 14-bit: gamma takes linear RGB (rows x cols x 3)" == p.message


def test_sensor_qe_bands_must_match_the_light(host, rig_dict):
    rig_dict["capture"]["scene"] = {"type": "fake.uniform", "bands_nm": [500, 600, 700]}
    p = by_rule(check(host, rig_dict))["formats"]
    assert p.parts == ("lens (optics.ideal)", "sensor (sensors.cmos)")
    assert "(450.0, 550.0, 650.0) nm" in p.message


def test_strict_assembly_raises_with_the_report(host, rig_dict):
    with pytest.raises(camrig.RigDoesNotFit) as err:
        camrig.assemble(host, camrig.read_rig(rig_dict, ["rig.link.bandwidth_gbit_s=0.001"]))
    assert err.value.report.errors[0].rule == "link.bandwidth"
    assert "rig does not fit: 1 error(s)" in str(err.value)
