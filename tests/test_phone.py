"""The phone: hot-plug attach and detach, full captures, a newest-wins preview stream."""

from __future__ import annotations

import copy
import threading
import time

import numpy as np
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

import camrig
from conftest import SMALL_RIG
from fakeplugins import faulty


def phone_with(host=None) -> camrig.Phone:
    return camrig.Phone(host or camrig.Host(env={}, plugins={"fake": faulty}))


def rig(**changes) -> dict:
    data = copy.deepcopy(SMALL_RIG)
    data["rig"].update(changes)
    return data


def test_attach_checks_the_fit_and_a_bad_module_leaves_the_phone_as_it_was():
    phone = phone_with()
    good = phone.attach(rig())
    with pytest.raises(camrig.RigDoesNotFit, match="link.bandwidth"):
        phone.attach(rig(link={"type": "links.ideal", "bandwidth_gbit_s": 1e-6}))
    assert phone.rig is good
    phone.detach()
    assert phone.rig is None
    with pytest.raises(camrig.CamrigError, match="no module attached"):
        phone.capture()


def test_stream_accounts_for_every_frame_with_latency():
    phone = phone_with()
    phone.attach(rig())
    out = list(phone.stream(12, seed=5))
    assert [f.index for f in out] == list(range(12))
    delivered = [f for f in out if f.frame is not None]
    assert delivered and all(f.dropped is None for f in delivered)
    first = delivered[0]
    assert first.frame.caps().format is camrig.Format.RGB_DISPLAY
    assert first.modelled_ns == 1_000 + 48 * 3000 + (7 + 64 * 48 * 14)  # exposure 1 us, readout, link
    assert first.latency_s == pytest.approx(first.modelled_ns * 1e-9 + first.compute_s)


def fast_sensor(rate_hz: float) -> dict:
    return {**SMALL_RIG["rig"]["sensor"], "preview_frame_rate_hz": rate_hz}


def test_a_slow_host_drops_older_frames_newest_wins():
    phone = phone_with()
    stages = [*SMALL_RIG["rig"]["stages"], {"type": "fake.faulty", "mode": "slow"}]  # 30 ms a frame
    phone.attach(rig(stages=stages, sensor=fast_sensor(200)))  # a frame every 5 ms
    out = list(phone.stream(40))
    assert sorted(f.index for f in out) == list(range(40))  # every frame once: delivered or dropped
    dropped = [f for f in out if f.dropped]
    assert dropped and {f.dropped for f in dropped} == {"superseded"}
    delivered = [f.index for f in out if f.frame is not None]
    assert delivered == sorted(delivered) and delivered[-1] == 39  # the newest frame is never the one lost


def test_unpaced_the_module_waits_for_the_host_and_no_frame_is_superseded():
    phone = phone_with()
    stages = [*SMALL_RIG["rig"]["stages"], {"type": "fake.faulty", "mode": "slow"}]
    phone.attach(rig(stages=stages, sensor=fast_sensor(200)))
    out = list(phone.stream(12, realtime=False))
    assert [f.index for f in out] == list(range(12)) and all(f.frame is not None for f in out)


def test_a_live_stream_keeps_to_the_sensor_frame_rate():
    phone = phone_with()
    phone.attach(rig(sensor=fast_sensor(40)))  # a 64 x 48 frame takes ~1 ms to simulate: the schedule rules
    assert phone.rig.preview().sensor_rate_hz() == 40
    start = time.perf_counter()
    out = list(phone.stream(9))
    assert time.perf_counter() - start >= 8 / 40  # frame 8 is due eight periods after frame 0 starts
    assert [f.index for f in out] == list(range(9))


def test_detach_mid_stream_ends_cleanly_and_attach_resumes():
    phone = phone_with()
    phone.attach(rig())
    threads = threading.active_count()
    seen = []
    for item in phone.stream(1000):
        seen.append(item)
        if len(seen) == 3:
            phone.detach()
    assert 3 <= len(seen) < 1000
    assert all(f.frame is not None or f.dropped in ("superseded", "detached") for f in seen)
    assert threading.active_count() == threads  # the module thread is gone
    phone.attach(rig())
    assert sum(f.frame is not None for f in phone.stream(3)) >= 1


def test_link_drops_are_reported_and_the_stream_goes_on():
    phone = phone_with()
    phone.attach(rig(link={"type": "links.optical", "bit_error_rate": 1e-4, "max_retries": 0, "packet_bytes": 64}))
    out = list(phone.stream(10))
    assert len(out) == 10
    assert any(f.dropped and "FrameDropped" in f.dropped for f in out)


class HotPlug(RuleBasedStateMachine):
    """Random attach, detach, capture and stream steps: no crash, no corrupt frame, no leaked thread."""

    def __init__(self) -> None:
        super().__init__()
        self.phone = phone_with(camrig.Host(env={}))
        self.threads = threading.active_count()
        self.attached = False

    @rule(width=st.sampled_from([32, 64]), ber=st.sampled_from([0.0, 1e-5]))
    def attach(self, width, ber):
        self.phone.attach(
            rig(
                sensor={**SMALL_RIG["rig"]["sensor"], "width_px": width},
                link={"type": "links.optical", "bit_error_rate": ber, "max_retries": 1, "packet_bytes": 256},
            )
        )
        self.attached = True

    @rule()
    def detach(self):
        self.phone.detach()
        self.attached = False

    @precondition(lambda self: self.attached)
    @rule(seed=st.integers(0, 100))
    def capture(self, seed):
        try:
            shot = self.phone.capture(seed=seed)
        except camrig.StageError as exc:  # a frame the link dropped: reported, never corrupt
            assert "FrameDropped" in str(exc)
            return
        assert np.isfinite(shot.result.data).all() and shot.raw.data.shape == (
            48,
            self.phone.rig.geometry.plane.width_px,
        )

    @rule(frames=st.integers(1, 6), detach_after=st.one_of(st.none(), st.integers(0, 3)))
    def stream(self, frames, detach_after):
        if not self.attached:
            with pytest.raises(camrig.CamrigError, match="no module attached"):
                next(iter(self.phone.stream(frames)))
            return
        seen = []
        for item in self.phone.stream(frames):
            seen.append(item)
            assert (item.frame is None) != (item.dropped is None)  # delivered whole, or dropped with a reason
            if item.frame is not None:
                assert np.isfinite(item.frame.data).all()
            if detach_after is not None and len(seen) == detach_after + 1:
                self.phone.detach()
                self.attached = False
        assert len({f.index for f in seen}) == len(seen) <= frames

    @invariant()
    def no_leaked_threads(self):
        assert threading.active_count() == self.threads


TestHotPlug = HotPlug.TestCase
TestHotPlug.settings = settings(max_examples=15, stateful_step_count=8, deadline=None)


class DetachWhenTheSensorIsDone:
    """A listener plugin that pulls the module off the phone right after the sensor read a frame."""

    camrig_api = ">=1"

    def __init__(self) -> None:
        self.phone: camrig.Phone | None = None

    @camrig.hookimpl
    def camrig_frame_done(self, role):
        if role == "sensor" and self.phone is not None and self.phone.rig is not None:
            self.phone.detach()


def test_detach_during_a_capture_drops_the_frame_clearly():
    plugin = DetachWhenTheSensorIsDone()
    phone = phone_with(camrig.Host(env={}, plugins={"detacher": plugin}))
    phone.attach(rig())
    plugin.phone = phone
    with pytest.raises(camrig.CamrigError, match="detached during the capture: frame dropped"):
        phone.capture()
    assert phone.rig is None


def test_a_raising_listener_never_stops_the_stream(caplog):
    from fakeplugins import listeners

    class OnlyTheRaisingListener:
        camrig_api = ">=1"
        camrig_frame_done = staticmethod(listeners.camrig_frame_done)

    phone = phone_with(camrig.Host(env={}, plugins={"listeners": OnlyTheRaisingListener()}))
    phone.attach(rig())
    out = list(phone.stream(5))
    assert len(out) == 5 and all(f.frame is not None or f.dropped == "superseded" for f in out)
    assert "camrig_frame_done of plugin 'listeners' raised" in caplog.text


# -- the module in a process of its own -----------------------------------------------------------------------


def module_children() -> list[int]:
    """Pids of this process's children running the module (read from /proc: no psutil needed)."""
    import os
    from pathlib import Path

    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == os.getpid() and b"camrig._module_process" in cmdline and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


@pytest.mark.skipif(not __import__("pathlib").Path("/proc/self/stat").exists(), reason="needs /proc")
def test_a_module_process_streams_the_same_frames_and_leaves_nothing_behind():
    threads = threading.active_count()
    by_mode = {}
    for mode in ("thread", "process"):
        for realtime in (True, False):
            phone = camrig.Phone(camrig.Host(env={}), module=mode)
            phone.attach(rig())
            by_mode[mode, realtime] = {
                f.index: f.frame.data for f in phone.stream(8, seed=3, realtime=realtime) if f.frame is not None
            }
            phone.detach()
    common = set(by_mode["thread", True]) & set(by_mode["process", True])
    assert common and all(np.array_equal(by_mode["thread", True][i], by_mode["process", True][i]) for i in common)
    # unpaced, the process module waits for the host to take each frame: all eight arrive, as in a thread
    assert sorted(by_mode["process", False]) == sorted(by_mode["thread", False]) == list(range(8))
    assert all(np.array_equal(by_mode["thread", False][i], by_mode["process", False][i]) for i in range(8))
    phone = camrig.Phone(camrig.Host(env={}), module="process")
    phone.attach(rig())
    seen = []
    for item in phone.stream(10_000):
        seen.append(item)
        if len(seen) == 3:
            phone.detach()
    assert 3 <= len(seen) < 10_000 and seen[-1].dropped in (None, "detached", "superseded")
    assert module_children() == [] and threading.active_count() == threads  # the process was stopped and reaped


def test_a_module_process_needs_a_host_from_installed_plugins():
    phone = camrig.Phone(camrig.Host(env={}, plugins={"fake": faulty}), module="process")
    phone.attach(rig())
    with pytest.raises(camrig.CamrigError, match="module='process' needs a host built from installed plugins"):
        next(phone.stream(3))
