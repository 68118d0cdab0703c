"""Our demosaics against colour-demosaicing's (the reference implementations) on the same mosaics."""

from __future__ import annotations

import numpy as np
import pytest

from camrig_isp.demosaic import DEMOSAIC, malvar2004_demosaic, menon2007_demosaic

cd = pytest.importorskip("colour_demosaicing")
REFERENCE = {
    "bilinear": (cd.demosaicing_CFA_Bayer_bilinear, {}),
    "malvar2004": (cd.demosaicing_CFA_Bayer_Malvar2004, {}),
    "menon2007": (cd.demosaicing_CFA_Bayer_Menon2007, {"refining_step": False}),
}
# colour-demosaicing's bilinear and Malvar filters pad with scipy's 'reflect' (half-sample) mode, which mixes
# CFA colours in the outer rows; ours mirrors about the edge sample and keeps the phase. Inside this margin the
# two must agree. Menon 2007 pads as we do: it must agree everywhere.
BORDER = {"bilinear": 1, "malvar2004": 2, "menon2007": 0}


def natural_mosaic(shape: tuple[int, int], seed: int) -> np.ndarray:
    """A mosaic with edges and texture (smoothed noise plus a disc and a ramp), values in [0.05, 0.95]."""
    from scipy import ndimage

    rng = np.random.default_rng(seed)
    y, x = np.mgrid[: shape[0], : shape[1]]
    img = ndimage.gaussian_filter(rng.random(shape), 1.2)
    img = (img - img.min()) / np.ptp(img)
    img = (
        0.5 * img
        + 0.3 * ((x - shape[1] / 2) ** 2 + (y - shape[0] / 2) ** 2 < (min(shape) / 3) ** 2)
        + 0.15 * x / shape[1]
    )
    return (0.05 + 0.9 * (img - img.min()) / np.ptp(img)).astype(np.float32)


@pytest.mark.parametrize("method", sorted(REFERENCE))
@pytest.mark.parametrize("cfa", ["RGGB", "BGGR", "GRBG", "GBRG"])
def test_matches_colour_demosaicing_to_1e_4_relative(method, cfa):
    mosaic = natural_mosaic((96, 128), seed=len(method) + ord(cfa[1]))
    reference, kwargs = REFERENCE[method]
    theirs = reference(mosaic.astype(np.float64), cfa, **kwargs)
    ours = DEMOSAIC[method](mosaic, cfa)
    assert ours.dtype == np.float32 and ours.shape == (96, 128, 3)
    m = BORDER[method]
    inside = (slice(m, -m or None), slice(m, -m or None))
    relative = np.abs(ours[inside] - theirs[inside]) / np.maximum(np.abs(theirs[inside]), 1e-3)
    assert relative.max() < 1e-4


def full_colour_scene(shape: tuple[int, int]) -> np.ndarray:
    """An RGB image of sharp, slanted luminance edges and fine stripes on slowly varying colour (channels
    correlated, as in natural images): where linear demosaics leave zippers and false colour."""
    y, x = np.mgrid[: shape[0], : shape[1]].astype(np.float64)
    luma = 0.25 + 0.5 * (x + 0.4 * y < shape[1] / 2) + 0.2 * (np.sin(2 * np.pi * (x * 0.31 + y * 0.07)) > 0)
    luma *= np.where(np.hypot(x - shape[1] * 0.7, y - shape[0] / 2) < shape[0] / 4, 0.5, 1.0)
    chroma = np.stack([0.9 - 0.3 * y / shape[0], 0.8 * np.ones(shape), 0.5 + 0.3 * x / shape[1]], axis=-1)
    return luma[..., None] * chroma


def mosaic_of(rgb: np.ndarray, cfa: str) -> np.ndarray:
    mosaic = np.empty(rgb.shape[:2], np.float32)
    for i, c in enumerate(cfa):
        mosaic[i // 2 :: 2, i % 2 :: 2] = rgb[i // 2 :: 2, i % 2 :: 2, "RGB".index(c)]
    return mosaic


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    return float(10 * np.log10(1.0 / np.mean((a - b) ** 2)))


def test_the_edge_directed_method_beats_the_linear_ones_at_edges():
    truth = full_colour_scene((128, 160))
    mosaic = mosaic_of(truth, "GRBG")
    inside = (slice(4, -4), slice(4, -4))
    scores = {name: psnr(f(mosaic, "GRBG")[inside], truth[inside]) for name, f in DEMOSAIC.items()}
    assert scores["menon2007"] > scores["malvar2004"] + 1 > scores["bilinear"] + 1  # dB


@pytest.mark.parametrize("cfa", ["RGGB", "GBRG"])
def test_linear_ramps_are_reproduced_exactly_away_from_the_border(cfa):
    y, x = np.mgrid[:32, :48].astype(np.float64)
    truth = np.stack([0.01 * x + 0.2, 0.005 * y + 0.01 * x + 0.1, 0.3 - 0.002 * x], axis=-1)
    for f in (malvar2004_demosaic, menon2007_demosaic):
        out = f(mosaic_of(truth, cfa), cfa)
        assert np.abs(out[4:-4, 4:-4] - truth[4:-4, 4:-4]).max() < 1e-5


@pytest.mark.parametrize("method", sorted(DEMOSAIC))
def test_bad_mosaics_are_refused_with_the_reason(method):
    with pytest.raises(ValueError, match="cannot demosaic CFA 'QUAD_RGGB'"):
        DEMOSAIC[method](np.zeros((8, 8), np.float32), "QUAD_RGGB")
    with pytest.raises(ValueError, match="sizes must be even"):
        DEMOSAIC[method](np.zeros((7, 8), np.float32), "RGGB")
    with pytest.raises(ValueError, match="takes a 2-D mosaic"):
        DEMOSAIC[method](np.zeros((8, 8, 3), np.float32), "RGGB")


@pytest.mark.parametrize("threads", [1, 3])
@pytest.mark.parametrize("piece_rows", [None, 301, 256])
def test_malvar_in_pieces_of_rows_matches_the_reference_over_the_whole_frame(threads, piece_rows, monkeypatch):
    """600 rows filtered in blocks per thread, each block in pieces (one, or pieces sized for ~301 or 256 rows:
    a piece sized for an odd count must still start on an even row, or its CFA phase flips: the 100 MP module's
    pieces came out at 363 rows and every other piece had red and blue swapped with green), each mirrored on its
    own, on 1 or 3 threads; the reference filters the whole frame at once."""
    import camrig_isp.demosaic as dm

    if piece_rows is not None:
        monkeypatch.setattr(dm, "PAD_ROWS", 2)
        monkeypatch.setattr(dm, "PIECE_BYTES", 4 * (64 + 4) * piece_rows)
    mosaic = natural_mosaic((600, 64), seed=9)
    theirs = cd.demosaicing_CFA_Bayer_Malvar2004(mosaic.astype(np.float64), "GRBG")
    ours = DEMOSAIC["malvar2004"](mosaic, "GRBG", threads)
    relative = np.abs(ours[2:-2, 2:-2] - theirs[2:-2, 2:-2]) / np.maximum(np.abs(theirs[2:-2, 2:-2]), 1e-3)
    assert relative.max() < 1e-4
    np.testing.assert_array_equal(ours, DEMOSAIC["malvar2004"](mosaic, "GRBG", 1))
