"""Frames for people to look at: box-filtered thumbnails, a stated display mapping, PNG bytes, and the HTML
that Jupyter shows for a rig, a frame or a capture result (``_repr_html_``).

Nothing here is physics: a frame's values are only averaged over pixel blocks and mapped to 8-bit sRGB for a
screen, by one of these mappings (:class:`DisplayMapping` says which in words):

- ``rgb_display``: the values as they are, clipped to [0, 1] (already display-referred).
- ``rgb_linear``, ``raw``, ``irradiance``, ``radiance``: black level subtracted (raw), scaled so that the
  99.5th percentile of the thumbnail (all channels together) is 1, clipped, and encoded with the sRGB transfer
  function of IEC 61966-2-1. A raw mosaic with a 2 x 2 colour filter array ('RGGB', 'BGGR', 'GRBG', 'GBRG')
  shows each block's mean of the R, G and B sites as camera RGB (no white balance, no colour matrix); any
  other mosaic, and one pixel at 100 %, shows grey. Spectral bands show as linear RGB: three bands as B, G, R
  in order of wavelength; more bands averaged below 490 nm (B), 490-580 nm (G) and from 580 nm (R). A view,
  not colorimetry.

A thumbnail is computed by box-filtering the frame in strips (the mean of k x k pixel blocks, k an integer),
so a 100 MP frame costs a few tens of MB beyond itself, never a full-size 8-bit copy.
"""

from __future__ import annotations

import base64
import html
import io
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .frame import Frame, FrameMeta
    from .rig import Rig
    from .router import CaptureResult

__all__ = [
    "THUMBNAIL_PX",
    "DisplayMapping",
    "box_mean",
    "linear_rgb",
    "thumbnail",
    "png_bytes",
    "thumbnail_base64",
    "frame_html",
    "capture_html",
    "rig_html",
]

THUMBNAIL_PX = 256
"""Longest side of the thumbnail a frame or capture result shows in Jupyter, pixels (at most)."""

_STRIP_VALUES = 1 << 21
"""Input values box-filtered at once (16 MB as float64): what a thumbnail costs beyond the frame."""

_PERCENTILE = 99.5
_BAYER = {"RGGB", "BGGR", "GRBG", "GBRG"}
_GROUPS_NM = ((580.0, math.inf, 610.0), (490.0, 580.0, 535.0), (-math.inf, 490.0, 450.0))
"""(from, to, nearest) per R, G, B: bands averaged into each channel, or the band nearest ``nearest`` if none."""


def box_mean(array: np.ndarray, factor: int) -> np.ndarray:
    """The mean of each ``factor`` x ``factor`` block of ``array`` (rows, cols[, bands]) as float32, computed
    in strips of rows; trailing rows and columns that do not fill a block are left out.

    >>> box_mean(np.arange(16.0).reshape(4, 4), 2).tolist()  # (0 + 1 + 4 + 5) / 4, ...
    [[2.5, 4.5], [10.5, 12.5]]
    """
    if factor < 1:
        raise ValueError(f"box factor must be at least 1, got {factor}")
    rows, cols = array.shape[0] // factor, array.shape[1] // factor
    rest = array.shape[2:]
    out = np.empty((rows, cols, *rest), np.float32)
    per_row = max(1, factor * factor * cols * math.prod(rest))
    strip = max(1, _STRIP_VALUES // per_row)
    for r0 in range(0, rows, strip):
        r1 = min(rows, r0 + strip)
        block = np.asarray(array[r0 * factor : r1 * factor, : cols * factor], dtype=np.float64)
        out[r0:r1] = block.reshape(r1 - r0, factor, cols, factor, *rest).mean(axis=(1, 3))
    return out


def _bayer_rgb(mosaic: np.ndarray, cfa: str, factor: int) -> np.ndarray:
    """Block means of a 2 x 2 mosaic's R, G and B sites, ``factor`` (even) pixels a block, as (rows, cols, 3)."""
    phases = {}
    for i in range(2):
        for j in range(2):
            phases.setdefault(cfa[2 * i + j], []).append(box_mean(mosaic[i::2, j::2], factor // 2))
    rows = min(p.shape[0] for ps in phases.values() for p in ps)
    cols = min(p.shape[1] for ps in phases.values() for p in ps)
    return np.stack([sum(p[:rows, :cols] for p in phases[c]) / len(phases[c]) for c in "RGB"], axis=-1)


def _bands_rgb(cube: np.ndarray, bands_nm: tuple[float, ...]) -> np.ndarray:
    """Linear R, G, B from spectral bands (see the module docs)."""
    if cube.shape[2] == 1:
        return np.repeat(cube, 3, axis=2)
    waves = np.asarray(bands_nm, dtype=float) if len(bands_nm) == cube.shape[2] else None
    if cube.shape[2] == 3:
        order = np.argsort(waves)[::-1] if waves is not None else np.arange(3)
        return cube[:, :, order]
    if waves is None:  # no wavelengths: the mean of every band, grey
        return np.repeat(cube.mean(axis=2, keepdims=True), 3, axis=2)
    channels = []
    for low, high, nearest in _GROUPS_NM:
        inside = np.flatnonzero((waves >= low) & (waves < high))
        index = inside if inside.size else [int(np.argmin(np.abs(waves - nearest)))]
        channels.append(cube[:, :, index].mean(axis=2))
    return np.stack(channels, axis=-1)


def linear_rgb(data: np.ndarray, meta: FrameMeta, factor: int = 1) -> np.ndarray:
    """The frame's values as linear RGB (rows / factor, cols / factor, 3) float32: box means of ``factor`` x
    ``factor`` pixel blocks, black level subtracted for raw frames, channels mapped as the module docs say."""
    if meta.format == "raw":
        black = float(meta.black_level or 0.0)
        if meta.cfa in _BAYER and factor % 2 == 0:
            rgb = _bayer_rgb(data, meta.cfa, factor)
        else:
            rgb = np.repeat(box_mean(data, factor)[:, :, None], 3, axis=2)
        return np.maximum(rgb - black, 0.0).astype(np.float32)
    means = box_mean(data, factor)
    if means.ndim == 2:
        means = means[:, :, None]
    return _bands_rgb(means, meta.bands_nm).astype(np.float32)


@dataclass(frozen=True)
class DisplayMapping:
    """How linear values become 8-bit sRGB on screen: divided by ``scale``, clipped to [0, 1], then encoded
    with the sRGB transfer function when ``encode`` (else as they are)."""

    scale: float
    encode: bool
    description: str

    @classmethod
    def for_frame(cls, meta: FrameMeta, thumb: np.ndarray) -> DisplayMapping:
        """The mapping for a frame of ``meta`` whose linear-RGB thumbnail is ``thumb`` (module docs)."""
        if meta.format == "rgb_display":
            return cls(1.0, False, "display-referred values as they are, clipped to [0, 1]")
        finite = thumb[np.isfinite(thumb)]
        top = float(np.percentile(finite, _PERCENTILE)) if finite.size else 0.0
        scale = top if top > 0 and math.isfinite(top) else 1.0
        units = f" {meta.units}" if meta.units not in ("", "1") else ""
        what = {"raw": "black level subtracted, ", "radiance": "bands as linear RGB, ", "irradiance": ""}.get(
            str(meta.format), ""
        )
        if meta.format == "raw":
            what += "2 x 2 CFA sites as camera RGB, " if meta.cfa in _BAYER else "mosaic as grey, "
        elif meta.format in ("radiance", "irradiance") and len(meta.bands_nm) > 1:
            what = "bands as linear RGB (B < 490 nm <= G < 580 nm <= R), "
        return cls(
            scale,
            True,
            f"{what}1 = {scale:.4g}{units} (the {_PERCENTILE:g}th percentile of the thumbnail), sRGB-encoded",
        )

    def to_uint8(self, linear: np.ndarray) -> np.ndarray:
        """``linear`` (any shape) mapped to 8-bit display values."""
        v = np.clip(np.nan_to_num(np.asarray(linear, dtype=np.float64) / self.scale), 0.0, 1.0)
        if self.encode:  # IEC 61966-2-1 sRGB transfer function
            v = np.where(v <= 0.0031308, 12.92 * v, 1.055 * np.power(v, 1 / 2.4) - 0.055)
        return np.round(v * 255.0).astype(np.uint8)


def box_factor(shape: tuple[int, ...], max_px: int, step: int = 1) -> int:
    """The smallest box factor (a multiple of ``step``) that brings the longest side of ``shape`` to at most
    ``max_px``."""
    factor = max(1, math.ceil(max(shape[0], shape[1]) / max_px))
    return step * math.ceil(factor / step)


def thumbnail(frame: Frame, max_px: int = THUMBNAIL_PX) -> tuple[np.ndarray, DisplayMapping, int]:
    """An 8-bit sRGB thumbnail of ``frame`` (longest side at most ``max_px``), its mapping and box factor."""
    step = 2 if frame.meta.format == "raw" and frame.meta.cfa in _BAYER else 1
    factor = box_factor(frame.data.shape, max_px, step)
    linear = linear_rgb(frame.data, frame.meta, factor)
    mapping = DisplayMapping.for_frame(frame.meta, linear)
    return mapping.to_uint8(linear), mapping, factor


def png_bytes(rgb: np.ndarray) -> bytes:
    """An 8-bit RGB image (rows, cols, 3) as PNG bytes (Pillow, a core dependency; imported on first use).

    >>> png_bytes(np.zeros((1, 1, 3), np.uint8))[:8]
    b'\\x89PNG\\r\\n\\x1a\\n'
    """
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8)).save(buffer, "PNG")
    return buffer.getvalue()


def png_base64(rgb: np.ndarray) -> str:
    """:func:`png_bytes` as base64 text (for a JSON record or an HTML page)."""
    return base64.b64encode(png_bytes(rgb)).decode("ascii")


def thumbnail_base64(frame: Frame, max_px: int = THUMBNAIL_PX) -> str:
    """:func:`thumbnail` as base64 PNG text (for a JSON record or an HTML page)."""
    return png_base64(thumbnail(frame, max_px)[0])


# -- HTML for Jupyter --------------------------------------------------------------------------------------

_STYLE = (
    "<style>table.camrig{border-collapse:collapse;font-size:12px}table.camrig td,table.camrig th{padding:1px 8px;"
    "border-bottom:1px solid #ddd;text-align:left;vertical-align:top}</style>"
)


def _table(rows: list[tuple[str, Any]]) -> str:
    body = "".join(
        f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>"
        for k, v in rows
        if v is not None and v != ""
    )
    return f'<table class="camrig">{body}</table>'


def _bands(bands_nm: tuple[float, ...]) -> str | None:
    if not bands_nm:
        return None
    if len(bands_nm) <= 4:
        return ", ".join(f"{b:g}" for b in bands_nm) + " nm"
    return f"{len(bands_nm)} bands, {bands_nm[0]:g} to {bands_nm[-1]:g} nm"


def _frame_rows(frame: Frame) -> list[tuple[str, Any]]:
    m = frame.meta
    pitch = None
    if m.pitch is not None:
        pitch = f"{m.pitch:g} (tangent step)" if m.format == "radiance" else f"{m.pitch:g} um"
    return [
        ("format", str(m.format)),
        ("shape", " x ".join(str(n) for n in frame.data.shape)),
        ("dtype", frame.data.dtype.name),
        ("units", m.units),
        ("bands", _bands(m.bands_nm)),
        ("CFA", m.cfa),
        ("bit depth", m.bit_depth),
        (
            "black / white level",
            f"{m.black_level:g} / {m.white_level:g} DN"
            if m.black_level is not None and m.white_level is not None
            else None,
        ),  # fmt: skip
        ("exposure", f"{m.exposure_s:.6g} s" if m.exposure_s is not None else None),
        ("f-number", f"f/{m.f_number:g}" if m.f_number is not None else None),
        ("focal length", f"{m.focal_length_mm:g} mm" if m.focal_length_mm is not None else None),
        ("pitch", pitch),
        ("illuminant", m.illuminant),
        ("planes", ", ".join(sorted(frame.planes)) or None),
        ("history", " -> ".join(f"{h.role} ({h.accessory})" for h in m.history) or None),
        ("modelled time", f"{sum(m.modelled_ns.values()) / 1e6:.3f} ms" if m.modelled_ns else None),
    ]


def _image(frame: Frame, max_px: int) -> str:
    rgb, mapping, factor = thumbnail(frame, max_px)
    data = png_base64(rgb)
    caption = (
        f"{rgb.shape[1]} x {rgb.shape[0]} thumbnail, mean of {factor} x {factor} pixel blocks; {mapping.description}"
    )
    return (
        f'<figure style="margin:0 1em 0 0"><img src="data:image/png;base64,{data}" width="{rgb.shape[1]}" '
        f'height="{rgb.shape[0]}" alt="thumbnail" style="image-rendering:pixelated">'
        f'<figcaption style="font-size:11px;max-width:{max(rgb.shape[1], 200)}px">{html.escape(caption)}'
        "</figcaption></figure>"
    )


def _side_by_side(left: str, right: str) -> str:
    return f'{_STYLE}<div style="display:flex;align-items:flex-start">{left}<div>{right}</div></div>'


def frame_html(frame: Frame, max_px: int = THUMBNAIL_PX) -> str:
    """A frame as HTML: a thumbnail (PNG in the page) beside its metadata, every string escaped."""
    return _side_by_side(_image(frame, max_px), f"<b>Frame</b>{_table(_frame_rows(frame))}")


def capture_html(shot: CaptureResult, max_px: int = THUMBNAIL_PX) -> str:
    """A capture result as HTML: the result's thumbnail and metadata, the raw frame's caps and the timings."""
    steps = ", ".join(f"{t.role} {t.compute_s * 1e3:.0f} ms" for t in shot.timings)
    rows = [
        *_frame_rows(shot.result),
        ("raw frame", shot.raw.caps().describe()),
        ("compute (measured)", f"{shot.compute_s:.3f} s: {steps}"),
        ("seed", shot.result.meta.extra.get("seed")),
    ]
    return _side_by_side(_image(shot.result, max_px), f"<b>Capture result</b>{_table(rows)}")


def rig_html(rig: Rig) -> str:
    """A rig as HTML: its parts, every fit rule with its verdict, and the fit report ``camrig check`` prints."""
    report = rig.report
    parts = _table([(role, f"{p.name} ({p.plugin})") for role, p in rig.parts.items()])
    by_rule: dict[str, list[str]] = {}
    for p in report.problems:
        by_rule.setdefault(p.rule, []).append(p.severity.value)
    rules = [(rule.id, rule.summary) for rule, _ in rig.host.rules]
    rules += [(rule, "") for rule in by_rule if rule not in {r for r, _ in rules}]  # e.g. 'formats'
    colours = {"error": "#c00", "warning": "#b60", "passes": "#070"}
    rows = []
    for rule_id, summary in rules:
        found = by_rule.get(rule_id, [])
        verdict = "error" if "error" in found else "warning" if found else "passes"
        rows.append(
            f'<tr><td>{html.escape(rule_id)}</td><td style="color:{colours[verdict]}">{verdict}</td>'
            f"<td>{html.escape(summary)}</td></tr>"
        )
    verdict = "fits" if report.ok else "does not fit"
    return (
        f"{_STYLE}<div><b>Rig {html.escape(rig.name)}</b>: {verdict}"
        f"<details open><summary>parts</summary>{parts}</details>"
        f'<details open><summary>fit rules</summary><table class="camrig">{"".join(rows)}</table></details>'
        f'<pre style="font-size:11px">{html.escape(report.render())}</pre></div>'
    )
