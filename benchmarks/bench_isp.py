"""The host pipeline (issue 5's speed targets).

- Malvar demosaic on 12 MP against colour-demosaicing's ``demosaicing_CFA_Bayer_Malvar2004`` on the same
  mosaic (target: ours >= 5x faster, printed as their time over ours).
- The default host pipeline (black level, lens shading, Malvar demosaic, as-shot white balance, colour
  correction, sRGB tone) through the router on a 12 MP raw: time as a ratio to one copy of the RGB float32
  image.
- The same at the module's 100 MP (12 MP with --quick): time ratio, and peak memory (tracemalloc) over the RGB
  float32 image (target <= 3x).
"""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import numpy as np

import camrig
from camrig import router
from run import Result, interleaved

ROOT = Path(__file__).resolve().parent.parent
PIPELINE = [
    {"type": "isp.black_level"},
    {"type": "isp.lens_shading"},
    {"type": "isp.demosaic", "method": "malvar2004"},
    {"type": "isp.white_balance", "method": "as_shot"},
    {"type": "isp.colour_correction"},
    {"type": "isp.gamma"},
]


def module_rig(rows: int, cols: int) -> camrig.Rig:
    import yaml

    data = yaml.safe_load((ROOT / "examples" / "rigs" / "four_thirds_module.yaml").read_text())
    data["rig"]["sensor"].update(width_px=cols, height_px=rows)
    data["rig"]["stages"] = PIPELINE
    return camrig.assemble(camrig.Host(env={}), camrig.read_rig(data))


def raw_frame(rig: camrig.Rig) -> camrig.Frame:
    """A 14-bit mosaic with the metadata the sensor and lens would attach."""
    sensor, lens = rig.part("sensor").accessory, rig.part("lens").accessory
    rows, cols = rig.geometry.plane.height_px, rig.geometry.plane.width_px
    data = np.random.default_rng(0).integers(256, 12000, (rows, cols), dtype=np.uint16)
    meta = camrig.FrameMeta(
        format="raw",
        units="DN",
        cfa="RGGB",
        black_level=256,
        white_level=16383,
        bit_depth=14,
        pitch=rig.geometry.plane.pitch_um,
        relative_illumination=lens.relative_illumination_profile(rig.geometry.plane),
        **sensor.colour_metadata(None),
    )
    return camrig.Frame(data, meta)


def run(quick: bool) -> list[Result]:
    from colour_demosaicing import demosaicing_CFA_Bayer_Malvar2004

    from camrig_isp.demosaic import malvar2004_demosaic

    results = []
    rows, cols = (1500, 2000) if quick else (3000, 4000)
    mosaic = np.random.default_rng(1).random((rows, cols), dtype=np.float32)
    ours, theirs = interleaved(
        lambda: malvar2004_demosaic(mosaic, "RGGB"),
        lambda: demosaicing_CFA_Bayer_Malvar2004(mosaic, "RGGB"),
        2 if quick else 3,
    )
    results.append(
        Result(
            f"Malvar 2004 demosaic, {rows * cols / 1e6:.0f} MP: colour-demosaicing time / ours",
            theirs / ours,
            ">= 5",
            f"ours {ours:.2f} s, colour-demosaicing {theirs:.2f} s",
        )
    )

    sizes = [(3000, 4000)] + ([] if quick else [(8640, 11520)])
    for rows, cols in sizes:
        rig = module_rig(rows, cols)
        raw = raw_frame(rig)
        ctx = router.context(rig)
        rgb = np.ones((rows, cols, 3), dtype=np.float32)
        pipeline_s, copy_s = interleaved(
            lambda: router.develop(rig, raw, ctx), lambda: rgb.copy(), 1 if rows > 5000 else 3
        )
        mp = rows * cols / 1e6
        results.append(
            Result(
                f"default host pipeline, {mp:.0f} MP / one copy of the RGB float32 image",
                pipeline_s / copy_s,
                "<= 100",
                f"pipeline {pipeline_s:.2f} s, copy {copy_s * 1e3:.0f} ms",
            )
        )
        del rgb
        tracemalloc.start()
        router.develop(rig, raw, ctx)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        image = rows * cols * 3 * 4
        results.append(
            Result(
                f"default host pipeline peak memory / RGB float32 image, {mp:.0f} MP",
                peak / image,
                "<= 3",
                f"peak {peak / 1e9:.2f} GB, image {image / 1e9:.2f} GB",
            )
        )
    return results
