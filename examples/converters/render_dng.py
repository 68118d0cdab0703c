"""Render one camrig DNG through the raw converters installed here and print each one's colour difference to
camrig's own rendering of the same shot.

    python examples/converters/render_dng.py [RIG] [--out DIR]

The rig (default: the Four Thirds module's sensor on a 480 x 320 crop, the default chart under D65) is captured
once; its raw goes to a DNG, its processed result is camrig's rendering. Each converter found on PATH renders the
DNG to a 16-bit TIFF: LibRaw through rawpy (always, it is a test dependency), ``darktable-cli`` and
``rawtherapee-cli`` where installed (otherwise they are reported as missing). Converters pick their own tone
curve and exposure, so each rendering is taken to linear sRGB (IEC 61966-2-1) and scaled to camrig's mean
luminance before the per-pixel CIEDE2000 (CIE 2000, through colour-science) is taken at the pixels neither
clips; the median and the 90th percentile are printed.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

import camrig

DEFAULT = {
    "rig": {
        "name": "converter check",
        "make": "camrig",
        "model": "converter check",
        "frame_rate_hz": 1,
        "lens": {"type": "optics.ideal", "focal_length_mm": 35, "f_number": 4, "psf": "none", "image_circle_mm": 40},
        "sensor": {"type": "sensors.m43_100mp", "width_px": 480, "height_px": 320, "pixel_pitch_um": 20.0},
        "stages": [
            {"type": "isp.black_level"},
            {"type": "isp.demosaic", "method": "bilinear"},
            {"type": "isp.white_balance", "method": "as_shot"},
            {"type": "isp.colour_correction"},
            {"type": "isp.gamma"},
        ],
    },
    "capture": {"scene": {"type": "scenes.chart", "width_deg": 30, "illuminant": "D65"}, "exposure_s": 0.0006},
}


def srgb_to_linear(v: np.ndarray) -> np.ndarray:
    """IEC 61966-2-1 decoding."""
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


def ciede2000(reference: np.ndarray, test: np.ndarray) -> np.ndarray:
    """CIEDE2000 between two linear sRGB images at the pixels neither clips (a converter's highlight handling
    is its own), ``test`` scaled to ``reference``'s mean luminance there."""
    import colour

    y = np.array([0.2126, 0.7152, 0.0722])
    unclipped = (reference < 0.98).all(axis=2) & (test < 0.98).all(axis=2)
    reference, test = reference[unclipped], test[unclipped]
    test = test * (reference @ y).mean() / max((test @ y).mean(), 1e-12)
    lab = [
        colour.XYZ_to_Lab(colour.sRGB_to_XYZ(np.clip(img, 0, None), apply_cctf_decoding=False))
        for img in (reference, test)
    ]
    return np.asarray(colour.delta_E(lab[0], lab[1], method="CIE 2000"))


def libraw(dng: Path, out: Path) -> np.ndarray:
    import rawpy

    with rawpy.imread(str(dng)) as raw:
        rgb = raw.postprocess(
            demosaic_algorithm=rawpy.DemosaicAlgorithm.LINEAR,  # the rig's own demosaic is bilinear
            use_camera_wb=True,  # the DNG's AsShotNeutral, as camrig's as-shot white balance
            output_color=rawpy.ColorSpace.sRGB,
            gamma=(1, 1),
            no_auto_bright=True,
            output_bps=16,
        )
    return rgb.astype(np.float64) / 65535  # linear already (gamma 1)


def external(command: list[str], produced: Path) -> np.ndarray:
    import tifffile

    subprocess.run(command, check=True, capture_output=True, timeout=600)
    return srgb_to_linear(tifffile.imread(produced).astype(np.float64)[..., :3] / 65535)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rig", nargs="?", help="rig file (default: a small crop of the module's sensor)")
    parser.add_argument("--out", type=Path, help="folder for the DNG and the renderings (default: a temporary one)")
    args = parser.parse_args(argv)
    rig = camrig.load_rig(args.rig or DEFAULT)
    shot = rig.capture(seed=1)
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.out or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        dng = rig.write(shot.raw, folder / "shot.dng", force=True)
        ours = srgb_to_linear(np.asarray(shot.result.data, dtype=np.float64))
        converters = {
            "LibRaw (rawpy)": lambda: libraw(dng, folder / "libraw.tif"),
            "darktable-cli": lambda: external(
                [
                    "darktable-cli",
                    str(dng),
                    str(folder / "darktable.tif"),
                    "--core",
                    "--conf",
                    "plugins/imageio/format/tiff/bpp=16",
                ],
                folder / "darktable.tif",
            ),  # fmt: skip
            "rawtherapee-cli": lambda: external(
                ["rawtherapee-cli", "-o", str(folder / "rawtherapee.tif"), "-t", "-b16", "-Y", "-c", str(dng)],
                folder / "rawtherapee.tif",
            ),
        }
        for name, render in converters.items():
            tool = name.split()[0]
            if tool != "LibRaw" and shutil.which(tool) is None:
                print(f"{name}: not installed")
                continue
            try:
                theirs = render()
            except (subprocess.SubprocessError, OSError, ValueError) as exc:
                print(f"{name}: failed: {exc}")
                continue
            if theirs.shape != ours.shape:
                print(
                    f"{name}: rendered {theirs.shape[1]} x {theirs.shape[0]}, camrig {ours.shape[1]} x {ours.shape[0]}"
                )
                continue
            de = ciede2000(ours, theirs)
            median, p90 = np.median(de), np.percentile(de, 90)
            print(f"{name}: CIEDE2000 to camrig's rendering, median {median:.2f}, 90th percentile {p90:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
