"""Slanted-edge spatial frequency response (e-SFR, i.e. the MTF) after ISO 12233:2017, Annex D.

The method follows ISO 12233:2017 Annex D and P. D. Burns, "Slanted-edge MTF for digital camera and
scanner analysis", Proc. IS&T PICS 2000, pp. 135-138 (the ``sfrmat`` algorithm):

1. differentiate each row with the filter [-0.5, 0.5] and take the centroid of the derivative, weighted by
   a Hamming window centred on the edge, as that row's edge position;
2. fit a straight line (polynomial of degree 1) to the centroids; its slope gives the edge angle;
3. project every pixel onto the distance from the fitted edge, measured along the edge normal, and
   average the pixels in bins 1/``oversample`` pixel wide: the super-sampled edge spread function (ESF);
4. differentiate the ESF with [-0.5, 0, 0.5] to the line spread function (LSF), multiply it by a Hamming
   window centred on its peak, take the modulus of its DFT and normalise it to 1 at zero frequency;
5. divide by the frequency response of the [-0.5, 0, 0.5] derivative, sinc(2 f / oversample), with the
   correction capped at 10, as ISO does.

A near-horizontal edge is measured by transposing the region of interest. Frequencies are in cycles per
pixel along the edge normal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

MIN_SIZE_PX = 20
"""Smallest accepted region of interest, in rows and in columns."""
MAX_ANGLE_DEG = 40.0
"""Steepest accepted edge tilt: near 45 degrees the projected samples fall on too few phases."""
MAX_DERIVATIVE_CORRECTION = 10.0
"""Cap on the derivative-filter correction (ISO 12233:2017, Annex D)."""

FloatArray = NDArray[np.floating[Any]]


@dataclass(frozen=True)
class EdgeMtf:
    """The MTF measured on one slanted edge.

    ``frequency_cy_px`` runs from 0 to ``oversample / 2`` cycles per pixel; ``mtf`` is normalised to 1 at
    zero frequency; ``edge_angle_deg`` is the edge's tilt from the vertical (or, for a near-horizontal
    edge, from the horizontal), signed; ``orientation`` says which of the two was measured.
    """

    frequency_cy_px: FloatArray
    mtf: FloatArray
    edge_angle_deg: float
    orientation: str = "vertical"

    @property
    def mtf50(self) -> float:
        """Frequency (cycles/pixel) at which the MTF first falls to 0.5, interpolated linearly; NaN if it
        never does within the measured range."""
        below = np.flatnonzero(self.mtf <= 0.5)
        if below.size == 0:
            return float("nan")
        i = int(below[0])
        if i == 0:
            return 0.0
        f0, f1 = self.frequency_cy_px[i - 1], self.frequency_cy_px[i]
        m0, m1 = self.mtf[i - 1], self.mtf[i]
        return float(f0 + (m0 - 0.5) * (f1 - f0) / (m0 - m1))

    def at(self, frequency_cy_px: ArrayLike) -> FloatArray | float:
        """The MTF at the given frequency or frequencies (cycles/pixel), interpolated linearly."""
        values = np.interp(np.asarray(frequency_cy_px, dtype=np.float64), self.frequency_cy_px, self.mtf)
        return float(values) if np.ndim(values) == 0 else values


def _hamming(positions: FloatArray, centre: FloatArray | float, width: float) -> FloatArray:
    """A Hamming window of the given width centred on ``centre``; 0.08 (its end value) beyond it."""
    phase = np.clip((positions - centre) / width, -0.5, 0.5)
    return 0.54 + 0.46 * np.cos(2.0 * np.pi * phase)


def _edge_centroids(image: FloatArray, centres: FloatArray | None) -> FloatArray:
    """Per-row centroid of the [-0.5, 0.5] derivative, Hamming-windowed about ``centres`` (or the row
    middle). The derivative between columns j and j + 1 sits at j + 0.5."""
    derivative = 0.5 * np.diff(image, axis=1)
    positions = np.arange(derivative.shape[1]) + 0.5
    if centres is None:
        centres = np.full(image.shape[0], 0.5 * (image.shape[1] - 1))
    weights = derivative * _hamming(positions[None, :], centres[:, None], float(image.shape[1]))
    total = weights.sum(axis=1)
    if np.any(np.abs(total) <= 1e-12 * np.abs(derivative).sum(axis=1).clip(min=1e-300)):
        raise ValueError("no edge found: some rows have no net intensity step across them")
    return (weights * positions).sum(axis=1) / total


def _check_edge(image: FloatArray) -> None:
    """Raise if the image has no step larger than its noise (estimated along the edge's direction)."""
    k = max(2, image.shape[1] // 8)
    contrast = abs(float(np.median(image[:, -k:]) - np.median(image[:, :k])))
    along = np.diff(image, axis=0)
    noise = 1.4826 * float(np.median(np.abs(along - np.median(along)))) / np.sqrt(2.0)
    scale = float(np.max(np.abs(image)))
    if contrast <= max(5.0 * noise, 1e-9 * scale) or scale == 0.0:
        raise ValueError(f"no edge found: step {contrast:.3g} is not above 5x the noise {noise:.3g}")


def slanted_edge_mtf(image: np.ndarray, *, oversample: int = 4) -> EdgeMtf:
    """Measure the MTF on one slanted edge (ISO 12233:2017 Annex D; Burns, PICS 2000).

    ``image`` is a 2-D region of interest holding a single straight edge, tilted a few degrees (ideally
    2-10) from the vertical or from the horizontal, dark on one side and light on the other, in linear
    units (undo any gamma first). ``oversample`` is the ESF's bins per pixel. Raises ValueError for an
    image that is not 2-D, is smaller than 20 x 20, is not finite, holds no edge, or whose edge is too
    close to 0 degrees (the edge must shift by at least one pixel across the rows) or to 45 degrees.
    """
    data = np.asarray(image, dtype=np.float64)
    if data.ndim != 2:
        raise ValueError(f"image must be 2-D, got {data.ndim} dimension(s)")
    if min(data.shape) < MIN_SIZE_PX:
        raise ValueError(f"image is too small: {data.shape}, need at least {MIN_SIZE_PX} rows and columns")
    if not np.all(np.isfinite(data)):
        raise ValueError("image contains NaN or infinite values")
    if int(oversample) != oversample or oversample < 1:
        raise ValueError(f"oversample must be a positive integer, got {oversample!r}")
    orientation = "vertical"
    if np.abs(np.diff(data, axis=0)).sum() > np.abs(np.diff(data, axis=1)).sum():
        data, orientation = data.T, "horizontal"  # a near-horizontal edge: measure the transpose
    _check_edge(data)
    if data[:, -1].sum() < data[:, 0].sum():
        data = -data  # make the edge rise left to right; the normalised MTF is unchanged

    # Steps 1-2: edge location per row, a first pass then one with the window on the fitted line.
    rows = np.arange(data.shape[0], dtype=np.float64)
    fit = np.polyfit(rows, _edge_centroids(data, None), 1)
    fit = np.polyfit(rows, _edge_centroids(data, np.polyval(fit, rows)), 1)
    slope = float(fit[0])
    angle = float(np.degrees(np.arctan(slope)))
    if abs(angle) > MAX_ANGLE_DEG:
        raise ValueError(f"edge angle {angle:.2f} deg is too close to 45 deg (at most {MAX_ANGLE_DEG} deg)")
    shift = abs(slope) * (data.shape[0] - 1)
    if shift < 1.0:
        raise ValueError(
            f"edge angle {angle:.2f} deg is too close to 0 deg: the edge moves {shift:.2f} px across "
            f"{data.shape[0]} rows, it must move at least 1 px"
        )
    # ISO keeps a whole number of phase cycles (rows over which the edge moves by an integer pixel count).
    n_rows = int(np.floor(np.floor(shift) / abs(slope))) + 1
    data, rows = data[:n_rows], rows[:n_rows]

    # Step 3: project onto the edge normal and bin into the super-sampled ESF.
    cos_angle = 1.0 / np.sqrt(1.0 + slope * slope)
    columns = np.arange(data.shape[1], dtype=np.float64)
    distance = (columns[None, :] - np.polyval(fit, rows)[:, None]) * cos_angle
    bins = np.floor(distance * oversample).astype(np.int64).ravel()
    bins -= bins.min()
    counts = np.bincount(bins)
    sums = np.bincount(bins, weights=data.ravel())
    filled = counts > 0
    index = np.arange(counts.size)
    esf = np.interp(index, index[filled], sums[filled] / counts[filled])  # fill empty bins

    # Step 4: LSF, Hamming window centred on its peak, DFT.
    lsf = np.empty_like(esf)
    lsf[1:-1] = 0.5 * (esf[2:] - esf[:-2])
    lsf[0], lsf[-1] = lsf[1], lsf[-2]
    lsf *= _hamming(index.astype(np.float64), float(np.argmax(lsf)), float(lsf.size))
    spectrum = np.abs(np.fft.rfft(lsf))
    if spectrum[0] <= 0.0:
        raise ValueError("no edge found: the line spread function has no area")
    frequency = np.fft.rfftfreq(lsf.size, d=1.0 / oversample)

    # Step 5: normalise and undo the [-0.5, 0, 0.5] derivative's response (capped, as ISO does).
    response = np.sinc(2.0 * frequency / oversample)
    correction = np.minimum(1.0 / np.maximum(np.abs(response), 1e-300), MAX_DERIVATIVE_CORRECTION)
    mtf = spectrum / spectrum[0] * correction
    return EdgeMtf(frequency_cy_px=frequency, mtf=mtf, edge_angle_deg=angle, orientation=orientation)
