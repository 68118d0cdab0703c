"""What Jupyter shows (``_repr_html_``): a rig's fit report, a frame's or capture's thumbnail with its metadata."""

from __future__ import annotations

import base64
import io
import re
import tracemalloc

import numpy as np
import pytest
from PIL import Image

from camrig import Format, Frame, FrameMeta, load_rig

SMALL = "examples/rigs/small_module.toml"
TINY = {
    "rig": {
        "name": "tiny",
        "lens": {"type": "optics.ideal", "focal_length_mm": 35, "f_number": 2.8, "psf": "none"},
        "sensor": {"type": "sensors.cmos", "width_px": 64, "height_px": 48, "pixel_pitch_um": 200.0},
        "stages": [{"type": "isp.black_level"}, {"type": "isp.demosaic"}, {"type": "isp.gamma"}],
    },
    "capture": {"scene": {"type": "scenes.chart"}, "exposure_s": 1e-6},
}


def png_in(page: str) -> np.ndarray:
    """The one base64 PNG in ``page``, decoded by Pillow, as (rows, cols, 3) uint8."""
    (data,) = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    image = Image.open(io.BytesIO(base64.b64decode(data)))
    assert image.format == "PNG"
    return np.asarray(image.convert("RGB"))


def srgb(v: np.ndarray) -> np.ndarray:
    """IEC 61966-2-1 sRGB encoding of linear values in [0, 1]."""
    v = np.asarray(v, dtype=np.float64)
    return np.where(v <= 0.0031308, 12.92 * v, 1.055 * v ** (1 / 2.4) - 0.055)


def test_rig_shows_parts_rules_verdicts_and_escapes_its_name():
    rig = load_rig(TINY, overrides=["rig.name=<script>alert(1)</script>", "rig.lens.mount=EF"], strict=False)
    page = rig._repr_html_()
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "does not fit" in page
    for rule, _ in rig.host.rules:  # every fit rule with its verdict
        assert f"<td>{rule.id}</td>" in page
    assert re.search(r"<td>mount\.chain</td><td[^>]*>error</td>", page)
    assert re.search(r"<td>link\.bandwidth</td><td[^>]*>passes</td>", page)
    assert "add an adapter with front &#x27;EF&#x27; and rear &#x27;MFT&#x27;" in page  # camrig check's report
    assert "optics.ideal (optics)" in page


def test_frame_thumbnail_is_bounded_and_its_mean_is_the_box_mean():
    rng = np.random.default_rng(1)
    data = rng.random((600, 900, 3), dtype=np.float32)
    data[:300] *= 0.5  # some structure to see
    frame = Frame(data, FrameMeta(format=Format.RGB_DISPLAY, units="1 <b>", exposure_s=0.01))
    page = frame._repr_html_()
    thumb = png_in(page)
    factor = -(-900 // 256)  # the smallest whole box that brings 900 px to 256 or fewer
    assert thumb.shape == (600 // factor, 900 // factor, 3) and max(thumb.shape) <= 256
    boxed = data[: 600 // factor * factor, : 900 // factor * factor].reshape(600 // factor, factor, -1, factor, 3)
    expected = np.round(boxed.mean(axis=(1, 3), dtype=np.float64) * 255)
    assert np.abs(thumb.astype(float) - expected).max() <= 1
    assert thumb.mean() == pytest.approx(expected.mean(), abs=0.01)
    for text in ("rgb_display", "600 x 900 x 3", "float32", "0.01 s", "1 &lt;b&gt;"):
        assert text in page
    assert "<b>Frame</b>" in page and "1 <b>" not in page


def test_raw_mosaic_shows_its_cfa_sites_as_camera_rgb():
    mosaic = np.empty((100, 160), np.uint16)
    mosaic[0::2, 0::2], mosaic[0::2, 1::2], mosaic[1::2, 0::2], mosaic[1::2, 1::2] = 1000, 500, 500, 250
    meta = FrameMeta(format=Format.RAW, units="DN", cfa="RGGB", bit_depth=12, black_level=64, white_level=4095)
    thumb = png_in(Frame(mosaic, meta)._repr_html_())
    # black subtracted (936, 436, 186 DN), scaled so the brightest (the 99.5th percentile, R) is 1, sRGB-encoded
    expected = np.round(srgb(np.array([936, 436, 186]) / 936) * 255)
    assert thumb.shape == (50, 80, 3)  # a colour per 2 x 2 CFA block: the smallest box
    assert (thumb == expected).all()


def test_radiance_bands_show_as_b_g_r_in_wavelength_order():
    cube = np.zeros((40, 60, 3), np.float32)
    cube[:, :, 0] = 2.0  # 450 nm only: blue
    meta = FrameMeta(format=Format.RADIANCE, units="W/(m^2 sr)", bands_nm=(450.0, 550.0, 650.0))
    page = Frame(cube, meta)._repr_html_()
    thumb = png_in(page)
    assert (thumb == [0, 0, 255]).all()
    assert "450, 550, 650 nm" in page and "W/(m^2 sr)" in page
    many = np.ones((20, 30, 31), np.float32)  # 31 bands: averaged into B, G, R, equal here: white
    thumb = png_in(Frame(many, meta.updated(bands_nm=tuple(400.0 + 10 * i for i in range(31))))._repr_html_())
    assert (thumb == 255).all()


def test_capture_result_shows_the_result_and_the_raw_caps():
    shot = load_rig(TINY).capture(seed=2)
    page = shot._repr_html_()
    thumb = png_in(page)
    assert thumb.shape == (48, 64, 3)  # small enough to show whole
    expected = np.round(np.clip(np.asarray(shot.result.data, dtype=np.float64), 0, 1) * 255)
    assert (thumb == expected).all()
    assert shot.raw.caps().describe() in page and "rgb_display" in page and "stages[2] (isp.gamma)" in page


def test_thumbnail_never_holds_a_full_size_copy():
    data = np.ones((2000, 3000, 3), np.float32)  # 72 MB
    frame = Frame(data, FrameMeta(format=Format.RGB_LINEAR, units="1"))
    tracemalloc.start()
    try:
        frame._repr_html_()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < data.nbytes / 2  # a float64 strip at a time, not a converted copy of the frame
