"""The example rigs of issue 15 fit, and the example photo's depth map reaches the lens as depth_m."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import camrig

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "name", ["photo_scene", "hdr_window", "hyperspectral_chart", "siemens_star", "esfr_chart", "usaf1951", "star_field"]
)
def test_example_scene_rigs_fit(monkeypatch, name):
    if name == "hdr_window":
        pytest.importorskip("OpenEXR")
    monkeypatch.chdir(ROOT)  # the rigs' paths are relative to the repository root
    rig = camrig.assemble(camrig.Host(env={}), camrig.read_rig(f"examples/rigs/{name}.yaml"))
    assert rig.report.ok


def test_the_example_depth_map_is_in_centimetres_and_matches_the_photo(monkeypatch):
    """The easel (3 m) and the star (5 m) where make_examples.py drew them, read through depth_scale_m 0.01."""
    from camrig_scenes import ImageSpec
    from camrig_scenes.image import ImageScene

    monkeypatch.chdir(ROOT)
    scene = ImageScene(
        ImageSpec(path="examples/images/garden.png", depth_path="examples/images/garden_depth.png", depth_scale_m=0.01)
    )
    depth = scene.depth_map()
    assert depth.shape == (640, 960)
    assert (
        depth[350, 100] == pytest.approx(3.0)
        and depth[420, 560] == pytest.approx(5.0)
        and depth[10, 10] == pytest.approx(655.35)
    )
    assert np.all(depth > 0)
