"""Writers for .npy and .png. Pillow is imported only when a PNG is written."""

from __future__ import annotations

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
        from PIL import Image

        data = frame.data
        if frame.meta.format is camrig.Format.RGB_DISPLAY and self.spec.bit_depth == 16:
            write_png16_rgb(path, np.rint(np.clip(data, 0.0, 1.0) * 65535).astype(np.uint16), self.spec.compress_level)
            return
        if frame.meta.format is camrig.Format.RGB_DISPLAY:
            pixels = np.rint(np.clip(data, 0.0, 1.0) * 255).astype(np.uint8)  # -> 'RGB'
        else:
            pixels = np.ascontiguousarray(data)  # uint8 -> 8-bit gray, uint16 -> 16-bit gray ('I;16')
        image = Image.fromarray(pixels)
        image.save(path, format="PNG", compress_level=self.spec.compress_level)


def write_png16_rgb(path: Path, rgb: np.ndarray, level: int) -> None:
    """A 16-bit RGB PNG (ISO/IEC 15948:2004): signature, IHDR (bit depth 16, colour type 2), one zlib IDAT of
    rows each prefixed by filter type 0, big-endian samples, IEND; every chunk with its CRC-32. Pillow writes
    16-bit PNGs only in grayscale, so this one is written here."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    rows, cols = rgb.shape[:2]
    scanlines = np.zeros((rows, 1 + cols * 6), dtype=np.uint8)
    scanlines[:, 1:] = rgb.astype(">u2").reshape(rows, cols * 3).view(np.uint8)
    header = struct.pack(">IIBBBBB", cols, rows, 16, 2, 0, 0, 0)
    with open(path, "wb") as fh:
        fh.write(b"\x89PNG\r\n\x1a\n")
        fh.write(chunk(b"IHDR", header))
        fh.write(chunk(b"IDAT", zlib.compress(scanlines.tobytes(), level)))
        fh.write(chunk(b"IEND", b""))


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
        rgb = caps.format in (camrig.Format.RGB_LINEAR, camrig.Format.RGB_DISPLAY) and len(caps.shape) == 3 and caps.shape[2] == 3
        mosaic = caps.format is camrig.Format.RAW and len(caps.shape) == 2 and caps.dtype in ("uint8", "uint16")
        return None if rgb or mosaic else "16-bit TIFF takes RGB (rows x cols x 3) or an 8/16-bit raw mosaic"

    def write(self, frame: camrig.Frame, path: Path) -> None:
        import tifffile

        data = frame.data
        if data.dtype.kind == "f":  # [0, 1] -> 0..65535; linear data above 1 is clipped
            data = np.rint(np.clip(data, 0.0, 1.0) * 65535).astype(np.uint16)
        photometric = "rgb" if data.ndim == 3 else "minisblack"
        compression = "zlib" if self.spec.compression == "zlib" else None
        tifffile.imwrite(path, np.ascontiguousarray(data), photometric=photometric, compression=compression, software="camrig", metadata=None)
