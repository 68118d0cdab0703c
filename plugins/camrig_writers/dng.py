"""DNG 1.4 writer for raw CFA mosaics, through tifffile (no hand-packed TIFF structures).

Tags follow the Adobe DNG Specification 1.4.0.0 (section 4): DNGVersion, UniqueCameraModel, Make, Model,
CFARepeatPatternDim, CFAPattern, BlackLevel, WhiteLevel, ColorMatrix1 with CalibrationIlluminant1,
AsShotNeutral, NoiseProfile, and the exposure settings (ExposureTime, FNumber, FocalLength). The colour matrix
maps CIE XYZ to camera RGB; it, the as-shot neutral and the noise profile come from the frame
(``FrameMeta.camera_from_xyz``, ``as_shot_neutral``, ``noise_profile``: the sensor's model)
when an upstream accessory provides them, else identity, (1, 1, 1) and no NoiseProfile tag.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np

import camrig

from . import DngSpec

CFA_CODES = {"R": 0, "G": 1, "B": 2}
BYTE, ASCII, SHORT, LONG, RATIONAL, SRATIONAL, DOUBLE = 1, 2, 3, 4, 5, 10, 12


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
        if caps.format is camrig.Format.RGB_LINEAR and len(caps.shape) == 3 and caps.shape[2] == 3 and caps.dtype == "float32":
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
        make, model = str(meta.extra.get("make", "camrig")), str(meta.extra.get("model", "virtual module"))
        matrix = np.asarray(meta.camera_from_xyz if meta.camera_from_xyz is not None else np.eye(3), dtype=np.float64).reshape(9)
        neutral = [float(v) for v in (meta.as_shot_neutral or (1.0, 1.0, 1.0))]
        tags: list[tuple[int, int, int, object, bool]] = [
            (50706, BYTE, 4, (1, 4, 0, 0), True),  # DNGVersion
            (50707, BYTE, 4, (1, 1, 0, 0), True),  # DNGBackwardVersion
            (271, ASCII, 0, make, True),  # Make
            (272, ASCII, 0, model, True),  # Model
            (50708, ASCII, 0, f"{make} {model}", True),  # UniqueCameraModel
            (50714, RATIONAL, 1, _rational(meta.black_level or 0.0), True),  # BlackLevel
            (50721, SRATIONAL, 9, _rationals(list(matrix), signed=True), True),  # ColorMatrix1
            (50778, SHORT, 1, self.spec.calibration_illuminant, True),  # CalibrationIlluminant1
            (50728, RATIONAL, 3, _rationals(neutral), True),  # AsShotNeutral
        ]
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
        if meta.exposure_s:
            tags.append((33434, RATIONAL, 1, _rational(meta.exposure_s), True))  # ExposureTime
        if meta.f_number:
            tags.append((33437, RATIONAL, 1, _rational(meta.f_number), True))  # FNumber
        if meta.focal_length_mm:
            tags.append((37386, RATIONAL, 1, _rational(meta.focal_length_mm), True))  # FocalLength
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
                extratags=tags,
                metadata=None,
                tile=tile,
                rowsperstrip=None if tile else 64,
            )
