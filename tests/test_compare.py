"""``camrig compare``: one figure of two rigs on the same scene, crops at 100 %, written like ``capture`` writes."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from camrig import load_rig
from camrig.cli import main

SMALL = "examples/rigs/small_module.toml"


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def sized(folder: Path, name: str, cols: int, rows: int) -> Path:
    """The small module at ``cols`` x ``rows`` pixels (the same pitch: a smaller field), named ``name``."""
    text = Path(SMALL).read_text().replace('name = "small module"', f'name = "{name}"')
    path = folder / f"{name.replace(' ', '_')}.toml"
    path.write_text(
        text.replace("width_px = 640", f"width_px = {cols}").replace("height_px = 480", f"height_px = {rows}")
    )
    return path


@pytest.fixture
def quarter(tmp_path):
    """The small module at 320 x 240."""
    return sized(tmp_path, "quarter module", 320, 240)


@pytest.fixture
def half_size(tmp_path):
    """The small module at 160 x 120."""
    return sized(tmp_path, "half module", 160, 120)


def display_8bit(frame, row, col, rows, cols):
    """The rgb_display frame's pixels as an 8-bit PNG holds them: clip to [0, 1], x 255, rounded."""
    window = np.asarray(frame.data[row : row + rows, col : col + cols], dtype=np.float64)
    return np.round(np.clip(window, 0, 1) * 255).astype(np.uint8)


def test_figure_crops_are_the_captured_pixels_at_100_percent(capsys, tmp_path, quarter, half_size):
    out = tmp_path / "cmp.png"
    code, stdout, err = run(capsys, "compare", str(quarter), str(half_size), "--out", str(out), "--seed", "3")
    assert code == 0, err
    assert f"wrote {out}" in stdout and not list(tmp_path.glob(".*tmp*"))  # landed atomically, no temporary left
    image = Image.open(out)
    pixels = np.asarray(image.convert("RGB"))
    crops = json.loads(image.text["camrig.crops"])
    assert image.text["seed"] == "3"
    # the same fraction of each field: a third of the width at most (documented), so 320 -> 107 px, 160 -> 53 px
    sizes = {(c["rig"], c["crop"]): c["size"] for c in crops}
    assert sizes[("quarter module", "centre")] == [80, 107] and sizes[("half module", "centre")] == [40, 53]
    # the figure holds both overviews and the crops side by side
    assert image.size[0] > 320 + 160 and image.size[1] > 240 + 80
    for name, rig_file, (rows, cols) in (
        ("quarter module", quarter, (240, 320)),
        ("half module", half_size, (120, 160)),
    ):
        frame = load_rig(rig_file).capture(seed=3).result
        assert frame.data.shape[:2] == (rows, cols)
        for label in ("centre", "top-left corner"):
            c = next(c for c in crops if c["rig"] == name and c["crop"] == label)
            h, w = c["size"]
            r, col = ((rows - h) // 2, (cols - w) // 2) if label == "centre" else (0, 0)
            assert c["frame_origin"] == [r, col]
            top, left = c["figure_origin"]
            shown = pixels[top : top + h, left : left + w]
            np.testing.assert_array_equal(shown, display_8bit(frame, r, col, h, w))


def test_refuses_to_overwrite_without_force(capsys, tmp_path, half_size):
    out = tmp_path / "cmp.png"
    out.write_bytes(b"keep me")
    code, _, err = run(capsys, "compare", SMALL, str(half_size), "--out", str(out))
    assert code == 2 and err.count("\n") == 1 and "exists; pass --force" in err
    assert out.read_bytes() == b"keep me"


def test_missing_rig_is_one_line_naming_it(capsys, tmp_path):
    out = tmp_path / "cmp.png"
    code, _, err = run(capsys, "compare", SMALL, str(tmp_path / "nope.yaml"), "--out", str(out))
    assert code == 2 and err.count("\n") == 1 and "nope.yaml" in err and "Traceback" not in err
    assert not out.exists()


def test_rig_that_does_not_fit_names_its_file(capsys, tmp_path):
    bad = "examples/rigs/does_not_fit.yaml"
    code, _, err = run(capsys, "compare", SMALL, bad, "--out", str(tmp_path / "cmp.png"))
    lines = err.splitlines()
    assert code == 1 and lines and all(line.startswith(f"camrig: {bad}: rig does not fit: [") for line in lines)
    assert any("[mount.chain]" in line for line in lines)


def test_missing_matplotlib_is_one_line(capsys, tmp_path, half_size, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib raises ImportError
    code, _, err = run(capsys, "compare", SMALL, str(half_size), "--out", str(tmp_path / "cmp.png"))
    assert code == 2 and err.count("\n") == 1 and "needs matplotlib" in err


def test_scene_file_replaces_both_scenes_and_its_errors_name_it(capsys, tmp_path, half_size):
    scene = tmp_path / "scene.yaml"
    scene.write_text("capture:\n  scene:\n    type: scenes.chart\n    widht_deg: 30\n")
    code, _, err = run(
        capsys, "compare", SMALL, str(half_size), "--scene", str(scene), "--out", str(tmp_path / "c.png")
    )
    assert code == 2 and f"{scene}:4" in err and "widht_deg" in err and "did you mean 'width_deg'" in err
    no_capture = tmp_path / "empty.yaml"
    no_capture.write_text("rig: {}\n")
    code, _, err = run(capsys, "compare", SMALL, str(half_size), "--scene", str(no_capture), "--out", "x.png")
    assert code == 2 and err.count("\n") == 1 and f"{no_capture}: a scene file needs a 'capture' section" in err


def test_scene_file_is_what_both_rigs_see(capsys, tmp_path, quarter, half_size):
    scene = tmp_path / "flat.yaml"  # a flat field in place of the chart: its own scene section, whole
    scene.write_text("capture:\n  scene: {type: scenes.chart, layout: flat}\n  seed: 5\n")
    out = tmp_path / "flat.png"
    code, _, err = run(capsys, "compare", str(quarter), str(half_size), "--scene", str(scene), "--out", str(out))
    assert code == 0, err
    image = Image.open(out)
    assert image.text["seed"] == "5"  # the scene file's seed, for both
    pixels = np.asarray(image.convert("RGB"))
    expected = load_rig(quarter, overrides=["capture.scene={type: scenes.chart, layout: flat}"]).capture(seed=5).result
    c = next(
        c for c in json.loads(image.text["camrig.crops"]) if c["rig"] == "quarter module" and c["crop"] == "centre"
    )
    (top, left), (h, w) = c["figure_origin"], c["size"]
    r, col = c["frame_origin"]
    np.testing.assert_array_equal(pixels[top : top + h, left : left + w], display_8bit(expected, r, col, h, w))


def test_experiment_report_shows_each_points_result(tmp_path):
    from camrig.experiments import experiment_from_dict
    from camrig.experiments.report import write_report
    from camrig.experiments.runner import _run_info, run_one

    rig = {
        "rig": {
            "lens": {"type": "optics.ideal", "focal_length_mm": 35, "f_number": 2.8, "psf": "none"},
            "sensor": {"type": "sensors.cmos", "width_px": 320, "height_px": 240, "pixel_pitch_um": 54.0},
            "stages": [{"type": "isp.black_level"}, {"type": "isp.demosaic"}, {"type": "isp.gamma"}],
        },
        "capture": {"scene": {"type": "scenes.chart"}, "exposure_s": 1e-5},
    }
    sweep = {"grid": {"capture.exposure_s": [1e-5, 4e-5]}}
    e = experiment_from_dict({"experiment": {"name": "looks", "rig": rig, "sweep": sweep, "repeats": 2}})
    records = [  # what a worker returns for each run (in this process: no pool to start)
        run_one(e.rig_for(run), [], _run_info(run)) for run in e.runs
    ]
    write_report(e, records, tmp_path)
    page = (tmp_path / "report.html").read_text()
    assert page.count('<img src="thumbnails/') == 2  # one per point (first repeat), not per run
    assert "<figcaption>capture.exposure_s=4e-05</figcaption>" in page
    run = next(run for run in e.runs if run.point == 1 and run.repeat == 0)
    shown = np.asarray(Image.open(tmp_path / "thumbnails" / f"{run.run_id}.png").convert("RGB"), dtype=float)
    frame = load_rig(e.rig_for(run)).capture().result
    factor = 2  # 320 px to at most 160
    boxed = np.asarray(frame.data, dtype=np.float64).reshape(120, factor, 160, factor, 3).mean(axis=(1, 3))
    assert shown.shape == (120, 160, 3) and np.abs(shown - np.round(np.clip(boxed, 0, 1) * 255)).max() <= 1
