"""scenes.image: a photo as spectral radiance. Photometry by the camera equation, colour through the whole
pipeline against the published sRGB values, framing by hand, our 16-bit PNG decoder, and bad files refused in
one line naming the file and the field."""

from __future__ import annotations

import math
import zlib
from typing import Any

import numpy as np
import pytest
from PIL import Image

import camrig
from camrig_scenes import ImageSpec
from camrig_scenes.chart import SRGB_8BIT
from camrig_scenes.image import ImageScene, builtin_chart

colour = pytest.importorskip("colour")
pytestmark = pytest.mark.filterwarnings("ignore::colour.utilities.ColourRuntimeWarning")
OBSERVER = "CIE 1931 2 Degree Standard Observer"
BANDS = [float(b) for b in range(400, 701, 10)]
H_C = 6.62607015e-34 * 299792458.0


def test_shipped_basis_is_mallett_and_yuksels():
    """Our CSV copy against colour-science's Mallett-Yuksel basis and the CIE 1931 y-bar, at 5 nm."""
    from camrig_scenes.chart import _table

    _, wl, values = _table("mallett2019_srgb.csv")
    basis = colour.recovery.MSDS_BASIS_FUNCTIONS_sRGB_MALLETT2019
    np.testing.assert_allclose(wl, basis.wavelengths)
    np.testing.assert_allclose(values[:, :3], basis.values, rtol=1e-8)
    ybar = colour.MSDS_CMFS[OBSERVER].copy().align(colour.SpectralShape(380, 780, 5)).values[:, 1]
    np.testing.assert_allclose(values[:, 3], ybar, rtol=1e-8, atol=1e-12)


def rig(scene: dict[str, Any], sensor: dict[str, Any], lens: dict[str, Any] | None = None, stages: list | None = None,
        exposure_s: float = 0.01) -> camrig.Rig:  # fmt: skip
    spec = {
        "rig": {
            "name": "bench",
            "make": "camrig",
            "model": "bench",
            "frame_rate_hz": 1,
            "lens": {
                "type": "optics.ideal",
                "focal_length_mm": 35,
                "f_number": 4,
                "psf": "none",
                "image_circle_mm": 40,
                **(lens or {}),
            },
            "sensor": {"type": "sensors.cmos", **sensor},
            "stages": stages or [],
        },
        "capture": {"scene": scene, "exposure_s": exposure_s, "seed": 1},
    }
    return camrig.assemble(camrig.Host(env={}), camrig.read_rig(spec))


QUIET = {
    "shot": False,
    "dark": False,
    "dsnu": False,
    "prnu": False,
    "read": False,
    "row": False,
    "hot": False,
    "clip": True,
}


def mono_sensor(bands: list[float], qe: float = 0.5) -> dict[str, Any]:
    return {
        "width_px": 32,
        "height_px": 24,
        "pixel_pitch_um": 10.0,
        "cfa": "mono",
        "bands_nm": bands,
        "qe": [[qe] * len(bands)],
        "full_well_e": 60000,
        "adc_bits": 16,
        "gain_dn_per_e": 1.0,
        "black_level_dn": 100,
        "noise": QUIET,
    }


def camera_equation_electrons(
    luminance: float,
    f_number: float = 4,
    transmission: float = 0.9,
    pitch_um: float = 10.0,
    exposure_s: float = 0.01,
    qe: float = 0.5,
    band: tuple[float, float] = (395, 705),
) -> float:
    """Photo-electrons of an on-axis pixel looking at a D65-lit surface of ``luminance`` (cd/m^2), by hand:
    spectral radiance L(lambda) = L_v S(lambda) / (K_m int S ybar), irradiance E = pi L T / (4 N^2) (the camera
    equation, lens at infinity, on axis), electrons = A t int E QE lambda / (h c) over the band; colour-science's
    1 nm D65 and CIE 1931 y-bar."""
    cmfs = colour.MSDS_CMFS[OBSERVER]
    s = colour.SDS_ILLUMINANTS["D65"].copy().align(cmfs.shape)
    wl = cmfs.wavelengths
    spectral = luminance * s.values / (683.002 * np.trapezoid(s.values * cmfs.values[:, 1], wl))
    inside = (wl >= band[0]) & (wl <= band[1])
    irradiance = math.pi * spectral * transmission / (4 * f_number**2)
    photons = np.trapezoid((irradiance * wl * 1e-9 / H_C)[inside], wl[inside])
    return float(photons * (pitch_um * 1e-6) ** 2 * exposure_s * qe)


@pytest.mark.parametrize(
    ("code", "scale", "luminance"),
    [
        (255, {"white_luminance_cd_m2": 100.0}, 100.0),  # white at 100 cd/m^2
        (
            128,
            {"white_luminance_cd_m2": 100.0},
            100.0 * ((128 / 255 + 0.055) / 1.055) ** 2.4,
        ),  # sRGB 128 is 21.6 % of white
        (128, {"mean_luminance_cd_m2": 30.0}, 30.0),  # a uniform image's mean is its luminance
        (200, {"ev100": 8.0}, 12.5 * 2**8 / 100),
    ],  # ISO 2720: L = K 2^EV / S, K = 12.5, S = 100
)
def test_a_uniform_photo_gives_the_electrons_of_the_camera_equation(tmp_path, code, scale, luminance):
    """A uniform 8-bit grey photo filling the view, through an ideal lens (f/4, T 0.9, no blur) onto a noiseless
    mono sensor with a flat QE of 0.5 over 31 bands: the centre pixels' electrons within 3 % of the camera
    equation computed by hand at 1 nm (``camera_equation_electrons``)."""
    path = tmp_path / "grey.png"
    Image.fromarray(np.full((60, 80, 3), code, np.uint8)).save(path)
    r = rig(
        {"type": "scenes.image", "path": str(path), "framing": "fill", "bands_nm": BANDS, **scale}, mono_sensor(BANDS)
    )
    raw = r.capture().raw
    electrons = (raw.data[10:14, 14:18].astype(np.float64) - raw.meta.black_level).mean()  # K = 1 DN/e-
    expected = camera_equation_electrons(luminance)
    assert electrons == pytest.approx(expected, rel=0.03), (electrons, expected)


def srgb_8bit_to_xyz(values: np.ndarray) -> np.ndarray:
    return colour.sRGB_to_XYZ(values / 255.0)


def patch_means(rgb: np.ndarray, width_deg: float, focal_mm: float, pitch_mm: float) -> np.ndarray:
    """Mean of the central half of each of the 24 patches of the built-in chart image (6 x 4 patches filling a
    picture that subtends ``width_deg``, so tangents [-t, t] x [-2t/3, 2t/3], t = tan(width / 2))."""
    rows, cols = rgb.shape[:2]
    t = math.tan(math.radians(width_deg) / 2)
    half = 0.25 * (2 / 6) * focal_mm * t / pitch_mm
    out = []
    for i in range(4):
        for j in range(6):
            cx = focal_mm * ((j + 0.5) / 3 - 1) * t / pitch_mm + (cols - 1) / 2
            cy = focal_mm * ((i + 0.5) / 3 - 2 / 3) * t / pitch_mm + (rows - 1) / 2
            box = rgb[round(cy - half) : round(cy + half) + 1, round(cx - half) : round(cx + half) + 1]
            out.append(box.reshape(-1, rgb.shape[2]).mean(axis=0))
    return np.array(out)


COLOUR_STAGES = [{"type": "isp.black_level"}, {"type": "isp.lens_shading"}, {"type": "isp.demosaic"},
                 {"type": "isp.white_balance", "method": "as_shot"}, {"type": "isp.colour_correction"}]  # fmt: skip


def colour_error(tmp_path, bands: list[float], qe: Any, exposure_s: float) -> np.ndarray:
    """CIEDE2000 of each patch: an sRGB PNG of the ColorChecker's published values (BabelColor averages), seen
    under D65 through an ideal lens, a low-noise sensor and our colour pipeline, against those values (colour-
    science's sRGB to XYZ to Lab, D65); exposure normalised on the white patch."""
    from camrig_isp.colour import SRGB_FROM_XYZ

    path = tmp_path / "colorchecker.png"
    Image.fromarray(builtin_chart()).save(path)
    sensor = {
        "width_px": 240,
        "height_px": 160,
        "pixel_pitch_um": 100.0,
        "bands_nm": bands,
        "qe": qe,
        "full_well_e": 20000,
        "read_noise_e": 1.5,
    }
    r = rig(
        {"type": "scenes.image", "path": str(path), "fov_deg": 30, "bands_nm": bands, "white_luminance_cd_m2": 100.0},
        sensor,
        stages=COLOUR_STAGES,
        exposure_s=exposure_s,
    )
    shot = r.capture()
    assert shot.raw.data.max() < shot.raw.meta.white_level  # nothing clipped
    srgb = patch_means(shot.result.data.astype(np.float64), 30, 35, 0.1)
    xyz = srgb @ np.linalg.inv(SRGB_FROM_XYZ).T
    reference = srgb_8bit_to_xyz(SRGB_8BIT)
    xyz *= reference[18, 1] / xyz[18, 1]
    white = colour.CCS_ILLUMINANTS[OBSERVER]["D65"]
    return colour.delta_E(colour.XYZ_to_Lab(reference, white), colour.XYZ_to_Lab(xyz, white), method="CIE 2000")


def test_an_srgb_colorchecker_photo_comes_back_within_ciede2000_2_on_the_spectral_path(tmp_path):
    """The spectral path: 31 bands (400-700 nm), a real camera's spectral response (NPL's Nikon D5100), our
    colour pipeline. Mallett-Yuksel reflectances are exact metamers of the sRGB values under D65, so what is
    left is the camera's departure from the Luther condition and noise. Seen: mean 1.31, worst 3.4 (patch 7)."""
    de = colour_error(tmp_path, BANDS, "nikon_d5100", 1.5e-4)
    print(f"spectral path: CIEDE2000 mean {de.mean():.2f}, max {de.max():.2f} (patch {int(de.argmax()) + 1})")
    assert de.mean() <= 2.0


def test_framing_centre_fill_and_fit_by_hand():
    """A 40 x 20 picture whose pixel (i, j) holds a value coding its column: where each framing puts its edges.
    centre, 20 degrees: the picture spans tangents +-tan(10 deg), a pixel p = 2 tan(10 deg) / 40 wide, so the
    direction tan = (j - 19.5) p sees column j. fill on a 1:1 view of half-width h: p = max(2h / 40, 2h / 20) =
    h / 10 (columns cropped); fit: p = h / 20 (rows leave surround)."""
    data = np.zeros((20, 40, 3), np.uint8)
    data[..., 0] = (np.arange(40) * 6)[None, :]  # column code
    data[..., 1] = (np.arange(20) * 12)[:, None]  # row code
    scene = ImageScene(ImageSpec(transfer="linear", illuminant="E", surround=0.0))
    from camrig_scenes.image import rgb_source
    from camrig_scenes.spectral import decode_table

    scene.__dict__["source"] = rgb_source(scene.spec, data, decode_table(8, "linear"), "srgb")
    m = scene.source.matrix  # rgb (linear) -> bands

    def rgb_at(spec_framing: str, tx: float, ty: float, view_half: float = 0.2) -> np.ndarray:
        scene.__dict__["spec"] = scene.spec.model_copy(update={"framing": spec_framing, "fov_deg": 20.0})
        n = 101
        step = 2 * view_half / n
        view = camrig.AngularGrid(width=1, height=1, x0=tx, y0=ty, step=step)
        plane = camrig.FocalPlane(width_px=1, height_px=1, pitch_um=1.0)
        # fill/fit read the field from the view: ask with a square n x n field of half-width view_half
        from camrig_scenes import render

        original = render.field_half_tangents
        render.field_half_tangents = lambda v, p: (view_half, view_half)
        try:
            out = scene.radiance(view, plane)[0, 0].astype(np.float64)
        finally:
            render.field_half_tangents = original
        return np.linalg.lstsq(m.T, out, rcond=None)[0] * 255

    p = 2 * math.tan(math.radians(10)) / 40
    for j in (0, 7, 39):
        for i in (0, 13, 19):
            rgb = rgb_at("centre", (j - 19.5) * p, (i - 9.5) * p)
            assert rgb[:2] == pytest.approx([6 * j, 12 * i], abs=1e-3)
    assert rgb_at("centre", 20.6 * p, 0.0)[0] == pytest.approx(0, abs=1e-6)  # beyond the right edge: surround
    h = 0.2
    p_fill, p_fit = h / 10, h / 20
    assert rgb_at("fill", (25 - 19.5) * p_fill, (3 - 9.5) * p_fill)[:2] == pytest.approx([150, 36], abs=1e-3)
    assert rgb_at("fit", (25 - 19.5) * p_fit, (3 - 9.5) * p_fit)[:2] == pytest.approx([150, 36], abs=1e-3)
    assert rgb_at("fit", 0.0, 10.4 * p_fit)[1] == pytest.approx(0, abs=1e-6)  # below the picture: surround


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")


def write_png16_all_filters(path, data: np.ndarray) -> None:
    """A 16-bit RGB PNG written by hand, scanline r filtered with filter type r % 5 (ISO/IEC 15948, 9.2)."""
    h, w, _ = data.shape
    raw = data.astype(">u2").tobytes()
    stride, bpp = w * 6, 6
    rows = [raw[r * stride : (r + 1) * stride] for r in range(h)]
    out = bytearray()
    for r, line in enumerate(rows):
        kind = r % 5
        prior = rows[r - 1] if r else bytes(stride)
        enc = bytearray(stride)
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prior[i]
            c = prior[i - bpp] if i >= bpp else 0
            if kind == 0:
                pred = 0
            elif kind == 1:
                pred = a
            elif kind == 2:
                pred = b
            elif kind == 3:
                pred = (a + b) // 2
            else:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
            enc[i] = (line[i] - pred) & 0xFF
        out += bytes([kind]) + enc
    ihdr = w.to_bytes(4, "big") + h.to_bytes(4, "big") + bytes([16, 2, 0, 0, 0])
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", zlib.compress(bytes(out)))
        + png_chunk(b"IEND", b"")
    )


def test_16bit_png_decodes_exactly_under_every_filter(tmp_path):
    """Pillow reduces 16-bit RGB PNGs to 8 bits; ours keeps every bit (written by hand with all five filters,
    and by pypng)."""
    from camrig_scenes.readers import read_image

    data = np.random.default_rng(3).integers(0, 65536, (11, 7, 3), dtype=np.uint16)
    write_png16_all_filters(tmp_path / "f.png", data)
    np.testing.assert_array_equal(read_image(tmp_path / "f.png", 16), data)
    png = pytest.importorskip("png")
    with open(tmp_path / "p.png", "wb") as f:
        png.Writer(7, 11, greyscale=False, bitdepth=16).write(f, data.reshape(11, -1).tolist())
    np.testing.assert_array_equal(read_image(tmp_path / "p.png"), data)


def test_a_16bit_photo_is_decoded_by_the_srgb_curve(tmp_path):
    """A 16-bit pixel of code v has linear value sRGB^-1(v / 65535) (IEC 61966-2-1)."""
    data = np.full((8, 8, 3), 40000, np.uint16)
    write_png16_all_filters(tmp_path / "g.png", data)
    scene = ImageScene(ImageSpec(path=str(tmp_path / "g.png"), framing="fill", illuminant="E", bands_nm=(550.0,)))
    view = camrig.AngularGrid(width=1, height=1, x0=0.0, y0=0.0, step=1e-3)
    v = 40000 / 65535
    expected = ((v + 0.055) / 1.055) ** 2.4 * scene.source.white[0]
    assert scene.radiance(view)[0, 0, 0] == pytest.approx(expected, rel=1e-5)


def test_a_photo_much_larger_than_the_view_is_averaged_not_aliased():
    """A 1-pixel black/white checkerboard seen at 1/8 of its resolution: every sample is the mean of the
    linear values (half white), not a black or white pixel picked at random."""
    data = ((np.indices((400, 400)).sum(axis=0) % 2) * 255).astype(np.uint8)[..., None].repeat(3, axis=2)
    scene = ImageScene(ImageSpec(fov_deg=40, illuminant="E"))
    from camrig_scenes.image import rgb_source
    from camrig_scenes.spectral import decode_table

    scene.__dict__["source"] = rgb_source(scene.spec, data, decode_table(8, "srgb"), "srgb")
    half = math.tan(math.radians(20))
    view = camrig.AngularGrid(width=40, height=40, x0=-0.9 * half, y0=-0.9 * half, step=1.8 * half / 39 * 0.9)
    out = scene.radiance(view)
    np.testing.assert_allclose(out, np.broadcast_to(0.5 * scene.source.white, out.shape), rtol=0.02)


@pytest.mark.parametrize(
    ("make", "field", "message"),
    [
        (None, "path", "no such file"),
        (lambda p: Image.fromarray(np.zeros((4, 4, 4), np.uint8)).save(p), "path", "alpha channel"),
        (lambda p: Image.fromarray(np.zeros((4, 4, 3), np.uint8)).convert("P").save(p), "path", "palette"),
        (lambda p: p.write_bytes(b"not an image at all"), "path", "not a PNG, JPEG or TIFF"),
        (
            lambda p: write_png16_all_filters(p, np.zeros((4, 4, 3), np.uint16)),
            "bit_depth",
            "holds 16-bit samples, bit_depth says 8",
        ),
    ],
)
def test_bad_photos_are_refused_in_one_line_naming_file_and_field(tmp_path, capsys, make, field, message):
    from camrig.cli import main

    photo = tmp_path / "photo.png"
    if make is not None:
        make(photo)
    rig_file = tmp_path / "rig.yaml"
    rig_file.write_text(
        "rig:\n  name: t\n  make: t\n  model: t\n  frame_rate_hz: 1\n"
        "  lens: {type: optics.ideal, focal_length_mm: 35, f_number: 4, psf: none}\n"
        "  sensor: {type: sensors.cmos, width_px: 64, height_px: 48, pixel_pitch_um: 10}\n"
        f"capture:\n  scene: {{type: scenes.image, path: '{photo}', bit_depth: 8}}\n"
    )
    assert main(["check", str(rig_file)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(photo) in err[0] and message in err[0] and field in err[0], err
    assert "Traceback" not in err[0]


def test_the_default_three_band_path_comes_back_within_ciede2000_2(tmp_path):
    """Three bands are an RGB scene: each channel in its own band, which any invertible 3-band sensor's
    colour matrix undoes exactly; what is left is noise and the ideal lens's blur at patch edges."""
    de = colour_error(
        tmp_path, [450.0, 550.0, 650.0], ((0.03, 0.08, 0.45), (0.08, 0.55, 0.08), (0.45, 0.10, 0.02)), 1.5e-4
    )
    assert de.mean() <= 2.0


def reference_radiance(
    source: Any, view: camrig.AngularGrid, pitch: float, surround: np.ndarray, block: int = 1
) -> np.ndarray:
    """The sampling of docs/scenes.md in plain NumPy, float64: each direction's column u = t / p + w / 2 - 1/2
    (surround outside [-1/2, w - 1/2]), the decoded picture interpolated bilinearly between the pixel centres
    around (u, v) (the edge pixels held beyond the outer centres), then L = max(0, offset + value M). With
    ``block`` k > 1 the decoded picture is first averaged over k x k blocks (whole blocks, the remainder cropped
    from the start by half), a picture of pitch k p whose block centres keep their place."""
    linear = source.data.astype(np.float64) if source.lut is None else source.lut.astype(np.float64)[source.data]
    shift = [0.0, 0.0]
    if block > 1:
        k, (h, w) = block, linear.shape[:2]
        y0, x0 = (h - h // k * k) // 2, (w - w // k * k) // 2
        crop = linear[y0 : y0 + h // k * k, x0 : x0 + w // k * k]
        linear = crop.reshape(h // k, k, w // k, k, -1).mean(axis=(1, 3))
        # block j is centred on original pixel x0 + j k + (k - 1) / 2
        shift = [(o + (k - 1) / 2 + (m - 1) * k / 2 - (n - 1) / 2) * pitch
                 for o, n, m in ((y0, h, linear.shape[0]), (x0, w, linear.shape[1]))]  # fmt: skip
        pitch *= k
    h, w, _ = linear.shape
    tx, ty = view.tangents()
    tx, ty = tx - shift[1], ty - shift[0]

    def axis(t: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        u = t / pitch + n / 2 - 0.5
        inside = (u >= -0.5) & (u <= n - 0.5)
        held = np.clip(u, 0, n - 1)
        lo = np.minimum(np.floor(held).astype(int), max(n - 2, 0))
        return lo, np.minimum(lo + 1, n - 1), held - lo, inside

    x0, x1, fx, in_x = axis(tx, w)
    y0, y1, fy, in_y = axis(ty, h)
    fx, fy = fx[None, :, None], fy[:, None, None]
    top = linear[y0][:, x0] * (1 - fx) + linear[y0][:, x1] * fx
    bottom = linear[y1][:, x0] * (1 - fx) + linear[y1][:, x1] * fx
    value = top * (1 - fy) + bottom * fy
    bands = value * source.matrix[0] if source.diagonal else value @ source.matrix
    out = np.maximum(bands + source.offset, 0.0)
    out[~(in_y[:, None] & in_x[None, :])] = surround
    return out


def random_source(rng: np.random.Generator, shape: tuple[int, int], kind: str, bands: int) -> Any:
    """A Source of random values: 8- or 16-bit codes with the sRGB table, grey codes, a float cube (diagonal)
    or coefficients on a signed basis with an offset (an ISETCam file)."""
    from camrig_scenes.render import Source
    from camrig_scenes.spectral import decode_table

    h, w = shape
    wave = tuple(float(b) for b in np.linspace(400, 700, bands))
    if kind in ("uint8", "uint16", "grey", "signed"):
        bits = 16 if kind == "uint16" else 8
        channels = 1 if kind == "grey" else 3
        data = rng.integers(0, 2**bits, (h, w, channels)).astype(np.uint8 if bits == 8 else np.uint16)
        if channels == 1:  # grey: every band from the one channel
            matrix = rng.uniform(1, 2, (1, bands))
        elif bands == 3:  # an RGB scene: bands B, G, R from channels R, G, B (one negative: clipped at 0)
            matrix = np.diag(rng.uniform(1, 2, 3) * (-1 if kind == "signed" else 1) ** np.arange(3))[::-1]
        else:
            matrix = rng.uniform(-0.3, 1.0, (channels, bands))
        return Source(data, decode_table(bits, "srgb"), matrix, np.zeros(bands), False, wave, None, None)
    if kind == "cube":
        data = rng.random((h, w, bands), dtype=np.float32)
        return Source(data, None, rng.uniform(1, 5, (1, bands)), rng.uniform(-0.5, 0.5, bands), True, wave, None, None)
    if kind == "yfloat":
        data = rng.random((h, w, 1), dtype=np.float32)
        return Source(data, None, rng.uniform(1, 2, (1, bands)), np.zeros(bands), False, wave, None, None)
    data = rng.normal(size=(h, w, 4)).astype(np.float32)  # coefficients
    return Source(data, None, rng.normal(size=(4, bands)), rng.uniform(0, 2, bands), False, wave, None, None)


@pytest.mark.parametrize(
    ("kind", "bands", "framing", "view_shape", "scale"),
    [
        ("uint8", 3, "fill", (37, 53), 1.0),  # on the picture's own grid
        ("uint8", 3, "fit", (29, 41), 1.0),  # another aspect: resampled, surround above and below
        ("uint8", 3, "centre", (31, 47), 0.83),  # finer than the picture
        ("signed", 3, "fill", (37, 53), 1.0),
        ("signed", 3, "fit", (40, 30), 1.0),
        ("uint8", 3, "centre", (13, 19), 2.6),  # much coarser: 2 x 2 blocks averaged first
        ("grey", 31, "centre", (12, 17), 3.1),  # 3 x 3 blocks
        ("yfloat", 3, "fit", (30, 20), 1.0),  # a float picture, one channel feeding every band
        ("uint16", 31, "fill", (23, 19), 1.0),
        ("uint8", 31, "centre", (26, 44), 1.27),  # full matrix with negative entries (clipped at 0)
        ("grey", 3, "fit", (40, 40), 1.0),
        ("cube", 31, "fill", (37, 53), 1.0),
        ("cube", 31, "centre", (30, 20), 0.7),
        ("coefficients", 7, "centre", (33, 35), 1.1),
        ("coefficients", 7, "fill", (37, 53), 1.0),
    ],
)
def test_the_compiled_render_equals_a_plain_numpy_reference(kind, bands, framing, view_shape, scale):
    """scenes render by compiled kernels (decode tables folded with the band map, rows decoded once, threads);
    each must give what the plain NumPy sampling of the docs gives, to float32 rounding (1e-6 of the largest
    value), for a 37 x 53 random picture: on its own grid, resampled to other sizes and aspects, finer and
    coarser, on 1 and 3 threads."""
    from camrig_scenes.render import PictureScene, pixel_tangent

    rng = np.random.default_rng(len(kind) * 100 + bands)
    source = random_source(rng, (37, 53), kind, bands)

    class Picture(PictureScene):
        spec = ImageSpec(framing=framing, fov_deg=30.0, surround=0.25)

        def load(self) -> Any:
            return source

    rows, cols = view_shape
    own = 2 * math.tan(math.radians(15)) / 53  # the picture's pitch at fov 30 (framing centre)
    step = own / scale if framing == "centre" else 1e-3
    view = camrig.AngularGrid(width=cols, height=rows, x0=-(cols - 1) / 2 * step, y0=-(rows - 1) / 2 * step, step=step)
    plane = camrig.FocalPlane(width_px=cols, height_px=rows, pitch_um=1.0)
    if framing == "fill" and view_shape == (37, 53):
        assert pixel_tangent(53, 37, "fill", 30.0, view, plane) == pytest.approx(step)  # samples on pixel centres
    white = rng.uniform(1, 2, bands)
    object.__setattr__(source, "white", white)
    pitch = pixel_tangent(53, 37, framing, 30.0, view, plane)
    block = int(step / pitch) if step / pitch > 1.5 else 1
    expected = reference_radiance(source, view, pitch, 0.25 * white, block)
    for threads in (1, 3):
        out = Picture().radiance(view, plane, threads)
        assert out.dtype == np.float32 and out.shape == (rows, cols, bands)
        np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-6 * np.abs(expected).max())
