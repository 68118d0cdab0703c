"""The host pipeline stages: each negotiates what it takes and gives, then processes one frame.

The image maths lives in :mod:`camrig_isp.demosaic`, :mod:`camrig_isp.colour`, :mod:`camrig_isp.tone` and
:mod:`camrig_isp.spatial`; a stage checks its input, reads what it needs from the frame's metadata and says
what it did in the frame it returns.
"""

from __future__ import annotations

import functools

import numpy as np

import camrig

from . import (
    BlackLevelSpec,
    ColourCorrectionSpec,
    DemosaicSpec,
    DenoiseSpec,
    GammaSpec,
    LensShadingSpec,
    ScaleSpec,
    SharpenSpec,
    WhiteBalanceSpec,
)
from .colour import apply_matrix, channel_means, srgb_from_camera, srgb_from_camera_as_shot
from .demosaic import BAYER, DEMOSAIC, bilinear_demosaic, malvar2004_demosaic
from .levels import normalise
from .shading import gain_map, shade, uniform_spacing
from .spatial import area_downscale, denoise, sharpen
from .tone import filmic_encode_lut, srgb_encode, srgb_encode_lut

__all__ = ["BAYER", "bilinear_demosaic", "srgb_encode", "srgb_encode_lut"]  # kept importable from here


def _reuse(ctx: camrig.CaptureContext, frame: camrig.Frame) -> np.ndarray | None:
    """The input's memory to write a pointwise stage's float32 output into, when the host hands it over
    (:attr:`camrig.CaptureContext.reusable`) and it is C-contiguous float32; else None (a fresh array)."""
    spare = ctx.reusable
    if spare is None or spare.dtype != np.float32 or not spare.flags.c_contiguous or spare.shape != frame.data.shape:
        return None
    return spare


def _rgb_linear(upstream: camrig.Caps | None, what: str) -> camrig.Caps:
    if (
        upstream is None
        or upstream.format is not camrig.Format.RGB_LINEAR
        or len(upstream.shape) != 3
        or upstream.shape[2] != 3
    ):
        raise camrig.CapsError(f"{what} takes linear RGB (rows x cols x 3)")
    return upstream


@functools.cache
def load_kernels() -> None:
    """Compile (or load from numba's cache) the stages' compiled kernels once per process, when a rig is
    assembled, so the first frame of a live stream does not wait for them (0.2 s from the cache, seconds on
    a fresh install). The signatures are the ones frames use: float32, C-contiguous, read-only (frame data)
    and writeable (a stage's own temporaries); numba compiles each apart."""
    for writeable in (False, True):
        mosaic, rgb = np.zeros((4, 4), np.float32), np.zeros((4, 4, 3), np.float32)
        mosaic.flags.writeable = rgb.flags.writeable = writeable
        malvar2004_demosaic(mosaic, "RGGB")
        apply_matrix(rgb, np.eye(3))
        channel_means(rgb)
        srgb_encode_lut(rgb)
        shade(mosaic, 1.0, np.array([0.0, 1.0]), np.zeros(2), 1.0)
    for dtype in (np.uint8, np.uint16, np.uint32):
        raw = np.zeros((2, 2), dtype)
        raw.flags.writeable = False  # frame data
        normalise(raw, 0.0, 1.0)


class BlackLevel(camrig.Stage[BlackLevelSpec]):
    """x = (DN - black) / (white - black), float32; values may dip below 0 in the dark (noise is kept)."""

    def negotiate(self, upstream: camrig.Caps | None, geometry: camrig.Geometry) -> camrig.Caps:
        load_kernels()
        if (
            upstream is None
            or upstream.format is not camrig.Format.RAW
            or upstream.dtype not in ("uint8", "uint16", "uint32")
        ):
            raise camrig.CapsError("black level takes an integer raw frame")
        return upstream.model_copy(update={"dtype": "float32"})

    def process(self, frame: camrig.Frame | None, ctx: camrig.CaptureContext, role: str) -> camrig.Frame:
        assert frame is not None
        black, white = frame.meta.black_level, frame.meta.white_level
        if black is None or white is None or white <= black:
            raise ValueError(f"raw frame needs black < white level in its metadata, got {black}, {white}")
        if frame.data.ndim != 2:
            out = frame.data.astype(np.float32)
            out -= np.float32(black)
            out *= np.float32(1.0 / (white - black))
        else:  # a mosaic: one compiled pass
            out = normalise(frame.data, black, white, ctx.threads)
        return frame.derive(out, units="1", black_level=0.0, white_level=1.0)


class LensShading(camrig.Stage[LensShadingSpec]):
    """Multiply each raw pixel by RI(r)^-strength, RI the lens's relative illumination at the pixel's radius
    (interpolated, in log, in the radial table the lens puts in ``FrameMeta.relative_illumination``)."""

    BLOCK_ROWS = 256
    GAIN_MAP_PIXELS = 4 << 20
    """Frames up to this size keep their gain map for the next frame (16 MB); larger ones are shaded in one
    pass without a map."""
    _gain: tuple[object, np.ndarray | None] = (None, None)

    def negotiate(self, upstream: camrig.Caps | None, geometry: camrig.Geometry) -> camrig.Caps:
        load_kernels()
        if upstream is None or upstream.format is not camrig.Format.RAW or upstream.dtype != "float32":
            raise camrig.CapsError("lens shading takes a float32 raw frame (put isp.black_level first)")
        return upstream

    def process(self, frame: camrig.Frame | None, ctx: camrig.CaptureContext, role: str) -> camrig.Frame:
        assert frame is not None
        profile = frame.meta.relative_illumination
        if profile is None or frame.meta.pitch is None:
            raise ValueError(
                "lens shading needs the lens's relative illumination (FrameMeta.relative_illumination) and the pixel "
                "pitch in the frame; this rig's lens does not report its fall-off"
            )
        radius = np.asarray(profile.radius_mm, dtype=np.float64)
        factor = np.asarray(profile.factor, dtype=np.float64)
        if np.any(factor <= 0):
            raise ValueError("the lens reports zero illumination inside the frame: nothing to correct there")
        log_factor = np.log(factor)  # interpolated in EV, so a partial strength is exactly that fraction in EV
        rows, cols = frame.data.shape
        pitch_mm = frame.meta.pitch * 1e-3
        if uniform_spacing(radius) is not None:  # a lens's table: one compiled pass
            if rows * cols > self.GAIN_MAP_PIXELS:
                return frame.derive(
                    shade(frame.data, pitch_mm, radius, log_factor, self.spec.strength, ctx.threads, _reuse(ctx, frame))
                )
            key = (rows, cols, pitch_mm, profile)
            kept_key, gain = self._gain
            if gain is None or kept_key != key:  # a stream's frames share their geometry and lens: the map is kept
                gain = gain_map((rows, cols), pitch_mm, radius, log_factor, self.spec.strength)
                self._gain = (key, gain)
            return frame.derive(np.multiply(frame.data, gain, dtype=np.float32, out=_reuse(ctx, frame)))
        x = ((np.arange(cols) - (cols - 1) / 2) * pitch_mm) ** 2
        out = np.empty_like(frame.data)
        for r0 in range(0, rows, self.BLOCK_ROWS):
            y = ((np.arange(r0, min(rows, r0 + self.BLOCK_ROWS)) - (rows - 1) / 2) * pitch_mm) ** 2
            r = np.sqrt(y[:, None] + x[None, :]).astype(np.float32)
            gain = np.exp(-self.spec.strength * np.interp(r, radius, log_factor)).astype(np.float32)
            np.multiply(frame.data[r0 : r0 + len(y)], gain, out=out[r0 : r0 + len(y)])
        return frame.derive(out)


class Demosaic(camrig.Stage[DemosaicSpec]):
    def negotiate(self, upstream: camrig.Caps | None, geometry: camrig.Geometry) -> camrig.Caps:
        load_kernels()
        if upstream is None or upstream.format is not camrig.Format.RAW or upstream.dtype != "float32":
            raise camrig.CapsError("demosaic takes a float32 raw frame (put isp.black_level first)")
        if len(upstream.shape) != 2:
            raise camrig.CapsError("demosaic takes a single-plane mosaic")
        if upstream.cfa is not None and upstream.cfa not in BAYER:
            raise camrig.CapsError(f"demosaic takes a Bayer mosaic ({', '.join(BAYER)}), not CFA '{upstream.cfa}'")
        return camrig.Caps(format=camrig.Format.RGB_LINEAR, dtype="float32", shape=(*upstream.shape, 3))

    def process(self, frame: camrig.Frame | None, ctx: camrig.CaptureContext, role: str) -> camrig.Frame:
        assert frame is not None
        cfa = frame.meta.cfa or "mono"
        if self.spec.method == "malvar2004":  # written into memory the host may have kept from a frame that is gone
            rgb = malvar2004_demosaic(frame.data, cfa, ctx.threads, ctx.empty((*frame.data.shape, 3), np.float32))
        else:
            rgb = DEMOSAIC[self.spec.method](frame.data, cfa, ctx.threads)
        return frame.derive(rgb, format=camrig.Format.RGB_LINEAR, cfa=None)


class WhiteBalance(camrig.Stage[WhiteBalanceSpec]):
    def negotiate(self, upstream: camrig.Caps | None, geometry: camrig.Geometry) -> camrig.Caps:
        load_kernels()
        return _rgb_linear(upstream, "white balance")

    def gains(self, frame: camrig.Frame, threads: int = 1) -> np.ndarray:
        """Gains for R, G, B (green 1): fixed, gray world (channel means equal) or as shot (1 / neutral)."""
        if self.spec.method == "fixed":
            return np.asarray(self.spec.gains_rgb, dtype=np.float32)
        if self.spec.method == "as_shot":
            neutral = frame.meta.as_shot_neutral
            if neutral is None:
                raise ValueError(
                    "white balance 'as_shot' needs the sensor's as-shot neutral (FrameMeta.as_shot_neutral)"
                )
            n = np.asarray(neutral, dtype=np.float64)
            if n.shape != (3,) or np.any(n <= 0):
                raise ValueError(f"as-shot neutral must be three positive values, got {neutral}")
            return (n[1] / n).astype(np.float32)
        means = channel_means(frame.data, threads)
        if np.any(means <= 0):
            return np.ones(3, dtype=np.float32)
        return (means[1] / means).astype(np.float32)

    def process(self, frame: camrig.Frame | None, ctx: camrig.CaptureContext, role: str) -> camrig.Frame:
        assert frame is not None
        gains = self.gains(frame, ctx.threads)
        out = apply_matrix(frame.data, np.diag(gains), ctx.threads, _reuse(ctx, frame))
        return frame.derive(out, white_balance_gains=tuple(float(g) for g in gains))


class ColourCorrection(camrig.Stage[ColourCorrectionSpec]):
    """Linear sRGB = M @ camera RGB, M fixed or from the sensor's colour matrix (:mod:`camrig_isp.colour`)."""

    def negotiate(self, upstream: camrig.Caps | None, geometry: camrig.Geometry) -> camrig.Caps:
        load_kernels()
        if self.spec.matrix is not None:
            m = np.asarray(self.spec.matrix, dtype=np.float64)
            if not np.all(np.isfinite(m)) or abs(np.linalg.det(m)) < 1e-9:
                raise camrig.CapsError(
                    f"colour matrix {self.spec.matrix} is singular: colours it merges cannot be told apart"
                )
        return _rgb_linear(upstream, "colour correction")

    def matrix(self, frame: camrig.Frame) -> np.ndarray:
        if self.spec.matrix is not None:
            return np.asarray(self.spec.matrix, dtype=np.float64)
        if frame.meta.xyz_d65_from_camera is not None and frame.meta.as_shot_neutral is not None:
            return srgb_from_camera_as_shot(
                np.asarray(frame.meta.xyz_d65_from_camera), np.asarray(frame.meta.as_shot_neutral)
            )
        c = frame.meta.camera_from_xyz
        if c is None:
            raise ValueError(
                "colour correction needs the sensor's colour matrix (FrameMeta.camera_from_xyz) or a fixed matrix"
            )
        return srgb_from_camera(np.asarray(c))

    def process(self, frame: camrig.Frame | None, ctx: camrig.CaptureContext, role: str) -> camrig.Frame:
        assert frame is not None
        m = self.matrix(frame)
        return frame.derive(
            apply_matrix(frame.data, m, ctx.threads, _reuse(ctx, frame)),
            srgb_from_camera=tuple(tuple(float(v) for v in row) for row in m),
        )


class Denoise(camrig.Stage[DenoiseSpec]):
    def negotiate(self, upstream: camrig.Caps | None, geometry: camrig.Geometry) -> camrig.Caps:
        return _rgb_linear(upstream, "denoise")

    def process(self, frame: camrig.Frame | None, ctx: camrig.CaptureContext, role: str) -> camrig.Frame:
        assert frame is not None
        return frame.derive(denoise(frame.data, self.spec.luma_sigma_px, self.spec.chroma_sigma_px))


class Sharpen(camrig.Stage[SharpenSpec]):
    def negotiate(self, upstream: camrig.Caps | None, geometry: camrig.Geometry) -> camrig.Caps:
        return _rgb_linear(upstream, "sharpen")

    def process(self, frame: camrig.Frame | None, ctx: camrig.CaptureContext, role: str) -> camrig.Frame:
        assert frame is not None
        return frame.derive(sharpen(frame.data, self.spec.amount, self.spec.sigma_px))


class Gamma(camrig.Stage[GammaSpec]):
    def negotiate(self, upstream: camrig.Caps | None, geometry: camrig.Geometry) -> camrig.Caps:
        load_kernels()
        return _rgb_linear(upstream, "gamma").model_copy(update={"format": camrig.Format.RGB_DISPLAY})

    def process(self, frame: camrig.Frame | None, ctx: camrig.CaptureContext, role: str) -> camrig.Frame:
        assert frame is not None
        s = self.spec
        if s.curve == "filmic":
            encoded = filmic_encode_lut(frame.data, s.exposure_gain, s.white_point, ctx.threads, _reuse(ctx, frame))
        else:
            encoded = srgb_encode_lut(frame.data, s.exposure_gain, ctx.threads, _reuse(ctx, frame))
        return frame.derive(encoded, format=camrig.Format.RGB_DISPLAY, units="1")


class Scale(camrig.Stage[ScaleSpec]):
    def negotiate(self, upstream: camrig.Caps | None, geometry: camrig.Geometry) -> camrig.Caps:
        if (
            upstream is None
            or upstream.format not in (camrig.Format.RGB_LINEAR, camrig.Format.RGB_DISPLAY)
            or len(upstream.shape) != 3
        ):
            raise camrig.CapsError("scale takes RGB (rows x cols x 3)")
        f = self.spec.factor
        rows, cols = upstream.shape[0] // f, upstream.shape[1] // f
        if rows == 0 or cols == 0:
            raise camrig.CapsError(f"a {upstream.shape[0]}x{upstream.shape[1]} frame cannot be scaled down by {f}")
        return upstream.model_copy(update={"shape": (rows, cols, upstream.shape[2]), "dtype": "float32"})

    def process(self, frame: camrig.Frame | None, ctx: camrig.CaptureContext, role: str) -> camrig.Frame:
        assert frame is not None
        pitch = frame.meta.pitch * self.spec.factor if frame.meta.pitch else None
        return frame.derive(area_downscale(frame.data, self.spec.factor), pitch=pitch)
