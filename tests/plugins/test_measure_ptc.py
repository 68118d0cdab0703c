"""Photon transfer (EMVA 1288 Release 4.0, section 6) on simulated flat-field pairs with known truth.

Each frame is Poisson-distributed electrons clipped at the full well, times the conversion gain K, plus an
offset and Gaussian read noise. The truth: K, the read noise, the full well and DR = full well / read noise.

EMVA's saturation point is the mean where the temporal variance peaks. For Poisson charge X censored at the
full well c, Var[min(X, c)] equals the mean up to ~0.97 c (X then reaches c with negligible probability)
and collapses above it, so the sampled maximum is the last level at or below ~0.97 c: the exposure levels
step by 3 % of c near saturation, one of them at 0.97 c (the estimate is at most one step low).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from camrig_measure import PhotonTransfer, photon_transfer

GAIN, READ_NOISE_E, FULL_WELL_E, OFFSET_DN = 0.5, 2.0, 10_000.0, 64.0
SHAPE = (500, 500)
# 12 levels in the linear range (up to 0.68 of the full well), 10 from 0.85 to 1.12 of it in 3 % steps.
LEVELS_E = FULL_WELL_E * np.concatenate([np.linspace(0.02, 0.68, 12), 0.85 + 0.03 * np.arange(10)])

Pair = tuple[np.ndarray, np.ndarray]


def frame_pair(rng: np.random.Generator, mean_e: float, shape: tuple[int, int] = SHAPE) -> Pair:
    def frame() -> np.ndarray:
        electrons = np.minimum(rng.poisson(mean_e, shape), FULL_WELL_E)
        return OFFSET_DN + GAIN * electrons + rng.normal(0.0, GAIN * READ_NOISE_E, shape)

    return frame(), frame()


@pytest.fixture(scope="module")
def data() -> tuple[list[Pair], Pair]:
    rng = np.random.default_rng(1288)
    dark = frame_pair(rng, 0.0)
    return [frame_pair(rng, m) for m in LEVELS_E], dark


@pytest.fixture(scope="module")
def result(data: tuple[list[Pair], Pair]) -> PhotonTransfer:
    pairs, dark = data
    return photon_transfer(pairs, dark)


def test_gain_read_noise_saturation_and_dynamic_range(result: PhotonTransfer) -> None:
    assert result.gain_dn_per_e == pytest.approx(GAIN, rel=0.02)
    assert result.read_noise_e == pytest.approx(READ_NOISE_E, rel=0.05)
    assert result.saturation_e == pytest.approx(FULL_WELL_E, rel=0.05)
    assert result.dynamic_range_ev == pytest.approx(math.log2(FULL_WELL_E / READ_NOISE_E), abs=0.1)
    assert result.dynamic_range_db == pytest.approx(20 * math.log10(result.dynamic_range))
    assert 2.0**result.dynamic_range_ev == pytest.approx(result.dynamic_range)


def test_saturation_is_the_variance_peak_at_97_percent(result: PhotonTransfer) -> None:
    assert result.saturation_index is not None
    assert LEVELS_E[result.saturation_index] == pytest.approx(0.97 * FULL_WELL_E)
    assert result.saturation_e == pytest.approx(0.97 * FULL_WELL_E, rel=0.01)


def test_raw_points_and_snr_curve(result: PhotonTransfer) -> None:
    linear = LEVELS_E < 0.9 * FULL_WELL_E
    np.testing.assert_allclose(result.means_dn[linear], GAIN * LEVELS_E[linear], rtol=0.005)
    np.testing.assert_allclose(result.variances_dn2[linear], GAIN**2 * LEVELS_E[linear], rtol=0.03)
    np.testing.assert_allclose(result.means_e, result.means_dn / result.gain_dn_per_e)
    expected_snr = LEVELS_E / np.sqrt(LEVELS_E + READ_NOISE_E**2)  # shot noise and read noise, in e-
    np.testing.assert_allclose(result.snr[linear], expected_snr[linear], rtol=0.02)
    assert result.dark_mean_dn == pytest.approx(OFFSET_DN, abs=0.01)


def test_given_saturation_level_is_used(data: tuple[list[Pair], Pair]) -> None:
    pairs, dark = data
    given = photon_transfer(pairs, dark, saturation_dn=OFFSET_DN + GAIN * FULL_WELL_E)
    assert given.saturation_index is None
    assert given.saturation_e == pytest.approx(FULL_WELL_E, rel=0.02)
    assert given.gain_dn_per_e == pytest.approx(GAIN, rel=0.02)


def small_data(n: int = 4, shape: tuple[int, int] = (40, 40)) -> tuple[list[Pair], Pair]:
    rng = np.random.default_rng(7)
    return [frame_pair(rng, m, shape) for m in np.linspace(1000, 9000, n)], frame_pair(rng, 0.0, shape)


def test_rejects_fewer_than_three_pairs() -> None:
    pairs, dark = small_data()
    with pytest.raises(ValueError, match="at least 3"):
        photon_transfer(pairs[:2], dark)


def test_rejects_mismatched_shapes() -> None:
    pairs, dark = small_data()
    with pytest.raises(ValueError, match="shape"):
        photon_transfer([*pairs[:-1], (pairs[-1][0], pairs[-1][1][:-1])], dark)
    with pytest.raises(ValueError, match="shape"):
        photon_transfer(pairs, (dark[0][:-1], dark[1][:-1]))


def test_rejects_decreasing_exposure() -> None:
    pairs, dark = small_data()
    with pytest.raises(ValueError, match="increasing exposure"):
        photon_transfer(pairs[::-1], dark)


def test_rejects_non_finite_frames_and_noiseless_dark() -> None:
    pairs, dark = small_data()
    bad = pairs[1][0].copy()
    bad[3, 3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        photon_transfer([pairs[0], (bad, pairs[1][1]), *pairs[2:]], dark)
    with pytest.raises(ValueError, match="dark"):
        photon_transfer(pairs, (dark[0], dark[0]))


def test_rejects_no_points_in_the_linear_range() -> None:
    pairs, dark = small_data()
    with pytest.raises(ValueError, match="70%"):
        photon_transfer(pairs, dark, saturation_dn=OFFSET_DN + 1.0)
