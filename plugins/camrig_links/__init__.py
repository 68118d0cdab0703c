"""camrig links: data links from the module to the phone.

``links.ideal`` is an error-free pipe. ``links.optical`` (and its ``links.usb3`` and ``links.wifi6`` presets)
is a packet link: RAW samples packed at their bit depth (RAW10/12/14/16), optionally compressed (lossless),
cut into packets with a CRC-32 each, sent over a channel with a bit error rate; corrupted packets are detected
by their CRC and retransmitted, and a frame whose retries run out is dropped, never delivered corrupt.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

import camrig

camrig_api = ">=1,<2"


class IdealLinkSpec(camrig.LinkSpec):
    """An error-free link: fixed latency plus serialisation at the payload bandwidth."""

    bandwidth_gbit_s: float = Field(default=50.0, gt=0, description="Usable payload bandwidth, Gbit/s.")
    latency_ns: float = Field(default=5.0, ge=0, description="One-way propagation latency, ns.")


class PacketLinkSpec(camrig.LinkSpec):
    """A packet link with bit errors, CRC-32 per packet and retransmission. Defaults: a short-range optical
    (laser) link between module and phone."""

    bandwidth_gbit_s: float = Field(default=50.0, gt=0, description="Usable payload bandwidth, Gbit/s.")
    latency_ns: float = Field(default=5.0, ge=0, description="One-way propagation latency, ns.")
    bit_error_rate: float = Field(default=1e-12, ge=0, lt=0.5, description="Probability that a bit on the wire flips.")
    packet_bytes: int = Field(
        default=4096, ge=64, le=1 << 20, description="Payload bytes per packet (plus 4 bytes of CRC-32)."
    )
    max_retries: int = Field(
        default=3, ge=0, le=100, description="Retransmissions of one packet before the frame is dropped."
    )
    turnaround_ns: float = Field(
        default=100.0, ge=0, description="Time to detect a bad packet and request it again (plus one round trip), ns."
    )
    packing: Literal["auto", "raw8", "raw10", "raw12", "raw14", "raw16"] = Field(
        default="auto", description="Bits per sample on the wire; 'auto' uses the frame's ADC bit depth (even, 8..16)."
    )
    compression: Literal["none", "zlib"] = Field(
        default="none", description="Lossless compression of the packed stream."
    )


USB3 = camrig.spec_preset(
    PacketLinkSpec,
    "Usb3LinkSpec",
    "USB 3.2 Gen 1 (5 Gbit/s line rate, ~3.2 Gbit/s usable payload after 8b/10b coding and protocol "
    "overhead), 125 us microframe latency; bit error rate at the specification's 1e-12 ceiling.",
    bandwidth_gbit_s=3.2, latency_ns=125_000.0, turnaround_ns=10_000.0, packet_bytes=1024,
)  # fmt: skip
WIFI6 = camrig.spec_preset(
    PacketLinkSpec,
    "Wifi6LinkSpec",
    "Wi-Fi 6 at close range: ~0.8 Gbit/s usable throughput, ~2 ms latency, residual bit error rate 1e-7 "
    "after the radio's own coding (typical figures; an assumption).",
    bandwidth_gbit_s=0.8, latency_ns=2_000_000.0, bit_error_rate=1e-7, turnaround_ns=500_000.0, packet_bytes=1460,
)  # fmt: skip

LINKS: dict[str, tuple[type[camrig.LinkSpec], str, str]] = {
    "links.ideal": (IdealLinkSpec, "camrig_links.ideal:IdealLink", "error-free link: latency + bytes / bandwidth"),
    "links.optical": (
        PacketLinkSpec,
        "camrig_links.packet:PacketLink",
        "optical (laser) packet link: BER, CRC-32, retransmission",
    ),
    "links.usb3": (USB3, "camrig_links.packet:PacketLink", "USB 3.2 Gen 1 for comparison"),
    "links.wifi6": (WIFI6, "camrig_links.packet:PacketLink", "Wi-Fi 6 for comparison"),
}


@camrig.hookimpl
def camrig_accessory_types() -> list[camrig.AccessoryType]:
    return [
        camrig.AccessoryType(name, camrig.Kind.LINK, spec, factory, summary)
        for name, (spec, factory, summary) in LINKS.items()
    ]


def bits_on_wire(spec: PacketLinkSpec, adc_bits: int) -> int:
    """Bits per sample the link sends: the packing asked, or the ADC depth rounded up to an even 8..16."""
    if spec.packing != "auto":
        return int(spec.packing.removeprefix("raw"))
    return max(8, min(16, adc_bits + adc_bits % 2))


__all__ = ["IdealLinkSpec", "PacketLinkSpec", "USB3", "WIFI6", "bits_on_wire"]
