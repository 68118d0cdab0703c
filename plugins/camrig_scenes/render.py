"""Putting a picture (a photo, a radiance map, a spectral cube) on the lens's angular grid (docs/scenes.md).

Framing: the picture is a flat, rectilinear image centred on the optical axis, so its pixels are evenly spaced
in the tangent of the viewing angle, ``p`` apart: ``centre`` takes ``p = 2 tan(fov / 2) / width``; ``fill``
and ``fit`` scale it to cover, or to fit inside, the sensor's field (the view without the lens's blur margin).
A view direction with tangent ``t`` looks at the picture's column ``u = t / p + width / 2 - 1/2`` (pixel
centres at whole numbers); outside ``[-1/2, width - 1/2]`` it sees the surround.

Sampling: bilinear between the four nearest pixel centres, in linear light (an encoded photo is decoded by a table
before it is interpolated). When the picture is much finer than the view (more than 1.5 pixels per sample), it is first
averaged over k x k pixel blocks (k the whole number of pixels per sample, again in linear light), so a 12 MP photo seen
by a small sensor is not aliased. The picture's values become band radiance by one linear map per pixel,
``L_b = max(0, offset_b + sum_c v_c M[c, b])`` (or ``offset_b + v_b M[0, b]`` for a cube that already has the bands);
as the weights of an interpolation sum to 1, the map may come before or after it.

Speed (docs/scenes.md, 'Speed'): one compiled pass over the output on the capture's threads, with no array of the
picture's or the output's size besides the output. Once per picture, :func:`band_map` folds the decode table into
the map where each band comes from one channel (an RGB scene, a grey photo): ``table[b, code]`` is the band
radiance of a code, so a photo on the sensor's own grid costs one table lookup per output value
(:func:`_nearest_table`). Resampled, each picture row is decoded once into a row buffer, two rows are blended
along the column and the blend is interpolated along the row straight into the output (:func:`_bilinear`).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from numba import njit

import camrig
from camrig import in_blocks

from .caps import radiance_caps


@dataclass(frozen=True)
class Source:
    """A picture and how its values become band radiance."""

    data: np.ndarray  # (rows, cols, channels): uint8 / uint16 codes (with ``lut``) or float32 values
    lut: np.ndarray | None  # float32 linear value of each code, or None for float data
    matrix: np.ndarray  # (channels, bands) float64; (1, bands) with ``diagonal``
    offset: np.ndarray  # (bands,) float64 added before clipping at 0
    diagonal: bool  # channel c is band c (a cube): L_b = offset_b + v_b matrix[0, b]
    bands_nm: tuple[float, ...]
    white: np.ndarray | None  # (bands,) band radiance of a perfect white under the scene's light (None: unknown)
    illuminant: str | None


TABLE, SELECT, IDENTITY, MATRIX = 0, 1, 2, 3
"""How a :class:`BandMap` takes a pixel's values to band radiance (its ``mode``)."""


@dataclass(frozen=True)
class BandMap:
    """A :class:`Source`'s map to band radiance as the kernels take it, built once per picture.

    When every band is fed by at most one channel (an RGB scene, whose bands are its channels times the
    white's; a grey photo; a cube in its own bands), ``L_b = max(0, offset_b + v_{channel[b]} scale_b)``:
    ``IDENTITY`` when band b is channel b, ``SELECT`` otherwise, and ``TABLE`` for a coded picture, whose whole
    chain from code to band radiance is then one table per band, ``table[b, code] = offset_b + lut[code]
    scale_b`` (in float64, rounded once; the clip at 0 comes after any interpolation, as for the others).
    Otherwise ``MATRIX``: ``L_b = max(0, offset_b + sum_c v_c matrix[c, b])`` with the full matrix."""

    mode: int
    channel: np.ndarray  # (bands,) int64: the channel feeding each band (TABLE, SELECT, IDENTITY)
    scale: np.ndarray  # (bands,) float64: its factor
    matrix: np.ndarray  # (channels, bands) float64 (a diagonal expanded)
    offset: np.ndarray  # (bands,) float64
    table: np.ndarray  # (bands, codes) float32 with TABLE, else (0, 0)
    clipped: np.ndarray  # ``table`` clipped at 0 (the same array when nothing is negative), for samples on pixels


def band_map(source: Source, coded: bool = True) -> BandMap:
    """The :class:`BandMap` of ``source`` (its tables are the one-time cost of a picture); ``coded=False``: of
    its values once decoded (a picture averaged into float values before sampling)."""
    channels, bands = source.data.shape[2], len(source.bands_nm)
    if source.diagonal:
        matrix = np.zeros((channels, bands))
        matrix[np.arange(bands), np.arange(bands)] = source.matrix[0]
    else:
        matrix = np.asarray(source.matrix, np.float64)
    nonzero = matrix != 0
    channel = np.argmax(nonzero, axis=0).astype(np.int64)
    scale = matrix[channel, np.arange(bands)]
    offset = np.ascontiguousarray(source.offset, np.float64)
    table = np.zeros((0, 0), np.float32)
    if not (nonzero.sum(axis=0) <= 1).all():
        mode = MATRIX
    elif source.lut is not None and coded:
        mode = TABLE
        lut = source.lut.astype(np.float64)
        table = (offset[:, None] + lut[None, :] * scale[:, None]).astype(np.float32)
    elif channels == bands and (channel == np.arange(bands)).all():
        mode = IDENTITY
    else:
        mode = SELECT
    clipped = np.maximum(table, np.float32(0.0)) if (table < 0).any() else table
    return BandMap(mode, channel, scale, np.ascontiguousarray(matrix), offset, table, clipped)


@njit(nogil=True, cache=True)
def _surround(out, ys, c_lo, c_hi, surround):  # noqa: ANN001
    """out[r, c] = surround for the rows outside the picture (ys[r] < 0) and the columns outside c_lo ... c_hi."""
    rows, cols, bands = out.shape
    for r in range(rows):
        lo, hi = (c_lo, c_hi) if ys[r] >= 0 else (cols, cols)
        for c in range(lo):
            for b in range(bands):
                out[r, c, b] = surround[b]
        for c in range(hi, cols):
            for b in range(bands):
                out[r, c, b] = surround[b]


@njit(nogil=True, cache=True)
def _nearest_table(out, src, table, channel, ys, xs, c_lo, c_hi):  # noqa: ANN001
    """out[r, c, b] = table[b, src[ys[r], xs[c], channel[b]]]: a coded picture (``TABLE``, the table clipped at
    0) whose samples fall on its pixel centres, for the rows with ys >= 0 and the columns c_lo ... c_hi. Rows
    are read as flat runs of codes (an RGB scene's bands B, G, R from channels R, G, B unrolled)."""
    bands, channels = out.shape[2], src.shape[2]
    rgb = bands == 3 and channels == 3 and channel[0] == 2 and channel[1] == 1 and channel[2] == 0
    n = c_hi - c_lo
    consecutive = n > 0 and xs[c_hi - 1] - xs[c_lo] == n - 1
    for r in range(out.shape[0]):
        y = ys[r]
        if y < 0:
            continue
        codes, o = src[y].reshape(-1), out[r].reshape(-1)
        if rgb and consecutive:
            t0, t1, t2 = table[0], table[1], table[2]
            run, dst = codes[3 * xs[c_lo] : 3 * (xs[c_lo] + n)], o[3 * c_lo : 3 * c_hi]  # indices from 0: no wraparound
            for j in range(n):
                dst[3 * j] = t0[run[3 * j + 2]]
                dst[3 * j + 1] = t1[run[3 * j + 1]]
                dst[3 * j + 2] = t2[run[3 * j]]
        else:
            for c in range(c_lo, c_hi):
                i, q = xs[c] * channels, c * bands
                for b in range(bands):
                    o[q + b] = table[b, codes[i + channel[b]]]


@njit(nogil=True, cache=True)
def _apply_row(o, values, lut, mode, channel, scale, matrix, offset, acc):  # noqa: ANN001
    """o[j, b] = max(0, offset_b + ...) of the values of pixel j (decoded by ``lut`` unless None) by ``mode``
    (:class:`BandMap`; TABLE: the values are band values already)."""
    n, bands = o.shape
    if mode == TABLE:
        for j in range(n):
            for b in range(bands):
                o[j, b] = max(values[j, b], 0.0)
    elif mode == IDENTITY:
        for j in range(n):
            for b in range(bands):
                v = values[j, b] if lut is None else lut[values[j, b]]
                o[j, b] = max(offset[b] + v * scale[b], 0.0)
    elif mode == SELECT:
        for j in range(n):
            for b in range(bands):
                v = values[j, channel[b]] if lut is None else lut[values[j, channel[b]]]
                o[j, b] = max(offset[b] + v * scale[b], 0.0)
    elif values.shape[1] == 3:  # a photo's three channels: one pass over the bands (vectorised)
        m0, m1, m2 = matrix[0], matrix[1], matrix[2]
        for j in range(n):
            p = values[j]
            v0 = np.float64(p[0] if lut is None else lut[p[0]])
            v1 = np.float64(p[1] if lut is None else lut[p[1]])
            v2 = np.float64(p[2] if lut is None else lut[p[2]])
            oj = o[j]
            for b in range(bands):
                oj[b] = max(offset[b] + v0 * m0[b] + v1 * m1[b] + v2 * m2[b], 0.0)
    else:
        for j in range(n):
            for b in range(bands):
                acc[b] = offset[b]
            for k in range(values.shape[1]):
                v = np.float64(values[j, k] if lut is None else lut[values[j, k]])
                for b in range(bands):
                    acc[b] += v * matrix[k, b]
            for b in range(bands):
                o[j, b] = max(acc[b], 0.0)


@njit(nogil=True, cache=True)
def _nearest(out, src, lut, mode, channel, scale, matrix, offset, ys, xs, c_lo, c_hi):  # noqa: ANN001
    """out[r, c] = the band radiance (:func:`_apply_row`) of src[ys[r], xs[c]], for the rows with ys >= 0 and
    the columns c_lo ... c_hi (read in place when the columns are consecutive pixels, as on the sensor's grid)."""
    n = c_hi - c_lo
    consecutive = n > 0 and xs[c_hi - 1] - xs[c_lo] == n - 1
    line = np.empty((n, src.shape[2]), src.dtype)
    acc = np.empty(out.shape[2], np.float64)
    for r in range(out.shape[0]):
        y = ys[r]
        if y < 0:
            continue
        row = src[y]
        if consecutive:
            values = row[xs[c_lo] : xs[c_lo] + n]
        else:
            for j in range(n):
                line[j] = row[xs[c_lo + j]]
            values = line
        _apply_row(out[r, c_lo:c_hi], values, lut, mode, channel, scale, matrix, offset, acc)


@njit(nogil=True, cache=True)
def _decode_row(dst, src, lut, table, mode, channel, y):  # noqa: ANN001
    """dst[x] = picture row y as the interpolation takes it: band values table[b, code of channel[b]] (TABLE),
    else the channels decoded by ``lut`` (or as they are); dst[w] = dst[w - 1] (the right neighbour of the
    last pixel, weighted 0)."""
    row = src[y]
    w, channels = row.shape[0], row.shape[1]
    if lut is None:  # a float picture: as it is (pruned at compile time, as the branches below for one)
        for x in range(w):
            for c in range(channels):
                dst[x, c] = row[x, c]
    elif mode == TABLE:
        k = dst.shape[1]
        if k == 3 and channels == 3 and channel[0] == 2 and channel[1] == 1 and channel[2] == 0:
            t0, t1, t2 = table[0], table[1], table[2]
            for x in range(w):
                dst[x, 0] = t0[row[x, 2]]
                dst[x, 1] = t1[row[x, 1]]
                dst[x, 2] = t2[row[x, 0]]
        else:
            for x in range(w):
                for b in range(k):
                    dst[x, b] = table[b, row[x, channel[b]]]
    else:
        for x in range(w):
            for c in range(channels):
                dst[x, c] = lut[row[x, c]]
    dst[w] = dst[w - 1]


@njit(nogil=True, cache=True)
def _bilinear(out, src, lut, table, mode, channel, scale, matrix, offset, ys, fy, xs, fx, c_lo, c_hi):  # noqa: ANN001
    """out[r, c] = the band radiance (:func:`_apply_row`) of the bilinear sample of ``src`` (decoded by ``lut``
    unless None) at row ys[r] + fy[r] and column xs[c] + fx[c], for the rows with ys >= 0 and the columns
    c_lo ... c_hi.

    Separably, in float32 (the picture's own precision): the two picture rows around an output row are
    decoded once each (kept while the next output row needs them; a float picture is read in place), blended
    along the column into one row, which is then interpolated along the row into the output (a TABLE
    picture's values are band radiance already: only the clip at 0 is left)."""
    h, w = src.shape[0], src.shape[1]
    k = table.shape[0] if mode == TABLE else src.shape[2]
    decoded = np.empty((2 if lut is not None else 0, w + 1, k), np.float32)
    held = np.full(2, -1, np.int64)
    blend = np.empty((w + 1, k), np.float32)
    line = np.empty((c_hi - c_lo, k), np.float32)
    n = c_hi - c_lo
    columns, weights = xs[c_lo:c_hi], fx[c_lo:c_hi].astype(np.float32)  # indexed from 0: no wraparound checks
    acc = np.empty(out.shape[2], np.float64)
    zero = np.float32(0.0)
    offset32, scale32 = offset.astype(np.float32), scale.astype(np.float32)
    for r in range(out.shape[0]):
        y0 = ys[r]
        if y0 < 0:
            continue
        wy = np.float32(fy[r])
        y1 = min(y0 + 1, h - 1)
        flat = blend.reshape(-1)
        if lut is None:  # float values: blended straight from the picture's rows
            top, bottom = src[y0].reshape(-1), src[y1].reshape(-1)
            for i in range(w * k):
                flat[i] = top[i] + wy * (bottom[i] - top[i])
            blend[w] = blend[w - 1]
        else:
            s0 = 0 if held[0] == y0 else 1 if held[1] == y0 else -1
            if s0 < 0:
                s0 = 1 if held[0] == y1 else 0
                _decode_row(decoded[s0], src, lut, table, mode, channel, y0)
                held[s0] = y0
            s1 = 1 - s0
            if wy != 0 and held[s1] != y1:
                _decode_row(decoded[s1], src, lut, table, mode, channel, y1)
                held[s1] = y1
            upper, lower = decoded[s0].reshape(-1), decoded[s1].reshape(-1)
            if wy == 0:
                flat[:] = upper
            else:
                for i in range(flat.shape[0]):
                    flat[i] = upper[i] + wy * (lower[i] - upper[i])
        o = out[r]
        if mode == TABLE and k == 3:
            dst = o[c_lo:c_hi].reshape(-1)
            for j in range(n):
                i, f = 3 * columns[j], weights[j]
                dst[3 * j] = max(flat[i] + f * (flat[i + 3] - flat[i]), zero)
                dst[3 * j + 1] = max(flat[i + 1] + f * (flat[i + 4] - flat[i + 1]), zero)
                dst[3 * j + 2] = max(flat[i + 2] + f * (flat[i + 5] - flat[i + 2]), zero)
        elif mode == IDENTITY:  # a cube in its own bands: interpolated, scaled and clipped in one pass
            dst = o[c_lo:c_hi].reshape(-1)
            for j in range(n):
                pair, f, q = flat[columns[j] * k : (columns[j] + 2) * k], weights[j], j * k
                for b in range(k):
                    dst[q + b] = max(offset32[b] + scale32[b] * (pair[b] + f * (pair[k + b] - pair[b])), zero)
        else:
            for j in range(n):
                x0, f = columns[j], weights[j]
                for i in range(k):
                    line[j, i] = blend[x0, i] + f * (blend[x0 + 1, i] - blend[x0, i])
            _apply_row(o[c_lo:c_hi], line, None, mode, channel, scale, matrix, offset, acc)


@njit(nogil=True, cache=True)
def _reduce(out, src, lut, k, y0, x0):  # noqa: ANN001
    """out[i, j] = mean of the k x k block of ``src`` (decoded by ``lut`` unless None) at (y0 + i k, x0 + j k)."""
    rows, cols, channels = out.shape
    scale = 1.0 / (k * k)
    acc = np.empty(channels, np.float64)
    for i in range(rows):
        for j in range(cols):
            acc[:] = 0.0
            for dy in range(k):
                for dx in range(k):
                    for ch in range(channels):
                        if lut is None:
                            acc[ch] += src[y0 + i * k + dy, x0 + j * k + dx, ch]
                        else:
                            acc[ch] += lut[src[y0 + i * k + dy, x0 + j * k + dx, ch]]
            for ch in range(channels):
                out[i, j, ch] = acc[ch] * scale


@functools.cache
def load_kernels() -> None:
    """Compile (or load from numba's cache) the kernels for the usual types when a rig is assembled: coded
    (uint8, uint16) and float pictures, writeable or not (a decoded photo is often a read-only buffer)."""
    idx, one, three, picked = np.zeros(1, np.int64), np.zeros(1, np.float64), np.zeros(3), np.zeros(3, np.int64)
    for dtype, lut in (
        (np.uint8, np.zeros(256, np.float32)),
        (np.uint16, np.zeros(65536, np.float32)),
        (np.float32, None),
    ):
        table = np.zeros((3, 0 if lut is None else len(lut)), np.float32)
        for writeable in (True, False):
            src = np.zeros((1, 1, 3), dtype)
            src.flags.writeable = writeable
            out = np.empty((1, 1, 3), np.float32)
            _nearest(out, src, lut, SELECT, picked, three, np.zeros((3, 3)), three, idx, idx, 0, 1)
            _bilinear(out, src, lut, table, SELECT, picked, three, np.zeros((3, 3)), three, idx, one, idx, one, 0, 1)
            _reduce(out, src, lut, 1, 0, 0)
            if lut is not None:
                _nearest_table(out, src, table, picked, idx, idx, 0, 1)
    _surround(np.empty((1, 1, 3), np.float32), idx, 0, 1, three)


def field_half_tangents(view: camrig.AngularGrid, plane: camrig.FocalPlane | None) -> tuple[float, float]:
    """Half-width and half-height of the sensor's field in tangent units: the view without the lens's margin
    (the samples beyond the plane's pixels, equal on each side), to the outer edges of its outer samples."""
    tx, ty = view.tangents()
    mx = (view.width - plane.width_px) // 2 if plane is not None and view.width > plane.width_px else 0
    my = (view.height - plane.height_px) // 2 if plane is not None and view.height > plane.height_px else 0
    core_x, core_y = tx[mx : view.width - mx], ty[my : view.height - my]
    return (
        max(abs(core_x[0]), abs(core_x[-1])) + view.step / 2,
        max(abs(core_y[0]), abs(core_y[-1])) + view.step / 2,
    )


def pixel_tangent(
    width: int, height: int, framing: str, fov_deg: float, view: camrig.AngularGrid, plane: camrig.FocalPlane | None
) -> float:
    """Tangent step between the picture's pixels for ``framing`` (module docstring)."""
    if framing == "centre":
        return 2 * math.tan(math.radians(fov_deg) / 2) / width
    hx, hy = field_half_tangents(view, plane)
    return (max if framing == "fill" else min)(2 * hx / width, 2 * hy / height)


def axis_table(tangents: np.ndarray, pitch: float, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(first index, weight of the next, nearest index) of the picture's pixels along one axis for each
    tangent; index -1 outside the picture."""
    u = tangents / pitch + n / 2 - 0.5
    snapped = np.rint(u)
    u = np.where(np.abs(u - snapped) < 1e-6, snapped, u)  # a whole pixel stays whole despite round-off
    inside = (u >= -0.5) & (u <= n - 0.5)
    i0 = np.clip(np.floor(u), 0, n - 1).astype(np.int64)
    f = np.clip(u - i0, 0.0, 1.0)
    f = np.where(i0 >= n - 1, 0.0, f)
    nearest = np.clip(np.rint(u), 0, n - 1).astype(np.int64)
    return np.where(inside, i0, -1), f.astype(np.float64), np.where(inside, nearest, -1)


def reduced(source: Source, k: int) -> tuple[np.ndarray, int, int]:
    """(float32 picture averaged over k x k blocks in linear light, rows and columns cropped from the top-left
    to keep it centred)."""
    h, w, ch = source.data.shape
    rows, cols = h // k, w // k
    y0, x0 = (h - rows * k) // 2, (w - cols * k) // 2
    out = np.empty((rows, cols, ch), np.float32)
    _reduce(out, source.data, source.lut, k, y0, x0)
    return out, y0, x0


class PictureScene:
    """Mixin of the image scenes: framing, sampling and depth. Subclasses implement :meth:`load` and keep the
    placement fields of :class:`camrig_scenes.PlacedSpec` in their spec."""

    spec: camrig.SceneSpec

    def load(self) -> Source:  # pragma: no cover - abstract
        raise NotImplementedError

    @functools.cached_property
    def source(self) -> Source:
        return self.load()

    def fov_deg(self) -> float:
        return self.spec.fov_deg  # type: ignore[attr-defined]

    def distance_m(self) -> float:
        return self.spec.distance_m  # type: ignore[attr-defined]

    def negotiate(self, upstream: camrig.Caps | None, geometry: camrig.Geometry) -> camrig.Caps:
        load_kernels()
        if upstream is not None:
            raise camrig.CapsError("a scene is the first part of the chain")
        source = self.source  # reads and checks the file now: a bad file fails the rig check, not a capture
        self.depth_map()
        return radiance_caps(upstream, geometry, source.bands_nm)

    @functools.cached_property
    def _depth(self) -> np.ndarray | None:
        from .readers import read_depth

        spec = self.spec
        if spec.depth_path is None:  # type: ignore[attr-defined]
            return None
        depth = read_depth(spec.depth_path, spec.depth_scale_m)  # type: ignore[attr-defined]
        h, w = self.source.data.shape[:2]
        if depth.shape != (h, w):
            raise ValueError(
                f"{spec.depth_path}: depth_path: "  # type: ignore[attr-defined]
                f"the depth map is {depth.shape[1]} x {depth.shape[0]} pixels, "
                f"the picture {w} x {h}: they must match"
            )
        return depth

    def depth_map(self) -> np.ndarray | None:
        return self._depth

    def radiance(
        self, view: camrig.AngularGrid, plane: camrig.FocalPlane | None = None, threads: int = 1
    ) -> np.ndarray:
        """(rows, cols, bands) float32 band radiance along each direction of ``view``, W/(m^2 sr)."""
        s, spec = self.source, self.spec
        h, w = s.data.shape[:2]
        pitch = pixel_tangent(w, h, spec.framing, self.fov_deg(), view, plane)  # type: ignore[attr-defined]
        data, lut, dx, dy = s.data, s.lut, 0.0, 0.0
        if not data.flags.c_contiguous:  # the kernels read rows as flat runs
            data = np.ascontiguousarray(data)
        k = int(view.step / pitch)
        if view.step / pitch > 1.5 and k >= 2:  # much finer than the view: average k x k blocks first
            data, y0, x0 = self._reduced(k)
            lut = None
            # reduced pixel j is centred on the original's x0 + j k + (k - 1) / 2: a shift dx off the axis
            dx = (x0 + (k - 1) / 2 - (w - 1) / 2 + (data.shape[1] - 1) * k / 2) * pitch
            dy = (y0 + (k - 1) / 2 - (h - 1) / 2 + (data.shape[0] - 1) * k / 2) * pitch
            pitch *= k
        tx, ty = view.tangents()
        xs, fx, _ = axis_table(tx - dx, pitch, data.shape[1])
        ys, fy, _ = axis_table(ty - dy, pitch, data.shape[0])
        surround = np.zeros(len(s.bands_nm)) if s.white is None else s.white * spec.surround  # type: ignore[attr-defined]
        out = np.empty((view.height, view.width, len(s.bands_nm)), np.float32)
        inside = np.flatnonzero(xs >= 0)
        c_lo, c_hi = (int(inside[0]), int(inside[-1]) + 1) if len(inside) else (0, 0)
        m = self.band_map(coded=lut is not None)
        if fx.any() or fy.any():

            def work(a: int, b: int) -> None:
                _bilinear(out[a:b], data, lut, m.table, m.mode, m.channel, m.scale,
                          m.matrix, m.offset, ys[a:b], fy[a:b], xs, fx, c_lo, c_hi)  # fmt: skip
        elif m.mode == TABLE:

            def work(a: int, b: int) -> None:
                _nearest_table(out[a:b], data, m.clipped, m.channel, ys[a:b], xs, c_lo, c_hi)
        else:

            def work(a: int, b: int) -> None:
                _nearest(out[a:b], data, lut, m.mode, m.channel, m.scale, m.matrix, m.offset, ys[a:b], xs, c_lo,
                         c_hi)  # fmt: skip

        def fill(a: int, b: int) -> None:
            work(a, b)
            _surround(out[a:b], ys[a:b], c_lo, c_hi, surround)

        in_blocks(view.height, threads, fill)
        return out

    def band_map(self, coded: bool = True) -> BandMap:
        """The picture's tables for the kernels (built on first use, kept with the scene)."""
        cache = self.__dict__.setdefault("_band_maps", {})
        if coded not in cache:
            cache[coded] = band_map(self.source, coded)
        return cache[coded]

    def _reduced(self, k: int) -> tuple[np.ndarray, int, int]:
        cache = self.__dict__.setdefault("_reduced_cache", {})
        if k not in cache:
            cache.clear()
            cache[k] = reduced(self.source, k)
        return cache[k]

    def depth(self, view: camrig.AngularGrid, plane: camrig.FocalPlane | None = None) -> dict[str, np.ndarray]:
        """{"depth_m": the depth map's value at the nearest pixel (the scene's distance outside the picture)} with
        a depth map; {"depth_m": distance_m everywhere} at a finite distance without one; {} at infinity."""
        d = self.distance_m()
        depth = self.depth_map()
        if depth is None:
            if math.isinf(d):
                return {}
            return {"depth_m": np.broadcast_to(np.float32(d), (view.height, view.width))}
        h, w = depth.shape
        pitch = pixel_tangent(w, h, self.spec.framing, self.fov_deg(), view, plane)  # type: ignore[attr-defined]
        tx, ty = view.tangents()
        _, _, xn = axis_table(tx, pitch, w)
        _, _, yn = axis_table(ty, pitch, h)
        out = depth[np.maximum(yn, 0)][:, np.maximum(xn, 0)]
        out[yn < 0, :] = d
        out[:, xn < 0] = d
        return {"depth_m": out}

    def process(self, frame: camrig.Frame | None, ctx: camrig.CaptureContext, role: str) -> camrig.Frame:
        s = self.source
        view, plane = ctx.geometry.view, ctx.geometry.plane
        meta = camrig.FrameMeta(
            format=camrig.Format.RADIANCE,
            units="W/(m^2 sr)",
            bands_nm=s.bands_nm,
            pitch=view.step,
            white_radiance=None if s.white is None else tuple(float(v) for v in s.white),
            illuminant=s.illuminant,
        )
        return camrig.Frame(self.radiance(view, plane, ctx.threads), meta, planes=self.depth(view, plane))
