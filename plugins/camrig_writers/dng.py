"""DNG 1.4 writer for raw CFA mosaics, through tifffile (no hand-packed TIFF structures).

Tags follow the Adobe DNG Specification 1.4.0.0 (section 4): DNGVersion, UniqueCameraModel, Make, Model,
CFARepeatPatternDim, CFAPattern, BlackLevel, WhiteLevel, ColorMatrix1 with CalibrationIlluminant1 and
ForwardMatrix1, AsShotNeutral, NoiseProfile, and the exposure settings (ExposureTime, FNumber, FocalLength). The
colour matrices are the one camrig's colour correction applies (:func:`colour_matrices`), from the frame's
``xyz_d65_from_camera`` or ``camera_from_xyz`` and ``as_shot_neutral`` (the sensor's model); the noise profile is
``noise_profile``. Without them: identity, (1, 1, 1) and no NoiseProfile tag.

The lens's corrections go in as opcodes (DNG 1.3+, chapter 7; ``DngSpec.lens_opcodes``): a GainMap in
OpcodeList2 from ``relative_illumination`` and a WarpRectilinear in OpcodeList3 from ``distortion``
(:func:`lens_opcodes`).
"""

from __future__ import annotations

import math
import struct
from datetime import datetime
from fractions import Fraction
from pathlib import Path

import numpy as np

import camrig

from . import DngSpec, ascii_name

CFA_CODES = {"R": 0, "G": 1, "B": 2}
BYTE, ASCII, SHORT, LONG, RATIONAL, UNDEFINED, SRATIONAL, DOUBLE = 1, 2, 3, 4, 5, 7, 10, 12
D65_WHITE_XYZ = np.array([0.95047, 1.0, 1.08883])
"""CIE XYZ of D65, Y = 1 (CIE 015:2018)."""
D50_WHITE_XYZ = np.array([0.9642, 1.0, 0.8249])
"""CIE XYZ of D50, Y = 1: the DNG profile connection space's white (Adobe DNG Specification 1.4, chapter 6; ICC.1)."""
BRADFORD = np.array([[0.8951, 0.2664, -0.1614], [-0.7502, 1.7135, 0.0367], [0.0389, -0.0685, 1.0296]])
"""The Bradford cone-response matrix (K. M. Lam, 1985; ICC.1:2010 Annex E), the DNG SDK's adaptation."""


def _bradford(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Von Kries adaptation in Bradford cone space from white ``source`` to white ``target`` (XYZ)."""
    return np.linalg.inv(BRADFORD) @ np.diag((BRADFORD @ target) / (BRADFORD @ source)) @ BRADFORD  # type: ignore[no-any-return]


SRGB_FROM_XYZ = np.array([[3.2406, -1.5372, -0.4986], [-0.9689, 1.8758, 0.0415], [0.0557, -0.2040, 1.0570]])
"""Linear sRGB from CIE XYZ (D65 white), IEC 61966-2-1:1999 clause 5.2: the matrix isp.colour_correction uses."""


def applied_matrix(meta: camrig.FrameMeta) -> np.ndarray | None:
    """The 3x3 matrix ``isp.colour_correction`` applies to this frame's camera RGB after as-shot white balance
    (camrig_isp.colour; rows sum to 1, so the balanced white stays white): SRGB_FROM_XYZ @ X @ diag(w), with
    X = ``xyz_d65_from_camera`` and w the as-shot neutral, or X = inverse(``camera_from_xyz``) and w its D65
    white. None without a colour matrix."""
    if meta.xyz_d65_from_camera is not None and meta.as_shot_neutral is not None:
        m = (
            SRGB_FROM_XYZ
            @ np.asarray(meta.xyz_d65_from_camera, np.float64)
            @ np.diag(np.asarray(meta.as_shot_neutral, np.float64))
        )
    elif meta.camera_from_xyz is not None:
        c = np.asarray(meta.camera_from_xyz, np.float64)
        m = SRGB_FROM_XYZ @ np.linalg.inv(c) @ np.diag(c @ D65_WHITE_XYZ)
    else:
        return None
    return m / m.sum(axis=1, keepdims=True)  # type: ignore[no-any-return]


def colour_matrices(meta: camrig.FrameMeta) -> tuple[np.ndarray, np.ndarray | None]:
    """(ColorMatrix1, ForwardMatrix1) for CalibrationIlluminant1 = D65, built from the matrix camrig applies
    (:func:`applied_matrix`, M) so a converter renders the file as camrig does.

    With Q = inverse(SRGB_FROM_XYZ) @ M, white-balanced camera RGB to CIE XYZ adapted to D65 (Q maps (1, 1, 1)
    to sRGB's white), and n the as-shot neutral (Adobe DNG Specification 1.4, chapter 6):

    - ColorMatrix1 = diag(n) @ inverse(Q): XYZ adapted to D65 to camera RGB as shot. It takes D65 to the as-shot
      neutral, so a converter finds the shot's white at D65 and adapts nothing further; LibRaw and dcraw, which
      balance in camera space and then apply inverse(ColorMatrix @ XYZ_from_sRGB) with rows normalised,
      reproduce M. (A second, D65-only matrix would send them back to the shortcut 'white balance, then the
      D65 matrix' under any other light: LibRaw picks the D65 one of two.)
    - ForwardMatrix1 = Bradford(D65 -> D50) @ Q, scaled so (1, 1, 1) reaches D50 with Y = 1: white-balanced
      camera RGB to the profile connection space, for converters that follow the forward-matrix path.

    Identity and no forward matrix when the frame carries no colour matrix.
    """
    m = applied_matrix(meta)
    if m is None:
        return np.eye(3), None
    q = np.linalg.inv(SRGB_FROM_XYZ) @ m
    neutral = np.asarray(meta.as_shot_neutral or (1.0, 1.0, 1.0), np.float64)
    cm = np.diag(neutral) @ np.linalg.inv(q)
    cm = cm / (cm @ (q @ np.ones(3))).max()  # D65 reaches 1 in the largest camera channel
    fm = _bradford(q @ np.ones(3), D50_WHITE_XYZ) @ q
    return cm, fm / (fm @ np.ones(3))[1]


def _exif_time(iso: str | None) -> tuple[str, str, str] | None:
    """(DateTimeOriginal 'YYYY:MM:DD HH:MM:SS', SubSecTimeOriginal, OffsetTimeOriginal) of an ISO 8601 time
    (EXIF 2.32, tags 36867, 37521, 36881)."""
    if not iso:
        return None
    t = datetime.fromisoformat(iso)
    offset = t.strftime("%z") or "+0000"
    return t.strftime("%Y:%m:%d %H:%M:%S"), f"{t.microsecond // 1000:03d}", f"{offset[:3]}:{offset[3:]}"


def _lens_names(frame: camrig.Frame, spec: DngSpec) -> tuple[str, str] | None:
    """(LensMake, LensModel): the writer's settings, else the lens in the frame's history with its focal length
    and f-number ('optics.ideal 35 mm f/1.4'), made by the lens's plugin."""
    lens = next((r.accessory for r in frame.meta.history if r.role == "lens"), None)
    if lens is None and spec.lens_model is None:
        return None
    meta = frame.meta
    detail = " ".join(
        x
        for x in (
            f"{meta.focal_length_mm:g} mm" if meta.focal_length_mm else "",
            f"f/{meta.f_number:g}" if meta.f_number else "",
        )
        if x
    )
    model = spec.lens_model or " ".join(x for x in (lens, detail) if x)
    make = spec.lens_make or str(meta.extra.get("make", "camrig"))
    return ascii_name(make) or "camrig", ascii_name(model) or "lens"


OPCODE_LIST2, OPCODE_LIST3 = 51009, 51022
"""OpcodeList2 (applied to the raw after linearisation) and OpcodeList3 (after demosaicing), DNG 1.3+."""
GAIN_MAP, WARP_RECTILINEAR = 9, 1
"""Opcode IDs (Adobe DNG Specification 1.4, chapter 7)."""
OPCODE_VERSION = 0x01030000
"""The DNG version each opcode needs: 1.3.0.0."""
OPCODE_OPTIONAL = 1
"""Opcode flag bit 0: a reader that does not know the opcode may skip it (the file stays readable)."""
GAIN_MAP_TOLERANCE = 1e-3
"""Largest relative error of the GainMap's bilinear interpolation against 1 / relative illumination."""


def _opcode(opcode_id: int, params: bytes) -> bytes:
    """One opcode: ID, DNG version, flags, parameter byte count, parameters (big-endian, as the lists always are)."""
    return struct.pack(">IIII", opcode_id, OPCODE_VERSION, OPCODE_OPTIONAL, len(params)) + params


def _bilinear(gains: np.ndarray, v: np.ndarray, h: np.ndarray) -> np.ndarray:
    """A gain map (points_v x points_h, spanning [0, 1] x [0, 1]) at relative positions ``v`` (rows) x ``h``
    (columns), interpolated bilinearly."""
    fv, fh = v * (gains.shape[0] - 1), h * (gains.shape[1] - 1)
    iv = np.clip(np.floor(fv).astype(int), 0, gains.shape[0] - 2)
    ih = np.clip(np.floor(fh).astype(int), 0, gains.shape[1] - 2)
    tv, th = (fv - iv)[:, None], (fh - ih)[None, :]
    top = gains[iv][:, ih] * (1 - th) + gains[iv][:, ih + 1] * th
    bottom = gains[iv + 1][:, ih] * (1 - th) + gains[iv + 1][:, ih + 1] * th
    return top * (1 - tv) + bottom * tv  # type: ignore[no-any-return]


def gain_map(meta: camrig.FrameMeta, rows: int, cols: int, planes: int) -> bytes | None:
    """The GainMap opcode (ID 9) that undoes the lens's fall-off: gain 1 / relative illumination (the frame's
    ``relative_illumination``, interpolated in radius from the optical axis at the image's centre, pixel pitch
    ``meta.pitch``) on a grid spanning the image (map points at relative positions 0 .. 1; the DNG SDK puts pixel
    (r, c) at ((r + 0.5) / rows, (c + 0.5) / cols)), one map for every plane and CFA colour (camrig's fall-off is
    the same in every colour). The grid doubles from 9 points along the long side until bilinear interpolation
    is within ``GAIN_MAP_TOLERANCE`` of the exact gain at every pixel (checked on at most ~250k of them), up to
    1025 and at most a point per pixel (a smooth fall-off needs 17 to 65; the sharp edge of an image circle inside
    the frame, a few pixels wide, needs about a point per pixel). None without a fall-off or a pitch, or where the
    lens reports no light."""
    profile, pitch = meta.relative_illumination, meta.pitch
    if profile is None or pitch is None or min(profile.factor) <= 0:
        return None
    radius, factor, p = np.asarray(profile.radius_mm), np.asarray(profile.factor), pitch * 1e-3

    def gain(v: np.ndarray, h: np.ndarray) -> np.ndarray:
        y, x = (v - 0.5) * rows * p, (h - 0.5) * cols * p
        return 1.0 / np.interp(np.hypot(y[:, None], x[None, :]), radius, factor)  # type: ignore[no-any-return]

    step = max(1, math.ceil(math.sqrt(rows * cols / 250_000)))
    pv = (np.unique(np.r_[np.arange(0, rows, step), rows - 1]) + 0.5) / rows
    ph = (np.unique(np.r_[np.arange(0, cols, step), cols - 1]) + 0.5) / cols
    exact = gain(pv, ph)
    for n in (9, 17, 33, 65, 129, 257, 513, 1025):
        n = min(n, max(rows, cols))  # at most a point per pixel
        points_v = max(2, math.ceil((n - 1) * rows / max(rows, cols)) + 1)
        points_h = max(2, math.ceil((n - 1) * cols / max(rows, cols)) + 1)
        gains = gain(np.linspace(0, 1, points_v), np.linspace(0, 1, points_h))
        if n == max(rows, cols) or np.max(np.abs(_bilinear(gains, pv, ph) / exact - 1)) <= GAIN_MAP_TOLERANCE:
            break
    params = struct.pack(">10I", 0, 0, rows, cols, 0, planes, 1, 1, points_v, points_h)
    params += struct.pack(">4d", 1 / (points_v - 1), 1 / (points_h - 1), 0.0, 0.0) + struct.pack(">I", 1)
    return _opcode(GAIN_MAP, params + gains.astype(">f4").tobytes())


def warp_rectilinear(meta: camrig.FrameMeta, rows: int, cols: int) -> bytes | None:
    """The WarpRectilinear opcode (ID 1) of the frame's ``distortion`` (:class:`camrig.LensWarp`): for each
    corrected (ideal) pixel, where the lens put it. In the DNG SDK's frame (pixel (r, c) at (r, c), the image
    spanning [0, cols] x [0, rows], the centre at (cx cols, cy rows), r normalised by the largest distance m from
    the centre to a corner), the optical axis at pixel ((cols - 1) / 2, (rows - 1) / 2) gives
    cx = (cols - 1) / (2 cols), and the lens's polynomial in radius ``norm_radius_mm`` rescales exactly:
    kr_i = k_i s^(2i), kt0 = p1 s, kt1 = p2 s with s = m x pitch / norm_radius_mm. None without a distortion or a
    pitch."""
    warp, pitch = meta.distortion, meta.pitch
    if warp is None or pitch is None:
        return None
    cx, cy = (cols - 1) / (2 * cols), (rows - 1) / (2 * rows)
    m = math.hypot(max(cx, 1 - cx) * cols, max(cy, 1 - cy) * rows)
    s = m * pitch * 1e-3 / warp.norm_radius_mm
    params = struct.pack(">I", len(warp.planes))
    for k0, k1, k2, k3, p1, p2 in warp.planes:
        params += struct.pack(">6d", k0, k1 * s**2, k2 * s**4, k3 * s**6, p1 * s, p2 * s)
    return _opcode(WARP_RECTILINEAR, params + struct.pack(">2d", cx, cy))


def lens_opcodes(frame: camrig.Frame) -> dict[int, bytes]:
    """{tag: opcode list} of the lens's corrections (count, then the opcodes): OpcodeList2 with the GainMap
    unless ``isp.lens_shading`` already corrected the fall-off, OpcodeList3 with the WarpRectilinear."""
    meta, (rows, cols) = frame.meta, frame.data.shape[:2]
    shaded = any(record.accessory == "isp.lens_shading" for record in meta.history)
    lists = {
        OPCODE_LIST2: None if shaded else gain_map(meta, rows, cols, 3 if frame.data.ndim == 3 else 1),
        OPCODE_LIST3: warp_rectilinear(meta, rows, cols),
    }
    return {tag: struct.pack(">I", 1) + op for tag, op in lists.items() if op is not None}


DNG_SHOT_TAGS = {50735, 50736, 50730}
"""CameraSerialNumber, LensInfo, BaselineExposure: the shot's DNG tags, in IFD 0; the rest go to the ExifIFD."""
EXIF_IFD = 34665
"""ExifIFD pointer tag (TIFF/EP, EXIF 2.32): the EXIF tags live in their own IFD, where dcraw and LibRaw read them."""
EXIF_PLACEHOLDER = 34664
"""An unassigned tag next to ExifIFD: IFD entries are sorted by tag, and none lies between the two."""
_FORMATS = {BYTE: "B", ASCII: "s", SHORT: "H", LONG: "I", RATIONAL: "I", SRATIONAL: "i"}


def _ifd_bytes(entries: list[tuple[int, int, int, object]], start: int, byteorder: str) -> bytes:
    """A TIFF 6.0 IFD (section 2) placed at file offset ``start``: entry count, 12-byte entries sorted by tag
    (values of up to 4 bytes inline, left-justified; longer ones after the IFD at word-aligned offsets), and a
    zero next-IFD offset."""
    entries = sorted(entries, key=lambda e: e[0])
    head = 2 + 12 * len(entries) + 4
    table, data = bytearray(struct.pack(byteorder + "H", len(entries))), bytearray()
    for tag, kind, count, value in entries:
        if kind == ASCII:
            raw = str(value).encode("ascii") + b"\0"
            count = len(raw)
        else:
            values = value if isinstance(value, (tuple, list)) else (value,)
            raw = struct.pack(byteorder + _FORMATS[kind] * len(values), *values)
        if len(raw) <= 4:
            field = raw.ljust(4, b"\0")
        else:
            field = struct.pack(byteorder + "I", start + head + len(data))
            data += raw + (b"\0" if len(raw) % 2 else b"")
        table += struct.pack(byteorder + "HHI", tag, kind, count) + field
    return bytes(table + struct.pack(byteorder + "I", 0) + data)


def _append_exif_ifd(path: Path, entries: list[tuple[int, int, int, object]]) -> None:
    """Append an ExifIFD holding ``entries`` to the TIFF at ``path`` and turn IFD 0's placeholder entry (tag
    ``EXIF_PLACEHOLDER``, which tifffile writes where it would not write 34665) into the ExifIFD pointer."""
    import tifffile

    with tifffile.TiffFile(path) as tif:
        pointer_at, byteorder = tif.pages[0].tags[EXIF_PLACEHOLDER].valueoffset, tif.byteorder
    with open(path, "r+b") as f:
        start = f.seek(0, 2)
        if start % 2:
            f.write(b"\0")
            start += 1
        f.write(_ifd_bytes(entries, start, byteorder))
        f.seek(pointer_at - 8)  # the entry: tag, type, count, value
        f.write(struct.pack(byteorder + "HHII", EXIF_IFD, LONG, 1, start))


def _rational(value: float, signed: bool = False) -> tuple[int, int]:
    f = Fraction(value).limit_denominator(1_000_000)
    return (f.numerator, f.denominator) if signed or f >= 0 else (0, 1)


def _rationals(values: list[float], signed: bool = False) -> tuple[int, ...]:
    return tuple(x for v in values for x in _rational(v, signed))


class DngWriter(camrig.Writer[DngSpec]):
    """Three kinds of DNG, by what the frame holds:

    - an integer raw mosaic (8 or 16 bit): a CFA DNG with the sensor's black and white levels;
    - a float32 raw mosaic normalised to [0, 1] (after ``isp.black_level``; e.g. a 20-bit HDR merge): a
      floating-point CFA DNG (DNG 1.4: SampleFormat 3; no WhiteLevel tag, so white is 1.0);
    - float32 linear camera RGB (after ``isp.demosaic``, before white balance and colour correction): a
      floating-point LinearRaw DNG, the "linear DNG" HDR merges are exchanged in.
    """

    def accepts(self, caps: camrig.Caps) -> str | None:
        if caps.format is camrig.Format.RAW and len(caps.shape) == 2 and caps.dtype in ("uint8", "uint16", "float32"):
            return None
        if (
            caps.format is camrig.Format.RGB_LINEAR
            and len(caps.shape) == 3
            and caps.shape[2] == 3
            and caps.dtype == "float32"
        ):
            return None
        return "DNG takes a raw mosaic (8 or 16 bit integer, or float32 in [0, 1]) or float32 linear camera RGB"

    def tags(self, frame: camrig.Frame) -> list[tuple[int, int, int, object, bool]]:
        meta = frame.meta
        linear = frame.data.ndim == 3
        floating = frame.data.dtype.kind == "f"
        if linear and (meta.white_balance_gains is not None or meta.srgb_from_camera is not None):
            raise ValueError(
                "a linear DNG holds camera RGB with its colour matrix: write it before isp.white_balance and "
                "isp.colour_correction"
            )
        if not linear and (meta.cfa is None or len(meta.cfa) != 4):
            raise ValueError(f"DNG needs a 2x2 Bayer CFA, the frame has {meta.cfa!r}")
        if floating and (meta.black_level not in (0, 0.0) or meta.white_level not in (1, 1.0)):
            raise ValueError(
                f"float DNG data must be normalised to [0, 1] (put isp.black_level first); the frame has black "
                f"{meta.black_level}, white {meta.white_level}"
            )
        names = str(meta.extra.get("make", "camrig")), str(meta.extra.get("model", "virtual module"))
        make, model = (ascii_name(n) for n in names)
        if not make or not model:
            raise ValueError(
                f"make {names[0]!r} and model {names[1]!r} need an ASCII form for the DNG's Make and Model tags"
            )
        matrix, forward = colour_matrices(meta)
        neutral = [float(v) for v in (meta.as_shot_neutral or (1.0, 1.0, 1.0))]
        tags: list[tuple[int, int, int, object, bool]] = [
            (50706, BYTE, 4, (1, 4, 0, 0), True),  # DNGVersion
            (50707, BYTE, 4, (1, 1, 0, 0), True),  # DNGBackwardVersion
            (271, ASCII, 0, make, True),  # Make
            (272, ASCII, 0, model, True),  # Model
            (50708, ASCII, 0, f"{make} {model}", True),  # UniqueCameraModel
            (50714, RATIONAL, 1, _rational(meta.black_level or 0.0), True),  # BlackLevel
            (50721, SRATIONAL, 9, _rationals(list(matrix.reshape(9)), signed=True), True),  # ColorMatrix1
            (50778, SHORT, 1, self.spec.calibration_illuminant, True),  # CalibrationIlluminant1
            (50728, RATIONAL, 3, _rationals(neutral), True),  # AsShotNeutral
        ]
        if forward is not None:
            tags.append(
                (50964, SRATIONAL, 9, _rationals(list(forward.reshape(9)), signed=True), True)
            )  # ForwardMatrix1
        if not linear:
            tags += [
                (33421, SHORT, 2, (2, 2), True),  # CFARepeatPatternDim
                (33422, BYTE, 4, tuple(CFA_CODES[c] for c in meta.cfa or ""), True),  # CFAPattern
                (50710, BYTE, 3, (0, 1, 2), True),  # CFAPlaneColor
                (50711, SHORT, 1, 1, True),  # CFALayout: rectangular
                (50713, SHORT, 2, (1, 1), True),  # BlackLevelRepeatDim
            ]
        if not floating:  # float data is normalised: white is 1.0 by default (DNG 1.4)
            tags.append((50717, LONG, 1, int(meta.white_level or 2 ** (8 * frame.data.dtype.itemsize) - 1), True))
        profile = meta.noise_profile
        if profile is not None:  # NoiseProfile (DNG 1.3+): variance = S x + O, x in [0, 1]; one pair for all planes
            slope, offset = (float(v) for v in profile)
            if slope < 0 or offset < 0:
                raise ValueError(f"noise profile (S, O) must be non-negative, got {profile}")
            tags.append((51041, DOUBLE, 2, (slope, offset), True))
        if f"{names[0]} {names[1]}" != f"{make} {model}":  # the names as given, UTF-8 (DNG 1.4: LocalizedCameraModel)
            localized = f"{names[0]} {names[1]}".encode() + b"\0"
            tags.append((50709, BYTE, len(localized), localized, True))
        tags += self._shot_tags(frame)
        if self.spec.lens_opcodes:
            tags += [(tag, UNDEFINED, len(data), data, True) for tag, data in lens_opcodes(frame).items()]
        if self.exif_entries(frame):
            tags.append((EXIF_PLACEHOLDER, LONG, 1, 0, True))  # becomes the ExifIFD pointer once the image is written
        return tags

    def _shot_tags(self, frame: camrig.Frame) -> list[tuple[int, int, int, object, bool]]:
        """DNG tags of the shot (IFD 0): serial, lens info, baseline exposure, from what the sensor and lens
        recorded (FrameMeta.extra: ``serial``, ``baseline_exposure_ev``; the lens from the frame's history)."""
        return [t for t in self._shot_entries(frame) if t[0] in DNG_SHOT_TAGS]

    def exif_entries(self, frame: camrig.Frame) -> list[tuple[int, int, int, object]]:
        """EXIF 2.32 tags of the shot, for the ExifIFD (where EXIF readers and exiftool's validation want them):
        exposure time, f-number, focal length, ISO, capture time, body serial, lens make and model."""
        meta = frame.meta
        entries = [t[:4] for t in self._shot_entries(frame) if t[0] not in DNG_SHOT_TAGS]
        if meta.exposure_s:
            entries.append((33434, RATIONAL, 1, _rational(meta.exposure_s)))  # ExposureTime
        if meta.f_number:
            entries.append((33437, RATIONAL, 1, _rational(meta.f_number)))  # FNumber
        if meta.focal_length_mm:
            entries.append((37386, RATIONAL, 1, _rational(meta.focal_length_mm)))  # FocalLength
        return entries

    def _shot_entries(self, frame: camrig.Frame) -> list[tuple[int, int, int, object, bool]]:
        """ISO, capture time, serial, lens and baseline exposure (FrameMeta.extra: ``iso``, ``capture_time``,
        ``serial``, ``baseline_exposure_ev``; the lens from the frame's history and the writer's settings)."""
        extra = frame.meta.extra
        tags: list[tuple[int, int, int, object, bool]] = []
        iso = extra.get("iso")
        if isinstance(iso, (int, float)) and iso > 0:
            tags += [
                (34855, SHORT, 1, min(65535, max(1, round(iso))), True),  # ISOSpeedRatings (PhotographicSensitivity)
                (34864, SHORT, 1, 3, True),  # SensitivityType: ISO speed
                (34867, LONG, 1, max(1, round(iso)), True),  # ISOSpeed
            ]
        when = _exif_time(extra.get("capture_time"))
        if when is not None:
            tags += [
                (36867, ASCII, 0, when[0], True),  # DateTimeOriginal
                (37521, ASCII, 0, when[1], True),  # SubSecTimeOriginal
                (36881, ASCII, 0, when[2], True),  # OffsetTimeOriginal
            ]
        serial = extra.get("serial")
        if serial is not None and ascii_name(str(serial)):
            tags += [
                (50735, ASCII, 0, ascii_name(str(serial)), True),  # CameraSerialNumber (DNG)
                (42033, ASCII, 0, ascii_name(str(serial)), True),  # BodySerialNumber (EXIF)
            ]
        lens = _lens_names(frame, self.spec)
        if lens is not None:
            tags += [(42035, ASCII, 0, lens[0], True), (42036, ASCII, 0, lens[1], True)]  # LensMake, LensModel
            focal, f_number = frame.meta.focal_length_mm, frame.meta.f_number
            if focal and f_number:  # LensInfo: shortest and longest focal length, their smallest f-numbers (a prime)
                tags.append((50736, RATIONAL, 4, _rationals([focal, focal, f_number, f_number]), True))
        baseline = extra.get("baseline_exposure_ev")
        if isinstance(baseline, (int, float)) and math.isfinite(baseline):
            tags.append((50730, SRATIONAL, 1, _rational(baseline, signed=True), True))  # BaselineExposure
        return tags

    def write(self, frame: camrig.Frame, path: Path) -> None:
        import tifffile

        data = np.ascontiguousarray(frame.data)
        rows, cols = data.shape[:2]
        if data.dtype.kind == "f" and not np.all(np.isfinite(data)):
            raise ValueError("the frame holds NaN or infinite values: a DNG reader cannot render them")
        tags = self.tags(frame)  # checks the frame before a byte is written
        tile: tuple[int, int] | None = None
        if self.spec.layout == "tile":  # TIFF tiles are multiples of 16; no larger than the image (LibRaw)
            if rows < 16 or cols < 16:
                raise ValueError(f"a tiled DNG needs at least 16 x 16 pixels, the frame has {rows} x {cols}")
            tile = (min(256, rows // 16 * 16), min(256, cols // 16 * 16))
        with tifffile.TiffWriter(path, bigtiff=False) as tif:
            tif.write(
                data,
                photometric=34892 if data.ndim == 3 else 32803,  # LinearRaw or CFA
                planarconfig="contig" if data.ndim == 3 else None,
                subfiletype=0,
                bitspersample=data.dtype.itemsize * 8,
                compression=None,
                software="camrig",
                datetime=_exif_time(frame.meta.extra.get("capture_time"))[0]
                if frame.meta.extra.get("capture_time")
                else None,  # DateTime
                extratags=tags,
                metadata=None,
                tile=tile,
                rowsperstrip=None if tile else 64,
            )
        exif = self.exif_entries(frame)
        if exif:
            _append_exif_ifd(path, exif)
