"""The frame contract of each kind: what a part must produce, checked at the part that produced it.

:class:`~camrig.Caps` say what one accessory promises for one rig; the contract below is what *every*
accessory of a kind promises, so that the next part (often another plugin's) can rely on it. The router checks
each frame against it right after the part that made it, so a broken frame is blamed on its maker, not on
the stage downstream that trips over it; the rig checks declared caps against it at assembly, so the mistake
shows in ``camrig check``.

=========  ==============================================================================================
kind       returns
=========  ==============================================================================================
scene      ``radiance``, float, (rows, cols, bands) on the view's grid, ``bands_nm`` one per band,
           units ``W/(m^2 sr)``
lens       ``irradiance``, float, (rows, cols, bands) on the sensor's grid, units ``W/m^2``, ``pitch`` (um)
sensor     ``raw``, unsigned integer, (rows, cols), units ``DN``, no bands; ``cfa`` (None: no colour filter
           array), ``bit_depth`` within the dtype, ``black_level`` < ``white_level`` <= 2**bit_depth - 1,
           ``exposure_s``; its caps state ``cfa`` (``'mono'`` for none) and ``bit_depth``
link       a raw frame like the sensor's, its metadata kept
stage      any format; a ``raw`` frame keeps ``black_level`` < ``white_level`` (``0`` and ``1`` once
           normalised); ``rgb_linear`` and ``rgb_display`` are float (rows, cols, 3)
=========  ==============================================================================================

``docs/plugin-authors.md`` has the full table, with what each kind receives.
"""

from __future__ import annotations

import numpy as np

from .accessory import Kind
from .frame import Caps, Format, Frame, count_nonfinite

__all__ = ["KIND_FORMATS", "MONO", "frame_problems", "caps_problems", "caps_mismatch"]

MONO = "mono"
"""The ``Caps.cfa`` of a raw mosaic without a colour filter array (its ``FrameMeta.cfa`` is None)."""

KIND_FORMATS: dict[Kind, tuple[Format, ...]] = {
    Kind.SCENE: (Format.RADIANCE,),
    Kind.LENS: (Format.IRRADIANCE,),
    Kind.SENSOR: (Format.RAW,),
    Kind.LINK: (Format.RAW,),
    Kind.STAGE: tuple(Format),
}
"""The formats a part of each kind may produce."""

UNITS = {Kind.SCENE: "W/(m^2 sr)", Kind.LENS: "W/m^2", Kind.SENSOR: "DN"}


def _spectral(kind: Kind, fmt: Format, dtype: np.dtype, shape: tuple[int, ...], bands: tuple[float, ...]) -> list[str]:
    found = []
    if dtype.kind != "f":
        found.append(f"a {kind.value} returns float {fmt.value}, not {dtype}")
    if len(shape) != 3 or not bands or shape[2] != len(bands):
        found.append(
            f"a {kind.value} returns (rows, cols, bands) with one bands_nm entry per band, not shape {shape} with "
            f"bands {bands}"
        )
    return found


def caps_problems(kind: Kind, caps: Caps) -> list[str]:
    """Where ``caps``, declared by a part of ``kind``, break the kind's contract (empty when they keep it)."""
    formats = KIND_FORMATS.get(kind)
    if formats is None:
        return []
    if caps.format not in formats:
        return [f"a {kind.value} produces {' or '.join(f.value for f in formats)}, not {caps.format.value}"]
    dtype = np.dtype(caps.dtype)
    if kind in (Kind.SCENE, Kind.LENS):
        return _spectral(kind, caps.format, dtype, caps.shape, caps.bands_nm)
    found = []
    if caps.format is Format.RAW:
        if kind is Kind.SENSOR and dtype.kind != "u":
            found.append(f"a sensor returns an unsigned integer mosaic in DN, not {caps.dtype}")
        if len(caps.shape) != 2:
            found.append(f"a raw frame is one plane (rows, cols), not shape {caps.shape}")
        if kind is Kind.SENSOR and caps.cfa is None:
            found.append(
                f"a sensor's caps state its colour filter array: cfa='RGGB' (or another pattern), '{MONO}' for none"
            )
        if kind is Kind.SENSOR and caps.bit_depth is None:
            found.append("a sensor's caps state the bits per sample: bit_depth=12 (say)")
        if caps.bit_depth is not None and dtype.kind in "ui" and caps.bit_depth > dtype.itemsize * 8:
            found.append(f"bit_depth {caps.bit_depth} does not fit in {caps.dtype}")
    elif caps.format in (Format.RGB_LINEAR, Format.RGB_DISPLAY):
        if len(caps.shape) != 3 or caps.shape[2] != 3:
            found.append(f"{caps.format.value} is (rows, cols, 3), not shape {caps.shape}")
    return found


def frame_problems(kind: Kind, frame: Frame) -> list[str]:
    """Where ``frame``, produced by a part of ``kind``, breaks the kind's contract (empty when it keeps it).

    Only metadata, dtype and shape are read (never the pixels), so the check costs nothing per frame.
    """
    meta, data = frame.meta, frame.data
    formats = KIND_FORMATS.get(kind)
    if formats is None:
        return []
    if meta.format not in formats:
        return [f"a {kind.value} returns {' or '.join(f.value for f in formats)}, not {meta.format.value}"]
    found: list[str] = []
    units = UNITS.get(kind)
    if units is not None and meta.units != units:
        found.append(f"a {kind.value}'s frame is in units '{units}', not '{meta.units}'")
    if kind in (Kind.SCENE, Kind.LENS):
        found += _spectral(kind, meta.format, data.dtype, data.shape, meta.bands_nm)
        if kind is Kind.LENS and meta.pitch is None:
            found.append("a lens sets the pixel pitch of the focal plane (FrameMeta.pitch, um)")
        return found
    if meta.format is Format.RAW:
        found += _raw_problems(kind, frame)
    elif meta.format in (Format.RGB_LINEAR, Format.RGB_DISPLAY):
        if data.dtype.kind != "f" or data.ndim != 3 or data.shape[2] != 3:
            found.append(f"{meta.format.value} is float (rows, cols, 3), not {data.dtype} {data.shape}")
    return found


def _raw_problems(kind: Kind, frame: Frame) -> list[str]:
    meta, data = frame.meta, frame.data
    found: list[str] = []
    if data.ndim != 2:
        found.append(f"a raw frame is one plane (rows, cols), not shape {data.shape}")
    if meta.bands_nm:
        found.append(f"a raw frame has no wavelength bands (bands_nm=()), not {meta.bands_nm}")
    black, white = meta.black_level, meta.white_level
    if black is None or white is None or not white > black:
        found.append(f"a raw frame sets black_level < white_level in its metadata, not {black} and {white}")
    if data.dtype.kind in "ui":  # DN, as a sensor reads them out
        if data.dtype.kind != "u":
            found.append(f"a raw mosaic in DN is unsigned, not {data.dtype}")
        bits = meta.bit_depth
        if bits is None:
            found.append("a raw frame in DN sets bit_depth (ADC bits per sample) in its metadata")
        elif bits > data.dtype.itemsize * 8:
            found.append(f"bit_depth {bits} does not fit in {data.dtype}")
        elif white is not None and white > 2**bits - 1:
            found.append(f"white_level {white} is above the {bits}-bit maximum {2**bits - 1}")
    elif kind in (Kind.SENSOR, Kind.LINK):
        found.append(f"a {kind.value} returns an unsigned integer mosaic in DN, not {data.dtype}")
    if kind is Kind.SENSOR and meta.exposure_s is None:
        found.append("a sensor sets the exposure it used (FrameMeta.exposure_s, from ctx.exposure_s)")
    return found


def caps_mismatch(out: object, declared: Caps, threads: int = 1) -> str | None:
    """How ``out`` breaks the ``declared`` caps (not a frame; format, dtype, shape, bands, CFA, bit depth) or
    holds non-finite values; None when it keeps them. Each message starts with 'returned'."""
    if not isinstance(out, Frame):
        return f"returned {type(out).__name__}, not a camrig.Frame"
    data, meta = out.data, out.meta  # compared field by field: this runs once per step of every capture
    if meta.format != declared.format:
        return f"returned a {meta.format.value} frame but declared {declared.format.value}"
    if data.dtype != declared.dtype:
        return f"returned dtype {data.dtype} but declared {declared.dtype}"
    if data.shape != declared.shape:
        return f"returned shape {data.shape} but declared {declared.shape}"
    if meta.bands_nm != declared.bands_nm:
        return f"returned bands {meta.bands_nm} nm but declared {declared.bands_nm} nm"
    if declared.cfa is not None and (meta.cfa or MONO) != declared.cfa:
        return f"returned CFA {meta.cfa or MONO!r} but declared {declared.cfa!r}"
    if declared.bit_depth is not None and meta.bit_depth != declared.bit_depth:
        return f"returned bit_depth {meta.bit_depth} but declared {declared.bit_depth}"
    bad = count_nonfinite(data, threads)
    if bad:
        return f"returned {bad} non-finite value(s) (NaN or inf) of {data.size}"
    return None
