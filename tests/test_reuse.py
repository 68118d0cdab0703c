"""The router hands an intermediate frame's memory to the next part only when nothing else holds it, and the
result is the same as with fresh arrays."""

from __future__ import annotations

import numpy as np
import pytest

import camrig
from camrig.router import acquire, context, develop, reusable
from camrig_isp.stages import ColourCorrection, Gamma, WhiteBalance

STAGES = [{"type": "isp.black_level"}, {"type": "isp.demosaic"}, {"type": "isp.white_balance"},
          {"type": "isp.colour_correction"}, {"type": "isp.gamma"}]  # fmt: skip


@pytest.fixture
def handed(monkeypatch):
    """Which stages were handed their input's memory, by class name."""
    seen: dict[str, bool] = {}
    for cls in (WhiteBalance, ColourCorrection, Gamma):
        original = cls.process

        def process(self, frame, ctx, role, original=original, name=cls.__name__):
            seen[name] = ctx.reusable is not None and np.shares_memory(ctx.reusable, frame.data)
            return original(self, frame, ctx, role)

        monkeypatch.setattr(cls, process.__name__, process)
    return seen


def test_pointwise_stages_reuse_their_input_and_give_the_same_image(rig_dict, handed):
    rig_dict["rig"]["stages"] = STAGES
    quiet = camrig.assemble(camrig.Host(env={}), camrig.read_rig(rig_dict))  # no listener
    raw = quiet.capture(seed=4).raw
    kept = raw.data.copy()
    reused, _ = develop(quiet, raw, context(quiet, seed=4))
    assert handed == {"WhiteBalance": True, "ColourCorrection": True, "Gamma": True}
    assert np.array_equal(raw.data, kept)  # the caller's raw is never handed over
    again, _ = develop(quiet, raw, context(quiet, seed=4))
    np.testing.assert_array_equal(again.data, reused.data)

    class Keeper:  # a listener may keep any frame it hears of: nothing is handed over while one listens
        camrig_api = ">=1,<2"
        frames: list[camrig.Frame] = []

        @camrig.hookimpl
        def camrig_frame_done(self, frame):
            self.frames.append(frame)

    listened = camrig.assemble(camrig.Host(env={}, plugins={"keeper": Keeper()}), camrig.read_rig(rig_dict))
    fresh, _ = develop(listened, raw, context(listened, seed=4))
    assert handed == {"WhiteBalance": False, "ColourCorrection": False, "Gamma": False}
    np.testing.assert_array_equal(fresh.data, reused.data)  # the same numbers either way
    copies = [f.data.copy() for f in Keeper.frames]
    develop(listened, raw, context(listened, seed=4))
    for frame, copy in zip(Keeper.frames, copies):  # what the listener kept was never overwritten
        np.testing.assert_array_equal(frame.data, copy)


def test_a_frame_anyone_else_holds_is_not_reusable():
    owner = np.zeros((4, 4), np.float32)
    frame = camrig.Frame(owner, camrig.FrameMeta(format="raw", units="1"))
    assert reusable(frame) is None  # the test's own variable holds the array
    del owner
    assert reusable(frame) is not None
    view = frame.data[::2]
    assert reusable(frame) is None  # another view of the memory exists
    del view
    other = frame
    assert reusable(frame) is None  # the frame is held twice
    del other
    assert np.shares_memory(reusable(frame), frame.data)
    assert (
        reusable(camrig.Frame(np.zeros((4, 4), np.float32)[:, :2], camrig.FrameMeta(format="raw", units="1"))) is None
    )


def test_the_irradiance_leaves_its_memory_to_the_demosaic_and_the_image_is_the_same(rig_dict, monkeypatch):
    from camrig.accessory import Leftover

    rig_dict["rig"]["stages"] = [
        {"type": "isp.black_level"},
        {"type": "isp.demosaic", "method": "malvar2004"},
        {"type": "isp.gamma"},
    ]
    taken: list[bool] = []
    original = Leftover.take
    monkeypatch.setattr(
        Leftover,
        "take",
        lambda self, shape, dtype: taken.append(self.array is not None) or original(self, shape, dtype),
    )
    quiet = camrig.assemble(camrig.Host(env={}), camrig.read_rig(rig_dict))
    shot = quiet.capture(seed=2)
    assert taken == [True]  # the demosaic's RGB array is the memory the irradiance left behind
    irradiance, _ = camrig.router.image(quiet, context(quiet, seed=2))  # held by this test: not left behind
    taken.clear()
    raw, _ = acquire(quiet, context(quiet, seed=2), irradiance)
    develop(quiet, raw, context(quiet, seed=2))
    assert taken == [False]

    class Listener:
        camrig_api = ">=1,<2"

        @camrig.hookimpl
        def camrig_frame_done(self, role):
            pass

    listened = camrig.assemble(camrig.Host(env={}, plugins={"listener": Listener()}), camrig.read_rig(rig_dict))
    taken.clear()
    fresh = listened.capture(seed=2)
    assert taken == [False]  # nothing is kept while anyone listens
    np.testing.assert_array_equal(fresh.result.data, shot.result.data)


def test_leftover_memory_serves_only_a_request_of_about_its_size():
    from camrig.accessory import Leftover

    left = Leftover()
    left.keep(np.ones((10, 10), np.float32))  # 400 bytes
    assert left.take((5, 5), np.float32) is None  # 100 bytes: too small a use for it, kept for a bigger one
    reused = left.take((10, 6), np.float64)  # 480 bytes: more than it holds
    assert reused is None
    got = left.take((3, 10, 3), np.float32)  # 360 bytes
    assert got is not None and got.shape == (3, 10, 3) and got.dtype == np.float32 and got.flags.c_contiguous
    assert left.array is None and left.take((3, 10, 3), np.float32) is None  # handed out once
