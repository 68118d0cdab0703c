from __future__ import annotations

import copy
from collections.abc import Generator
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any

import pytest

import camrig
from fakeplugins import faulty

SMALL_RIG: dict[str, Any] = {
    "rig": {
        "name": "test rig",
        "frame_rate_hz": 30,
        "lens": {"type": "optics.ideal", "focal_length_mm": 35, "f_number": 2.8, "psf": "none"},  # 200 um pixels
        "sensor": {"type": "sensors.cmos", "width_px": 64, "height_px": 48, "pixel_pitch_um": 200.0},
        "attachment": {"type": "mounts.magnetic"},
        "link": {"type": "links.ideal", "bandwidth_gbit_s": 1.0, "latency_ns": 7.0},
        "stages": [{"type": "isp.black_level"}, {"type": "isp.demosaic"}, {"type": "isp.gamma"}],
    },
    "capture": {"scene": {"type": "scenes.chart"}, "exposure_s": 1e-6, "seed": 3},  # white ~2500 e-
}


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> Generator[None, None, None]:
    """The optics cache (traced prescriptions, pixel kernels) in a folder of this session's, not the user's."""
    patch = pytest.MonkeyPatch()
    patch.setenv("CAMRIG_CACHE_DIR", str(tmp_path_factory.mktemp("camrig-cache")))
    yield
    patch.undo()


@pytest.fixture
def rig_dict() -> dict[str, Any]:
    """A small (64 x 48) rig that fits, as a mapping; edit freely."""
    return copy.deepcopy(SMALL_RIG)


@pytest.fixture
def host() -> camrig.Host:
    """Every installed plugin plus the test plugin 'fake', ignoring the environment."""
    faulty.EVENTS.clear()
    return camrig.Host(env={}, plugins={"fake": faulty})


@pytest.hookimpl(wrapper=True)
def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> Generator[None, list[Any], list[Any]]:
    """``--doctest-modules`` (pyproject.toml) is for the framework's docstrings: under tests/ every file is
    collected once, as tests, and the fake plugins (one fails to import on purpose) not at all."""
    collected = yield
    return [c for c in collected if type(c).__name__ != "DoctestModule"]


def ep(name: str, module: str) -> EntryPoint:
    return EntryPoint(name=name, value=module, group="camrig")
