"""Photon transfer analysis after EMVA 1288 Release 4.0, section 6 (the "photon transfer method").

Each flat-field pair (two frames, in DN, at one exposure) gives one point of the photon transfer curve:

* mean signal  mu_y - mu_y.dark, with mu_y the mean of both frames and mu_y.dark that of the dark pair;
* temporal variance  sigma_y^2 - sigma_y.dark^2, with sigma_y^2 = var(y_A - y_B) / 2 (the difference of
  two frames cancels the fixed-pattern noise; ``np.var`` also removes any mean offset between them).

From these points:

* saturation: the mean at which the variance curve peaks (EMVA's saturation point), or the caller's
  ``saturation_dn`` (a raw level such as the ADC's maximum code; the dark mean is subtracted);
* conversion gain K (DN/e-): the slope of variance against mean, fitted through the origin (as the EMVA
  reference implementation does) over the points from 0 to 70 % of the saturation mean;
* temporal dark noise (read noise) sigma_d = sqrt(sigma_y.dark^2) / K in electrons (EMVA also subtracts the
  quantisation noise 1/12 DN^2; that is left to the caller, the frames here may not be quantised);
* saturation capacity mu_e.sat = (mu_y.sat - mu_y.dark) / K;
* dynamic range DR = mu_e.sat / sigma_d, as a ratio, in dB (20 log10 DR) and in EV (log2 DR); EMVA divides
  by the absolute sensitivity threshold instead, which for sigma_d >> 1 e- is close to sigma_d;
* the SNR curve: (mu_y - mu_y.dark) / sigma_y, with sigma_y the total temporal noise (dark noise included).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

LINEAR_FRACTION = 0.7
"""Upper end of the gain fit, as a fraction of the saturation mean (EMVA 1288 Release 4.0)."""

FloatArray = NDArray[np.floating[Any]]


@dataclass(frozen=True)
class PhotonTransfer:
    """The result of a photon transfer measurement (electrons are e-, DN are digital numbers)."""

    gain_dn_per_e: float
    read_noise_e: float
    saturation_e: float
    dynamic_range: float
    dynamic_range_db: float
    dynamic_range_ev: float
    means_dn: FloatArray
    """Dark-subtracted mean signal of each pair."""
    variances_dn2: FloatArray
    """Dark-subtracted temporal variance of each pair."""
    means_e: FloatArray
    """``means_dn / gain_dn_per_e``."""
    snr: FloatArray
    """Signal over total temporal noise at each of ``means_e``."""
    dark_mean_dn: float
    dark_variance_dn2: float
    saturation_index: int | None
    """The pair at the variance maximum (None when ``saturation_dn`` was given)."""


def _pair_stats(pair: tuple[np.ndarray, np.ndarray], shape: tuple[int, ...], what: str) -> tuple[float, float]:
    """Mean of the two frames and half the variance of their difference (EMVA eqs. for mu_y, sigma_y^2)."""
    if len(pair) != 2:
        raise ValueError(f"{what} must be a pair of two frames, got {len(pair)}")
    a, b = (np.asarray(frame, dtype=np.float64) for frame in pair)
    if a.shape != b.shape or a.shape != shape:
        raise ValueError(f"{what}: frame shapes {a.shape} and {b.shape} differ from the dark's {shape}")
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        raise ValueError(f"{what} contains NaN or infinite values")
    return 0.5 * (float(a.mean()) + float(b.mean())), 0.5 * float(np.var(a - b))


def photon_transfer(
    pairs: Sequence[tuple[np.ndarray, np.ndarray]],
    dark: tuple[np.ndarray, np.ndarray],
    *,
    saturation_dn: float | None = None,
) -> PhotonTransfer:
    """Conversion gain, read noise, saturation capacity, dynamic range and SNR from flat-field pairs.

    ``pairs`` are (frame A, frame B) at increasing exposure, from near dark to (ideally) beyond saturation,
    all the same shape as the two ``dark`` frames (taken with no light at the same exposure time).
    Raises ValueError for fewer than 3 pairs, mismatched shapes, non-finite data, pairs whose means fall
    (exposures not increasing), no dark noise, or too few points in the linear range to fit the gain.
    """
    if len(pairs) < 3:
        raise ValueError(f"need at least 3 flat-field pairs, got {len(pairs)}")
    if len(dark) != 2:
        raise ValueError(f"dark must be a pair of two frames, got {len(dark)}")
    shape = np.shape(dark[0])
    if int(np.prod(shape)) < 2:
        raise ValueError(f"frames must hold at least 2 pixels, got shape {shape}")
    dark_mean, dark_var = _pair_stats(dark, shape, "dark")
    if dark_var <= 0.0:
        raise ValueError("the dark pair shows no temporal noise: read noise cannot be measured")
    stats = np.array([_pair_stats(pair, shape, f"pair {i}") for i, pair in enumerate(pairs)])
    means = stats[:, 0] - dark_mean
    variances = stats[:, 1] - dark_var
    n_pixels = float(np.prod(shape))

    # Exposures must increase: allow a mean to fall only by noise (5 standard errors), as at saturation.
    std_error = np.sqrt((stats[1:, 1] + stats[:-1, 1]) / (2.0 * n_pixels))
    falls = np.flatnonzero(np.diff(means) < -5.0 * std_error - 1e-12 * np.abs(means[1:]))
    if falls.size:
        i = int(falls[0]) + 1
        raise ValueError(
            f"pairs must be ordered by increasing exposure: pair {i} mean {means[i]:.4g} DN is below "
            f"pair {i - 1} mean {means[i - 1]:.4g} DN"
        )

    if saturation_dn is None:
        saturation_index: int | None = int(np.argmax(variances))
        saturation_mean = float(means[saturation_index])
    else:
        saturation_index = None
        saturation_mean = float(saturation_dn) - dark_mean
    if saturation_mean <= 0.0:
        raise ValueError(f"saturation mean {saturation_mean:.4g} DN above dark is not positive")

    linear = (means > 0.0) & (means <= LINEAR_FRACTION * saturation_mean)
    if np.count_nonzero(linear) < 2:
        raise ValueError(
            f"need at least 2 pairs between 0 and {LINEAR_FRACTION:.0%} of saturation "
            f"({saturation_mean:.4g} DN) to fit the gain, got {np.count_nonzero(linear)}"
        )
    x, y = means[linear], variances[linear]
    gain = float(np.dot(x, y) / np.dot(x, x))  # least squares through the origin
    if gain <= 0.0:
        raise ValueError(f"fitted conversion gain {gain:.4g} DN/e- is not positive")

    read_noise = float(np.sqrt(dark_var)) / gain
    saturation_e = saturation_mean / gain
    dr = saturation_e / read_noise
    with np.errstate(divide="ignore", invalid="ignore"):
        snr = means / np.sqrt(np.maximum(variances + dark_var, 0.0))
    return PhotonTransfer(
        gain_dn_per_e=gain,
        read_noise_e=read_noise,
        saturation_e=saturation_e,
        dynamic_range=dr,
        dynamic_range_db=20.0 * float(np.log10(dr)),
        dynamic_range_ev=float(np.log2(dr)),
        means_dn=means,
        variances_dn2=variances,
        means_e=means / gain,
        snr=snr,
        dark_mean_dn=dark_mean,
        dark_variance_dn2=dark_var,
        saturation_index=saturation_index,
    )
