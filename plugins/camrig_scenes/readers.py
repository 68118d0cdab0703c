"""Reading what people bring: photos (PNG, JPEG, TIFF), OpenEXR radiance, depth maps and spectral cubes.

Every reader checks what it reads and raises ``ValueError`` starting with the file's path and naming what is
wrong (an alpha channel, a palette, a bit depth other than declared, NaN or negative values, ...), so a rig
check reports one line instead of a traceback. ``probe_*`` functions read only a file's header (cheap enough for
spec validation); ``read_*`` read the data.

16-bit PNG: Pillow reduces 16-bit RGB PNGs to 8 bits, so camrig decodes them itself (ISO/IEC 15948, PNG:
IHDR, the IDAT stream inflated, then the five scanline filters of section 9 undone in one compiled pass).
"""

from __future__ import annotations

import os
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numba import njit

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
PNG_COLOUR_TYPES = {0: "greyscale", 2: "RGB", 3: "palette", 4: "greyscale with alpha", 6: "RGBA"}


@dataclass(frozen=True)
class ImageInfo:
    """What a photo's header says."""

    width: int
    height: int
    channels: int  # 1 (grey) or 3
    bits: int  # 8 or 16
    format: str  # PNG, JPEG, TIFF


def _existing(path: str | os.PathLike[str]) -> Path:
    p = Path(path)
    if not p.exists():
        raise ValueError(f"{p}: no such file")
    if not p.is_file():
        raise ValueError(f"{p}: not a regular file")
    if not os.access(p, os.R_OK):
        raise ValueError(f"{p}: not readable (permission denied)")
    return p


def _head(p: Path, n: int = 64) -> bytes:
    try:
        with p.open("rb") as f:
            return f.read(n)
    except OSError as exc:
        raise ValueError(f"{p}: cannot be read ({exc.strerror or exc})") from None


def _sniff(p: Path, head: bytes) -> str:
    if head.startswith(PNG_MAGIC):
        return "PNG"
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "TIFF"
    if head.startswith(b"\x76\x2f\x31\x01"):
        return "EXR"
    raise ValueError(f"{p}: not a PNG, JPEG or TIFF image (unrecognised file signature {head[:8]!r})")


def _png_header(p: Path, head: bytes) -> tuple[int, int, int, int, int]:
    """(width, height, bit depth, colour type, interlace) from the IHDR chunk."""
    if len(head) < 33 or head[12:16] != b"IHDR":
        raise ValueError(f"{p}: truncated PNG (no IHDR chunk)")
    width, height, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", head[16:29])
    return width, height, depth, ctype, interlace


def probe_image(path: str | os.PathLike[str], declared_bits: int | None = None) -> ImageInfo:
    """The header of an 8- or 16-bit greyscale or RGB photo; ValueError for anything else."""
    p = _existing(path)
    head = _head(p)
    kind = _sniff(p, head)
    if kind == "EXR":
        raise ValueError(f"{p}: an OpenEXR file holds linear radiance: use scenes.hdr")
    if kind == "PNG":
        width, height, bits, ctype, _ = _png_header(p, head)
        if ctype == 3:
            raise ValueError(f"{p}: a palette PNG; save it as RGB (8 or 16 bits per channel)")
        if ctype in (4, 6):
            raise ValueError(
                f"{p}: the image has an alpha channel ({PNG_COLOUR_TYPES[ctype]}); a scene needs opaque RGB or "
                "greyscale"
            )
        if ctype not in (0, 2):
            raise ValueError(f"{p}: unknown PNG colour type {ctype}")
        if bits not in (8, 16):
            raise ValueError(f"{p}: {bits}-bit samples; a scene reads 8- or 16-bit images")
        info = ImageInfo(width, height, 1 if ctype == 0 else 3, bits, kind)
    elif kind == "JPEG":
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(p) as im:
                mode, (width, height) = im.mode, im.size
        except (OSError, UnidentifiedImageError) as exc:
            raise ValueError(f"{p}: unreadable JPEG ({exc})") from None
        if mode not in ("RGB", "L"):
            raise ValueError(f"{p}: JPEG in mode {mode}; a scene reads RGB or greyscale")
        info = ImageInfo(width, height, 3 if mode == "RGB" else 1, 8, kind)
    else:
        info = _probe_tiff(p)
    if declared_bits is not None and declared_bits != info.bits:
        raise ValueError(f"{p}: the file holds {info.bits}-bit samples, but bit_depth says {declared_bits}")
    return info


def _probe_tiff(p: Path) -> ImageInfo:
    import tifffile

    try:
        with tifffile.TiffFile(p) as tif:
            page = tif.pages.first
            shape, dtype, photometric = page.shape, page.dtype, page.photometric
            extra = len(page.extrasamples)
    except Exception as exc:  # noqa: BLE001 - any parse failure is an unreadable file
        raise ValueError(f"{p}: unreadable TIFF ({exc})") from None
    if photometric == tifffile.PHOTOMETRIC.PALETTE:
        raise ValueError(f"{p}: a palette TIFF; save it as RGB (8 or 16 bits per channel)")
    if extra or (len(shape) == 3 and shape[-1] in (2, 4)):
        raise ValueError(f"{p}: the image has an alpha channel; a scene needs opaque RGB or greyscale")
    if dtype not in (np.uint8, np.uint16):
        hint = " (linear float radiance: use scenes.hdr)" if np.dtype(dtype).kind == "f" else ""
        raise ValueError(f"{p}: {np.dtype(dtype).name} samples{hint}; a scene reads 8- or 16-bit images")
    if len(shape) == 2:
        return ImageInfo(shape[1], shape[0], 1, np.dtype(dtype).itemsize * 8, "TIFF")
    if len(shape) != 3 or shape[-1] != 3:
        raise ValueError(
            f"{p}: TIFF of shape {shape} (planar or multi-sample); a scene reads (rows, columns, 3) or greyscale"
        )
    return ImageInfo(shape[1], shape[0], 3, np.dtype(dtype).itemsize * 8, "TIFF")


def read_image(path: str | os.PathLike[str], declared_bits: int | None = None) -> np.ndarray:
    """(rows, cols, channels) uint8 or uint16 samples of a photo, as stored (still encoded)."""
    info = probe_image(path, declared_bits)
    p = Path(path)
    try:
        if info.format == "PNG" and info.bits == 16:
            data = _read_png16(p)
        elif info.format == "TIFF":
            import tifffile

            data = tifffile.imread(p)
        else:
            from PIL import Image

            with Image.open(p) as im:
                im.load()
                data = np.asarray(im)
    except ValueError:
        raise
    except Exception as exc:  # noqa: BLE001 - a corrupt file is reported by name
        raise ValueError(f"{p}: unreadable {info.format} ({type(exc).__name__}: {exc})") from None
    if data.ndim == 2:
        data = data[:, :, None]
    expected = (info.height, info.width, info.channels)
    if data.shape != expected or data.dtype != (np.uint8 if info.bits == 8 else np.uint16):
        raise ValueError(f"{p}: decoded {data.dtype} {data.shape}, the header says {info.bits}-bit {expected}")
    return np.ascontiguousarray(data)


@njit(cache=True, nogil=True)
def _unfilter(raw: np.ndarray, out: np.ndarray, bpp: int) -> None:
    """Undo PNG scanline filters (ISO/IEC 15948 section 9): raw (rows, 1 + stride) -> out (rows, stride)."""
    rows, stride = out.shape
    for r in range(rows):
        kind = raw[r, 0]
        for i in range(stride):
            x = np.int32(raw[r, i + 1])
            a = np.int32(out[r, i - bpp]) if i >= bpp else 0
            b = np.int32(out[r - 1, i]) if r > 0 else 0
            if kind == 0:
                v = x
            elif kind == 1:
                v = x + a
            elif kind == 2:
                v = x + b
            elif kind == 3:
                v = x + (a + b) // 2
            else:
                c = np.int32(out[r - 1, i - bpp]) if (r > 0 and i >= bpp) else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if (pa <= pb and pa <= pc) else (b if pb <= pc else c)
                v = x + pred
            out[r, i] = v & 0xFF


def _read_png16(p: Path) -> np.ndarray:
    data = p.read_bytes()
    width, height, _, ctype, interlace = _png_header(p, data[:33])
    if interlace:
        raise ValueError(f"{p}: an interlaced 16-bit PNG; save it without interlacing")
    idat, pos = [], 8
    while pos + 8 <= len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        if kind == b"IDAT":
            idat.append(data[pos + 8 : pos + 8 + length])
        elif kind == b"IEND":
            break
        pos += 12 + length
    channels = 1 if ctype == 0 else 3
    stride = width * channels * 2
    try:
        from isal import isal_zlib

        raw = isal_zlib.decompress(b"".join(idat))
    except Exception:  # noqa: BLE001 - fall back to zlib, which names a corrupt stream
        try:
            raw = zlib.decompress(b"".join(idat))
        except zlib.error as exc:
            raise ValueError(f"{p}: corrupt PNG image data ({exc})") from None
    if len(raw) < height * (stride + 1):
        raise ValueError(f"{p}: truncated PNG image data ({len(raw)} of {height * (stride + 1)} bytes)")
    rows = np.frombuffer(raw, np.uint8, height * (stride + 1)).reshape(height, stride + 1)
    if rows[:, 0].max() > 4:
        raise ValueError(f"{p}: corrupt PNG (unknown scanline filter {rows[:, 0].max()})")
    out = np.empty((height, stride), np.uint8)
    _unfilter(rows, out, channels * 2)
    return out.view(">u2").astype(np.uint16).reshape(height, width, channels)


# -- OpenEXR --------------------------------------------------------------------------------------------------


def _openexr():
    try:
        import OpenEXR
    except ImportError:
        raise ValueError("reading OpenEXR needs the OpenEXR package: pip install 'camrig[exr]'") from None
    return OpenEXR


def probe_exr(path: str | os.PathLike[str]) -> tuple[int, int, tuple[str, ...]]:
    """(width, height, channel names) from an OpenEXR header."""
    p = _existing(path)
    head = _head(p, 4)
    if not head.startswith(b"\x76\x2f\x31\x01"):
        raise ValueError(f"{p}: not an OpenEXR file (signature {head!r})")
    exr = _openexr()
    try:
        header = exr.File(str(p), header_only=True).header()
    except Exception as exc:  # noqa: BLE001
        raise ValueError(f"{p}: unreadable OpenEXR ({exc})") from None
    (x0, y0), (x1, y1) = header["dataWindow"]
    names = tuple(sorted(c.name for c in header["channels"])) if header.get("channels") else ()
    return int(x1 - x0 + 1), int(y1 - y0 + 1), names


def read_exr_channels(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Every channel of an OpenEXR file's first part as float32 (rows, cols)."""
    p = _existing(path)
    exr = _openexr()
    try:
        with exr.File(str(p), separate_channels=True) as f:
            channels = {name: np.asarray(c.pixels, dtype=np.float32) for name, c in f.channels().items()}
    except Exception as exc:  # noqa: BLE001
        raise ValueError(f"{p}: unreadable OpenEXR ({exc})") from None
    return channels


def check_finite_nonnegative(values: np.ndarray, where: str) -> None:
    """ValueError naming ``where`` if ``values`` hold NaN, infinity or negative numbers (with the count and
    first place)."""
    bad = ~np.isfinite(values)
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"{where}: {int(bad.sum())} NaN or infinite values (first at {first}); radiance must be finite"
        )
    negative = values < 0
    if negative.any():
        first = tuple(int(i) for i in np.argwhere(negative)[0])
        raise ValueError(
            f"{where}: {int(negative.sum())} negative values (first {float(values[first]):g} at {first}); radiance "
            "cannot be negative"
        )


# -- depth maps -----------------------------------------------------------------------------------------------


def read_depth(path: str | os.PathLike[str], scale_m: float) -> np.ndarray:
    """(rows, cols) float32 depth in metres: a .npy array, a 16-bit (or 8-bit) greyscale PNG or TIFF, a float
    TIFF, or an OpenEXR file's Z (else its only) channel, times ``scale_m``. Values must be positive (inf:
    nothing there, e.g. sky)."""
    p = _existing(path)
    suffix = p.suffix.lower()
    if suffix == ".npy":
        try:
            depth = np.load(p, allow_pickle=False)
        except Exception as exc:  # noqa: BLE001
            raise ValueError(f"{p}: unreadable .npy ({exc})") from None
    elif _head(p, 4).startswith(b"\x76\x2f\x31\x01"):
        channels = read_exr_channels(p)
        name = "Z" if "Z" in channels else (next(iter(channels)) if len(channels) == 1 else None)
        if name is None:
            raise ValueError(
                f"{p}: no Z channel, and {len(channels)} channels ({', '.join(sorted(channels))}) to choose from"
            )
        depth = channels[name]
    elif _sniff(p, _head(p)) == "TIFF":
        import tifffile

        try:
            depth = tifffile.imread(p)
        except Exception as exc:  # noqa: BLE001
            raise ValueError(f"{p}: unreadable TIFF ({exc})") from None
    else:
        depth = read_image(p)
        if depth.shape[2] != 1:
            raise ValueError(f"{p}: a depth map has one channel, this image has {depth.shape[2]}")
    depth = np.squeeze(np.asarray(depth))
    if depth.ndim != 2 or depth.dtype.kind not in "uif":
        raise ValueError(f"{p}: a depth map is a 2-D array of numbers, got {depth.dtype} {depth.shape}")
    depth = depth.astype(np.float32) * np.float32(scale_m)
    if np.isnan(depth).any() or (depth <= 0).any():
        bad = int((np.isnan(depth) | (depth <= 0)).sum())
        raise ValueError(
            f"{p}: {bad} depth values are zero, negative or NaN; depth must be > 0 (inf for nothing there)"
        )
    return depth
