"""Host stages against hand-computed and analytic results."""

from __future__ import annotations

import numpy as np
import pytest
from camrig_isp import BlackLevelSpec, WhiteBalanceSpec
from camrig_isp.stages import BlackLevel, WhiteBalance, bilinear_demosaic, srgb_encode, srgb_encode_lut

import camrig


def test_black_level_normalises_to_the_white_level():
    raw = camrig.Frame(
        np.array([[256, 16383], [8319, 200]], dtype=np.uint16),
        camrig.FrameMeta(format="raw", units="DN", black_level=256, white_level=16383),
    )
    out = BlackLevel(BlackLevelSpec()).process(raw, None, "stages[0]").data
    np.testing.assert_allclose(out, [[0, 1], [(8319 - 256) / 16127, (200 - 256) / 16127]], rtol=1e-6)


@pytest.mark.parametrize("cfa", ["RGGB", "BGGR", "GRBG", "GBRG"])
def test_bilinear_demosaic_is_exact_on_linear_ramps(cfa):
    rows, cols = np.mgrid[0:24, 0:32].astype(np.float64)
    truth = np.stack([0.1 + 0.01 * cols + 0.02 * rows, 0.3 - 0.005 * cols + 0.01 * rows, 0.2 + 0.003 * (rows + cols)], axis=2)
    mosaic = np.empty((24, 32))
    for i, c in enumerate(cfa):
        ch = "RGB".index(c)
        mosaic[i // 2 :: 2, i % 2 :: 2] = truth[i // 2 :: 2, i % 2 :: 2, ch]
    rgb = bilinear_demosaic(mosaic.astype(np.float32), cfa)
    # bilinear interpolation reproduces a linear function away from the mirrored border
    np.testing.assert_allclose(rgb[2:-2, 2:-2], truth[2:-2, 2:-2], atol=1e-5)


def test_demosaic_refuses_mono():
    with pytest.raises(ValueError, match="cannot demosaic CFA 'mono'"):
        bilinear_demosaic(np.zeros((4, 4), np.float32), "mono")


def test_gray_world_equalises_channel_means():
    rng = np.random.default_rng(0)
    rgb = rng.random((10, 10, 3), dtype=np.float32) * np.float32([0.5, 1.0, 0.25])
    frame = camrig.Frame(rgb, camrig.FrameMeta(format="rgb_linear", units="1"))
    out = WhiteBalance(WhiteBalanceSpec()).process(frame, None, "wb").data
    means = out.reshape(-1, 3).mean(axis=0)
    np.testing.assert_allclose(means, means[1], rtol=1e-5)
    fixed = WhiteBalance(WhiteBalanceSpec(method="fixed", gains_rgb=(2, 1, 4))).process(frame, None, "wb").data
    np.testing.assert_allclose(fixed, rgb * np.float32([2, 1, 4]))


def test_srgb_encoding_matches_iec_61966_2_1():
    x = np.array([0.0, 0.0031308, 0.18, 0.5, 1.0, 2.0])
    expected = [0.0, 12.92 * 0.0031308, 1.055 * 0.18 ** (1 / 2.4) - 0.055, 1.055 * 0.5 ** (1 / 2.4) - 0.055, 1.0, 1.0]
    np.testing.assert_allclose(srgb_encode(x), expected, atol=1e-6)
    grid = np.linspace(0, 1, 100_001, dtype=np.float32)
    assert np.abs(srgb_encode_lut(grid) - srgb_encode(grid)).max() < 2e-4


@pytest.mark.parametrize("cfa", ["RGGB", "BGGR", "GRBG", "GBRG"])
def test_bilinear_demosaic_equals_the_kernel_convolution_everywhere(cfa):
    from scipy import ndimage

    mosaic = np.random.default_rng(1).random((30, 44), dtype=np.float32)
    k_rb = np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]], np.float32) / 4
    k_g = np.array([[0, 1, 0], [1, 4, 1], [0, 1, 0]], np.float32) / 4
    expected = np.empty((30, 44, 3), np.float32)
    for channel, colour in enumerate("RGB"):
        plane = np.zeros_like(mosaic)
        for i, c in enumerate(cfa):
            if c == colour:
                plane[i // 2 :: 2, i % 2 :: 2] = mosaic[i // 2 :: 2, i % 2 :: 2]
        expected[:, :, channel] = ndimage.convolve(plane, k_g if colour == "G" else k_rb, mode="mirror")
    np.testing.assert_allclose(bilinear_demosaic(mosaic, cfa), expected, atol=1e-6)
