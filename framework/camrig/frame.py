"""Frames, formats and caps: what flows between accessories and what each one promises to produce.

A :class:`Frame` is an array plus validated metadata. Its array is always a read-only view: an accessory
returns a *new* frame and never edits its input, and the host never copies frame data (it only wraps arrays
in read-only views, which share memory).

:class:`Caps` (after GStreamer's capabilities) is what an accessory declares it will produce for a given
input: format, dtype, shape and wavelength bands. The rig negotiates caps along the whole chain before any
frame flows; the router then checks every real output against its declared caps.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from enum import StrEnum
from types import MappingProxyType
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["Format", "Caps", "FrameMeta", "Frame", "StageRecord", "count_nonfinite"]


class Format(StrEnum):
    """The formats a frame can be in, in the order the chain produces them."""

    RADIANCE = "radiance"
    """Scene spectral radiance per band over an angular grid, W/(m^2 sr)."""
    IRRADIANCE = "irradiance"
    """Focal-plane irradiance per band on the sensor's pixel grid, W/m^2."""
    RAW = "raw"
    """Sensor output: a colour-filter mosaic in digital numbers (DN), or normalised after black level."""
    RGB_LINEAR = "rgb_linear"
    """Demosaicked, scene-linear RGB."""
    RGB_DISPLAY = "rgb_display"
    """Display-referred RGB in [0, 1] after a tone curve."""


class Caps(BaseModel):
    """What a frame will look like: declared by an accessory, checked by the router."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Format = Field(description="Format of the frame.")
    dtype: str = Field(description="numpy dtype name of the array, e.g. 'float32' or 'uint16'.")
    shape: tuple[int, ...] = Field(description="Array shape: (rows, columns) or (rows, columns, bands).")
    bands_nm: tuple[float, ...] = Field(
        default=(), description="Centre wavelength of each band in nm (empty when the frame has no bands)."
    )
    cfa: str | None = Field(
        default=None,
        description="Raw frames: the colour filter array pattern, e.g. 'RGGB', or 'mono' for a sensor without "
        "one; None for other formats (a sensor must state it: see camrig.contract).",
    )
    bit_depth: int | None = Field(
        default=None, ge=1, le=32, description="Raw frames: ADC bits per sample; None for other formats."
    )

    def describe(self) -> str:
        shape = "x".join(str(n) for n in self.shape)
        text = f"{self.format.value} {self.dtype} {shape}"
        if self.cfa is not None:
            text += f" {self.cfa}"
        if self.bit_depth is not None:
            text += f" {self.bit_depth}-bit"
        return text


class StageRecord(BaseModel):
    """One entry of a frame's history: which accessory produced it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    role: str = Field(description="Position in the rig, e.g. 'lens' or 'stages[1]'.")
    accessory: str = Field(description="Qualified accessory name, e.g. 'optics.ideal'.")


Matrix3 = tuple[tuple[float, float, float], tuple[float, float, float], tuple[float, float, float]]


class RadialProfile(BaseModel):
    """A radially symmetric quantity on the focal plane, sampled from the optical axis outwards."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    radius_mm: tuple[float, ...] = Field(min_length=2, description="Radii from the optical axis, increasing, mm.")
    factor: tuple[float, ...] = Field(description="The quantity at each radius (relative illumination: 1 on the axis).")

    @model_validator(mode="after")
    def _shape(self) -> RadialProfile:
        if len(self.factor) != len(self.radius_mm):
            raise ValueError(f"{len(self.radius_mm)} radii but {len(self.factor)} factors")
        if any(b <= a for a, b in zip(self.radius_mm, self.radius_mm[1:])):
            raise ValueError("radius_mm must increase")
        return self


class LensWarp(BaseModel):
    """Where the lens puts light relative to a pinhole image (geometric distortion, and lateral colour per colour
    plane), as the polynomial of the DNG WarpRectilinear opcode (Adobe DNG Specification 1.4, opcode 1), on the
    focal plane around the optical axis. An ideal position (x, y) mm (y grows downwards), with
    (u, v) = (x, y) / ``norm_radius_mm`` and r^2 = u^2 + v^2, lands at (u', v') x ``norm_radius_mm``:
    u' = u (k0 + k1 r^2 + k2 r^4 + k3 r^6) + 2 p1 u v + p2 (r^2 + 2 u^2),
    v' = v (k0 + k1 r^2 + k2 r^4 + k3 r^6) + p1 (r^2 + 2 v^2) + 2 p2 u v."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    norm_radius_mm: float = Field(gt=0, description="Focal-plane radius at which u^2 + v^2 = 1, mm.")
    planes: tuple[tuple[float, float, float, float, float, float], ...] = Field(
        min_length=1,
        max_length=3,
        description="(k0, k1, k2, k3, p1, p2): one set for every colour, or three for the camera's R, G, B planes "
        "(lateral colour).",
    )
    max_error_um: float = Field(
        default=0.0,
        ge=0,
        description="Largest distance on the sensor between this polynomial and the lens's own "
        "model, um (0: the lens's model is this polynomial).",
    )

    @model_validator(mode="after")
    def _planes(self) -> LensWarp:
        if len(self.planes) == 2:
            raise ValueError("a lens warp has one coefficient set or three (R, G, B), not two")
        return self


class FrameMeta(BaseModel):
    """Metadata carried with a frame (DESIGN.md, 'Frame').

    Times are *modelled* time (what the simulated camera would take), in nanoseconds; measured compute time
    never goes here (the router reports it separately), so the two clocks are never mixed.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Format = Field(description="Format of the array.")
    units: str = Field(description="Physical units of the array values, e.g. 'W/(m^2 sr)', 'W/m^2', 'DN', '1'.")
    bands_nm: tuple[float, ...] = Field(default=(), description="Centre wavelength of each band, nm.")
    pitch: float | None = Field(
        default=None,
        description="Sampling pitch: um on the focal plane for irradiance/raw/rgb frames; for radiance "
        "frames the tangent-of-angle step between samples (dimensionless).",
    )
    cfa: str | None = Field(default=None, description="Colour filter array pattern of a raw mosaic, e.g. 'RGGB'.")
    bit_depth: int | None = Field(default=None, ge=1, le=32, description="ADC bits per raw sample.")
    black_level: float | None = Field(default=None, description="Black level of a raw frame, DN.")
    white_level: float | None = Field(default=None, description="White (saturation) level of a raw frame, DN.")
    exposure_s: float | None = Field(default=None, ge=0, description="Exposure time, s.")
    f_number: float | None = Field(default=None, gt=0, description="Lens f-number the frame was taken at.")
    focal_length_mm: float | None = Field(default=None, gt=0, description="Lens focal length, mm.")
    modelled_ns: dict[str, int] = Field(
        default_factory=dict,
        description="Modelled time spent in each step (e.g. 'exposure', 'readout', 'link'), ns.",
    )
    history: tuple[StageRecord, ...] = Field(default=(), description="Accessories this frame passed, in order.")
    # What the parts know about light and colour, for the stages and writers downstream (a typed contract,
    # so a third-party sensor's colour reaches our ISP and DNG writer; see docs/isp.md).
    white_radiance: tuple[float, ...] | None = Field(
        default=None,
        description="Band radiance of a perfect white diffuser under the scene's light, W/(m^2 sr) per band (scenes).",
    )
    illuminant: str | None = Field(default=None, description="Name of the scene's light, e.g. 'D65' (scenes).")
    relative_illumination: RadialProfile | None = Field(
        default=None,
        description="The lens's relative illumination (cos^4 fall-off, vignetting) against image-plane radius "
        "(lenses).",
    )
    distortion: LensWarp | None = Field(
        default=None,
        description="The lens's geometric distortion and lateral colour, ideal to real focal-plane position (lenses; "
        "the DNG writer's WarpRectilinear).",
    )
    camera_from_xyz: Matrix3 | None = Field(
        default=None,
        description="Colour matrix: CIE XYZ (D65 white, Y = 1) to camera RGB under D65, the DNG ColorMatrix1 "
        "(sensors).",
    )
    as_shot_neutral: tuple[float, float, float] | None = Field(
        default=None,
        description="Camera RGB of a perfect white under the scene's light, largest 1: the DNG AsShotNeutral "
        "(sensors).",
    )
    noise_profile: tuple[float, float] | None = Field(
        default=None,
        description="(S, O): temporal noise variance S x + O of a raw value x normalised to [0, 1], the DNG "
        "NoiseProfile (sensors).",
    )
    xyz_d65_from_camera: Matrix3 | None = Field(
        default=None,
        description="Camera RGB as shot to CIE XYZ adapted to D65 (Bradford), fitted under the scene's own light "
        "(sensors); "
        "colour correction prefers it to camera_from_xyz.",
    )
    white_balance_gains: tuple[float, float, float] | None = Field(
        default=None, description="R, G, B gains a white balance stage applied."
    )
    srgb_from_camera: Matrix3 | None = Field(
        default=None,
        description="The matrix a colour correction stage applied (white-balanced camera RGB to linear sRGB).",
    )
    extra: dict[str, Any] = Field(
        default_factory=dict, description="Free-form metadata an accessory wants to pass downstream."
    )

    def updated(self, **changes: Any) -> FrameMeta:
        """A copy with ``changes``, validated like a new one (a wrong type or shape fails here, naming the field)."""
        return type(self).model_validate({**self.__dict__, **changes})


def _readonly_view(array: np.ndarray) -> np.ndarray:
    """A read-only view of ``array`` sharing its memory (never a copy)."""
    view = array.view()
    view.flags.writeable = False
    return view


class Frame:
    """An array plus :class:`FrameMeta`, and optional named auxiliary planes.

    The array is stored as a read-only view of whatever the producer handed over, so no consumer can edit
    another accessory's output. ``planes`` carries per-pixel data that travels with the image on the same grid
    (e.g. ``"depth_m"``, the subject distance a scene saw along each direction); planes are read-only views
    too. Build derived frames with :meth:`derive`, which keeps the planes unless told otherwise.
    """

    __slots__ = ("data", "meta", "planes")

    def __init__(self, data: np.ndarray, meta: FrameMeta, planes: Mapping[str, np.ndarray] | None = None) -> None:
        if not isinstance(data, np.ndarray):
            raise TypeError(f"frame data must be a numpy array, got {type(data).__name__}")
        self.data: np.ndarray = _readonly_view(data)
        self.meta: FrameMeta = meta
        self.planes: Mapping[str, np.ndarray] = MappingProxyType(
            {name: _readonly_view(np.asarray(plane)) for name, plane in (planes or {}).items()}
        )

    def derive(
        self, data: np.ndarray | None = None, *, planes: Mapping[str, np.ndarray] | None = None, **meta: Any
    ) -> Frame:
        """A new frame with ``data`` (default: this frame's, shared), ``planes`` (default: this frame's) and
        metadata fields replaced."""
        return Frame(
            self.data if data is None else data,
            self.meta.updated(**meta),
            self.planes if planes is None else planes,
        )

    def caps(self) -> Caps:
        """The caps this frame actually has (a raw frame's with its CFA, 'mono' for none, and bit depth)."""
        meta = self.meta
        raw = meta.format is Format.RAW
        return Caps(
            format=meta.format,
            dtype=self.data.dtype.name,
            shape=self.data.shape,
            bands_nm=meta.bands_nm,
            cfa=(meta.cfa or "mono") if raw else None,
            bit_depth=meta.bit_depth if raw else None,
        )

    def __repr__(self) -> str:
        extra = f", planes={sorted(self.planes)}" if self.planes else ""
        return f"Frame({self.caps().describe()}, units={self.meta.units!r}{extra})"

    def _repr_html_(self) -> str:
        """Jupyter's view: a box-filtered thumbnail (at most 256 px) beside the metadata (:mod:`camrig.display`)."""
        from .display import frame_html

        return frame_html(self)


def count_nonfinite(array: np.ndarray, threads: int = 1) -> int:
    """Number of non-finite values (NaN, +-inf) in ``array``; 0 for integer arrays.

    The common case (all finite) costs one sum and allocates nothing of the array's size: NaN and inf propagate
    through a sum, so a finite sum proves every value finite. A non-finite sum may also be an overflow of large
    finite values, so only then do we count exactly. A large real array whose rows are contiguous (a whole
    array, or a window of a larger one) is summed by a compiled pass in ``threads`` parts at once.
    """
    if array.dtype.kind not in "fc":
        return 0
    compiled = array.dtype in (np.float32, np.float64) and array.size >= PARALLEL_CHECK_SIZE
    blocks = _sum_blocks(array, threads) if compiled else None
    if blocks is not None:
        from ._sum import quick_sum  # compiled: loaded only once a large frame is checked

        sums = [0.0] * len(blocks)

        def block(i: int) -> None:
            sums[i] = float(quick_sum(blocks[i]))

        if len(blocks) == 1:
            block(0)
        else:
            with ThreadPoolExecutor(len(blocks)) as pool:
                list(pool.map(block, range(len(blocks))))
        finite = all(math.isfinite(v) for v in sums)
    else:
        with np.errstate(over="ignore", invalid="ignore"):
            finite = math.isfinite(abs(array.sum()))  # abs: a complex sum's modulus is finite only if both parts are
    return 0 if finite else int(array.size - np.count_nonzero(np.isfinite(array)))


def _sum_blocks(array: np.ndarray, threads: int) -> list[np.ndarray] | None:
    """``array`` as up to ``threads`` 2-D views with contiguous rows (row blocks of a frame or of a window of a
    larger array; segments of a 1-D array), or None when its rows are not contiguous."""
    parts = max(1, threads)
    if array.ndim >= 2 and array[0].flags.c_contiguous and array.strides[0] >= array[0].nbytes:
        rows = array.reshape(array.shape[0], -1)  # a view: each row is contiguous
        edges = [len(rows) * i // parts for i in range(parts + 1)]
        return [rows[a:b] for a, b in zip(edges, edges[1:]) if b > a]
    if array.ndim == 1 and array.flags.c_contiguous:
        edges = [array.size * i // parts for i in range(parts + 1)]
        return [array[a:b].reshape(1, -1) for a, b in zip(edges, edges[1:]) if b > a]
    return None


PARALLEL_CHECK_SIZE = 1 << 20
"""Values per thread below which :func:`count_nonfinite` sums in one thread (starting threads costs more)."""
