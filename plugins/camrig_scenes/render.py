"""Putting a picture (a photo, a radiance map, a spectral cube) on the lens's angular grid (docs/scenes.md).

Framing: the picture is a flat, rectilinear image centred on the optical axis, so its pixels are evenly spaced
in the tangent of the viewing angle, ``p`` apart: ``centre`` takes ``p = 2 tan(fov / 2) / width``; ``fill``
and ``fit`` scale it to cover, or to fit inside, the sensor's field (the view without the lens's blur margin).
A view direction with tangent ``t`` looks at the picture's column ``u = t / p + width / 2 - 1/2`` (pixel
centres at whole numbers); outside ``[-1/2, width - 1/2]`` it sees the surround.

Sampling: bilinear between the four nearest pixel centres, in linear light (an encoded photo is decoded by a table
before it is interpolated). When the picture is much finer than the view (more than 1.5 pixels per sample), it is first
averaged over k x k pixel blocks (k the whole number of pixels per sample, again in linear light), so a 12 MP photo seen
by a small sensor is not aliased. When every sample falls on a pixel centre (a photo framed to fill a sensor of its own
size) a lighter kernel reads one pixel per sample. The picture's values become band radiance by one linear map per
pixel, ``L_b = max(0, offset_b + sum_c v_c M[c, b])`` (or ``offset_b + v_b M[0, b]`` for a cube that already has the
bands), in one compiled pass over the output on the capture's threads.
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


@njit(nogil=True, cache=True)
def _render(out, src, lut, matrix, offset, diagonal, ys, fy, xs, fx, surround):  # noqa: ANN001
    """out[r, c] = max(0, offset + v M) with v the bilinear sample of ``src`` (decoded by ``lut``, unless None)
    at rows ys[r] + fy[r] and columns xs[c] + fx[c]; ``surround`` where ys or xs is -1 (module docstring)."""
    rows, cols, bands = out.shape
    h, w, channels = src.shape
    v = np.empty(channels, np.float64)
    for r in range(rows):
        y0 = ys[r]
        for c in range(cols):
            x0 = xs[c]
            if y0 < 0 or x0 < 0:
                for b in range(bands):
                    out[r, c, b] = surround[b]
                continue
            wy, wx = fy[r], fx[c]
            y1, x1 = min(y0 + 1, h - 1), min(x0 + 1, w - 1)
            for k in range(channels):
                if lut is None:
                    a, b_, c_, d = src[y0, x0, k], src[y0, x1, k], src[y1, x0, k], src[y1, x1, k]
                else:
                    a, b_, c_, d = lut[src[y0, x0, k]], lut[src[y0, x1, k]], lut[src[y1, x0, k]], lut[src[y1, x1, k]]
                if wx == 0.0 and wy == 0.0:
                    v[k] = a
                else:
                    v[k] = (1.0 - wy) * ((1.0 - wx) * a + wx * b_) + wy * ((1.0 - wx) * c_ + wx * d)
            for b in range(bands):
                if diagonal:
                    value = offset[b] + v[b] * matrix[0, b]
                else:
                    value = offset[b]
                    for k in range(channels):
                        value += v[k] * matrix[k, b]
                out[r, c, b] = value if value > 0.0 else 0.0


@njit(nogil=True, cache=True)
def _render_aligned(out, src, lut, matrix, ys, xs, surround):  # noqa: ANN001
    """The common case of :func:`_render` with every sample on a pixel centre (a photo framed to fill a sensor
    of its own size), three channels decoded by ``lut``: out[r, c] = max(0, lut[src[ys[r], xs[c]]] M)."""
    rows, cols, bands = out.shape
    for r in range(rows):
        y = ys[r]
        for c in range(cols):
            x = xs[c]
            if y < 0 or x < 0:
                for b in range(bands):
                    out[r, c, b] = surround[b]
                continue
            v0, v1, v2 = lut[src[y, x, 0]], lut[src[y, x, 1]], lut[src[y, x, 2]]
            for b in range(bands):
                value = v0 * matrix[0, b] + v1 * matrix[1, b] + v2 * matrix[2, b]
                out[r, c, b] = value if value > 0.0 else 0.0


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
    """Compile (or load from numba's cache) the kernels for the usual types when a rig is assembled."""
    one = np.zeros(1, np.float64)
    idx = np.zeros(1, np.int64)
    for dtype, lut in (
        (np.uint8, np.zeros(256, np.float32)),
        (np.uint16, np.zeros(65536, np.float32)),
        (np.float32, None),
    ):
        src = np.zeros((1, 1, 3), dtype)
        _render(
            np.empty((1, 1, 3), np.float32),
            src,
            lut,
            np.zeros((3, 3)),
            np.zeros(3),
            False,
            idx,
            one,
            idx,
            one,
            np.zeros(3),
        )
        _reduce(np.empty((1, 1, 3), np.float32), src, lut, 1, 0, 0)
        if lut is not None:
            _render_aligned(
                np.empty((1, 1, 3), np.float32), src, lut, np.zeros((3, 3), np.float32), idx, idx, np.zeros(3)
            )


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
        if (
            lut is not None
            and data.shape[2] == 3
            and not s.diagonal
            and not s.offset.any()
            and not fx.any()
            and not fy.any()
        ):
            matrix = s.matrix.astype(np.float32)
            in_blocks(
                view.height, threads, lambda a, b: _render_aligned(out[a:b], data, lut, matrix, ys[a:b], xs, surround)
            )
        else:
            in_blocks(view.height, threads, lambda a, b: _render(
                out[a:b], data, lut, s.matrix, s.offset, s.diagonal, ys[a:b], fy[a:b], xs, fx, surround,
            ))  # fmt: skip
        return out

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
