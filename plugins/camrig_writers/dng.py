"""DNG 1.4 writer for raw CFA mosaics, through tifffile (no hand-packed TIFF structures).

Tags follow the Adobe DNG Specification 1.4.0.0 (section 4): DNGVersion, UniqueCameraModel, Make, Model,
CFARepeatPatternDim, CFAPattern, BlackLevel, WhiteLevel, ColorMatrix1 with CalibrationIlluminant1,
AsShotNeutral, NoiseProfile, and the exposure settings (ExposureTime, FNumber, FocalLength). The colour matrix
maps CIE XYZ to camera RGB; it, the as-shot neutral and the noise profile come from the frame
(``extra['camera_from_xyz']``, ``extra['as_shot_neutral']``, ``extra['noise_profile']``: the sensor's model)
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
    def accepts(self, caps: camrig.Caps) -> str | None:
        if caps.format is camrig.Format.RAW and len(caps.shape) == 2 and caps.dtype in ("uint8", "uint16"):
            return None
        return "DNG takes an integer raw mosaic (rows x cols, 8 or 16 bit)"

    def tags(self, frame: camrig.Frame) -> list[tuple[int, int, int, object, bool]]:
        meta = frame.meta
        if meta.cfa is None or len(meta.cfa) != 4:
            raise ValueError(f"DNG needs a 2x2 Bayer CFA, the frame has {meta.cfa!r}")
        make, model = str(meta.extra.get("make", "camrig")), str(meta.extra.get("model", "virtual module"))
        matrix = np.asarray(meta.extra.get("camera_from_xyz", np.eye(3)), dtype=np.float64).reshape(9)
        neutral = [float(v) for v in meta.extra.get("as_shot_neutral", (1.0, 1.0, 1.0))]
        tags: list[tuple[int, int, int, object, bool]] = [
            (50706, BYTE, 4, (1, 4, 0, 0), True),  # DNGVersion
            (50707, BYTE, 4, (1, 1, 0, 0), True),  # DNGBackwardVersion
            (271, ASCII, 0, make, True),  # Make
            (272, ASCII, 0, model, True),  # Model
            (50708, ASCII, 0, f"{make} {model}", True),  # UniqueCameraModel
            (33421, SHORT, 2, (2, 2), True),  # CFARepeatPatternDim
            (33422, BYTE, 4, tuple(CFA_CODES[c] for c in meta.cfa), True),  # CFAPattern
            (50710, BYTE, 3, (0, 1, 2), True),  # CFAPlaneColor
            (50711, SHORT, 1, 1, True),  # CFALayout: rectangular
            (50713, SHORT, 2, (1, 1), True),  # BlackLevelRepeatDim
            (50714, RATIONAL, 1, _rational(meta.black_level or 0.0), True),  # BlackLevel
            (50717, LONG, 1, int(meta.white_level or 2 ** (8 * frame.data.dtype.itemsize) - 1), True),  # WhiteLevel
            (50721, SRATIONAL, 9, _rationals(list(matrix), signed=True), True),  # ColorMatrix1
            (50778, SHORT, 1, self.spec.calibration_illuminant, True),  # CalibrationIlluminant1
            (50728, RATIONAL, 3, _rationals(neutral), True),  # AsShotNeutral
        ]
        profile = meta.extra.get("noise_profile")
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
        rows, cols = data.shape
        tile: tuple[int, int] | None = None
        if self.spec.layout == "tile":  # TIFF tiles are multiples of 16; no larger than the image (LibRaw)
            if rows < 16 or cols < 16:
                raise ValueError(f"a tiled DNG needs at least 16 x 16 pixels, the frame has {rows} x {cols}")
            tile = (min(256, rows // 16 * 16), min(256, cols // 16 * 16))
        with tifffile.TiffWriter(path, bigtiff=False) as tif:
            tif.write(
                data,
                photometric=32803,  # CFA
                subfiletype=0,
                bitspersample=data.dtype.itemsize * 8,
                compression=None,
                software="camrig",
                extratags=self.tags(frame),
                metadata=None,
                tile=tile,
                rowsperstrip=None if tile else 64,
            )
