"""scenes.hyperspectral: ISETCam's multispectral layout written with scipy.io.savemat, and plain cubes, give the
radiance computed by hand, in the file's own bands, at its field of view and distance; depth maps for any
picture scene."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.io
from PIL import Image

import camrig
from camrig_scenes import HyperspectralSpec, ImageSpec
from camrig_scenes.hyperspectral import HyperspectralScene
from camrig_scenes.image import ImageScene

WAVE = np.arange(400.0, 701.0, 10.0)
H_C = 6.62607015e-34 * 299792458.0


def isetcam_file(
    path, with_mean: bool, rows: int = 12, cols: int = 16
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """What ieSaveMultiSpectralImage writes: mcCOEF (rows, cols, 3), basis (.basis (31, 3), .wave), imgMean,
    illuminant (.wave, .data in energy), fov 20, dist 2.5."""
    rng = np.random.default_rng(7)
    coef = rng.uniform(0.5, 2.0, (rows, cols, 3))
    basis = np.stack([np.ones_like(WAVE), (WAVE - 550) / 150, np.cos((WAVE - 400) / 300 * np.pi)], axis=1) * 1e15
    mean = 3e15 * np.exp(-(((WAVE - 520) / 90) ** 2)) if with_mean else None
    data = {"mcCOEF": coef, "basis": {"basis": basis, "wave": WAVE}, "comment": "test", "fov": 20.0, "dist": 2.5,
            "illuminant": {"wave": WAVE, "data": np.linspace(0.002, 0.004, len(WAVE))}}  # fmt: skip
    if with_mean:
        data["imgMean"] = mean
    scipy.io.savemat(path, data)
    return coef, basis, mean


def pixel_view(scene_fov_deg: float, cols: int, rows: int) -> camrig.AngularGrid:
    """A view sampling exactly the centres of a picture of cols x rows pixels subtending scene_fov_deg."""
    p = 2 * math.tan(math.radians(scene_fov_deg) / 2) / cols
    return camrig.AngularGrid(width=cols, height=rows, x0=-(cols - 1) / 2 * p, y0=-(rows - 1) / 2 * p, step=p)


@pytest.mark.parametrize("with_mean", [False, True])
def test_isetcam_multispectral_file_gives_the_radiance_computed_by_hand(tmp_path, with_mean):
    """photons = max(0, imgMean + mcCOEF basis^T) (ISETCam's vcReadImage), quanta/(s sr m^2 nm); band radiance
    = photons x h c / lambda x 10 nm (W/(m^2 sr) per 10 nm band); the file's fov places the pixels and its dist
    is the depth; the illuminant's energy x 10 nm is the white."""
    coef, basis, mean = isetcam_file(tmp_path / "scene.mat", with_mean)
    scene = HyperspectralScene(HyperspectralSpec(path=str(tmp_path / "scene.mat")))
    view = pixel_view(20.0, 16, 12)
    geometry = camrig.Geometry(plane=camrig.FocalPlane(width_px=16, height_px=12, pitch_um=1.0), view=view)
    assert scene.negotiate(None, geometry).bands_nm == tuple(WAVE)
    frame = scene.process(None, camrig.CaptureContext(exposure_s=1e-3, seed=0, geometry=geometry), "scene")
    photons = np.einsum("rck,wk->rcw", coef, basis) + (0 if mean is None else mean)
    expected = np.maximum(photons, 0) * H_C / (WAVE * 1e-9) * 10.0
    np.testing.assert_allclose(frame.data, expected, rtol=1e-5)
    assert frame.meta.bands_nm == tuple(WAVE)
    np.testing.assert_allclose(frame.meta.white_radiance, np.linspace(0.002, 0.004, 31) * 10.0, rtol=1e-9)
    np.testing.assert_array_equal(frame.planes["depth_m"], np.float32(2.5))
    # one pixel further out the picture ends (fov 20 deg): the surround is black
    outside = camrig.AngularGrid(width=1, height=1, x0=view.x0 + 16 * view.step, y0=0.0, step=view.step)
    assert scene.radiance(outside).max() == 0


def test_negative_photons_clip_at_zero_as_isetcam_does(tmp_path):
    scipy.io.savemat(
        tmp_path / "n.mat",
        {
            "mcCOEF": np.array([[[1.0], [-1.0]]]),
            "basis": {"basis": np.ones((31, 1)) * 1e15, "wave": WAVE},
            "illuminant": {"wave": WAVE, "data": np.ones(31)},
        },
    )
    scene = HyperspectralScene(HyperspectralSpec(path=str(tmp_path / "n.mat"), fov_deg=10.0))
    out = scene.radiance(pixel_view(10.0, 2, 1))
    np.testing.assert_allclose(out[0, 0], 1e15 * H_C / (WAVE * 1e-9) * 10, rtol=1e-5)
    assert (out[0, 1] == 0).all()


def test_a_npz_cube_in_watts_and_a_npy_in_photons(tmp_path):
    cube = np.random.default_rng(1).uniform(0.0, 0.01, (6, 8, 4)).astype(np.float32)
    wave = np.array([450.0, 500.0, 550.0, 600.0])
    np.savez(tmp_path / "c.npz", cube=cube, wavelengths=wave)
    scene = HyperspectralScene(HyperspectralSpec(path=str(tmp_path / "c.npz"), units="watts", fov_deg=30.0))
    np.testing.assert_allclose(scene.radiance(pixel_view(30.0, 8, 6)), cube * 50.0, rtol=1e-6)  # 50 nm bands
    np.save(tmp_path / "c.npy", cube * 1e16)
    scene = HyperspectralScene(
        HyperspectralSpec(path=str(tmp_path / "c.npy"), wavelengths_nm=tuple(wave), fov_deg=30.0)
    )
    np.testing.assert_allclose(
        scene.radiance(pixel_view(30.0, 8, 6)), cube * 1e16 * H_C / (wave * 1e-9) * 50.0, rtol=1e-5
    )


def test_mean_luminance_rescales_the_cube():
    """The built-in cube (Ohta's ColorChecker under D65) rescaled to a mean luminance of 10 cd/m^2: the mean
    of K_m sum_b L_b ybar(lambda_b) over the picture is 10 (CIE 015, colour-science's y-bar)."""
    colour = pytest.importorskip("colour")
    wave = tuple(float(w) for w in range(400, 701, 10))
    scene = HyperspectralScene(HyperspectralSpec(wavelengths_nm=wave, mean_luminance_cd_m2=10.0, fov_deg=30.0))
    out = scene.radiance(pixel_view(30.0, 120, 80)).astype(np.float64)
    ybar = (
        colour.MSDS_CMFS["CIE 1931 2 Degree Standard Observer"]
        .copy()
        .align(colour.SpectralShape(400, 700, 10))
        .values[:, 1]
    )
    assert 683.002 * (out @ ybar).mean() == pytest.approx(10.0, rel=1e-3)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"mcCOEF": np.ones((2, 2, 1)), "basis": {"basis": np.ones((3, 1)), "wave": [500.0, 490.0, 510.0]}},
            "basis.wave: wavelengths must increase",
        ),
        (
            {"mcCOEF": np.ones((2, 2, 2)), "basis": {"basis": np.ones((3, 1)), "wave": [480.0, 490.0, 510.0]}},
            "basis.basis is (3, 1)",
        ),
        ({"mcCOEF": np.ones((2, 2, 1))}, "mcCOEF needs basis.basis and basis.wave"),
        ({"something": np.ones(3)}, "not an ISETCam multispectral file"),
        (
            {"mcCOEF": np.full((2, 2, 1), np.nan), "basis": {"basis": np.ones((3, 1)), "wave": [480.0, 490.0, 510.0]}},
            "mcCOEF: 4 NaN",
        ),
    ],
)
def test_bad_mat_files_are_refused_naming_file_and_field(tmp_path, capsys, data, message):
    from camrig.cli import main

    path = tmp_path / "bad.mat"
    scipy.io.savemat(path, data)
    rig_file = tmp_path / "rig.yaml"
    rig_file.write_text(
        "rig:\n  name: t\n  make: t\n  model: t\n  frame_rate_hz: 1\n"
        "  lens: {type: optics.ideal, focal_length_mm: 35, f_number: 4, psf: none}\n"
        "  sensor: {type: sensors.cmos, width_px: 64, height_px: 48, pixel_pitch_um: 10}\n"
        f"capture:\n  scene: {{type: scenes.hyperspectral, path: '{path}'}}\n"
    )
    assert main(["check", str(rig_file)]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(path) in err[0] and message in err[0], err


def test_a_npz_with_decreasing_wavelengths_is_refused(tmp_path):
    np.savez(tmp_path / "d.npz", cube=np.ones((2, 2, 3)), wavelengths=np.array([600.0, 550.0, 500.0]))
    with pytest.raises(ValueError, match=r"d.npz: wavelengths: wavelengths must increase"):
        HyperspectralScene(HyperspectralSpec(path=str(tmp_path / "d.npz"))).source  # noqa: B018


# -- depth maps ------------------------------------------------------------------------------------------------


def test_depth_map_gives_depth_m_per_pixel_from_npy_and_16bit_png(tmp_path):
    """A 16 x 12 photo with a depth map of the same size: each pixel-centre direction carries its pixel's depth,
    from a .npy in metres and from a 16-bit PNG in millimetres (depth_scale_m 0.001); outside the picture the
    scene's distance_m."""
    Image.fromarray(np.full((12, 16, 3), 128, np.uint8)).save(tmp_path / "p.png")
    depth = (1.0 + np.arange(12 * 16).reshape(12, 16) * 0.01).astype(np.float32)
    np.save(tmp_path / "d.npy", depth)
    view = pixel_view(20.0, 16, 12)
    for depth_path, scale in (("d.npy", 1.0), ("d.png", 0.001)):
        if depth_path == "d.png":
            Image.fromarray(np.rint(depth * 1000).astype(np.uint16)).save(
                tmp_path / "d.png"
            )  # Pillow writes I;16 greyscale
        scene = ImageScene(
            ImageSpec(
                path=str(tmp_path / "p.png"),
                fov_deg=20.0,
                distance_m=9.0,
                depth_path=str(tmp_path / depth_path),
                depth_scale_m=scale,
            )
        )
        np.testing.assert_allclose(scene.depth(view)["depth_m"], depth, rtol=1e-6)
        wide = camrig.AngularGrid(width=18, height=1, x0=view.x0 - view.step, y0=0.0, step=view.step)
        row = scene.depth(wide)["depth_m"][0]
        assert row[0] == 9.0 and row[-1] == 9.0 and row[1] == pytest.approx(depth[6, 0])


def test_a_depth_map_of_the_wrong_size_is_refused_naming_file_and_field(tmp_path):
    Image.fromarray(np.full((12, 16, 3), 128, np.uint8)).save(tmp_path / "p.png")
    np.save(tmp_path / "d.npy", np.ones((12, 15), np.float32))
    scene = ImageScene(ImageSpec(path=str(tmp_path / "p.png"), depth_path=str(tmp_path / "d.npy")))
    geometry = camrig.Geometry(
        plane=camrig.FocalPlane(width_px=4, height_px=3, pitch_um=1.0), view=pixel_view(20.0, 4, 3)
    )
    with pytest.raises(ValueError, match=r"d.npy: depth_path: the depth map is 15 x 12 pixels, the picture 16 x 12"):
        scene.negotiate(None, geometry)
    np.save(tmp_path / "z.npy", np.zeros((12, 16), np.float32))
    with pytest.raises(ValueError, match=r"z.npy: 192 depth values are zero, negative or NaN"):
        ImageScene(ImageSpec(path=str(tmp_path / "p.png"), depth_path=str(tmp_path / "z.npy"))).negotiate(
            None, geometry
        )
