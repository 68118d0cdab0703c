"""Writers for .npy and .png. Pillow is imported only when a PNG is written."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import camrig

from . import NpySpec, PngSpec


class NpyWriter(camrig.Writer[NpySpec]):
    def accepts(self, caps: camrig.Caps) -> str | None:
        return None

    def write(self, frame: camrig.Frame, path: Path) -> None:
        with open(path, "wb") as fh:
            np.save(fh, frame.data, allow_pickle=False)


class PngWriter(camrig.Writer[PngSpec]):
    def accepts(self, caps: camrig.Caps) -> str | None:
        if caps.format is camrig.Format.RGB_DISPLAY and len(caps.shape) == 3 and caps.shape[2] == 3:
            return None
        if caps.format is camrig.Format.RAW and len(caps.shape) == 2 and caps.dtype in ("uint8", "uint16"):
            return None
        return "PNG takes display RGB (rows x cols x 3) or an 8/16-bit raw mosaic"

    def write(self, frame: camrig.Frame, path: Path) -> None:
        from PIL import Image

        data = frame.data
        if frame.meta.format is camrig.Format.RGB_DISPLAY:
            pixels = np.rint(np.clip(data, 0.0, 1.0) * 255).astype(np.uint8)  # -> 'RGB'
        else:
            pixels = np.ascontiguousarray(data)  # uint8 -> 8-bit gray, uint16 -> 16-bit gray ('I;16')
        image = Image.fromarray(pixels)
        image.save(path, format="PNG", compress_level=self.spec.compress_level)
