"""DNG files that LibRaw (through rawpy) opens: pixels bit for bit, and every tag as we wrote it."""

from __future__ import annotations

import numpy as np
import pytest

import camrig

rawpy = pytest.importorskip("rawpy")
tifffile = pytest.importorskip("tifffile")
from camrig_writers import DngSpec  # noqa: E402
from camrig_writers.dng import DngWriter  # noqa: E402

MATRIX = [[0.9, -0.2, -0.1], [-0.4, 1.3, 0.1], [-0.05, 0.2, 0.6]]
SRGB_TO_XYZ = np.array([[0.412453, 0.357580, 0.180423], [0.212671, 0.715160, 0.072169], [0.019334, 0.119193, 0.950227]])
LIBRAW_COLOURS = {"R": 0, "G": 1, "B": 2}  # LibRaw numbers the second green 3


def mosaic_frame(cfa: str) -> camrig.Frame:
    data = np.random.default_rng(len(cfa) + ord(cfa[0])).integers(64, 4095, (96, 128)).astype(np.uint16)
    meta = camrig.FrameMeta(
        format="raw", units="DN", cfa=cfa, black_level=64, white_level=4095, bit_depth=12, exposure_s=0.008,
        f_number=2.8, focal_length_mm=35,
        camera_from_xyz=MATRIX, as_shot_neutral=(0.5, 1.0, 0.7), extra={"make": "camrig", "model": "M43-100"},
    )  # fmt: skip
    return camrig.Frame(data, meta)


@pytest.mark.parametrize("layout", ["strip", "tile"])
@pytest.mark.parametrize("cfa", ["RGGB", "BGGR", "GRBG", "GBRG"])
def test_libraw_reads_what_we_wrote(tmp_path, layout, cfa):
    frame = mosaic_frame(cfa)
    path = tmp_path / f"x_{layout}.dng"
    DngWriter(DngSpec(layout=layout)).write(frame, path)
    with rawpy.imread(str(path)) as raw:
        assert np.array_equal(raw.raw_image, frame.data)
        pattern = [[raw.color_desc.decode()[i] for i in row] for row in raw.raw_pattern]
        assert "".join(c for row in pattern for c in row) == cfa
        assert raw.black_level_per_channel == [64, 64, 64, 64] and raw.white_level == 4095
        assert raw.camera_whitebalance[:3] == pytest.approx([2.0, 1.0, 1 / 0.7], rel=1e-5)  # 1 / AsShotNeutral
        # LibRaw's camera -> sRGB matrix from our ColorMatrix1 (dcraw's cam_xyz_coeff): rows of
        # camera-from-XYZ x XYZ-from-sRGB normalised to 1, then the pseudo-inverse
        cam_rgb = np.array(MATRIX) @ SRGB_TO_XYZ
        cam_rgb /= cam_rgb.sum(axis=1, keepdims=True)
        assert np.abs(raw.color_matrix[:, :3] - np.linalg.pinv(cam_rgb)).max() < 1e-4
    with tifffile.TiffFile(path) as tif:
        tags = tif.pages[0].tags
        assert tags["Make"].value == "camrig" and tags["Model"].value == "M43-100"
        assert tags[50708].value == "camrig M43-100"  # UniqueCameraModel
        exif = tags["ExifTag"].value  # the ExifIFD
        assert exif["ExposureTime"] == (1, 125) and exif["FNumber"] == (14, 5) and exif["FocalLength"] == (35, 1)
        assert tags[50778].value == 21  # CalibrationIlluminant1: D65
        assert (tif.pages[0].is_tiled) == (layout == "tile")


def test_capture_to_dng_from_the_cli_carries_the_rig(tmp_path, capsys):
    from camrig.cli import main

    npy, dng = tmp_path / "raw.npy", tmp_path / "raw.dng"
    small = ["examples/rigs/small_module.toml", "--set", "rig.sensor.width_px=64", "--set", "rig.sensor.height_px=48"]
    assert main(["capture", *small, "--raw", "--out", str(npy)]) == 0
    assert main(["capture", *small, "--raw", "--out", str(dng)]) == 0
    with rawpy.imread(str(dng)) as raw:
        assert np.array_equal(raw.raw_image, np.load(npy))
    with tifffile.TiffFile(dng) as tif:
        assert tif.pages[0].tags[50708].value == "camrig virtual module"  # the rig's make and model


def test_a_mosaic_dng_cannot_describe_is_refused(tmp_path):
    frame = mosaic_frame("RGGB").derive(cfa=None)
    with pytest.raises(ValueError, match="DNG needs a 2x2 Bayer CFA"):
        DngWriter(DngSpec()).write(frame, tmp_path / "x.dng")


def hdr_rig(stages: list[dict]) -> dict:
    return {
        "rig": {
            "name": "hdr",
            "make": "camrig",
            "model": "HDR module",
            "frame_rate_hz": 1,
            "lens": {
                "type": "optics.ideal",
                "focal_length_mm": 35,
                "f_number": 4,
                "psf": "none",
                "image_circle_mm": 60,
            },
            "sensor": {"type": "sensors.m43_100mp_hdr", "width_px": 192, "height_px": 128, "pixel_pitch_um": 40.0},
            "attachment": {"type": "mounts.magnetic"},
            "link": {"type": "links.ideal", "bandwidth_gbit_s": 10, "latency_ns": 1},
            "stages": stages,
        },
        "capture": {"scene": {"type": "scenes.chart", "width_deg": 12}, "exposure_s": 1e-3, "seed": 1},
    }


def test_hdr_merged_raw_goes_to_a_floating_point_cfa_dng(tmp_path):
    """A 20-bit merge does not fit 16 bits: normalised to float32 (exact for 20 bits) it becomes a float CFA DNG.
    tifffile reads the floats back bit for bit; LibRaw opens it and scales 1.0 to its 16383."""
    rig = camrig.assemble(camrig.Host(env={}), camrig.read_rig(hdr_rig([{"type": "isp.black_level"}])))
    shot = rig.capture()
    assert shot.raw.data.dtype == np.uint32 and shot.raw.data.max() > 2**16  # really beyond 16 bits
    path = rig.write(shot.result, tmp_path / "hdr.dng")
    with tifffile.TiffFile(path) as tif:
        page = tif.pages[0]
        assert page.photometric == 32803 and page.sampleformat == 3 and page.bitspersample == 32
        assert 50717 not in page.tags  # no WhiteLevel: float white is 1.0
        assert np.array_equal(page.asarray(), shot.result.data)
    with rawpy.imread(str(path)) as raw:
        assert np.abs(raw.raw_image.astype(float) - shot.result.data * raw.white_level).max() <= 1.0


def test_demosaiced_camera_rgb_goes_to_a_linear_dng(tmp_path):
    stages = [{"type": "isp.black_level"}, {"type": "isp.demosaic"}]
    rig = camrig.assemble(camrig.Host(env={}), camrig.read_rig(hdr_rig(stages)))
    shot = rig.capture()
    path = rig.write(shot.result, tmp_path / "linear.dng")
    with tifffile.TiffFile(path) as tif:
        page = tif.pages[0]
        assert page.photometric == 34892 and page.samplesperpixel == 3 and page.sampleformat == 3
        assert np.array_equal(page.asarray(), shot.result.data)
    with rawpy.imread(str(path)) as raw:
        assert raw.raw_type == rawpy.RawType.Stack  # LibRaw clips the demosaic's small undershoots at 0
        assert np.abs(raw.raw_image.astype(float) - np.clip(shot.result.data, 0, None) * raw.white_level).max() <= 1.0
        assert raw.camera_whitebalance[:3] == pytest.approx(1 / np.array(shot.raw.meta.as_shot_neutral), rel=1e-5)


def test_what_a_dng_cannot_hold_is_refused_before_anything_is_written(tmp_path):
    stages = [{"type": "isp.black_level"}, {"type": "isp.demosaic"}, {"type": "isp.white_balance"}]
    rig = camrig.assemble(camrig.Host(env={}), camrig.read_rig(hdr_rig(stages)))
    shot = rig.capture()
    with pytest.raises(camrig.StageError, match="before isp.white_balance"):
        rig.write(shot.result, tmp_path / "balanced.dng")
    with pytest.raises(camrig.OutputError, match="writer 'writers.dng' cannot write raw uint32"):
        rig.write(shot.raw, tmp_path / "merged.dng")  # 20-bit integers: normalise to float first
    frame = camrig.Frame(
        np.full((16, 16), np.nan, np.float32),
        camrig.FrameMeta(format="raw", units="1", cfa="RGGB", black_level=0, white_level=1),
    )
    with pytest.raises(ValueError, match="NaN"):
        DngWriter(DngSpec()).write(frame, tmp_path / "nan.dng")
    unnormalised = frame.derive(np.ones((16, 16), np.float32), white_level=4095)
    with pytest.raises(ValueError, match="normalised to"):
        DngWriter(DngSpec()).write(unnormalised, tmp_path / "x.dng")
    assert sorted(p.name for p in tmp_path.iterdir()) == []
