"""The PNG writer: what Pillow (an independent decoder) reads back is exactly what was written, for every
colour type, bit depth, compression level and number of compression threads."""

from __future__ import annotations

import zlib

import numpy as np
import pytest
from PIL import Image

from camrig_writers.png import adler32_combine, write_display_rgb, write_gray


def display(rows: int = 37, cols: int = 53) -> np.ndarray:
    rng = np.random.default_rng(3)
    rgb = rng.uniform(-0.1, 1.1, (rows, cols, 3)).astype(np.float32)  # some values out of [0, 1]: clipped
    rgb[0, 0] = np.nan  # reads as 0
    return rgb


@pytest.mark.parametrize("level", [0, 1, 3, 6])
@pytest.mark.parametrize("threads", [1, 2, 5])
@pytest.mark.parametrize("bit_depth", [8, 16])
def test_display_rgb_reads_back_exactly(tmp_path, level, threads, bit_depth):
    rgb = display()
    path = tmp_path / "x.png"
    write_display_rgb(path, rgb, bit_depth, level, threads)
    expected = np.rint(np.clip(np.nan_to_num(rgb, nan=0.0), 0, 1) * (2**bit_depth - 1))
    if bit_depth == 8:
        read = np.asarray(Image.open(path))
    else:  # Pillow reads 16-bit RGB as 8 bits; decode the samples from the zlib stream it checked
        image = Image.open(path)
        image.load()  # CRCs and the stream checked by Pillow
        read = _decode_16bit_rgb(path, rgb.shape)
    np.testing.assert_array_equal(read, expected)


def _decode_16bit_rgb(path, shape) -> np.ndarray:
    """Undo the Sub filter by hand (PNG spec 9.2: Recon(x) = Filt(x) + Recon(a))."""
    data = path.read_bytes()
    idat, pos = b"", 8
    while pos < len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        if kind == b"IDAT":
            idat += data[pos + 8 : pos + 8 + length]
        pos += 12 + length
    rows, cols, _ = shape
    lines = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(rows, 1 + cols * 6).astype(np.int64)
    assert np.all(lines[:, 0] == 1)
    raw = lines[:, 1:]
    for i in range(6, raw.shape[1]):
        raw[:, i] = (raw[:, i] + raw[:, i - 6]) & 0xFF
    return (raw[:, 0::2] * 256 + raw[:, 1::2]).reshape(rows, cols, 3)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
@pytest.mark.parametrize("threads", [1, 3])
def test_gray_mosaic_reads_back_exactly(tmp_path, dtype, threads):
    mosaic = np.random.default_rng(5).integers(0, np.iinfo(dtype).max, (41, 29), endpoint=True).astype(dtype)
    write_gray(tmp_path / "g.png", mosaic, 1, threads)
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "g.png")), mosaic)


def test_adler32_combines_like_zlib():
    a, b = b"camrig " * 1000, bytes(range(256)) * 300
    assert adler32_combine(zlib.adler32(a), zlib.adler32(b), len(b)) == zlib.adler32(a + b)
