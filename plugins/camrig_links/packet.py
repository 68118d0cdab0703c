"""The packet link: packing, compression, CRC-32 per packet, bit errors and retransmission.

Each packet carries ``packet_bytes`` of payload and its CRC-32 (ITU-T V.42 / IEEE 802.3 polynomial, as
``zlib.crc32``). On each attempt the number of flipped bits in a packet is Binomial(8 (payload + 4), BER); the
flips are applied to a copy of the packet and the receiver checks its CRC, so detection is the real CRC's, not
an assumption. A corrupted packet is sent again after ``turnaround_ns`` plus a round trip; after
``max_retries`` failures the frame is dropped.

Modelled time: latency + (wire bits + retransmitted bits) / bandwidth + retransmissions x (turnaround + 2 x
latency).
"""

from __future__ import annotations

import zlib
from functools import cached_property

import numpy as np

import camrig

from . import PacketLinkSpec, bits_on_wire
from .packing import pack, unpack

CRC_BYTES = 4


class FrameDropped(camrig.FrameDropped):
    """A packet stayed corrupt after every retry: the frame is not delivered."""


class PacketLink(camrig.Link[PacketLinkSpec]):
    def negotiate(self, upstream: camrig.Caps | None, geometry: camrig.Geometry) -> camrig.Caps:
        if upstream is None or upstream.format is not camrig.Format.RAW:
            raise camrig.CapsError("a link carries raw frames")
        if upstream.dtype not in ("uint8", "uint16"):
            raise camrig.CapsError(
                f"the packet link packs 8-16 bit samples, not {upstream.dtype} (HDR raw: use links.ideal)"
            )
        return upstream

    def wire_bytes(self, frame: camrig.Frame) -> bytes:
        """The packed (and possibly compressed) payload of ``frame``."""
        bits = bits_on_wire(self.spec, frame.meta.bit_depth or frame.data.dtype.itemsize * 8)
        payload = pack(frame.data, bits)
        return zlib.compress(payload, 1) if self.spec.compression == "zlib" else payload

    def from_wire(self, payload: bytes, frame: camrig.Frame) -> np.ndarray:
        bits = bits_on_wire(self.spec, frame.meta.bit_depth or frame.data.dtype.itemsize * 8)
        if self.spec.compression == "zlib":
            payload = zlib.decompress(payload)
        return unpack(payload, bits, frame.data.size).reshape(frame.data.shape).astype(frame.data.dtype)

    def transmit(self, payload: WirePayload, rng: np.random.Generator) -> tuple[bytes | None, int]:
        """Send ``payload`` packet by packet; returns (what arrived if it differs from what was sent, else None;
        retransmissions). Raises FrameDropped. The payload's bytes are read only for packets hit by errors."""
        s = self.spec
        size = s.packet_bytes
        count = -(-payload.size // size)
        wire_bits = 8 * (size + CRC_BYTES)
        arrived: bytearray | None = None  # copied only if an undetected error changes what arrives
        retransmissions = 0
        pending = np.arange(count)  # packets still to deliver intact
        for attempt in range(s.max_retries + 1):
            flips = (
                rng.binomial(wire_bits, s.bit_error_rate, size=pending.size)
                if s.bit_error_rate
                else np.zeros(pending.size, int)
            )
            corrupted = []
            for index, n in zip(pending[flips > 0], flips[flips > 0]):
                start = int(index) * size
                sent = payload.data[start : start + size]
                packet = bytearray(sent) + zlib.crc32(sent).to_bytes(4, "little")
                for bit in rng.choice(len(packet) * 8, size=int(n), replace=False):
                    packet[bit // 8] ^= 1 << (bit % 8)
                data, crc = bytes(packet[:-CRC_BYTES]), int.from_bytes(packet[-CRC_BYTES:], "little")
                if zlib.crc32(data) != crc:
                    corrupted.append(index)  # detected: ask again
                else:  # undetected (probability ~2^-32): delivered as it arrived
                    arrived = arrived if arrived is not None else bytearray(payload.data)
                    arrived[start : start + len(data)] = data
            pending = np.array(corrupted, dtype=int)
            if not pending.size:
                return (None if arrived is None else bytes(arrived)), retransmissions
            if attempt == s.max_retries:
                raise FrameDropped(
                    f"packet {int(pending[0])} still corrupt after {s.max_retries} retries (BER {s.bit_error_rate:g})"
                )
            retransmissions += int(pending.size)
        raise AssertionError("unreachable")

    def expected_transfer_ns(self, payload_bytes: int) -> float:
        """Expected modelled time to deliver ``payload_bytes``: packets with their CRC, plus the
        retransmissions the bit error rate predicts (p / (1 - p) per packet), each costing its packet time,
        the turnaround and a round trip."""
        s = self.spec
        packets = -(-payload_bytes // s.packet_bytes)
        p = 1 - (1 - s.bit_error_rate) ** (8 * (s.packet_bytes + CRC_BYTES))
        retries = packets * p / (1 - p)
        bits = 8 * (payload_bytes + CRC_BYTES * packets) + retries * 8 * (s.packet_bytes + CRC_BYTES)
        return s.latency_ns + bits / s.bandwidth_gbit_s + retries * (s.turnaround_ns + 2 * s.latency_ns)

    def process(self, frame: camrig.Frame | None, ctx: camrig.CaptureContext, role: str) -> camrig.Frame:
        assert frame is not None
        s = self.spec
        payload = WirePayload(self, frame)
        arrived, retransmissions = self.transmit(payload, ctx.rng(role))
        # what was sent arrived intact: it unpacks to the frame sent (the packing round-trips), so hand that
        # over instead of a copy; anything else is unpacked from what arrived
        delivered = frame.data if arrived is None else self.from_wire(arrived, frame)
        packets = -(-payload.size // s.packet_bytes)
        wire_bits = 8 * (payload.size + CRC_BYTES * packets + retransmissions * (s.packet_bytes + CRC_BYTES))
        link_ns = s.latency_ns + wire_bits / s.bandwidth_gbit_s + retransmissions * (s.turnaround_ns + 2 * s.latency_ns)
        stats = {
            "link_wire_bytes": payload.size,
            "link_packets": packets,
            "link_retransmissions": retransmissions,
            "link_undetected_error": arrived is not None,  # a corrupted packet that passed its CRC
        }
        return frame.derive(
            delivered,
            modelled_ns={**frame.meta.modelled_ns, "link": round(link_ns)},
            extra={**frame.meta.extra, **stats},
        )


class WirePayload:
    """What a frame puts on the wire. Its length follows from the packing alone (``ceil(n / 4) x bits / 2``
    bytes); the bytes themselves are packed (and compressed) only when something reads them: compression, or
    a packet hit by a bit error. On a clean channel a frame crosses without being packed at all."""

    def __init__(self, link: PacketLink, frame: camrig.Frame) -> None:
        self._link, self._frame = link, frame
        self._bits = bits_on_wire(link.spec, frame.meta.bit_depth or frame.data.dtype.itemsize * 8)

    @cached_property
    def data(self) -> bytes:
        return self._link.wire_bytes(self._frame)

    @cached_property
    def size(self) -> int:
        if self._link.spec.compression != "none":
            return len(self.data)
        data = self._frame.data
        largest = int(data.max()) if data.size else 0  # what packing would refuse, refused whether or not it packs
        if largest >= 1 << self._bits:
            raise ValueError(f"packing: samples up to {largest} do not fit in {self._bits} bits")
        return -(-data.size // 4) * (self._bits // 2)


__all__ = ["PacketLink", "FrameDropped", "WirePayload", "pack", "unpack"]
