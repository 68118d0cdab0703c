"""PNG encoding (ISO/IEC 15948:2004, W3C PNG 2nd ed.) sized for 100 MP frames: filtered in one compiled pass,
compressed in parallel.

The image is split into row blocks, one per core. Each block's scanlines (filter type 1, "Sub": each byte
minus the byte one pixel to its left, which suits photographic images at fast compression levels) are
deflated on their own thread (the compressors release the interpreter lock) and ended with a sync flush, so
the blocks concatenate into one valid deflate stream (RFC 1951); the zlib wrapper (RFC 1950) carries the
Adler-32 of all scanlines, combined from the blocks' own. Levels 1-3 use ISA-L's deflate (``isal``, several
times faster than zlib at level 1, with a similar ratio); 0 stores; 4-9 use zlib's levels.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType

import numpy as np
from numba import njit

ADLER_BASE = 65521
IDAT_BYTES = 1 << 26
"""Largest IDAT chunk written (PNG allows 2^31 - 1; smaller chunks suit streaming readers)."""


@njit(nogil=True, cache=True)
def _sub_filter_display(values: np.ndarray, scale: float, wide: bool, bpp: int, out: np.ndarray) -> None:
    """Rows of display values ``values`` (float32 in [0, 1], rows x samples) quantised to
    ``round(clip(x) * scale)`` (8 bits, or 16 big-endian when ``wide``) and Sub-filtered into ``out`` (rows x
    (1 + bytes)); ``bpp``: bytes per pixel. NaN reads as 0; the rounding is float32's, half to even."""
    zero, one, s32 = np.float32(0.0), np.float32(1.0), np.float32(scale)
    for r in range(values.shape[0]):
        row, line = values[r], out[r]
        line[0] = 1
        for j in range(values.shape[1]):
            x = row[j]
            x = x if x > zero else zero
            x = x if x < one else one
            v = np.uint16(np.rint(x * s32))
            if wide:
                line[1 + 2 * j] = v >> 8
                line[2 + 2 * j] = v & 0xFF
            else:
                line[1 + j] = v
        for i in range(line.size - 1, bpp, -1):  # Sub: right to left, so each byte's left neighbour is raw
            line[i] = line[i] - line[i - bpp]


@njit(nogil=True, cache=True)
def _sub_filter_bytes(raw: np.ndarray, bpp: int, out: np.ndarray) -> None:
    """Scanlines of the big-endian sample bytes ``raw`` (rows x bytes), Sub-filtered into ``out``."""
    rows, width = raw.shape
    for r in range(rows):
        out[r, 0] = 1
        for i in range(width):
            left = raw[r, i - bpp] if i >= bpp else 0
            out[r, 1 + i] = (raw[r, i] - left) & 0xFF


def adler32_combine(first: int, second: int, second_length: int) -> int:
    """The Adler-32 of two byte strings joined, from each one's and the second's length (zlib's
    ``adler32_combine``)."""
    rem = second_length % ADLER_BASE
    a = ((first & 0xFFFF) + (second & 0xFFFF) + ADLER_BASE - 1) % ADLER_BASE
    b = (rem * (first & 0xFFFF) + (first >> 16) + (second >> 16) + ADLER_BASE - rem) % ADLER_BASE
    return a | (b << 16)


ROWS_PER_PIECE = 128
"""Rows filtered and fed to the compressor at a time: the scanlines never exist for the whole image."""


def _deflate_rows(
    scanlines: Callable[[int, int], np.ndarray], r0: int, r1: int, level: int, last: bool
) -> tuple[list[bytes], int, int]:
    """Raw deflate of rows r0..r1 (ending with a sync flush unless ``last``): the compressed pieces, the
    Adler-32 and the length of the scanlines."""
    codec: ModuleType = zlib
    if 1 <= level <= 3:
        from isal import isal_zlib

        codec = isal_zlib
    compressor = codec.compressobj(level, codec.DEFLATED, -15)
    pieces: list[bytes] = []
    adler, length = 1, 0
    for a in range(r0, r1, ROWS_PER_PIECE):
        data = scanlines(a, min(r1, a + ROWS_PER_PIECE)).reshape(-1).data  # the array's own buffer, not a copy
        pieces.append(compressor.compress(data))
        adler, length = zlib.adler32(data, adler), length + len(data)
    pieces.append(compressor.flush(codec.Z_FINISH if last else codec.Z_SYNC_FLUSH))
    return pieces, adler, length


def _chunk(kind: bytes, body: bytes | bytearray | memoryview) -> bytes:
    return struct.pack(">I", len(body)) + kind + bytes(body) + struct.pack(">I", zlib.crc32(body, zlib.crc32(kind)))


def write_png(
    path: Path,
    height: int,
    width: int,
    channels: int,
    bit_depth: int,
    scanlines: Callable[[int, int], np.ndarray],
    level: int = 1,
    threads: int = 1,
) -> None:
    """Write a PNG of ``height`` x ``width`` pixels (``channels`` 1: gray, 3: RGB; ``bit_depth`` 8 or 16).
    ``scanlines(r0, r1)`` returns the filtered scanlines of rows r0..r1 (each row: filter byte, then bytes)."""
    blocks = max(1, min(threads, height))
    edges = [height * i // blocks for i in range(blocks + 1)]

    def encode(i: int) -> tuple[list[bytes], int, int]:
        return _deflate_rows(scanlines, edges[i], edges[i + 1], level, i == blocks - 1)

    with ThreadPoolExecutor(blocks) as pool:
        parts = list(pool.map(encode, range(blocks)))
    adler = parts[0][1]
    for _, block_adler, length in parts[1:]:
        adler = adler32_combine(adler, block_adler, length)
    header = bytes([0x78, 0x01])  # deflate, 32 KiB window, FLEVEL 0 (informative only)
    colour_type = {1: 0, 3: 2}[channels]
    with open(path, "wb") as fh:
        fh.write(b"\x89PNG\r\n\x1a\n")
        fh.write(_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)))
        stream = [header, *(piece for pieces, _, _ in parts for piece in pieces), struct.pack(">I", adler)]
        pending = bytearray()
        for piece in stream:
            pending += piece
            while len(pending) >= IDAT_BYTES:
                fh.write(_chunk(b"IDAT", memoryview(pending)[:IDAT_BYTES]))
                del pending[:IDAT_BYTES]
        if pending:
            fh.write(_chunk(b"IDAT", pending))
        fh.write(_chunk(b"IEND", b""))


def write_display_rgb(path: Path, rgb: np.ndarray, bit_depth: int, level: int = 1, threads: int = 1) -> None:
    """Display RGB (rows x cols x 3 float in [0, 1], clipped) as an 8- or 16-bit RGB PNG."""
    rows, cols, channels = rgb.shape
    data = np.ascontiguousarray(rgb, dtype=np.float32).reshape(rows, cols * channels)
    scale, wide = float(2**bit_depth - 1), bit_depth == 16  # exact in float32: the kernel multiplies in float32

    def scanlines(r0: int, r1: int) -> np.ndarray:
        out = np.empty((r1 - r0, 1 + cols * channels * bit_depth // 8), np.uint8)
        _sub_filter_display(data[r0:r1], scale, wide, channels * bit_depth // 8, out)
        return out

    write_png(path, rows, cols, channels, bit_depth, scanlines, level, threads)


def write_gray(path: Path, mosaic: np.ndarray, level: int = 1, threads: int = 1) -> None:
    """An 8- or 16-bit integer mosaic (rows x cols) as a grayscale PNG of its own bit depth."""
    rows, cols = mosaic.shape
    bit_depth = 8 * mosaic.dtype.itemsize
    big_endian = np.ascontiguousarray(mosaic, dtype=f">u{mosaic.dtype.itemsize}").view(np.uint8).reshape(rows, -1)

    def scanlines(r0: int, r1: int) -> np.ndarray:
        out = np.empty((r1 - r0, 1 + big_endian.shape[1]), np.uint8)
        _sub_filter_bytes(big_endian[r0:r1], mosaic.dtype.itemsize, out)
        return out

    write_png(path, rows, cols, 1, bit_depth, scanlines, level, threads)
