"""The lens's corrections in our DNGs as opcodes (Adobe DNG Specification 1.4, chapter 7): a GainMap in
OpcodeList2 and a WarpRectilinear in OpcodeList3, read back with tifffile, parsed here from the specification's
layout and evaluated with its formulas (the DNG SDK's pixel conventions), against camrig's own lens model."""

from __future__ import annotations

import copy
import shutil
import struct
import subprocess
from typing import Any

import numpy as np
import pytest

import camrig
from conftest import SMALL_RIG

tifffile = pytest.importorskip("tifffile")
rawpy = pytest.importorskip("rawpy")

DISTORTION = {"model": "brown_conrady", "k1": -0.08, "k2": 0.01, "p1": 0.002, "p2": -0.001, "norm_radius_mm": 6.4}
TCA = {"model": "linear", "red": [1.002], "blue": [0.998], "norm_radius_mm": 6.4}
VIGNETTING = {"k1": -0.25, "k2": 0.03, "norm_radius_mm": 6.4}  # measured (lensfun pa): 0.68 in the corners
SENSOR = {"width_px": 160, "height_px": 120, "pixel_pitch_um": 80.0}  # 12.8 x 9.6 mm behind a 35 mm lens


def capture(**lens: Any) -> tuple[camrig.Rig, Any]:
    d = copy.deepcopy(SMALL_RIG)
    d["rig"]["lens"].update(lens)
    d["rig"]["sensor"].update(SENSOR)
    d["rig"]["stages"] = [{"type": "isp.black_level"}, {"type": "isp.lens_shading"}]
    rig = camrig.assemble(camrig.Host(env={}), camrig.read_rig(d))
    return rig, rig.capture()


@pytest.fixture(scope="module")
def shot() -> tuple[camrig.Rig, Any]:
    return capture(distortion=DISTORTION, tca=TCA, vignetting=VIGNETTING)


def opcodes(path: Any, tag: int) -> list[tuple[int, tuple[int, int, int, int], int, bytes]]:
    """[(ID, DNG version, flags, parameters)] of an opcode list: count, then per opcode ID, version, flags and
    the parameters' byte count, all big-endian (DNG 1.4, chapter 7)."""
    with tifffile.TiffFile(path) as tif:
        tags = tif.pages[0].tags
        if tag not in tags:
            return []
        data = bytes(tags[tag].value)
    (count,), at, out = struct.unpack_from(">I", data), 4, []
    for _ in range(count):
        ident, version, flags, size = struct.unpack_from(">IIII", data, at)
        out.append((ident, tuple(version.to_bytes(4, "big")), flags, data[at + 16 : at + 16 + size]))
        at += 16 + size
    assert at == len(data)
    return out  # type: ignore[return-value]


def apply_gain_map(params: bytes, rows: int, cols: int) -> tuple[np.ndarray, dict[str, Any]]:
    """The gain the GainMap gives each pixel: map point (i, j) at relative position (origin + i spacing) of the
    area, pixel (r, c) at ((r + 0.5 - top) / height, (c + 0.5 - left) / width), bilinear between map points and
    held at the map's edges."""
    names = ("top", "left", "bottom", "right", "plane", "planes", "row_pitch", "col_pitch", "points_v", "points_h")
    g: dict[str, Any] = dict(zip(names, struct.unpack_from(">10I", params)))
    g["spacing_v"], g["spacing_h"], g["origin_v"], g["origin_h"] = struct.unpack_from(">4d", params, 40)
    (g["map_planes"],) = struct.unpack_from(">I", params, 72)
    n = g["points_v"] * g["points_h"] * g["map_planes"]
    assert len(params) == 76 + 4 * n
    gains = np.frombuffer(params, ">f4", n, 76).astype(np.float64).reshape(g["points_v"], g["points_h"], -1)[..., 0]
    v = (np.arange(rows) + 0.5 - g["top"]) / (g["bottom"] - g["top"])
    h = (np.arange(cols) + 0.5 - g["left"]) / (g["right"] - g["left"])
    iv = np.clip((v - g["origin_v"]) / g["spacing_v"], 0, g["points_v"] - 1)
    ih = np.clip((h - g["origin_h"]) / g["spacing_h"], 0, g["points_h"] - 1)
    out = np.empty((rows, cols))
    for r in range(rows):
        i0 = min(int(iv[r]), g["points_v"] - 2)
        line = gains[i0] * (1 - (iv[r] - i0)) + gains[i0 + 1] * (iv[r] - i0)
        out[r] = np.interp(ih, np.arange(g["points_h"]), line)
    return out, g


def warp_source(params: bytes, rows: int, cols: int, x: np.ndarray, y: np.ndarray) -> list[tuple[Any, Any]]:
    """Per plane, the source (uncorrected) position of destination (corrected) pixel position (x, y): the DNG
    SDK's frame, pixel (r, c) at (c, r), centre (cx cols, cy rows), distances normalised by the largest from the
    centre to a corner of [0, cols] x [0, rows]; r_src = r (kr0 + kr1 r^2 + kr2 r^4 + kr3 r^6) plus the tangential
    terms dx = kt1 (r^2 + 2 x^2) + 2 kt0 x y, dy = kt0 (r^2 + 2 y^2) + 2 kt1 x y."""
    (planes,) = struct.unpack_from(">I", params)
    assert len(params) == 4 + 48 * planes + 16
    cx, cy = struct.unpack_from(">2d", params, 4 + 48 * planes)
    centre_x, centre_y = cx * cols, cy * rows
    m = max(np.hypot(centre_x - a, centre_y - b) for a in (0, cols) for b in (0, rows))
    out = []
    for p in range(planes):
        kr0, kr1, kr2, kr3, kt0, kt1 = struct.unpack_from(">6d", params, 4 + 48 * p)
        dx, dy = (x - centre_x) / m, (y - centre_y) / m
        r2 = dx * dx + dy * dy
        f = kr0 + kr1 * r2 + kr2 * r2**2 + kr3 * r2**3
        sx = dx * f + kt1 * (r2 + 2 * dx * dx) + 2 * kt0 * dx * dy
        sy = dy * f + kt0 * (r2 + 2 * dy * dy) + 2 * kt1 * dx * dy
        out.append((centre_x + m * sx, centre_y + m * sy))
    return out


def camrig_real_px(lens: dict[str, Any], plane: int, col: np.ndarray, row: np.ndarray) -> tuple[Any, Any]:
    """Where camrig's lens puts the light of ideal pixel position (col, row) in colour plane 0/1/2 (R, G, B):
    distortion, then lateral colour (camrig_optics.distortion), in pixels."""
    from camrig_optics.distortion import DistortionSpec, TcaSpec, distort, tca

    p, w, h = SENSOR["pixel_pitch_um"] * 1e-3, SENSOR["width_px"], SENSOR["height_px"]
    x, y = distort(DistortionSpec(**lens["distortion"]), (col - (w - 1) / 2) * p, (row - (h - 1) / 2) * p)
    if "tca" in lens and plane != 1:
        spec = TcaSpec(**lens["tca"])
        x, y = tca(spec, spec.red if plane == 0 else spec.blue, x, y)
    return x / p + (w - 1) / 2, y / p + (h - 1) / 2


def test_gain_map_undoes_the_lenss_own_fall_off_at_every_pixel(tmp_path, shot):
    from camrig_optics import IdealLensSpec
    from camrig_optics.ideal import IdealLens

    rig, result = shot
    path = rig.write(result.raw, tmp_path / "shot.dng")
    ops = opcodes(path, 51009)
    assert [(ident, version, flags) for ident, version, flags, _ in ops] == [(9, (1, 3, 0, 0), 1)]
    rows, cols = result.raw.data.shape
    gain, g = apply_gain_map(ops[0][3], rows, cols)
    assert (g["top"], g["left"], g["bottom"], g["right"], g["plane"], g["planes"]) == (0, 0, rows, cols, 0, 1)
    assert (g["row_pitch"], g["col_pitch"], g["map_planes"]) == (1, 1, 1)
    # the lens's own relative illumination on the sensor's pixels, not the profile the writer read
    lens = IdealLens(IdealLensSpec(**{k: v for k, v in SMALL_RIG["rig"]["lens"].items() if k != "type"},
                                   distortion=DISTORTION, tca=TCA, vignetting=VIGNETTING))  # fmt: skip
    truth = lens.relative_illumination(camrig.FocalPlane(width_px=cols, height_px=rows, pitch_um=80.0))
    assert truth.min() < 0.7
    error = np.abs(gain * truth - 1)
    assert error.max() <= 0.005, f"largest error {error.max():.2e}"
    assert g["points_v"] * g["points_h"] < rows * cols / 4  # a map, not an image


def test_warp_rectilinear_reproduces_the_distortion_and_lateral_colour(tmp_path, shot):
    rig, result = shot
    path = rig.write(result.raw, tmp_path / "shot.dng")
    ops = opcodes(path, 51022)
    assert [(ident, version, flags) for ident, version, flags, _ in ops] == [(1, (1, 3, 0, 0), 1)]
    rows, cols = result.raw.data.shape
    row, col = np.meshgrid(np.linspace(0, rows - 1, 25), np.linspace(0, cols - 1, 33), indexing="ij")
    planes = warp_source(ops[0][3], rows, cols, col, row)
    assert len(planes) == 3  # lateral colour: R, G, B
    lens = {"distortion": DISTORTION, "tca": TCA}
    for plane, (sx, sy) in enumerate(planes):
        tx, ty = camrig_real_px(lens, plane, col, row)
        assert np.max(np.hypot(tx - col, ty - row)) > 2  # there is something to correct
        assert np.max(np.hypot(sx - tx, sy - ty)) < 0.05


def test_a_lens_model_the_polynomial_only_approximates_reports_its_error():
    """ptlens and poly3 lateral colour have odd powers of r: fitted, with the largest error stated, and the DNG
    polynomial within it at every point."""
    from camrig_optics.distortion import DistortionSpec, TcaSpec, warp_polynomial

    lens = {
        "distortion": {"model": "ptlens", "a": 0.004, "b": -0.012, "c": 0.004, "norm_radius_mm": 6.4},
        "tca": {"model": "poly3", "red": [1.0002, 0.0001, 0.0003], "blue": [0.9998, -0.0001, -0.0002],
                "norm_radius_mm": 6.4},
    }  # fmt: skip
    p, w, h = SENSOR["pixel_pitch_um"] * 1e-3, SENSOR["width_px"], SENSOR["height_px"]
    norm, planes, error_um = warp_polynomial(DistortionSpec(**lens["distortion"]), TcaSpec(**lens["tca"]), w * p, h * p)
    assert error_um / SENSOR["pixel_pitch_um"] < 0.05
    row, col = np.meshgrid(np.linspace(0, h - 1, 25), np.linspace(0, w - 1, 33), indexing="ij")
    for plane, k in enumerate(planes):
        u, v = (col - (w - 1) / 2) * p / norm, (row - (h - 1) / 2) * p / norm
        r2 = u * u + v * v
        f = k[0] + k[1] * r2 + k[2] * r2**2 + k[3] * r2**3
        fx = (u * f + 2 * k[4] * u * v + k[5] * (r2 + 2 * u * u)) * norm / p + (w - 1) / 2
        fy = (v * f + k[4] * (r2 + 2 * v * v) + 2 * k[5] * u * v) * norm / p + (h - 1) / 2
        tx, ty = camrig_real_px(lens, plane, col, row)
        assert np.max(np.hypot(fx - tx, fy - ty)) <= error_um / SENSOR["pixel_pitch_um"] + 1e-9


def test_libraw_still_decodes_the_same_raw(tmp_path, shot):
    from camrig_writers import DngSpec
    from camrig_writers.dng import DngWriter

    rig, result = shot
    with_ops = rig.write(result.raw, tmp_path / "with.dng")
    without = tmp_path / "without.dng"
    DngWriter(DngSpec(lens_opcodes=False)).write(result.raw, without)
    assert opcodes(without, 51009) == [] and opcodes(without, 51022) == []
    with rawpy.imread(str(with_ops)) as a, rawpy.imread(str(without)) as b:
        assert np.array_equal(a.raw_image, result.raw.data)
        assert np.array_equal(a.raw_image, b.raw_image)
        assert np.array_equal(a.postprocess(), b.postprocess())  # LibRaw ignores the opcodes


def test_no_gain_map_once_lens_shading_corrected_the_raw(tmp_path, shot):
    from camrig_writers import DngSpec
    from camrig_writers.dng import DngWriter

    _, result = shot
    path = tmp_path / "shaded.dng"
    DngWriter(DngSpec()).write(result.result, path)  # float raw after isp.black_level and isp.lens_shading
    assert opcodes(path, 51009) == []
    assert [op[0] for op in opcodes(path, 51022)] == [1]


def test_a_rectilinear_lens_gets_a_gain_map_only(tmp_path):
    rig, result = capture()
    path = rig.write(result.raw, tmp_path / "plain.dng")
    assert result.raw.meta.distortion is None
    assert [op[0] for op in opcodes(path, 51009)] == [9] and opcodes(path, 51022) == []


@pytest.mark.skipif(shutil.which("exiftool") is None, reason="exiftool is not installed (apt-get install exiftool)")
def test_exiftool_lists_the_opcodes(tmp_path, shot):
    rig, result = shot
    path = rig.write(result.raw, tmp_path / "shot.dng")
    out = subprocess.run(
        ["exiftool", "-s", "-OpcodeList2", "-OpcodeList3", "-validate", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    fields = {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in out.splitlines())}
    assert fields["OpcodeList2"] == "GainMap" and fields["OpcodeList3"] == "WarpRectilinear"
    assert fields["Validate"] == "OK"
