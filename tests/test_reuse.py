"""The router hands an intermediate frame's memory to the next part only when nothing else holds it, and the
result is the same as with fresh arrays."""

from __future__ import annotations

import numpy as np
import pytest
from camrig_isp.stages import ColourCorrection, Gamma, WhiteBalance

import camrig
from camrig.router import acquire, context, develop, reusable

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
    assert reusable(camrig.Frame(np.zeros((4, 4), np.float32)[:, :2], camrig.FrameMeta(format="raw", units="1"))) is None
