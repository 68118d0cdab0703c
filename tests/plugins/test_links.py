"""Links: packing, CRC-protected packets over a noisy channel, retransmission, modelled transfer time."""

from __future__ import annotations

import hashlib
import math

import numpy as np
import pytest

import camrig
from camrig_links import PacketLinkSpec
from camrig_links.packet import FrameDropped, PacketLink, pack, unpack


@pytest.mark.parametrize("bits", [8, 10, 12, 14, 16])
def test_packing_round_trips_and_takes_bits_over_8_bytes(bits):
    samples = np.random.default_rng(bits).integers(0, 1 << bits, 4000).astype(np.uint16)
    packed = pack(samples, bits)
    assert len(packed) == 4000 * bits // 8  # RAW12: 4 samples in 6 bytes, ...
    assert np.array_equal(unpack(packed, bits, samples.size), samples)
    with pytest.raises(ValueError, match="do not fit"):
        pack(np.array([1 << bits], np.uint32), bits)


def raw_frame(rows=192, cols=256, bits=14, seed=0) -> camrig.Frame:
    data = np.random.default_rng(seed).integers(0, 1 << bits, (rows, cols)).astype(np.uint16)
    return camrig.Frame(data, camrig.FrameMeta(format="raw", units="DN", bit_depth=bits))


def ctx(seed: int) -> camrig.CaptureContext:
    plane = camrig.FocalPlane(width_px=1, height_px=1, pitch_um=1)
    view = camrig.AngularGrid(width=1, height=1, x0=0, y0=0, step=1)
    return camrig.CaptureContext(exposure_s=0.01, seed=seed, geometry=camrig.Geometry(plane=plane, view=view))


def test_bit_errors_are_repaired_and_retransmissions_follow_the_ber():
    ber, frames = 1e-6, 100
    link = PacketLink(PacketLinkSpec(bit_error_rate=ber, max_retries=8))
    total = 0
    for i in range(frames):
        sent = raw_frame(seed=i)
        out = link.process(sent, ctx(i), "link")
        assert hashlib.sha256(out.data.tobytes()).digest() == hashlib.sha256(sent.data.tobytes()).digest()
        assert out.meta.extra["link_undetected_error"] is False
        total += out.meta.extra["link_retransmissions"]
    # 192 x 256 x 14 bit = 86016 bytes = 21 packets of 4096 + 4 CRC bytes; a packet fails with
    # p = 1 - (1 - BER)^(8 x 4100); retries per packet are geometric: mean p / (1 - p), variance p / (1 - p)^2
    packets = frames * 21
    p = 1 - (1 - ber) ** (8 * 4100)
    mean, sd = packets * p / (1 - p), math.sqrt(packets * p / (1 - p) ** 2)
    assert abs(total - mean) < 5 * sd, (total, mean, sd)
    assert total > 0  # the channel really corrupted packets


def test_modelled_time_by_hand():
    link = PacketLink(PacketLinkSpec(bandwidth_gbit_s=10, latency_ns=5, bit_error_rate=0, packet_bytes=4096))
    out = link.process(raw_frame(), ctx(0), "link")
    wire_bits = 8 * (86016 + 4 * 21)
    assert out.meta.modelled_ns["link"] == round(5 + wire_bits / 10)
    assert out.meta.extra["link_wire_bytes"] == 86016


def test_lossless_compression_changes_the_bytes_not_the_image():
    smooth = np.add.outer(np.arange(192), np.arange(256)).astype(np.uint16) * 8
    frame = camrig.Frame(smooth, camrig.FrameMeta(format="raw", units="DN", bit_depth=14))
    link = PacketLink(PacketLinkSpec(compression="zlib", bit_error_rate=1e-6, max_retries=8))
    out = link.process(frame, ctx(1), "link")
    assert np.array_equal(out.data, smooth)
    assert out.meta.extra["link_wire_bytes"] < 0.5 * 192 * 256 * 14 / 8


def test_a_frame_whose_retries_run_out_is_dropped_never_delivered(host, rig_dict):
    link = PacketLink(PacketLinkSpec(bit_error_rate=1e-4, max_retries=0))
    with pytest.raises(FrameDropped, match="still corrupt after 0 retries"):
        link.process(raw_frame(), ctx(0), "link")
    rig_dict["rig"]["link"] = {"type": "links.optical", "bit_error_rate": 1e-3, "max_retries": 1}
    with pytest.raises(camrig.StageError, match="FrameDropped") as err:
        camrig.assemble(host, camrig.read_rig(rig_dict)).capture()
    assert err.value.role == "link" and isinstance(err.value.__cause__, FrameDropped)


def test_usb_and_wifi_presets_and_hdr_raw(host, rig_dict):
    names = {r.type.name for r in host.accessory_types}
    assert {"links.optical", "links.usb3", "links.wifi6"} <= names
    rig_dict["rig"]["link"] = {"type": "links.optical"}
    rig_dict["rig"]["sensor"] = {
        "type": "sensors.m43_100mp_hdr",
        "width_px": 64,
        "height_px": 48,
        "pixel_pitch_um": 20.0,
    }
    report = camrig.assemble(host, camrig.read_rig(rig_dict), strict=False).report
    assert any(p.rule == "formats" and "links.ideal" in p.message for p in report.problems)


def test_packing_layout_matches_a_hand_packed_raw12_group():
    # word = 0xABC | 0x123 << 12 | 0x456 << 24 | 0x789 << 36 = 0x789456123ABC, sent as little-endian bytes
    assert pack(np.array([0xABC, 0x123, 0x456, 0x789], np.uint16), 12) == bytes([0xBC, 0x3A, 0x12, 0x56, 0x94, 0x78])
    # RAW10: 0x3FF | 0x001 << 10 | 0x200 << 20 | 0x155 << 30 = 0x55_6000_07FF, five bytes, a short last group padded
    assert pack(np.array([0x3FF, 0x001, 0x200, 0x155, 0x3], np.uint16), 10) == bytes(
        [0xFF, 0x07, 0x00, 0x60, 0x55, 0x03, 0, 0, 0, 0]
    )
    with pytest.raises(ValueError, match="fewer than"):
        unpack(b"\x00" * 5, 12, 8)


@pytest.mark.parametrize("bits", [10, 12, 14])
def test_the_wire_length_known_without_packing_is_the_packed_length(bits):
    from camrig_links.packet import WirePayload

    for rows, cols in ((3, 5), (4, 4), (1, 7)):  # sample counts with every remainder modulo 4
        frame = camrig.Frame(
            np.ones((rows, cols), np.uint16), camrig.FrameMeta(format="raw", units="DN", bit_depth=bits)
        )
        payload = WirePayload(PacketLink(PacketLinkSpec()), frame)
        assert payload.size == len(pack(frame.data, bits)) == len(payload.data)


def test_samples_wider_than_the_packing_are_refused_on_a_clean_channel_too():
    # 12-bit samples over a RAW10 link: refused whether or not a bit error makes the link pack the frame
    frame = raw_frame(bits=12)
    for ber in (0.0, 1e-3):
        with pytest.raises(ValueError, match="do not fit in 10 bits"):
            PacketLink(PacketLinkSpec(packing="raw10", bit_error_rate=ber)).process(frame, ctx(0), "link")
