"""Geometric distortion and lateral colour: where the real lens puts light, relative to a pinhole.

Every model maps an ideal (pinhole) position to the real one, in coordinates normalised by
``norm_radius_mm`` (lensfun: half the short side of the sensor the lens was calibrated on):

* Brown-Conrady (D. C. Brown, "Decentering distortion of lenses", Photogramm. Eng. 32(3), 1966):
  x_d = x (1 + k1 r^2 + k2 r^4 + k3 r^6) + 2 p1 x y + p2 (r^2 + 2 x^2), and y likewise;
* lensfun's radial models (lensfun documentation, ``lfDistortionModel``; r_u ideal, r_d real):
  poly3 r_d = r_u (1 - k1 + k1 r_u^2); poly5 r_d = r_u (1 + k1 r_u^2 + k2 r_u^4);
  ptlens r_d = r_u (a r_u^3 + b r_u^2 + c r_u + 1 - a - b - c);
* lateral colour (lensfun ``lfTCAModel``), per red and blue band relative to green: linear r' = k r;
  poly3 r' = r (b r^2 + c r + v).

Measured vignetting (lensfun ``pa``): C = 1 + k1 r^2 + k2 r^4 + k3 r^6, replacing the natural cos^4 falloff.

Sampling a scene needs the inverse (real -> ideal). Radial models are inverted through a dense monotonic
table; Brown-Conrady by fixed-point iteration.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

RED_FROM_NM = 600.0
"""Bands at or above this wavelength take the red lateral-colour coefficients."""
BLUE_TO_NM = 500.0
"""Bands at or below this wavelength take the blue lateral-colour coefficients."""


class DistortionSpec(BaseModel):
    """Geometric distortion (ideal -> real position)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: Literal["brown_conrady", "poly3", "poly5", "ptlens"] = Field(description="Distortion model.")
    k1: float = Field(default=0.0, description="Radial term k1 (brown_conrady, poly3, poly5).")
    k2: float = Field(default=0.0, description="Radial term k2 (brown_conrady, poly5).")
    k3: float = Field(default=0.0, description="Radial term k3 (brown_conrady).")
    p1: float = Field(default=0.0, description="Tangential term p1 (brown_conrady).")
    p2: float = Field(default=0.0, description="Tangential term p2 (brown_conrady).")
    a: float = Field(default=0.0, description="ptlens term a.")
    b: float = Field(default=0.0, description="ptlens term b.")
    c: float = Field(default=0.0, description="ptlens term c.")
    norm_radius_mm: float = Field(gt=0, description="Focal-plane radius at which the normalised radius is 1, mm.")


class TcaSpec(BaseModel):
    """Lateral colour: red and blue images scaled radially relative to green (ideal -> real)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: Literal["linear", "poly3"] = Field(description="'linear': r' = k r; 'poly3': r' = r (b r^2 + c r + v).")
    red: tuple[float, ...] = Field(description="Red coefficients: (k,) for linear, (v, c, b) for poly3.")
    blue: tuple[float, ...] = Field(description="Blue coefficients: (k,) for linear, (v, c, b) for poly3.")
    norm_radius_mm: float = Field(gt=0, description="Focal-plane radius at which the normalised radius is 1, mm.")


def radial_scale(spec: DistortionSpec, r: np.ndarray) -> np.ndarray:
    """r_d / r_u of a radial model at normalised ideal radius ``r``."""
    if spec.model == "poly3":
        return 1 - spec.k1 + spec.k1 * r**2
    if spec.model == "poly5":
        return 1 + spec.k1 * r**2 + spec.k2 * r**4
    if spec.model == "ptlens":
        return spec.a * r**3 + spec.b * r**2 + spec.c * r + 1 - spec.a - spec.b - spec.c
    raise ValueError(f"{spec.model} is not a radial model")


def tca_scale(spec: TcaSpec, coefficients: tuple[float, ...], r: np.ndarray) -> np.ndarray:
    """r' / r of the lateral-colour model for one colour at normalised radius ``r``."""
    if spec.model == "linear":
        (k,) = coefficients
        return np.full_like(r, k)
    v, c, b = coefficients
    return b * r**2 + c * r + v


def distort(spec: DistortionSpec, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Real position of ideal focal-plane position (x, y), mm."""
    u, v = x / spec.norm_radius_mm, y / spec.norm_radius_mm
    r2 = u * u + v * v
    if spec.model == "brown_conrady":
        radial = 1 + spec.k1 * r2 + spec.k2 * r2**2 + spec.k3 * r2**3
        ud = u * radial + 2 * spec.p1 * u * v + spec.p2 * (r2 + 2 * u * u)
        vd = v * radial + spec.p1 * (r2 + 2 * v * v) + 2 * spec.p2 * u * v
    else:
        s = radial_scale(spec, np.sqrt(r2))
        ud, vd = u * s, v * s
    return ud * spec.norm_radius_mm, vd * spec.norm_radius_mm


def _invert_radial(scale_of, r_real: np.ndarray, what: str) -> np.ndarray:
    """Ideal radius whose image lands at ``r_real`` (normalised), for r -> r * scale_of(r)."""
    top = 1.5 * float(np.max(r_real)) + 1e-6
    grid = np.linspace(0.0, top, 8193)
    image = grid * scale_of(grid)
    if np.any(np.diff(image) <= 0):
        fold = grid[1:][np.diff(image) <= 0][0]
        raise ValueError(
            f"{what} folds over at normalised radius {fold:.3f}: no unique ideal position inside the frame"
        )
    if image[-1] < np.max(r_real):
        raise ValueError(f"{what} never reaches normalised radius {np.max(r_real):.3f}")
    return np.interp(r_real, image, grid)


def undistort(
    spec: DistortionSpec, xd: np.ndarray, yd: np.ndarray, iterations: int = 30
) -> tuple[np.ndarray, np.ndarray]:
    """Ideal position whose image lands at real position (xd, yd), mm (inverse of :func:`distort`)."""
    if spec.model == "brown_conrady":
        x, y = xd.copy(), yd.copy()
        for _ in range(iterations):  # fixed point x <- x + (xd - D(x)); contracts for moderate distortion
            dx, dy = distort(spec, x, y)
            x += xd - dx
            y += yd - dy
        return x, y
    rd = np.hypot(xd, yd) / spec.norm_radius_mm
    ru = _invert_radial(lambda r: radial_scale(spec, r), rd, f"distortion model {spec.model}")
    ratio = np.divide(ru, rd, out=np.ones_like(rd), where=rd > 0)
    return xd * ratio, yd * ratio


def untca(spec: TcaSpec, wavelength_nm: float, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Green-image position of a real position in band ``wavelength_nm`` (inverse of lateral colour)."""
    if BLUE_TO_NM < wavelength_nm < RED_FROM_NM:
        return x, y
    coefficients = spec.red if wavelength_nm >= RED_FROM_NM else spec.blue
    r = np.hypot(x, y) / spec.norm_radius_mm
    r0 = _invert_radial(lambda q: tca_scale(spec, coefficients, q), r, f"lateral colour ({spec.model})")
    ratio = np.divide(r0, r, out=np.ones_like(r), where=r > 0)
    return x * ratio, y * ratio


class VignettingSpec(BaseModel):
    """Measured relative illumination (lensfun's 'pa' model): C = 1 + k1 r^2 + k2 r^4 + k3 r^6, r = 1 at
    ``norm_radius_mm`` (lensfun: half the diagonal of the calibration sensor). It includes the natural
    cos^4 falloff, which it replaces."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: Literal["pa"] = Field(default="pa", description="Vignetting model (lensfun's 'pa' polynomial).")
    k1: float = Field(description="Coefficient of r^2.")
    k2: float = Field(default=0.0, description="Coefficient of r^4.")
    k3: float = Field(default=0.0, description="Coefficient of r^6.")
    norm_radius_mm: float = Field(gt=0, description="Focal-plane radius at which r = 1, mm.")


def vignetting_factor(spec: VignettingSpec, radius_mm: np.ndarray) -> np.ndarray:
    """Relative illumination at ``radius_mm`` from the axis."""
    r2 = (np.asarray(radius_mm) / spec.norm_radius_mm) ** 2
    return 1 + spec.k1 * r2 + spec.k2 * r2**2 + spec.k3 * r2**3


def tca(spec: TcaSpec, coefficients: tuple[float, ...], x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Real position in one colour of green-image position (x, y), mm (inverse of :func:`untca`)."""
    s = tca_scale(spec, coefficients, np.hypot(x, y) / spec.norm_radius_mm)
    return x * s, y * s


def warp_polynomial(
    distortion: DistortionSpec | None, lateral: TcaSpec | None, width_mm: float, height_mm: float, samples: int = 41
) -> tuple[float, list[tuple[float, ...]], float]:
    """The distortion (and lateral colour) as the DNG WarpRectilinear polynomial (:class:`camrig.LensWarp`):
    (norm_radius_mm, one coefficient set (k0, k1, k2, k3, p1, p2) or three for R, G, B, largest error in um),
    least-squares fitted on a ``samples`` x ``samples`` grid of ideal positions over the sensor
    (``width_mm`` x ``height_mm``, centred on the axis). Brown-Conrady, poly3 and poly5 with no or linear
    lateral colour are polynomials of this form, reproduced to rounding; ptlens and poly3 lateral colour (odd
    powers of r) are approximated, and the error says how well."""
    norm = distortion.norm_radius_mm if distortion is not None else lateral.norm_radius_mm  # type: ignore[union-attr]
    gx, gy = np.meshgrid(
        np.linspace(-width_mm / 2, width_mm / 2, samples), np.linspace(-height_mm / 2, height_mm / 2, samples)
    )
    x, y = gx.ravel(), gy.ravel()
    u, v = x / norm, y / norm
    r2 = u * u + v * v
    a = np.concatenate(
        [
            np.stack([u, u * r2, u * r2**2, u * r2**3, 2 * u * v, r2 + 2 * u * u], axis=1),
            np.stack([v, v * r2, v * r2**2, v * r2**3, r2 + 2 * v * v, 2 * u * v], axis=1),
        ]
    )
    xd, yd = distort(distortion, x, y) if distortion is not None else (x, y)
    targets = [(xd, yd)]
    if lateral is not None:
        targets = [tca(lateral, lateral.red, xd, yd), (xd, yd), tca(lateral, lateral.blue, xd, yd)]
    planes, error = [], 0.0
    for tx, ty in targets:
        b = np.concatenate([tx, ty]) / norm
        k = np.linalg.lstsq(a, b, rcond=None)[0]
        residual = (a @ k - b) * norm
        error = max(error, float(np.max(np.hypot(residual[: x.size], residual[x.size :]))) * 1e3)
        planes.append(tuple(float(c) for c in k))
    return norm, planes, error
