"""The single-gain readout of one noise tile, and its expected charge, pixel by pixel in compiled passes (numba).

The physics is :mod:`camrig_sensors.cmos`'s (EMVA 1288 release 4.0 linear model): shot noise on the collected
charge, full-well clipping, dark offsets, read and row noise, then ``DN = round(K e + black)`` clipped to the
ADC. Written as array expressions it takes a dozen passes over the tile and two temporaries per pass; the
stream's frame rate is bound by that memory traffic, so this module does it in one pass per pixel.

Random numbers come from the tile's own ``numpy.random.Generator`` (numba compiles NumPy's algorithms: the
ziggurat normal and the PTRS / multiplication Poisson samplers draw the same numbers as NumPy would from that
generator), so the raw stays bit-identical whatever the block size or number of worker threads.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from numba import njit


@njit(nogil=True, cache=True)
def read_single_gain(
    mean: np.ndarray,
    offsets: np.ndarray,
    row_offsets: np.ndarray,
    rng: np.random.Generator,
    well: float,
    read_e: float,
    gain: float,
    black: float,
    adc_white: float,
    exact_below: float,
    may_clip: float,
    out: np.ndarray,
) -> None:
    """DN of one tile (rows x cols, float32 ``out``) from its mean charge ``mean`` (e-, PRNU and dark current
    included), dark offsets ``offsets`` (e-) and per-row offsets ``row_offsets`` (e-).

    Per pixel, with mu the mean charge and sigma_r the read noise:

    * mu < ``exact_below``: charge ~ Poisson(mu), clipped at the well, plus N(0, sigma_r^2);
    * mu >= ``may_clip`` (mu + 6 sqrt(mu) may reach the well): charge = round(N(mu, mu)) >= 0, clipped at the
      well, plus N(0, sigma_r^2); where even mu - 6 sqrt(mu) reaches the well the charge is the well without a
      draw (it falls short with probability below 1e-9);
    * otherwise shot and read noise in one draw: N(mu, mu + sigma_r^2) (the two Gaussians' sum; only the
      1/12 e-^2 of electron rounding differs).

    Then ``DN = clip(round(K (charge + offset + row offset) + black), 0, adc_white)``.
    """
    rows, cols = mean.shape
    read2 = read_e * read_e
    for r in range(rows):
        row_offset = row_offsets[r]
        for c in range(cols):
            mu = float(mean[r, c])
            if mu < exact_below or mu >= may_clip:
                if mu < exact_below:
                    charge = float(rng.poisson(max(mu, 0.0)))
                elif mu - 6.0 * math.sqrt(mu) >= well:  # full with probability > 1 - 1e-9: no draw needed
                    charge = well
                else:
                    charge = max(0.0, np.rint(mu + math.sqrt(mu) * rng.standard_normal()))
                charge = min(charge, well)
                if read_e > 0:
                    charge += read_e * rng.standard_normal()
            else:
                charge = mu + math.sqrt(mu + read2) * rng.standard_normal()
            v = np.rint((charge + offsets[r, c] + row_offset) * gain + black)
            out[r, c] = min(max(v, 0.0), adc_white)


@njit(nogil=True, cache=True)
def expected_charge(
    irradiance: np.ndarray,
    weights: np.ndarray,
    phase0: int,
    codes: np.ndarray,
    normal: np.ndarray,
    reads: float,
    prnu_sigma: float,
    dark_e: float,
    dsnu_sigma: float,
    mean: np.ndarray,
    offsets: np.ndarray,
) -> None:
    """Mean charge and dark offsets (e-) of a tile of rows, in one pass per pixel:
    ``mean = reads * (sum_b E_b w_b) * (1 + prnu_sigma N[c0]) + dark_e`` and ``offsets = dsnu_sigma N[c1]``,
    with ``w`` the photo-electrons per (W/m^2) of each band at the pixel's CFA phase (``weights[row phase,
    column phase]``, rows counted from phase ``phase0``) and ``N[c]`` the standard normal quantile a pixel's
    fixed-pattern code ``c`` (``codes[0]``: PRNU, ``codes[1]``: DSNU) draws from the table ``normal``."""
    rows, cols, bands = irradiance.shape
    th, tw = weights.shape[0], weights.shape[1]
    one = np.float32(1.0)
    for r in range(rows):
        py = (phase0 + r) % th
        for c in range(cols):
            px = c % tw
            e = np.float32(0.0)
            for b in range(bands):
                e += irradiance[r, c, b] * weights[py, px, b]
            mean[r, c] = e * np.float32(reads) * (one + np.float32(prnu_sigma) * normal[codes[0, r, c]]) + np.float32(
                dark_e
            )
            offsets[r, c] = np.float32(dsnu_sigma) * normal[codes[1, r, c]]


@functools.cache
def load_kernel() -> None:
    """Compile (or load from numba's cache) :func:`read_single_gain` once per process, when a rig is
    assembled, so the first frame of a stream does not wait for it."""
    for writeable in (True, False):  # mean charge computed afresh, or kept for a static scene (read-only)
        tile = np.ones((1, 2), np.float32)
        tile.flags.writeable = writeable
        out = np.empty((1, 2), np.float32)
        read_single_gain(
            tile, tile, np.zeros(1, np.float32), np.random.default_rng(0), 1.0, 1.0, 1.0, 0.0, 1.0, 100.0, 50.0, out
        )
        for raw in (np.empty((1, 2), np.uint16), np.empty((1, 2), np.uint32)):  # straight into the raw's rows
            read_single_gain(
                tile, tile, np.zeros(1, np.float32), np.random.default_rng(0), 1.0, 1.0, 1.0, 0.0, 1.0, 100.0, 50.0, raw
            )
        light = np.ones((1, 2, 3), np.float32)
        light.flags.writeable = writeable
        codes = np.zeros((2, 1, 2), np.uint16)
        for window in (light, light[:, :1]):  # whole frames and windows of a larger array
            expected_charge(
                window,
                np.ones((2, 2, 3), np.float32),
                0,
                codes[:, :, : window.shape[1]],
                np.zeros(2, np.float32),
                1.0,
                0.0,
                0.0,
                0.0,
                out[:, : window.shape[1]],
                out.copy()[:, : window.shape[1]],
            )
