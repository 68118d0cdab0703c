"""The USAF 1951 resolution target as a layout of ``scenes.target`` (``pattern: usaf1951``; docs/scenes.md).

MIL-STD-150A (1959), section 5.1.1.7: element ``e`` (1-6) of group ``g`` has

    R = 2^(g + (e - 1) / 6)   line pairs per mm on the chart,

each element two sets of three bars, one set horizontal and one vertical, each bar of width ``w = 1 / (2 R)``
mm and length ``5 w``, the bars separated by spaces of ``w`` (a set is a ``5 w`` square).

Object-space scale: the chart is the standard chart enlarged ``usaf_scale`` times (1: the MIL-STD-150A size),
standing ``distance_m`` in front of the entrance pupil, facing the lens on its axis. A bar ``w_mm`` wide is
``w_mm / (1000 distance_m)`` wide in tangent units, so element (g, e) has ``R d / usaf_scale`` cycles per
tangent unit, with d in mm. Through a lens imaging that plane at image distance ``v`` on pixels of pitch ``p``
(one tangent step per pixel is ``p / v``), its frequency is ``R d p / (usaf_scale v)`` cycles per pixel.

Layout (ours; the standard's spiral of groups is not reproduced): the groups in the order given, left to right,
each a column of its six elements from top to bottom; element rows are ``7 w`` high, the vertical bars (which
resolve horizontal detail) left, the horizontal bars ``2 w`` to their right; columns ``4 w_1`` apart (``w_1``
the group's first element's bar); the whole centred on the axis. Dark bars (``dark``) on the light ground
(``light``): a positive chart. Each sample is the exact box filter of the bars over its square (the overlap
of axis-aligned rectangles).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit


def line_pairs_per_mm(group: int, element: int) -> float:
    """MIL-STD-150A: R = 2^(group + (element - 1) / 6) line pairs per mm."""
    return 2.0 ** (group + (element - 1) / 6)


@dataclass(frozen=True)
class Element:
    """One element in tangent units (x right, y down): bar width ``bar``, and the top-left corners of its set of
    vertical bars (``vertical_tan``) and of its set of horizontal bars (``horizontal_tan``), each ``5 bar``
    square."""

    group: int
    element: int
    bar: float
    vertical_tan: tuple[float, float]
    horizontal_tan: tuple[float, float]

    def bars(self) -> list[tuple[float, float, float, float]]:
        """The six bars as (x0, y0, x1, y1) rectangles."""
        w = self.bar
        (vx, vy), (hx, hy) = self.vertical_tan, self.horizontal_tan
        out = [(vx + 2 * k * w, vy, vx + (2 * k + 1) * w, vy + 5 * w) for k in range(3)]
        out += [(hx, hy + 2 * k * w, hx + 5 * w, hy + (2 * k + 1) * w) for k in range(3)]
        return out


def elements(groups: tuple[int, ...], distance_m: float, scale: float) -> list[Element]:
    """The layout of the module docstring, centred on the axis."""
    d_mm = distance_m * 1e3
    placed: list[tuple[int, int, float, float, float]] = []  # group, element, bar, x, y (top-left of the row)
    x = 0.0
    for g in groups:
        first = 1 / (2 * line_pairs_per_mm(g, 1)) * scale / d_mm
        y = 0.0
        for e in range(1, 7):
            w = 1 / (2 * line_pairs_per_mm(g, e)) * scale / d_mm
            placed.append((g, e, w, x, y))
            y += 7 * w
        x += 12 * first + 4 * first
    right = x - 4 * first  # no gap after the last column
    bottom = max(y0 + 5 * w for _, _, w, _, y0 in placed)
    x_shift, y_shift = -right / 2, -bottom / 2
    return [
        Element(g, e, w, (x0 + x_shift, y0 + y_shift), (x0 + 7 * w + x_shift, y0 + y_shift))
        for g, e, w, x0, y0 in placed
    ]


@njit(nogil=True, cache=True)
def _bars(out, tx, ty, step, rects, light, dark):  # noqa: ANN001
    """out[r, c] = light - (light - dark) * (area of the bars ``rects`` (k, 4: x0, y0, x1, y1) inside the
    sample's square) / step^2: the exact box filter."""
    rows, cols = out.shape
    h = 0.5 * step
    for r in range(rows):
        y = ty[r]
        for c in range(cols):
            x = tx[c]
            area = 0.0
            for k in range(rects.shape[0]):
                ox = min(x + h, rects[k, 2]) - max(x - h, rects[k, 0])
                if ox <= 0.0:
                    continue
                oy = min(y + h, rects[k, 3]) - max(y - h, rects[k, 1])
                if oy > 0.0:
                    area += ox * oy
            out[r, c] = light - (light - dark) * min(area / (step * step), 1.0)


def rectangles(groups: tuple[int, ...], distance_m: float, scale: float) -> np.ndarray:
    """(k, 4) array of every bar (x0, y0, x1, y1), tangent units."""
    return np.array([b for el in elements(groups, distance_m, scale) for b in el.bars()], dtype=np.float64)
