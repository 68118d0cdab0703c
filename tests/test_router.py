"""Routing one capture: checked outputs, errors naming plugin/accessory/role, no host copies, seeds."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

import camrig
from fakeplugins import faulty


def rig_with(host, rig_dict, *overrides):
    return camrig.assemble(host, camrig.read_rig(rig_dict, overrides))


def test_capture_runs_the_whole_chain(host, rig_dict):
    shot = rig_with(host, rig_dict).capture()
    assert shot.raw.caps() == camrig.Caps(format="raw", dtype="uint16", shape=(48, 64), cfa="RGGB", bit_depth=14)
    assert shot.result.caps() == camrig.Caps(format="rgb_display", dtype="float32", shape=(48, 64, 3))
    assert [r.role for r in shot.result.meta.history] == [
        "scene", "lens", "sensor", "link", "stages[0]", "stages[1]", "stages[2]"
    ]  # fmt: skip
    assert [t.role for t in shot.timings] == [r.role for r in shot.result.meta.history]
    assert all(t.compute_s >= 0 for t in shot.timings)
    assert not shot.raw.data.flags.writeable and not shot.result.data.flags.writeable
    assert 0 <= shot.result.data.min() and shot.result.data.max() <= 1
    assert shot.raw.meta.cfa == "RGGB" and shot.raw.meta.bit_depth == 14


def test_modelled_time_adds_exposure_readout_and_link(host, rig_dict):
    shot = rig_with(host, rig_dict).capture(exposure_s=2e-3)
    modelled = shot.raw.meta.modelled_ns
    # link: 7 ns + 64 * 48 * 14 bit / 1 Gbit/s = 7 + 43008 ns; readout: 48 rows x 3000 ns
    assert modelled == {"exposure": 2_000_000, "readout": 48 * 3000, "link": 7 + 64 * 48 * 14}
    assert shot.modelled_ns == sum(modelled.values())


def test_same_seed_same_raw_other_seed_other_noise(host, rig_dict):
    rig = rig_with(host, rig_dict)
    a, b, c = (rig.capture(seed=s).raw.data for s in (5, 5, 6))
    assert a.max() < 2**14 - 1  # not saturated: the noise is visible
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_host_never_copies_frame_data(host, rig_dict):
    frames = {}

    class Recorder:
        camrig_api = ">=1"

        @staticmethod
        @camrig.hookimpl
        def camrig_frame_done(role, frame):
            frames[role] = frame

    rig = camrig.assemble(camrig.Host(env={}, plugins={"rec": Recorder()}), camrig.read_rig(rig_dict))
    shot = rig.capture()
    # the ideal link passes the sensor's array on; neither it nor the router copied it
    assert np.shares_memory(frames["sensor"].data, frames["link"].data)
    assert np.shares_memory(shot.raw.data, frames["sensor"].data)


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("raise", "raised ZeroDivisionError: boom"),
        ("shape", r"returned shape \(47, 64, 3\) but declared \(48, 64, 3\)"),
        ("dtype", "returned dtype float64 but declared float32"),
        ("nan", "returned 1 non-finite value"),
        ("not_a_frame", "returned ndarray, not a camrig.Frame"),
        ("edit_input", "raised ValueError: assignment destination is read-only"),
    ],
)
def test_misbehaving_accessory_is_named(host, rig_dict, mode, message):
    rig_dict["rig"]["stages"].append({"type": "fake.faulty", "mode": mode})
    rig = rig_with(host, rig_dict)
    with pytest.raises(camrig.StageError, match=message) as err:
        rig.capture()
    assert (err.value.plugin, err.value.accessory, err.value.role) == ("fake", "fake.faulty", "stages[3]")
    assert str(err.value).startswith("stages[3] 'fake.faulty' (plugin 'fake'): ")
    if mode in ("raise", "edit_input"):
        assert isinstance(err.value.__cause__, (ZeroDivisionError, ValueError))


def test_listeners_hear_every_step(host, rig_dict):
    rig_with(host, rig_dict).capture()
    assert faulty.EVENTS[0] == ("assembled", "test rig")
    assert [e[1] for e in faulty.EVENTS[1:]] == [
        "scene",
        "lens",
        "sensor",
        "link",
        "stages[0]",
        "stages[1]",
        "stages[2]",
    ]


def test_capture_from_python_returns_raw_and_processed_with_a_seed(rig_dict):
    """load_rig with overrides is the rig file edited by hand, and capture(seed=1) is that file with its seed set
    to 1 captured plainly: the same raw to the bit and the same processed frame, at the file's exposure; another
    seed draws other noise on the same mean."""
    rig = camrig.load_rig(rig_dict, overrides=["rig.sensor.width_px=32", "rig.sensor.height_px=16"])
    shot = rig.capture(seed=1)
    by_hand = copy.deepcopy(rig_dict)
    by_hand["rig"]["sensor"].update(width_px=32, height_px=16)
    by_hand["capture"]["seed"] = 1
    reference = camrig.assemble(camrig.Host(env={}), camrig.read_rig(by_hand)).capture()
    assert shot.raw.data.shape == (16, 32) and shot.result.data.shape == (16, 32, 3)
    assert np.array_equal(shot.raw.data, reference.raw.data)
    assert np.array_equal(shot.result.data, reference.result.data)
    assert math.isclose(shot.result.meta.exposure_s, 1e-6) and math.isclose(reference.result.meta.exposure_s, 1e-6)
    other = rig.capture(seed=2).raw.data.astype(np.float64)
    assert not np.array_equal(other, shot.raw.data)
    assert abs(other.mean() - shot.raw.data.mean()) < 0.02 * (shot.raw.data.mean() - shot.raw.meta.black_level)
