"""Minimal host pipeline stages: black level, demosaic, white balance, display encoding."""

from __future__ import annotations

import numpy as np
import camrig

from . import BlackLevelSpec, DemosaicSpec, GammaSpec, WhiteBalanceSpec

BAYER = ("RGGB", "BGGR", "GRBG", "GBRG")


class BlackLevel(camrig.Stage[BlackLevelSpec]):
    """x = (DN - black) / (white - black), float32; values may dip below 0 in the dark (noise is kept)."""

    def negotiate(self, upstream: camrig.Caps | None, geometry: camrig.Geometry) -> camrig.Caps:
        if upstream is None or upstream.format is not camrig.Format.RAW or upstream.dtype not in ("uint8", "uint16", "uint32"):
            raise camrig.CapsError("black level takes an integer raw frame")
        return upstream.model_copy(update={"dtype": "float32"})

    def process(self, frame: camrig.Frame | None, ctx: camrig.CaptureContext, role: str) -> camrig.Frame:
        assert frame is not None
        black, white = frame.meta.black_level, frame.meta.white_level
        if black is None or white is None or white <= black:
            raise ValueError(f"raw frame needs black < white level in its metadata, got {black}, {white}")
        out = frame.data.astype(np.float32)
        out -= np.float32(black)
        out *= np.float32(1.0 / (white - black))
        return frame.derive(out, units="1", black_level=0.0, white_level=1.0)


def _neighbour_pair(site: int, out: int) -> tuple[int, int]:
    """Offsets (in quarter-plane samples) of the two same-colour neighbours of output phase ``out`` along one
    axis, for a colour whose sites have phase ``site`` on that axis."""
    return (0, 1) if out > site else (-1, 0)


def bilinear_demosaic(mosaic: np.ndarray, cfa: str) -> np.ndarray:
    """Bilinear interpolation of a Bayer mosaic: each missing sample is the mean of its nearest same-colour
    neighbours, i.e. the convolution of each colour's sparse plane with [[1,2,1],[2,4,2],[1,2,1]]/4 (R, B) or
    [[0,1,0],[1,4,1],[0,1,0]]/4 (G), borders mirrored (e.g. R. Ramanath et al., "Demosaicking methods for
    Bayer color arrays", J. Electron. Imaging 11(3), 2002). Computed per CFA phase on quarter-size planes (the
    mirrored border is then edge padding of each plane, for even sizes): only the averages that exist are
    summed. Returns (rows, cols, 3) float32 in R, G, B order."""
    if cfa not in BAYER:
        raise ValueError(f"cannot demosaic CFA {cfa!r}; supported: {', '.join(BAYER)}")
    if mosaic.shape[0] % 2 or mosaic.shape[1] % 2:
        raise ValueError(f"cannot demosaic a {mosaic.shape[0]}x{mosaic.shape[1]} mosaic: sizes must be even")
    h, w = mosaic.shape
    sites = {c: [(i // 2, i % 2) for i, ch in enumerate(cfa) if ch == c] for c in "RGB"}
    out = np.empty((h, w, 3), dtype=np.float32)
    planes = {}
    for c in "RGB":
        for (sy, sx) in sites[c]:
            planes[(sy, sx)] = np.pad(mosaic[sy::2, sx::2].astype(np.float32, copy=False), 1, mode="edge")
    h2, w2 = h // 2, w // 2

    def at(site, oy, ox):
        p = planes[site]
        return p[1 + oy : 1 + oy + h2, 1 + ox : 1 + ox + w2]

    for ch, c in enumerate("RGB"):
        for py in (0, 1):
            for px in (0, 1):
                target = out[py::2, px::2, ch]
                if c != "G":
                    ((sy, sx),) = sites[c]
                    if (py, px) == (sy, sx):
                        target[...] = at((sy, sx), 0, 0)
                    elif py == sy:
                        a, b = _neighbour_pair(sx, px)
                        np.add(at((sy, sx), 0, a), at((sy, sx), 0, b), out=target)
                        target *= 0.5
                    elif px == sx:
                        a, b = _neighbour_pair(sy, py)
                        np.add(at((sy, sx), a, 0), at((sy, sx), b, 0), out=target)
                        target *= 0.5
                    else:
                        (ya, yb), (xa, xb) = _neighbour_pair(sy, py), _neighbour_pair(sx, px)
                        np.add(at((sy, sx), ya, xa), at((sy, sx), ya, xb), out=target)
                        target += at((sy, sx), yb, xa)
                        target += at((sy, sx), yb, xb)
                        target *= 0.25
                else:
                    if (py, px) in sites["G"]:
                        target[...] = at((py, px), 0, 0)
                        continue
                    row_site = next(s for s in sites["G"] if s[0] == py)
                    col_site = next(s for s in sites["G"] if s[1] == px)
                    a, b = _neighbour_pair(row_site[1], px)
                    c1, c2 = _neighbour_pair(col_site[0], py)
                    np.add(at(row_site, 0, a), at(row_site, 0, b), out=target)
                    target += at(col_site, c1, 0)
                    target += at(col_site, c2, 0)
                    target *= 0.25
    return out


class Demosaic(camrig.Stage[DemosaicSpec]):
    def negotiate(self, upstream: camrig.Caps | None, geometry: camrig.Geometry) -> camrig.Caps:
        if upstream is None or upstream.format is not camrig.Format.RAW or upstream.dtype != "float32":
            raise camrig.CapsError("demosaic takes a float32 raw frame (put isp.black_level first)")
        if len(upstream.shape) != 2:
            raise camrig.CapsError("demosaic takes a single-plane mosaic")
        return camrig.Caps(format=camrig.Format.RGB_LINEAR, dtype="float32", shape=(*upstream.shape, 3))

    def process(self, frame: camrig.Frame | None, ctx: camrig.CaptureContext, role: str) -> camrig.Frame:
        assert frame is not None
        rgb = bilinear_demosaic(frame.data, frame.meta.cfa or "mono")
        return frame.derive(rgb, format=camrig.Format.RGB_LINEAR, cfa=None)


class WhiteBalance(camrig.Stage[WhiteBalanceSpec]):
    def negotiate(self, upstream: camrig.Caps | None, geometry: camrig.Geometry) -> camrig.Caps:
        if upstream is None or upstream.format is not camrig.Format.RGB_LINEAR:
            raise camrig.CapsError("white balance takes linear RGB")
        return upstream

    def gains(self, rgb: np.ndarray) -> np.ndarray:
        if self.spec.method == "fixed":
            return np.asarray(self.spec.gains_rgb, dtype=np.float32)
        means = np.array([rgb[:, :, c].mean(dtype=np.float64) for c in range(3)])
        if np.any(means <= 0):
            return np.ones(3, dtype=np.float32)
        return (means[1] / means).astype(np.float32)

    def process(self, frame: camrig.Frame | None, ctx: camrig.CaptureContext, role: str) -> camrig.Frame:
        assert frame is not None
        gains = self.gains(frame.data)
        out = np.empty_like(frame.data)
        for c in range(3):  # channel by channel: a length-3 broadcast is numpy's slowest inner loop
            np.multiply(frame.data[:, :, c], gains[c], out=out[:, :, c])
        return frame.derive(out, extra={**frame.meta.extra, "wb_gains_rgb": gains.tolist()})


def srgb_encode(linear: np.ndarray) -> np.ndarray:
    """sRGB opto-electronic transfer function, IEC 61966-2-1:1999 (input clipped to [0, 1]).

    Exact formula; see :func:`srgb_encode_lut` for the fast path the stage uses."""
    x = np.clip(linear, 0.0, 1.0)
    return np.where(x <= 0.0031308, 12.92 * x, 1.055 * np.power(x, 1 / 2.4) - 0.055).astype(np.float32)


SRGB_LUT_BITS = 16
_SRGB_LUT = srgb_encode(np.linspace(0.0, 1.0, 2**SRGB_LUT_BITS, dtype=np.float64))


def srgb_encode_lut(linear: np.ndarray, gain: float = 1.0) -> np.ndarray:
    """:func:`srgb_encode` of ``gain * linear`` through a 65536-entry table (input quantised to 16 bits;
    largest error 2e-4 of full scale, in the darkest steps where the curve is steepest): one pass instead of a
    power per sample."""
    scale = np.float32(gain * (2**SRGB_LUT_BITS - 1))
    index = np.empty(linear.shape, dtype=np.float32)
    np.multiply(linear, scale, out=index)
    np.clip(index, 0, 2**SRGB_LUT_BITS - 1, out=index)
    np.rint(index, out=index)
    return np.take(_SRGB_LUT, index.astype(np.uint16))


class Gamma(camrig.Stage[GammaSpec]):
    def negotiate(self, upstream: camrig.Caps | None, geometry: camrig.Geometry) -> camrig.Caps:
        if upstream is None or upstream.format is not camrig.Format.RGB_LINEAR:
            raise camrig.CapsError("gamma takes linear RGB")
        return upstream.model_copy(update={"format": camrig.Format.RGB_DISPLAY})

    def process(self, frame: camrig.Frame | None, ctx: camrig.CaptureContext, role: str) -> camrig.Frame:
        assert frame is not None
        encoded = srgb_encode_lut(frame.data, self.spec.exposure_gain)
        return frame.derive(encoded, format=camrig.Format.RGB_DISPLAY, units="1")
