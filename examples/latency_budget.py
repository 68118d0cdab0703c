"""The latency budget of the Four Thirds module: laser vs USB vs Wi-Fi, preview and full resolution.

Modelled time from the start of the exposure to the raw frame in the phone: exposure + rolling-shutter
readout + link transfer (with the retransmissions its bit error rate predicts), computed by camrig from the
rig's accessories (no frame is simulated). Host processing runs on the phone's own CPU and is measured by
`camrig preview`, not modelled here.

Run:  python examples/latency_budget.py
"""

from __future__ import annotations

import math
from pathlib import Path

import camrig

RIG = Path(__file__).parent / "rigs" / "four_thirds_module.yaml"
LINKS = {
    "laser (links.optical)": "links.optical",
    "USB 3 (links.usb3)": "links.usb3",
    "Wi-Fi 6 (links.wifi6)": "links.wifi6",
}


def budget(link: str) -> list[tuple[str, float, float, float, float, float]]:
    rig = camrig.load_rig(RIG, overrides=[f"rig.link={{type: {link}}}", "rig.frame_rate_hz=1"], strict=False)
    exposure_ms = rig.file.capture.exposure_s * 1e3
    rows = []
    for mode, sensor in (("full", rig.part("sensor").accessory), ("preview", rig.part("sensor").accessory.preview())):
        payload = sensor.raw_bytes_per_frame()
        readout_ms = sensor.readout_ns() / 1e6
        link_ms = rig.part("link").accessory.expected_transfer_ns(payload) / 1e6
        rows.append((mode, payload / 1e6, exposure_ms, readout_ms, link_ms, exposure_ms + readout_ms + link_ms))
    return rows


def main() -> None:
    print("| link | mode | MB per frame | exposure | readout | link | total to the phone | max fps by link |")
    print("|---|---|---|---|---|---|---|---|")
    for label, link in LINKS.items():
        for mode, mb, exposure, readout, link_ms, total in budget(link):
            fps = 1e3 / link_ms if link_ms > 0 else math.inf
            print(
                f"| {label} | {mode} | {mb:.1f} | {exposure:.1f} ms | {readout:.1f} ms | {link_ms:.1f} ms | "
                f"{total:.1f} ms | {fps:.1f} |"
            )


if __name__ == "__main__":
    main()
