"""Writers for .npy, .png (:mod:`camrig_writers.png`), .gif and .tif. Pillow and tifffile are imported only
when a file of theirs is written."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

import camrig

from . import GifSpec, NpySpec, PngSpec, TiffSpec


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
        from .png import write_display_rgb, write_gray

        threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        if frame.meta.format is camrig.Format.RGB_DISPLAY:
            write_display_rgb(path, frame.data, self.spec.bit_depth, self.spec.compress_level, threads)
        else:  # uint8 -> 8-bit gray, uint16 -> 16-bit gray
            write_gray(path, frame.data, self.spec.compress_level, threads)


class GifWriter(camrig.Writer[GifSpec]):
    def accepts(self, caps: camrig.Caps) -> str | None:
        if caps.format is camrig.Format.RGB_DISPLAY and len(caps.shape) == 3 and caps.shape[2] == 3:
            return None
        return "GIF takes display RGB frames (rows x cols x 3)"

    def _image(self, frame: camrig.Frame):  # type: ignore[no-untyped-def]
        from PIL import Image

        image = Image.fromarray(np.rint(np.clip(frame.data, 0.0, 1.0) * 255).astype(np.uint8))
        if image.width > self.spec.max_width_px:
            image = image.resize((self.spec.max_width_px, round(image.height * self.spec.max_width_px / image.width)))
        return image

    def write(self, frame: camrig.Frame, path: Path) -> None:
        self._image(frame).save(path, format="GIF")

    def write_animation(self, frames: list[camrig.Frame], path: Path, frame_rate_hz: float) -> None:
        images = [self._image(f) for f in frames]
        duration_ms = max(20, round(1000 / frame_rate_hz))
        images[0].save(path, format="GIF", save_all=True, append_images=images[1:], duration=duration_ms, loop=0)


class TiffWriter(camrig.Writer[TiffSpec]):
    def accepts(self, caps: camrig.Caps) -> str | None:
        rgb = (
            caps.format in (camrig.Format.RGB_LINEAR, camrig.Format.RGB_DISPLAY)
            and len(caps.shape) == 3
            and caps.shape[2] == 3
        )
        mosaic = caps.format is camrig.Format.RAW and len(caps.shape) == 2 and caps.dtype in ("uint8", "uint16")
        return None if rgb or mosaic else "16-bit TIFF takes RGB (rows x cols x 3) or an 8/16-bit raw mosaic"

    def write(self, frame: camrig.Frame, path: Path) -> None:
        import tifffile

        data = frame.data
        if data.dtype.kind == "f":  # [0, 1] -> 0..65535; linear data above 1 is clipped
            data = np.rint(np.clip(data, 0.0, 1.0) * 65535).astype(np.uint16)
        photometric = "rgb" if data.ndim == 3 else "minisblack"
        compression = "zlib" if self.spec.compression == "zlib" else None
        tifffile.imwrite(
            path,
            np.ascontiguousarray(data),
            photometric=photometric,
            compression=compression,
            software="camrig",
            metadata=None,
        )
