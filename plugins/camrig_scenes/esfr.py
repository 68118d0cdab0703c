"""The ISO 12233:2017 e-SFR chart as a layout of ``scenes.target`` (``pattern: esfr``; docs/scenes.md).

What we follow of ISO 12233:2017 (Photography -- Electronic still picture imaging -- Resolution and spatial
frequency responses), clause 6 and Annex C/D: the e-SFR test chart carries dark squares on a lighter ground,
each rotated a few degrees (about 5) so that all four of its edges are slanted edges for the Annex D
measurement, one at the centre and others across the field; the edges have a **low contrast, 4:1** (the ratio
of light to dark reflectance, introduced in the 2014 edition because high-contrast edges are clipped or
sharpened by processing). We place one square on the axis and one towards each corner of the chart at each
relative field height of ``esfr_fields`` (a fraction of the chart's half-diagonal, ISO's "field" convention).
The standard's neutral grey patches (for the OECF) and registration marks are not drawn.

Rendering: each sample is the box-filtered chart over its own square (one tangent step wide). A straight edge
with unit normal ``(cos a, sin a)`` seen through a square box of side ``s`` is a step blurred by the
projection of the box onto the normal: the sum of two uniform distributions of widths ``s |cos a|`` and
``s |sin a|``, whose CDF is a trapezoid's integral (quadratic ends, linear middle). A square is the product of
its two strips' coverages (exact wherever one edge crosses the sample; the corners are approximate).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

EDGE_SIDES = ("left", "right", "top", "bottom")


@njit(nogil=True, cache=True)
def _box_cdf(t: float, p: float, q: float) -> float:
    """P(X + Y <= t) for X ~ U(-p/2, p/2), Y ~ U(-q/2, q/2) independent (the box's projection on an edge
    normal): 0 below -(p + q)/2, (t + A)^2 / (2 p q) up to -(p - q)/2, 1/2 + t / p in the middle, symmetric."""
    if p < q:
        p, q = q, p
    if q <= 1e-12 * p:
        return min(1.0, max(0.0, 0.5 + t / p))
    a, b = 0.5 * (p + q), 0.5 * (p - q)
    if t <= -a:
        return 0.0
    if t >= a:
        return 1.0
    if t < -b:
        return (t + a) ** 2 / (2.0 * p * q)
    if t <= b:
        return 0.5 + t / p
    return 1.0 - (a - t) ** 2 / (2.0 * p * q)


@njit(nogil=True, cache=True)
def _squares(out, tx, ty, step, centres, side, angle, light, dark):  # noqa: ANN001
    """out[r, c] = box-filtered reflectance of dark squares (``centres`` (k, 2), side ``side``, rotated by
    ``angle`` radians) on the light ground (module docstring)."""
    rows, cols = out.shape
    ca, sa = math.cos(angle), math.sin(angle)
    p, q = step * abs(ca), step * abs(sa)
    half = 0.5 * side
    reach = half * (abs(ca) + abs(sa)) + step
    for r in range(rows):
        y = ty[r]
        for c in range(cols):
            x = tx[c]
            cover = 0.0
            for k in range(centres.shape[0]):
                dx, dy = x - centres[k, 0], y - centres[k, 1]
                if abs(dx) > reach or abs(dy) > reach:
                    continue
                u = dx * ca + dy * sa
                v = -dx * sa + dy * ca
                strip_u = _box_cdf(half - u, p, q) - _box_cdf(-half - u, p, q)
                strip_v = _box_cdf(half - v, p, q) - _box_cdf(-half - v, p, q)
                cover += strip_u * strip_v
            out[r, c] = light - (light - dark) * min(cover, 1.0)


@dataclass(frozen=True)
class EsfrEdge:
    """One slanted edge of the chart: the square's field (0 for the centre one), its centre and the midpoint of
    the edge in tangent units (x right, y down), which side of the square it is, and whether it is near-vertical
    (measured across columns) or near-horizontal."""

    field: float
    square_tan: tuple[float, float]
    midpoint_tan: tuple[float, float]
    side: str

    @property
    def orientation(self) -> str:
        return "vertical" if self.side in ("left", "right") else "horizontal"


def layout(width_deg: float, square: float, fields: tuple[float, ...]) -> tuple[np.ndarray, float, list[float]]:
    """(centres (k, 2) in tangent units, side in tangent units, field of each square): one square on the axis,
    then four per field at ``field`` x (+-H, +-2/3 H), H = tan(width_deg / 2) (towards the chart's corners);
    the side is ``square`` x 2 H."""
    h = math.tan(math.radians(width_deg) / 2)
    centres, field_of = [(0.0, 0.0)], [0.0]
    for f in fields:
        for sx, sy in ((-1, -1), (1, -1), (-1, 1), (1, 1)):
            centres.append((sx * f * h, sy * f * h * 2 / 3))
            field_of.append(f)
    return np.array(centres, dtype=np.float64), square * 2 * h, field_of


def check_layout(width_deg: float, square: float, fields: tuple[float, ...], angle_deg: float) -> None:
    """Raise ValueError (naming the field) when a square leaves the chart (|x| <= H, |y| <= 2/3 H) or comes
    closer to another than half its side (each edge needs a clear region of interest around it)."""
    centres, side, field_of = layout(width_deg, square, fields)
    a = math.radians(angle_deg)
    extent = 0.5 * side * (abs(math.cos(a)) + abs(math.sin(a)))  # half-size of the rotated square's bounding box
    h = math.tan(math.radians(width_deg) / 2)
    for (x, y), f in zip(centres, field_of):
        if abs(x) + extent > h or abs(y) + extent > h * 2 / 3:
            raise ValueError(
                f"esfr_fields: the square at field {f:g} ({square:g} of the width across) reaches outside the "
                f"{width_deg:g} x {width_deg * 2 / 3:g} deg chart; use smaller fields or esfr_square"
            )
    for i in range(len(centres)):
        for j in range(i):
            gap = np.abs(centres[i] - centres[j]).max() - 2 * extent
            if gap < 0.5 * side:
                raise ValueError(
                    f"esfr_fields: the squares at fields {field_of[j]:g} and {field_of[i]:g} are too close "
                    f"(less than half a square apart); spread esfr_fields or shrink esfr_square"
                )


def edges(width_deg: float, square: float, fields: tuple[float, ...], angle_deg: float) -> list[EsfrEdge]:
    """Every slanted edge of the chart, for placing measure.mtf regions of interest: the midpoint of side
    ``left`` of a square rotated by a is its centre + (side / 2)(-cos a, -sin a) (docs/scenes.md)."""
    centres, side, field_of = layout(width_deg, square, fields)
    a = math.radians(angle_deg)
    ca, sa = math.cos(a), math.sin(a)
    offsets = {"left": (-ca, -sa), "right": (ca, sa), "top": (sa, -ca), "bottom": (-sa, ca)}
    out = []
    for (x, y), f in zip(centres, field_of):
        for name in EDGE_SIDES:
            ox, oy = offsets[name]
            out.append(EsfrEdge(f, (float(x), float(y)), (x + 0.5 * side * ox, y + 0.5 * side * oy), name))
    return out
