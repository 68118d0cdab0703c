"""Host stages against hand-computed and analytic results."""

from __future__ import annotations

import numpy as np
import pytest

import camrig
from camrig_isp import BlackLevelSpec, WhiteBalanceSpec
from camrig_isp.stages import BlackLevel, WhiteBalance, bilinear_demosaic, srgb_encode, srgb_encode_lut


def ctx(threads: int = 1) -> camrig.CaptureContext:
    plane = camrig.FocalPlane(width_px=1, height_px=1, pitch_um=1)
    view = camrig.AngularGrid(width=1, height=1, x0=0, y0=0, step=1)
    return camrig.CaptureContext(
        exposure_s=0.01, seed=0, geometry=camrig.Geometry(plane=plane, view=view), threads=threads
    )


def test_black_level_normalises_to_the_white_level():
    raw = camrig.Frame(
        np.array([[256, 16383], [8319, 200]], dtype=np.uint16),
        camrig.FrameMeta(format="raw", units="DN", black_level=256, white_level=16383),
    )
    out = BlackLevel(BlackLevelSpec()).process(raw, ctx(), "stages[0]").data
    np.testing.assert_allclose(out, [[0, 1], [(8319 - 256) / 16127, (200 - 256) / 16127]], rtol=1e-6)
    big = camrig.Frame(np.random.default_rng(2).integers(0, 2**14, (301, 17), dtype=np.uint16), raw.meta)
    one, three = (BlackLevel(BlackLevelSpec()).process(big, ctx(t), "stages[0]").data for t in (1, 3))
    np.testing.assert_allclose(one, (big.data.astype(np.float64) - 256) / 16127, rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(one, three)


@pytest.mark.parametrize("cfa", ["RGGB", "BGGR", "GRBG", "GBRG"])
def test_bilinear_demosaic_is_exact_on_linear_ramps(cfa):
    rows, cols = np.mgrid[0:24, 0:32].astype(np.float64)
    truth = np.stack(
        [0.1 + 0.01 * cols + 0.02 * rows, 0.3 - 0.005 * cols + 0.01 * rows, 0.2 + 0.003 * (rows + cols)], axis=2
    )
    mosaic = np.empty((24, 32))
    for i, c in enumerate(cfa):
        ch = "RGB".index(c)
        mosaic[i // 2 :: 2, i % 2 :: 2] = truth[i // 2 :: 2, i % 2 :: 2, ch]
    rgb = bilinear_demosaic(mosaic.astype(np.float32), cfa)
    # bilinear interpolation reproduces a linear function away from the mirrored border
    np.testing.assert_allclose(rgb[2:-2, 2:-2], truth[2:-2, 2:-2], atol=1e-5)


def test_demosaic_refuses_mono():
    with pytest.raises(ValueError, match="cannot demosaic CFA 'mono'"):
        bilinear_demosaic(np.zeros((4, 4), np.float32), "mono")


def test_gray_world_equalises_channel_means():
    rng = np.random.default_rng(0)
    rgb = rng.random((10, 10, 3), dtype=np.float32) * np.float32([0.5, 1.0, 0.25])
    frame = camrig.Frame(rgb, camrig.FrameMeta(format="rgb_linear", units="1"))
    out = WhiteBalance(WhiteBalanceSpec()).process(frame, ctx(), "wb").data
    means = out.reshape(-1, 3).mean(axis=0)
    np.testing.assert_allclose(means, means[1], rtol=1e-5)
    fixed = WhiteBalance(WhiteBalanceSpec(method="fixed", gains_rgb=(2, 1, 4))).process(frame, ctx(), "wb").data
    np.testing.assert_allclose(fixed, rgb * np.float32([2, 1, 4]))


def test_srgb_encoding_matches_iec_61966_2_1():
    x = np.array([0.0, 0.0031308, 0.18, 0.5, 1.0, 2.0])
    expected = [0.0, 12.92 * 0.0031308, 1.055 * 0.18 ** (1 / 2.4) - 0.055, 1.055 * 0.5 ** (1 / 2.4) - 0.055, 1.0, 1.0]
    np.testing.assert_allclose(srgb_encode(x), expected, atol=1e-6)
    grid = np.linspace(0, 1, 100_001, dtype=np.float32)
    assert np.abs(srgb_encode_lut(grid) - srgb_encode(grid)).max() < 2e-4


@pytest.mark.parametrize("cfa", ["RGGB", "BGGR", "GRBG", "GBRG"])
def test_bilinear_demosaic_equals_the_kernel_convolution_everywhere(cfa):
    from scipy import ndimage

    mosaic = np.random.default_rng(1).random((30, 44), dtype=np.float32)
    k_rb = np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]], np.float32) / 4
    k_g = np.array([[0, 1, 0], [1, 4, 1], [0, 1, 0]], np.float32) / 4
    expected = np.empty((30, 44, 3), np.float32)
    for channel, colour in enumerate("RGB"):
        plane = np.zeros_like(mosaic)
        for i, c in enumerate(cfa):
            if c == colour:
                plane[i // 2 :: 2, i % 2 :: 2] = mosaic[i // 2 :: 2, i % 2 :: 2]
        expected[:, :, channel] = ndimage.convolve(plane, k_g if colour == "G" else k_rb, mode="mirror")
    np.testing.assert_allclose(bilinear_demosaic(mosaic, cfa), expected, atol=1e-6)


# -- the stages added with the colour pipeline ---------------------------------------------------------------

from camrig_isp import ColourCorrectionSpec, GammaSpec, LensShadingSpec, ScaleSpec  # noqa: E402
from camrig_isp.spatial import area_downscale, denoise, sharpen  # noqa: E402
from camrig_isp.stages import ColourCorrection, Gamma, LensShading, Scale  # noqa: E402
from camrig_isp.tone import filmic, hable  # noqa: E402


def rgb_frame(data: np.ndarray, **fields: object) -> camrig.Frame:
    return camrig.Frame(data.astype(np.float32), camrig.FrameMeta(format="rgb_linear", units="1", **fields))


def test_lens_shading_divides_by_the_lens_profile_at_each_pixel_radius():
    rows, cols, pitch_um = 40, 60, 50.0
    profile = {"radius_mm": [0.0, 1.0, 2.0], "factor": [1.0, 0.8, 0.5]}
    raw = camrig.Frame(
        np.full((rows, cols), 0.4, np.float32),
        camrig.FrameMeta(format="raw", units="1", pitch=pitch_um, relative_illumination=profile),
    )
    out = LensShading(LensShadingSpec()).process(raw, ctx(), "s").data
    y, x = np.mgrid[:rows, :cols]
    r = np.hypot((x - (cols - 1) / 2) * pitch_um * 1e-3, (y - (rows - 1) / 2) * pitch_um * 1e-3)
    expected = 0.4 / np.exp(np.interp(r, [0, 1, 2], np.log([1, 0.8, 0.5])))  # interpolated in log (EV)
    np.testing.assert_allclose(out, expected, rtol=1e-5)
    assert out.max() == pytest.approx(0.4 / np.exp(np.interp(r.max(), [1, 2], np.log([0.8, 0.5]))), rel=1e-5)
    half = LensShading(LensShadingSpec(strength=0.5)).process(raw, ctx(), "s").data
    np.testing.assert_allclose(half**2 / 0.4, out, rtol=1e-4)  # half the correction in EV
    with pytest.raises(ValueError, match="relative illumination"):
        LensShading(LensShadingSpec()).process(raw.derive(relative_illumination=None), ctx(), "s")


@pytest.mark.parametrize("radius", [[0.0, 1.0, 2.0], [0.0, 0.5, 2.0]], ids=["uniform table (compiled)", "uneven table"])
def test_lens_shading_matches_the_log_interpolated_profile_for_any_table_and_thread_count(radius):
    rows, cols, pitch_um = 37, 61, 40.0
    raw = camrig.Frame(
        np.random.default_rng(1).uniform(0.1, 1.0, (rows, cols)).astype(np.float32),
        camrig.FrameMeta(
            format="raw",
            units="1",
            pitch=pitch_um,
            relative_illumination={"radius_mm": radius, "factor": [1.0, 0.7, 0.3]},
        ),
    )
    y, x = np.mgrid[:rows, :cols]
    r = np.hypot((x - (cols - 1) / 2) * pitch_um * 1e-3, (y - (rows - 1) / 2) * pitch_um * 1e-3)
    expected = raw.data / np.exp(0.8 * np.interp(r, radius, np.log([1.0, 0.7, 0.3])))
    one, two = (LensShading(LensShadingSpec(strength=0.8)).process(raw, ctx(t), "s").data for t in (1, 3))
    np.testing.assert_allclose(one, expected, rtol=2e-6)
    np.testing.assert_array_equal(one, two)


def test_lens_shading_flattens_a_uniform_scene_through_the_ideal_lens(host, rig_dict):
    rig_dict["rig"]["lens"].update(focal_length_mm=8, image_circle_mm=40)  # cos^4 falls to ~0.4 in the corner
    rig_dict["rig"]["sensor"].update(
        noise={"shot": False, "read": False, "row": False, "dsnu": False, "prnu": False, "hot": False, "dark": False}
    )
    rig_dict["rig"]["stages"] = [{"type": "isp.black_level"}, {"type": "isp.lens_shading"}]
    rig_dict["capture"]["scene"] = {
        "type": "scenes.chart",
        "width_deg": 1,
    }  # the light background fills the frame edges
    shot = camrig.assemble(host, camrig.read_rig(rig_dict)).capture(exposure_s=2e-6)
    raw = shot.result.data
    # both in the light half of the background: the top-left corner and the middle of the left edge
    corner, edge = (slice(0, 4), slice(0, 4)), (slice(22, 26), slice(0, 4))
    y, x = np.mgrid[:48, :64]
    r2 = ((x - 31.5) * 0.2) ** 2 + ((y - 23.5) * 0.2) ** 2  # mm^2 from the axis
    cos4 = 1 / (1 + r2 / 8**2) ** 2  # cos^4 of the field angle, f = 8 mm
    before = (shot.raw.data[corner].astype(float) - 256).mean() / (shot.raw.data[edge].astype(float) - 256).mean()
    assert before == pytest.approx(cos4[corner].mean() / cos4[edge].mean(), rel=0.01)  # ~0.70: the fall-off is real
    assert raw[corner].mean() / raw[edge].mean() == pytest.approx(1.0, abs=0.01)


def test_as_shot_white_balance_uses_the_sensors_neutral():
    frame = rgb_frame(np.ones((4, 4, 3)), as_shot_neutral=[0.5, 1.0, 0.8])
    out = WhiteBalance(WhiteBalanceSpec(method="as_shot")).process(frame, ctx(), "wb").data
    np.testing.assert_allclose(out[0, 0], [2.0, 1.0, 1.25], rtol=1e-6)
    with pytest.raises(ValueError, match="as-shot neutral"):
        WhiteBalance(WhiteBalanceSpec(method="as_shot")).process(rgb_frame(np.ones((4, 4, 3))), ctx(), "wb")
    with pytest.raises(ValueError, match="gains must be > 0"):
        WhiteBalanceSpec(method="fixed", gains_rgb=(1, 0, 1))


def test_colour_correction_applies_the_matrix_and_refuses_a_singular_one(host, rig_dict):
    m = ((1.5, -0.3, -0.2), (-0.2, 1.4, -0.2), (0.0, -0.5, 1.5))
    rgb = np.random.default_rng(2).random((8, 8, 3))
    out = ColourCorrection(ColourCorrectionSpec(matrix=m)).process(rgb_frame(rgb), ctx(), "cc").data
    np.testing.assert_allclose(out, rgb @ np.array(m).T, rtol=1e-5)
    rig_dict["rig"]["stages"] = [
        {"type": "isp.black_level"},
        {"type": "isp.demosaic"},
        {"type": "isp.colour_correction", "matrix": [[1, 1, 0], [1, 1, 0], [0, 0, 1]]},
    ]
    with pytest.raises(camrig.RigDoesNotFit, match=r"stages\[2\].*singular"):
        camrig.assemble(host, camrig.read_rig(rig_dict))


def test_filmic_curve_is_hables_formula():
    a, b, c, d, e, f = 0.15, 0.50, 0.10, 0.20, 0.02, 0.30
    x = 2.0  # by hand: ((x (a x + c b) + d e) / (x (a x + b) + d f)) - e / f
    assert hable(np.array(x)) == pytest.approx((x * (a * x + c * b) + d * e) / (x * (a * x + b) + d * f) - e / f)
    grid = np.linspace(0, 4, 1001)
    tone = filmic(grid, 4.0)
    assert tone[0] == 0 and tone[-1] == pytest.approx(1.0) and np.all(np.diff(tone) > 0)
    encoded = (
        Gamma(GammaSpec(curve="filmic", white_point=4.0)).process(rgb_frame(np.full((2, 2, 3), 2.0)), ctx(), "g").data
    )
    assert encoded[0, 0, 0] == pytest.approx(srgb_encode(filmic(np.array(2.0), 4.0)), abs=2e-4)
    clipped = Gamma(GammaSpec()).process(rgb_frame(np.full((2, 2, 3), 2.0)), ctx(), "g").data
    assert clipped[0, 0, 0] == 1.0 and encoded[0, 0, 0] < 1.0  # highlights roll off instead of clipping


def gaussian_kernel(sigma: float) -> np.ndarray:
    """scipy's sampled Gaussian: exp(-x^2 / 2 sigma^2) on |x| <= round(4 sigma), normalised."""
    radius = int(4 * sigma + 0.5)
    k = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    return k / k.sum()


def test_denoise_reduces_chroma_noise_by_the_kernels_energy():
    """White noise of variance v through a separable kernel k keeps v (sum k^2)^2; luma untouched."""
    rng = np.random.default_rng(5)
    noise = rng.normal(0.5, 0.05, (400, 400, 3))
    out = denoise(noise.astype(np.float32), 0.0, 2.0).astype(np.float64)
    c1_in, c1_out = noise[..., 0] - noise[..., 1], out[..., 0] - out[..., 1]
    expected = c1_in.var() * (gaussian_kernel(2.0) ** 2).sum() ** 2
    assert c1_out[20:-20, 20:-20].var() == pytest.approx(expected, rel=0.1)
    np.testing.assert_allclose(out.mean(axis=2), noise.mean(axis=2), atol=1e-5)  # luma kept


def test_sharpen_gain_at_one_frequency_is_one_plus_amount_times_one_minus_h():
    f, amount, sigma = 0.1, 0.8, 1.5  # cycles per pixel
    x = np.arange(256)
    wave = 0.5 + 0.2 * np.cos(2 * np.pi * f * x)
    out = sharpen(np.repeat(np.repeat(wave[None, :, None], 16, 0), 3, 2).astype(np.float32), amount, sigma)
    k = gaussian_kernel(sigma)
    h = float(np.sum(k * np.cos(2 * np.pi * f * (np.arange(len(k)) - len(k) // 2))))  # the kernel's response at f
    amplitude = (out[8, 64:192, 0].max() - out[8, 64:192, 0].min()) / 2
    assert amplitude == pytest.approx(0.2 * (1 + amount * (1 - h)), rel=0.01)


def test_scale_averages_blocks_and_reports_its_shape(host, rig_dict):
    rgb = np.arange(6 * 8 * 3, dtype=np.float64).reshape(6, 8, 3)
    out = area_downscale(rgb.astype(np.float32), 2)
    assert out.shape == (3, 4, 3) and out[1, 2, 0] == pytest.approx(rgb[2:4, 4:6, 0].mean())
    assert Scale(ScaleSpec(factor=4)).negotiate(
        camrig.Caps(format="rgb_display", dtype="float32", shape=(48, 64, 3)), None
    ).shape == (12, 16, 3)
    rig_dict["rig"]["stages"].append({"type": "isp.scale", "factor": 4})
    shot = camrig.assemble(host, camrig.read_rig(rig_dict)).capture()
    assert shot.result.data.shape == (12, 16, 3)
    with pytest.raises(ValueError, match="cannot scale a 3x3 image down by 4"):
        area_downscale(np.zeros((3, 3, 3), np.float32), 4)


def test_compiled_stages_give_the_same_result_on_any_number_of_threads():
    from camrig_isp import ColourCorrectionSpec, DemosaicSpec, GammaSpec
    from camrig_isp.stages import ColourCorrection, Demosaic, Gamma

    rng = np.random.default_rng(7)
    raw = camrig.Frame(rng.random((38, 50), dtype=np.float32), camrig.FrameMeta(format="raw", units="1", cfa="GRBG"))
    chain = [
        Demosaic(DemosaicSpec(method="malvar2004")),
        WhiteBalance(WhiteBalanceSpec(method="gray_world")),
        ColourCorrection(ColourCorrectionSpec(matrix=((1.5, -0.3, -0.2), (-0.2, 1.4, -0.2), (0.0, -0.5, 1.5)))),
        Gamma(GammaSpec()),
    ]
    results = []
    for threads in (1, 2, 3, 8):
        frame = raw
        for stage in chain:
            frame = stage.process(frame, ctx(threads), "s")
        results.append(frame.data)
    assert all(np.array_equal(results[0], other) for other in results[1:])
    assert results[0].shape == (38, 50, 3) and 0 < results[0].mean() < 1


def test_compiled_stages_take_an_empty_block_split():
    from camrig import in_blocks
    from camrig_isp.colour import apply_matrix

    calls = []
    in_blocks(0, 4, lambda a, b: calls.append((a, b)))
    assert calls == []
    assert apply_matrix(np.zeros((0, 0, 3), np.float32), np.eye(3), threads=2).shape == (0, 0, 3)
