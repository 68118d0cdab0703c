"""A turned zone at one azimuth per tile (IdealLens.sector_limits): the spectral blend of two sectors is the image
blurred by the blended kernel; against the per-pixel sector blend it is within the derived bound; the weights
still sum to 1, so a flat scene stays flat across a tile boundary where the path changes."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import fft

import camrig
from camrig_optics import IdealLensSpec
from camrig_optics.ideal import IdealLens
from camrig_optics.psf import rotated

PLANE = camrig.FocalPlane(width_px=120, height_px=90, pitch_um=1.5)
BANDS = (550.0,)
SECTORS = 8
SPACING = 2 * math.pi / SECTORS
WAVES = {6: 0.25, 8: 0.1}  # astigmatism and coma everywhere: one zone, turned to every pixel's azimuth


def make_lens(budget: float, tile: int = 24) -> IdealLens:
    lens = IdealLens(IdealLensSpec(focal_length_mm=35, f_number=2.8, azimuth_sectors=SECTORS,
                                   zones=[{"field": 0.0, "zernike_waves": WAVES}]))  # fmt: skip
    lens.TILE = tile
    lens.SECTOR_BUDGET = budget
    return lens


def blurred(lens: IdealLens, radiance: np.ndarray, threads: int = 1) -> np.ndarray:
    view = lens.view(PLANE)
    ctx = camrig.CaptureContext(exposure_s=0.01, seed=0, geometry=camrig.Geometry(plane=PLANE, view=view),
                                threads=threads)  # fmt: skip
    frame = camrig.Frame(radiance, camrig.FrameMeta(format="radiance", units="W/(m^2 sr)", bands_nm=BANDS))
    return lens.process(frame, ctx, "lens").data[:, :, 0].astype(np.float64)


def hats(phi: np.ndarray) -> np.ndarray:
    """The sectors' hat weights at azimuths ``phi`` (sectors last): 1 - |phi - k spacing| / spacing, clipped at 0."""
    d = np.abs((phi[..., None] - SPACING * np.arange(SECTORS) + np.pi) % (2 * np.pi) - np.pi)
    return np.clip(1 - d / SPACING, 0, None)


def tile_azimuths(lens: IdealLens, margin: int) -> tuple[np.ndarray, np.ndarray]:
    """(phi_c, spread) per output pixel: the middle of its tile's range of pixel azimuths and half that range,
    from all the tile's pixel centres; a tile that holds the image centre: (nan, pi), it blends per pixel. Tiles:
    TILE grown to fill its FFT (a fast length), as the lens documents."""
    tile = fft.next_fast_len(lens.TILE + 2 * margin, real=True) - 2 * margin
    x, y = PLANE.pixel_centres_mm()
    phi = np.arctan2(y[:, None], x[None, :])
    centre, spread = np.empty(phi.shape), np.empty(phi.shape)
    for r0 in range(0, PLANE.height_px, tile):
        for c0 in range(0, PLANE.width_px, tile):
            window = phi[r0 : r0 + tile, c0 : c0 + tile]
            xs, ys = x[c0 : c0 + tile], y[r0 : r0 + tile]
            if xs[0] <= 0 <= xs[-1] and ys[0] <= 0 <= ys[-1]:
                centre[r0 : r0 + tile, c0 : c0 + tile], spread[r0 : r0 + tile, c0 : c0 + tile] = np.nan, np.pi
                continue
            mean = math.atan2(float(np.sin(window).sum()), float(np.cos(window).sum()))
            offsets = (window - mean + np.pi) % (2 * np.pi) - np.pi
            centre[r0 : r0 + tile, c0 : c0 + tile] = mean + (offsets.max() + offsets.min()) / 2
            spread[r0 : r0 + tile, c0 : c0 + tile] = (offsets.max() - offsets.min()) / 2
    return centre, spread


def setup(lens: IdealLens) -> tuple[int, list[np.ndarray], np.ndarray]:
    """(margin, the sectors' kernels, the pinhole factor per view sample: pi RI / (4 N^2 (1 + m)^2))."""
    margin = (lens.view(PLANE).height - PLANE.height_px) // 2  # the blur's margin, as the lens sizes its view
    kernels = [lens.kernel(PLANE, BANDS[0], WAVES, margin, None, k * SPACING).astype(np.float64)
               for k in range(SECTORS)]  # fmt: skip
    s = lens.spec
    factor = lens.relative_illumination(PLANE, margin) * math.pi / (4 * s.f_number**2 * (1 + lens.magnification) ** 2)
    return margin, kernels, factor


def test_one_azimuth_per_tile_is_the_kernel_blended_at_the_tiles_middle():
    """Point sources, blurred by the lens, against the kernels blended by hand pixel by pixel: the per-pixel path
    (budget 0) takes each output pixel's own azimuth, the one-azimuth path (every tile) its tile's middle."""
    lenses = {"per pixel": make_lens(0.0), "one azimuth": make_lens(1e9)}
    margin, kernels, factor = setup(lenses["per pixel"])
    view = lenses["per pixel"].view(PLANE)
    radiance = np.zeros((view.height, view.width, 1), np.float32)
    points = [(10, 12), (20, 100), (45, 30), (70, 64), (80, 110), (44, 58)]
    for r, c in points:
        radiance[margin + r, margin + c] = 1.0
    x, y = PLANE.pixel_centres_mm()
    own = np.arctan2(y[:, None], x[None, :])
    centre, _ = tile_azimuths(lenses["one azimuth"], margin)
    assert np.isnan(centre).any()  # the tile that holds the centre blends per pixel on both paths
    for name, phi in (("per pixel", own), ("one azimuth", np.where(np.isnan(centre), own, centre))):
        expected = np.zeros((PLANE.height_px, PLANE.width_px))
        stack = np.stack(kernels, axis=-1)
        for r, c in points:
            r0, r1 = max(0, r - margin), min(PLANE.height_px, r + margin + 1)
            c0, c1 = max(0, c - margin), min(PLANE.width_px, c + margin + 1)
            patch = stack[margin + r0 - r : margin + r1 - r, margin + c0 - c : margin + c1 - c]
            weights = hats(phi[r0:r1, c0:c1])  # the pixel's (or its tile's) azimuth, hat-weighted sectors
            expected[r0:r1, c0:c1] += factor[margin + r, margin + c] * np.einsum("rck,rck->rc", patch, weights)
        got = blurred(lenses[name], radiance)
        np.testing.assert_allclose(got, expected, rtol=0, atol=2e-6 * expected.max(), err_msg=name)
    differs = np.abs(blurred(lenses["one azimuth"], radiance) - blurred(lenses["per pixel"], radiance))
    assert differs.max() > 0.01 * expected.max()  # the two paths really differ here


def test_one_azimuth_per_tile_stays_within_its_bound_of_the_per_pixel_blend():
    """A random scene: |one azimuth - per pixel| <= spread x G x the largest pinhole irradiance, G =
    max_k ||K_{k+1} - K_k||_1 / spacing (the blend is piecewise linear in azimuth with that slope in L1; Young's
    inequality), spread the pixel's tile's half range of azimuth; bit-identical for any number of threads."""
    per_pixel, one = make_lens(0.0), make_lens(1e9)
    margin, kernels, factor = setup(per_pixel)
    view = per_pixel.view(PLANE)
    radiance = np.random.default_rng(3).random((view.height, view.width, 1), dtype=np.float32)
    slope = max(np.abs(kernels[(k + 1) % SECTORS] - kernels[k]).sum() for k in range(SECTORS)) / SPACING
    _, spread = tile_azimuths(one, margin)
    bound = np.where(spread < np.pi, spread, 0.0) * slope * float((radiance[:, :, 0] * factor).max())
    got = blurred(one, radiance)
    difference = np.abs(got - blurred(per_pixel, radiance))
    assert np.all(difference <= bound + 2e-6 * got.max())
    assert difference.max() > 1e-3 * got.max()  # a real difference: the bound is not met by accident
    np.testing.assert_array_equal(blurred(one, radiance, threads=3), got)


def own_error(lens: IdealLens, margin: int) -> float:
    """The sector blend's own error E = ||(K_0 + K_1) / 2 - K(spacing / 2)||_1, K(phi) the kernel of the
    wavefront turned by phi (exact, no interpolation)."""
    k0, k1 = (lens.kernel(PLANE, BANDS[0], WAVES, margin, None, a).astype(np.float64) for a in (0.0, SPACING))
    exact = lens.kernel(PLANE, BANDS[0], rotated(WAVES, SPACING / 2), margin).astype(np.float64)
    return float(np.abs((k0 + k1) / 2 - exact).sum())


def test_the_default_limit_adds_at_most_the_sector_blends_own_error():
    """The default budget: the one-azimuth path where a tile's spread is within the limit E / G, so it adds at most
    E (the blend's own worst error, in the same L1 metric) times the largest pinhole irradiance; tiles of 12 px
    put some far tiles under the limit, and others not."""
    per_pixel, default = make_lens(0.0, tile=12), make_lens(1.0, tile=12)
    margin, kernels, factor = setup(per_pixel)
    slope = max(np.abs(kernels[(k + 1) % SECTORS] - kernels[k]).sum() for k in range(SECTORS)) / SPACING
    error = own_error(per_pixel, margin)
    (limit,) = default.sector_limits(PLANE, margin, BANDS)
    assert limit == pytest.approx(error / slope, rel=1e-6)
    _, spread = tile_azimuths(default, margin)
    assert (spread <= limit).any() and (spread > limit).any()  # both paths in one frame
    view = per_pixel.view(PLANE)
    radiance = np.random.default_rng(4).random((view.height, view.width, 1), dtype=np.float32)
    got = blurred(default, radiance)
    difference = np.abs(got - blurred(per_pixel, radiance))
    assert difference[spread > limit].max() == 0.0  # those tiles blend per pixel, as before
    assert difference.max() <= error * float((radiance[:, :, 0] * factor).max()) + 2e-6 * got.max()
    assert difference.max() > 1e-4 * got.max()


def test_a_flat_scene_stays_flat_across_a_change_of_path():
    """Flat radiance: every kernel sums to the transmission and the weights (and the two blended sectors'
    hat weights) sum to 1, so the image is the pinhole irradiance x T on both paths and across their boundary,
    to float32 round-off (the FFT's ~1e-6; the blur of the cos^4 fall-off changes it by < 1e-7 here)."""
    lens = make_lens(1.0, tile=12)
    margin, _, factor = setup(lens)
    (limit,) = lens.sector_limits(PLANE, margin, BANDS)
    _, spread = tile_azimuths(lens, margin)
    one = spread <= limit
    assert (one[:, 1:] != one[:, :-1]).any()  # the path changes between neighbouring pixels (a tile boundary)
    view = lens.view(PLANE)
    got = blurred(lens, np.ones((view.height, view.width, 1), np.float32))
    expected = factor[margin:-margin, margin:-margin] * lens.spec.transmission
    np.testing.assert_allclose(got, expected, rtol=2e-6)


def test_the_weights_sum_to_1_with_either_path():
    """Three zones (two turned) over a window off the centre: the per-pixel sectors' and the one-azimuth entries'
    weights sum to 1 at every pixel, whichever path each zone takes."""
    lens = IdealLens(IdealLensSpec(focal_length_mm=35, f_number=2.8, azimuth_sectors=SECTORS, zones=[
        {"field": 0.0, "zernike_waves": {11: 0.05}}, {"field": 0.5, "zernike_waves": {6: 0.1}},
        {"field": 1.0, "zernike_waves": {6: 0.2, 8: 0.1}}]))  # fmt: skip
    window = ((50, 90), (70, 120))
    for limits in ((), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0), (0.0, 1.0, 1.0)):
        entries = lens.zone_weights(PLANE, *window, limits=limits)
        total = sum(w for _, w in entries if w is not None)
        np.testing.assert_allclose(total, 1.0, atol=1e-6)
        one_azimuth = [key for key, _ in entries if key[0] > 0 and not math.isclose(key[1] / SPACING % 1, 0)]
        assert len(one_azimuth) == sum(1 for i in (1, 2) if i < len(limits) and limits[i] > 0)
