"""``camrig compare``: two rigs on the same scene, one labelled figure to look at.

Each rig is captured with the same seed (and, with ``--scene``, the same capture section), and only what the
figure shows is kept: an overview box-filtered to at most :data:`OVERVIEW_PX` pixels and two crops of the
output at 100 % (one output pixel per figure pixel, no resampling), from the centre and the top-left corner.
The crops of both rigs cover the same fraction of the field width (:func:`crop_fraction`), so a sensor with
fewer pixels shows a smaller crop: that difference is what there is to see. The figure is drawn with
matplotlib (imported only here, only when a figure is made) and written atomically; where each crop came from
is written into the PNG's text chunks (``camrig.crops``, JSON) beside the rigs and the seed.

The host knows no physics here either: it captures, keeps pixels and lays them out; the display mapping of
each frame is :mod:`camrig.display`'s.
"""

from __future__ import annotations

import io
import json
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ._version import __version__
from .config import RigFile, Source, read_config, rig_file_from_dict
from .display import linear_rgb, thumbnail
from .errors import ConfigError, UsageError
from .output import write_atomically
from .rig import Rig

__all__ = [
    "OVERVIEW_PX",
    "Crop",
    "Panel",
    "crop_fraction",
    "fraction_for",
    "read_compared_rig",
    "capture_panel",
    "figure_png",
    "write_figure",
    "require_matplotlib",
]

OVERVIEW_PX = 480
"""Longest side of each rig's overview in the figure, pixels (at most)."""
CROP_PX = 192
"""Crop width of the rig with the fewest output columns, pixels, unless that makes the other's too wide."""
CROP_MAX_PX = 384
"""Widest crop shown at 100 %, pixels."""

_MARGIN, _GAP, _LINE = 16, 24, 17
_TITLE_LINES = 2
_LABEL_PX = 200
"""Room for a crop's label line, pixels."""


@dataclass(frozen=True)
class Crop:
    """A window of a rig's output at 100 %."""

    label: str
    """Where it is: 'centre' or 'top-left corner'."""
    pixels: np.ndarray
    """8-bit sRGB (rows, cols, 3), the frame's pixels through the panel's display mapping."""
    origin: tuple[int, int]
    """(row, column) of its first pixel in the output frame."""


@dataclass(frozen=True)
class Panel:
    """What the figure shows of one rig: small copies only, so the captured frames can go."""

    name: str
    specs: tuple[str, ...]
    """Lines of key specs: lens, f-number, sensor, exposure."""
    shape: tuple[int, int]
    """(rows, columns) of the output frame."""
    overview: np.ndarray
    """8-bit sRGB overview, the mean of ``factor`` x ``factor`` pixel blocks."""
    factor: int
    crops: tuple[Crop, ...]
    mapping: str
    """The display mapping, in words (:class:`camrig.display.DisplayMapping`)."""


@dataclass(frozen=True)
class _ComparedSource(Source):
    """A rig file whose capture section came from a scene file: errors there name the scene file."""

    capture_from: Source = field(default_factory=lambda: Source("<scene>"))

    def where(self, path: Sequence[str | int]) -> str:
        if path and path[0] == "capture":
            return self.capture_from.where(path)
        return super().where(path)


def require_matplotlib() -> None:
    """Raise a :class:`UsageError` (one line) when matplotlib cannot be imported."""
    try:
        import matplotlib  # noqa: F401
    except ImportError as exc:
        raise UsageError(f"the compare figure needs matplotlib ({exc}): pip install matplotlib") from None


def _scene_capture(path: Path) -> tuple[dict[str, Any], Source]:
    data, lines = read_config(path)
    capture = data.get("capture") if isinstance(data, Mapping) else None
    if not isinstance(capture, Mapping) or not isinstance(capture.get("scene"), Mapping):
        raise ConfigError(f"{path}: a scene file needs a 'capture' section with a 'scene' (a rig file's will do)")
    return dict(capture), Source(str(path), lines)


def read_compared_rig(path: Path, scene: Path | None = None, overrides: Sequence[str] = ()) -> RigFile:
    """The rig file at ``path``, its ``capture`` section's keys replaced by those of the ``scene`` file's (its
    scene, and its exposure and seed where it gives them), then the ``--set`` ``overrides``."""
    data, lines = read_config(path)
    if not isinstance(data, Mapping):
        raise ConfigError(f"{path}: a rig file must be a mapping with 'rig' and 'capture' sections")
    source = Source(str(path), lines)
    if scene is not None:
        capture, scene_source = _scene_capture(scene)
        own = data.get("capture")
        data = {**data, "capture": {**(own if isinstance(own, Mapping) else {}), **capture}}
        source = _ComparedSource(str(path), lines, capture_from=scene_source)
    return rig_file_from_dict(data, overrides, source)


def crop_fraction(widths: Sequence[int]) -> float:
    """The fraction of the field width every rig's crop covers: :data:`CROP_PX` pixels of the narrowest
    output, unless the widest one's crop would exceed :data:`CROP_MAX_PX`, and at most a third of the field
    (so the centre and corner crops do not overlap)."""
    return min(CROP_PX / min(widths), CROP_MAX_PX / max(widths), 1 / 3)


def _specs(rig: Rig, raw_meta: Any, result_meta: Any, seed: int | None) -> tuple[str, ...]:
    lens, sensor, scene = rig.parts["lens"], rig.parts["sensor"], rig.parts["scene"]
    optics = []
    if result_meta.focal_length_mm is not None:
        optics.append(f"{result_meta.focal_length_mm:.4g} mm")
    if result_meta.f_number is not None:
        optics.append(f"f/{result_meta.f_number:g}")
    rows, cols = rig.caps[rig.raw_role].shape[:2]
    grid = f"{cols} x {rows} px ({rows * cols / 1e6:.1f} MP)"
    if raw_meta.pitch is not None:
        grid += f", {raw_meta.pitch:g} um"
    if raw_meta.bit_depth is not None:
        grid += f", {raw_meta.bit_depth}-bit"
    exposure = raw_meta.exposure_s if raw_meta.exposure_s is not None else rig.file.capture.exposure_s
    return (
        f"lens {lens.name}: {' '.join(optics) or '-'}",
        f"sensor {sensor.name}: {grid}",
        f"exposure {exposure * 1e3:.4g} ms, seed {seed}; scene {scene.name}",
    )


def capture_panel(rig: Rig, fraction: float, *, seed: int | None = None, overview_px: int = OVERVIEW_PX) -> Panel:
    """Capture ``rig`` once and keep what the figure shows of its output (the frames are let go on return):
    the overview, and crops of ``fraction`` of the field width from the centre and the top-left corner."""
    shot = rig.capture(seed=seed)
    frame = shot.result
    used_seed = frame.meta.extra.get("seed", seed if seed is not None else rig.file.capture.seed)
    specs = _specs(rig, shot.raw.meta, frame.meta, used_seed)
    del shot  # the raw frame can go now; the result goes when this returns
    overview, mapping, factor = thumbnail(frame, overview_px)
    rows, cols = frame.data.shape[:2]
    width = max(1, round(fraction * cols))
    height = max(1, min(width, rows // 3 or 1))
    crops = []
    for label, (r, c) in (("centre", ((rows - height) // 2, (cols - width) // 2)), ("top-left corner", (0, 0))):
        window = frame.data[r : r + height, c : c + width]
        pixels = mapping.to_uint8(linear_rgb(window, frame.meta, 1))  # a copy: the frame is not kept
        crops.append(Crop(label, pixels, (r, c)))
    return Panel(rig.name, specs, (rows, cols), overview, factor, tuple(crops), mapping.description)


@dataclass(frozen=True)
class _Box:
    """A rectangle of the figure in pixels, from its top-left corner (rows grow downwards)."""

    top: int
    left: int
    height: int
    width: int


def _layout(panels: Sequence[Panel], note_lines: int) -> tuple[int, int, list[tuple[_Box, _Box, list[_Box]]]]:
    """The figure's (width, height) in pixels and, per panel, the boxes of its header, overview and crops."""
    header_h = (_TITLE_LINES + max(len(p.specs) for p in panels)) * _LINE + _LINE // 2
    overview_h = max(p.overview.shape[0] for p in panels)
    crop_h = max(c.pixels.shape[0] for p in panels for c in p.crops)
    top = _MARGIN + (2 + note_lines) * _LINE  # the figure's title and the note on crops
    boxes = []
    left = _MARGIN
    for p in panels:
        crops_w = sum(max(c.pixels.shape[1], _LABEL_PX) for c in p.crops) + _GAP * (len(p.crops) - 1)
        width = max(p.overview.shape[1], crops_w, 420)
        header = _Box(top, left, header_h, width)
        ov = _Box(top + header_h, left, p.overview.shape[0], p.overview.shape[1])
        crop_top = top + header_h + overview_h + _GAP + _LINE  # a label line above the crops
        crop_boxes, x = [], left
        for c in p.crops:  # each crop in a slot wide enough for its label
            crop_boxes.append(_Box(crop_top, x, c.pixels.shape[0], c.pixels.shape[1]))
            x += max(c.pixels.shape[1], _LABEL_PX) + _GAP
        boxes.append((header, ov, crop_boxes))
        left += width + 2 * _GAP
    width = left - 2 * _GAP + _MARGIN
    height = top + header_h + overview_h + _GAP + _LINE + crop_h + _LINE * 3 + _MARGIN
    return width, height, boxes


def figure_png(panels: Sequence[Panel], *, title: str, metadata: Mapping[str, str] | None = None) -> bytes:
    """The comparison figure as PNG bytes: per panel its name and specs, the overview with the crop windows
    outlined, and the crops at 100 % (``figimage``: one array pixel per figure pixel)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    fraction = panels[0].crops[0].pixels.shape[1] / panels[0].shape[1]
    note = (
        f"Crops: the same {100 * fraction:.3g} % of each field's width, at 100 % (one output pixel per figure pixel, "
        "nearest neighbour, no resampling), so an output with fewer pixels shows a smaller crop. Overviews: the "
        "mean of k x k pixel blocks (1/k), crop windows outlined in red."
    )
    width, height, boxes = _layout(panels, 2)
    note_lines = textwrap.wrap(note, width=max(60, (width - 2 * _MARGIN) // 7))
    width, height, boxes = _layout(panels, len(note_lines))
    dpi = 100
    fig = Figure(figsize=(width / dpi, height / dpi), dpi=dpi, facecolor="white")
    FigureCanvasAgg(fig)

    def text(x: float, y: float, s: str, **kw: Any) -> None:  # x, y in pixels from the top left
        kw.setdefault("fontsize", 9)
        fig.text(x / width, 1 - y / height, s, va="top", ha="left", family="DejaVu Sans", **kw)

    text(_MARGIN, _MARGIN, title, fontsize=12, weight="bold")
    for i, line in enumerate(note_lines):
        text(_MARGIN, _MARGIN + (i + 1) * _LINE + 4, line, color="#333")
    placed = []
    for p, (header, ov, crop_boxes) in zip(panels, boxes):
        text(header.left, header.top, p.name, fontsize=11, weight="bold")
        text(header.left, header.top + _LINE + 2, f"output {p.shape[1]} x {p.shape[0]} px; overview 1/{p.factor}")
        for i, line in enumerate(p.specs):
            text(header.left, header.top + (_TITLE_LINES + i) * _LINE + 2, line)
        fig.figimage(p.overview, xo=ov.left, yo=height - ov.top - ov.height, origin="upper")
        for crop, box in zip(p.crops, crop_boxes):
            fig.figimage(crop.pixels, xo=box.left, yo=height - box.top - box.height, origin="upper")
            text(box.left, box.top - _LINE, f"{crop.label} (row {crop.origin[0]}, col {crop.origin[1]})")
            r, c = crop.origin  # the crop's window on the overview
            h, w = crop.pixels.shape[0] / p.factor, crop.pixels.shape[1] / p.factor
            x0, y0 = ov.left + c / p.factor, ov.top + r / p.factor
            fig.add_artist(
                Rectangle(
                    (x0 / width, 1 - (y0 + h) / height),
                    max(w, 2) / width,
                    max(h, 2) / height,
                    transform=fig.transFigure,
                    fill=False,
                    edgecolor="#ff3030",
                    linewidth=1,
                )
            )
            placed.append(
                {
                    "rig": p.name,
                    "crop": crop.label,
                    "frame_origin": list(crop.origin),
                    "size": list(crop.pixels.shape[:2]),
                    "figure_origin": [box.top, box.left],
                }
            )
        bottom = max(b.top + b.height for b in crop_boxes) + 4
        for i, line in enumerate(textwrap.wrap("display: " + p.mapping, width=max(40, header.width // 6))[:3]):
            text(header.left, bottom + i * (_LINE - 4), line, color="#555", fontsize=8)
    buffer = io.BytesIO()
    info = {"Software": f"camrig {__version__}", "camrig.crops": json.dumps(placed), **(metadata or {})}
    fig.savefig(buffer, format="png", dpi=dpi, metadata=info)
    return buffer.getvalue()


def write_figure(
    panels: Sequence[Panel], path: Path, *, title: str, metadata: Mapping[str, str] | None = None, force: bool = False
) -> Path:
    """Write the comparison figure to ``path`` (PNG) atomically (:func:`camrig.output.write_atomically`)."""
    data = figure_png(panels, title=title, metadata=metadata)
    return write_atomically(path, lambda tmp: tmp.write_bytes(data), force=force)


def fraction_for(rigs: Sequence[Rig]) -> float:
    """:func:`crop_fraction` for the output widths the rigs negotiated (known before any capture)."""
    return crop_fraction([rig.caps[rig.chain[-1].role].shape[1] for rig in rigs])
