"""camrig writers: frames to files. The host makes every write atomic."""

from __future__ import annotations

import unicodedata
from typing import Literal

from pydantic import Field

import camrig

camrig_api = ">=1,<2"


def ascii_name(text: str) -> str:
    """``text`` for an ASCII tag (TIFF 6.0 type 2; DNG Make, Model, UniqueCameraModel): accents and other
    compatibility forms decomposed (Unicode NFKD) and their marks dropped ('Löwe' -> 'Lowe', 'ｶﾒﾗ' halfwidth
    forms to their base), then anything still outside ASCII dropped. May be empty (e.g. Chinese or Japanese
    names): the fit rule ``writers.ascii`` refuses such a rig before any capture."""
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(c for c in decomposed if c.isascii() and (c.isprintable() or c == " "))
    return " ".join(kept.split())


class NpySpec(camrig.WriterSpec):
    """The frame's array as a NumPy .npy file, exactly as it is (any format)."""


class PngSpec(camrig.WriterSpec):
    """PNG: display RGB as 8- or 16-bit RGB, or an integer raw mosaic as 8/16-bit grayscale."""

    bit_depth: Literal[8, 16] = Field(
        default=8, description="Bits per channel of display RGB (8 or 16); raw keeps its own."
    )
    compress_level: int = Field(
        default=1,
        ge=0,
        le=9,
        description="Deflate level: 0 stores, 1-3 ISA-L's fast levels (compressed on every core), 4-9 zlib's "
        "(smaller, slower).",
    )


class DngSpec(camrig.WriterSpec):
    """DNG 1.4 of a raw CFA mosaic (Adobe DNG Specification 1.4.0.0), readable by LibRaw-based converters."""

    layout: Literal["strip", "tile"] = Field(
        default="strip", description="Image data in strips (rows) or 256 x 256 tiles."
    )
    calibration_illuminant: int = Field(
        default=21,
        ge=0,
        le=255,
        description="EXIF LightSource code written as CalibrationIlluminant1 (21: D65, what camrig's matrix is for: "
        "XYZ adapted to D65).",
    )
    lens_make: str | None = Field(
        default=None, description="LensMake tag; none: the rig's make. Non-ASCII letters are transliterated."
    )
    lens_model: str | None = Field(
        default=None,
        description="LensModel tag; none: the lens accessory with its focal length and f-number, e.g. 'optics.ideal "
        "35 mm f/1.4'.",
    )
    lens_opcodes: bool = Field(
        default=True,
        description="Write the lens's corrections as DNG opcodes when the frame carries them: a GainMap (1 / the "
        "relative illumination; OpcodeList2, not after isp.lens_shading) and a WarpRectilinear (distortion and "
        "lateral colour; OpcodeList3), for converters that apply opcodes.",
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


def _ascii_rule(rig: camrig.Rig) -> list[camrig.Problem]:
    """Names written into ASCII file tags (the rig's make and model; a DNG writer's lens make and model): a
    non-ASCII name is transliterated (a warning says to what); one with no ASCII form is refused here, before
    any capture, rather than when the file is written."""
    names = [("rig.make", rig.file.rig.make), ("rig.model", rig.file.rig.model)]
    for i, config in enumerate(rig.file.rig.writers):
        for key in ("lens_make", "lens_model"):
            value = config.spec_fields.get(key)
            if isinstance(value, str):
                names.append((f"rig.writers.{i}.{key}", value))
    problems = []
    for where, name in names:
        if name.isascii():
            continue
        written = ascii_name(name)
        problems.append(
            camrig.Problem(
                severity=camrig.Severity.ERROR if not written else camrig.Severity.WARNING,
                rule="writers.ascii",
                parts=("writers",),
                message=(
                    f"{where} {name!r} has no ASCII form for the file tags that record it (DNG Make, Model, "
                    "LensMake, LensModel)"
                    if not written
                    else f"{where} {name!r} is written as {written!r} in ASCII file tags (a DNG keeps the original, "
                    "UTF-8, in LocalizedCameraModel)"
                ),
                suggestion=f"give {where} in ASCII letters" if not written else None,
            )
        )
    return problems


@camrig.hookimpl
def camrig_fit_rules() -> list[camrig.FitRule]:
    return [camrig.FitRule("writers.ascii", "names written into files have an ASCII form", _ascii_rule)]
