"""Rig files: YAML/TOML, validation errors naming file, dotted path and line, --set overrides."""

from __future__ import annotations

import textwrap

import pytest
import yaml

import camrig
from camrig.config import load_rig_file


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def test_yaml_and_toml_examples_load_to_the_same_structure():
    toml = load_rig_file("examples/rigs/small_module.toml")
    yml = load_rig_file("examples/rigs/four_thirds_module.yaml")
    assert (toml.rig.lens.type, yml.rig.lens.type) == ("optics.ideal", "optics.m43_35mm_f1_4")
    assert [s.type for s in toml.rig.stages] == [s.type for s in yml.rig.stages]
    assert toml.rig.sensor.spec_fields["width_px"] == 640


def test_malformed_yaml_names_file_and_line(tmp_path):
    path = write(
        tmp_path,
        "bad.yaml",
        """\
        rig:
          lens: {type: optics.ideal
          sensor: x
        """,
    )
    with pytest.raises(camrig.ConfigError, match=r"bad\.yaml:3: malformed YAML"):
        load_rig_file(path)


def test_malformed_toml_names_file(tmp_path):
    path = write(tmp_path, "bad.toml", "[rig\nname = 1\n")
    with pytest.raises(camrig.ConfigError, match=r"bad\.toml: malformed TOML.*line 1"):
        load_rig_file(path)


def test_unknown_format_and_missing_file(tmp_path):
    with pytest.raises(camrig.ConfigError, match="unknown config format '.ini'"):
        load_rig_file(write(tmp_path, "r.ini", "x"))
    with pytest.raises(camrig.ConfigError, match="no such file"):
        load_rig_file(tmp_path / "nope.yaml")


def test_spec_range_error_names_path_line_and_value(tmp_path, host):
    path = write(
        tmp_path,
        "rig.yaml",
        """\
        rig:
          lens:
            type: optics.ideal
            focal_length_mm: 35
            f_number: 0.3
          sensor: {type: sensors.cmos, width_px: 64, height_px: 48}
        capture:
          scene: {type: scenes.chart}
        """,
    )
    with pytest.raises(camrig.ConfigError) as err:
        camrig.assemble(host, load_rig_file(path))
    assert str(err.value) == (f"{path}:5: rig.lens.f_number: Input should be greater than or equal to 0.5 (got 0.3)")


def test_wrong_type_or_unit_and_unknown_field_are_all_reported_at_once(tmp_path, host):
    path = write(
        tmp_path,
        "rig.yaml",
        """\
        rig:
          lens: {type: optics.ideal, focal_length_mm: 35mm, f_number: 2}
          sensor:
            type: sensors.cmos
            pixel_pitch: 1.5
        capture:
          scene: {type: scenes.chart}
        """,
    )
    with pytest.raises(camrig.ConfigError) as err:
        camrig.assemble(host, load_rig_file(path))
    lines = str(err.value).splitlines()
    assert f"{path}:2: rig.lens.focal_length_mm: Input should be a valid number" in lines[0]
    assert "'35mm'" in lines[0]
    assert lines[1] == f"{path}:5: rig.sensor.pixel_pitch: unknown field; did you mean 'pixel_pitch_um'?"


def test_structure_errors_and_kind_mismatch(tmp_path, host, rig_dict):
    with pytest.raises(camrig.ConfigError, match="rig.lens: Field required"):
        camrig.read_rig({"rig": {"sensor": {"type": "x"}}, "capture": {"scene": {"type": "y"}}})
    rig_dict["rig"]["lens"]["type"] = "sensors.cmos"
    with pytest.raises(camrig.ConfigError, match="'sensors.cmos' is a sensor, not a lens"):
        camrig.assemble(host, camrig.read_rig(rig_dict))


def test_set_overrides_any_field_and_parses_values_as_yaml(rig_dict):
    file = camrig.read_rig(rig_dict, ["rig.lens.f_number=4", "capture.seed=9", "rig.stages.1.type=isp.gamma"])
    assert file.rig.lens.spec_fields["f_number"] == 4
    assert file.capture.seed == 9
    assert file.rig.stages[1].type == "isp.gamma"
    assert rig_dict["rig"]["lens"]["f_number"] == 2.8  # the input mapping is untouched
    file = camrig.read_rig(rig_dict, ["rig.lens.transmission=0.5"])  # a field the file left at its default
    assert file.rig.lens.spec_fields["transmission"] == 0.5


@pytest.mark.parametrize(
    ("assignment", "message"),
    [
        ("rig.lense.f_number=2", "no section 'rig.lense'.*did you mean rig.lens.f_number"),
        ("rig.stages.7.type=x", "has 3 items; '7' is no index"),
        ("rig.lens.f_number", "expected dotted.path=value"),
        ("rig..x=1", "empty path segment"),
        ("rig.name.x=1", "is a value, not a section"),
    ],
)
def test_bad_overrides_say_why(rig_dict, assignment, message):
    with pytest.raises(camrig.ConfigError, match=message):
        camrig.read_rig(rig_dict, [assignment])


def test_yaml_line_map_covers_nested_lists(tmp_path):
    path = write(
        tmp_path,
        "r.yaml",
        """\
        rig:
          lens: {type: optics.ideal}
          sensor: {type: sensors.cmos}
          stages:
            - type: isp.black_level
            - type: isp.demosaic
        capture:
          scene: {type: scenes.chart}
        """,
    )
    source = load_rig_file(path).source
    assert source.where(("rig", "stages", 1, "type")) == f"{path}:6"
    assert source.where(("rig", "stages", 1, "method")) == f"{path}:6"
    assert yaml.safe_load(path.read_text())["rig"]["stages"][1]["type"] == "isp.demosaic"


def test_unknown_spec_field_names_the_closest_ones_nested_too(rig_dict):
    rig_dict["rig"]["lens"]["f_numbr"] = 2.0
    rig_dict["rig"]["sensor"]["hdr"] = {
        "lcg_read_noise": 2.0,
        "hcg_read_noise_e": 1,
        "lcg_read_noise_e": 3,
        "hcg_full_scale_e": 4000,
    }
    with pytest.raises(camrig.ConfigError) as err:
        camrig.assemble(camrig.Host(env={}), camrig.read_rig(rig_dict))
    msg = str(err.value)
    assert "rig.lens.f_numbr: unknown field; did you mean 'f_number'?" in msg
    assert "rig.sensor.hdr.lcg_read_noise: unknown field; did you mean 'lcg_read_noise_e'" in msg
