"""The error-free link."""

from __future__ import annotations

import math

import camrig

from . import IdealLinkSpec


class IdealLink(camrig.Link[IdealLinkSpec]):
    """Modelled transfer time = latency + bits / bandwidth (raw samples packed at the ADC bit depth)."""

    def negotiate(self, upstream: camrig.Caps | None, geometry: camrig.Geometry) -> camrig.Caps:
        if upstream is None or upstream.format is not camrig.Format.RAW:
            raise camrig.CapsError("a link carries raw frames")
        return upstream

    def expected_transfer_ns(self, payload_bytes: int) -> float:
        """Modelled time to deliver ``payload_bytes``: latency + bits / bandwidth."""
        return self.spec.latency_ns + 8 * payload_bytes / self.spec.bandwidth_gbit_s

    def transfer_ns(self, frame: camrig.Frame) -> float:
        bits = frame.meta.bit_depth or frame.data.dtype.itemsize * 8
        return self.expected_transfer_ns(math.ceil(frame.data.size * bits / 8))

    def process(self, frame: camrig.Frame | None, ctx: camrig.CaptureContext, role: str) -> camrig.Frame:
        assert frame is not None
        return frame.derive(modelled_ns={**frame.meta.modelled_ns, "link": round(self.transfer_ns(frame))})
