"""camrig writers: frames to files. The host makes every write atomic."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

import camrig

camrig_api = ">=1,<2"


class NpySpec(camrig.WriterSpec):
    """The frame's array as a NumPy .npy file, exactly as it is (any format)."""


class PngSpec(camrig.WriterSpec):
    """PNG: display RGB as 8- or 16-bit RGB, or an integer raw mosaic as 8/16-bit grayscale."""

    bit_depth: Literal[8, 16] = Field(default=8, description="Bits per channel of display RGB (8 or 16); raw keeps its own.")
    compress_level: int = Field(
        default=1, ge=0, le=9,
        description="Deflate level: 0 stores, 1-3 ISA-L's fast levels (compressed on every core), 4-9 zlib's (smaller, slower).",
    )


class DngSpec(camrig.WriterSpec):
    """DNG 1.4 of a raw CFA mosaic (Adobe DNG Specification 1.4.0.0), readable by LibRaw-based converters."""

    layout: Literal["strip", "tile"] = Field(default="strip", description="Image data in strips (rows) or 256 x 256 tiles.")
    calibration_illuminant: int = Field(
        default=21, ge=0, le=255, description="EXIF LightSource code the colour matrix is for (21: D65)."
    )


class TiffSpec(camrig.WriterSpec):
    """16-bit TIFF: RGB (linear or display, [0, 1] scaled to 0..65535 and clipped) or an integer raw mosaic."""

    compression: Literal["none", "zlib"] = Field(default="none", description="Lossless compression of the image data.")


class GifSpec(camrig.WriterSpec):
    """Animated GIF of display frames (a preview stream), 8-bit palette per frame."""

    max_width_px: int = Field(default=640, ge=16, description="Frames wider than this are scaled down, pixels.")


@camrig.hookimpl
def camrig_accessory_types() -> list[camrig.AccessoryType]:
    return [
        camrig.AccessoryType(
            "writers.npy", camrig.Kind.WRITER, NpySpec, "camrig_writers.files:NpyWriter", "NumPy array file", (".npy",)
        ),
        camrig.AccessoryType(
            "writers.png", camrig.Kind.WRITER, PngSpec, "camrig_writers.files:PngWriter",
            "8-bit RGB (display frames) or 16-bit gray (raw mosaics)", (".png",),
        ),
        camrig.AccessoryType(
            "writers.gif", camrig.Kind.WRITER, GifSpec, "camrig_writers.files:GifWriter",
            "animated GIF of a preview stream", (".gif",),
        ),
        camrig.AccessoryType(
            "writers.tiff", camrig.Kind.WRITER, TiffSpec, "camrig_writers.files:TiffWriter",
            "16-bit TIFF: linear or display RGB, or a raw mosaic", (".tif", ".tiff"),
        ),
        camrig.AccessoryType(
            "writers.dng", camrig.Kind.WRITER, DngSpec, "camrig_writers.dng:DngWriter",
            "DNG 1.4 raw (CFA mosaic, strips or tiles) for LibRaw-based converters", (".dng",),
        ),
    ]  # fmt: skip
