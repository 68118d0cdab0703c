"""optics.prescription: a lens traced by optiland from its surfaces, against hand calculations (lensmaker's
equation, Seidel spherical aberration, paraxial defocus), the cache, and bad input through ``camrig check``."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest

import camrig

pytest.importorskip("optiland", reason="optics.prescription needs optiland (pip install 'camrig[prescription]')")
from camrig_optics import PrescriptionSpec  # noqa: E402
from camrig_optics import prescription as rx  # noqa: E402
from camrig_optics.psf import focal_shift_waves  # noqa: E402

N_D, V_D = 1.5168, 64.17  # N-BK7
R1, R2, D = 50.0, -50.0, 5.0
WL_UM = 0.58756


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CAMRIG_CACHE_DIR", str(tmp_path / "cache"))
    warnings.filterwarnings("ignore", module="numba")


def singlet(f_number: float = 8.0, back_mm: float = 45.0, **kw) -> PrescriptionSpec:
    surfaces = [
        dict(radius_mm=R1, thickness_mm=D, index=N_D, abbe=V_D, stop=True),
        dict(radius_mm=R2, thickness_mm=back_mm),
    ]
    # one wavelength unless a test asks for colour: each trace wavelength is another wavefront fit per field
    return PrescriptionSpec(surfaces=surfaces, f_number=f_number, **{"image_circle_mm": 1.0, "trace_wavelengths_nm": (),
                                                                     **kw})  # fmt: skip


def lensmaker_efl() -> float:
    """Thick-lens lensmaker's equation 1/f = (n - 1) [1/R1 - 1/R2 + (n - 1) d / (n R1 R2)] (Hecht, Optics, eq. 6.2)."""
    return 1.0 / ((N_D - 1) * (1 / R1 - 1 / R2 + (N_D - 1) * D / (N_D * R1 * R2)))


def seidel_z11_waves(f_number: float) -> float:
    """Primary spherical of the singlet from the Seidel sum S_I = -sum A^2 y delta(u/n), A = n u + n y c the
    refraction invariant (W. T. Welford, *Aberrations of Optical Systems*, 1986, ch. 7), as a Noll Z11
    coefficient: W040 = S_I / 8 at the pupil edge, rho^4 = Z11 / (6 sqrt 5) + lower terms (Noll 1976)."""
    y = lensmaker_efl() / f_number / 2
    u, n = 0.0, 1.0
    s1 = 0.0
    for c, n2, t in ((1 / R1, N_D, D), (1 / R2, 1.0, 0.0)):
        a = n * u + n * y * c
        u2 = (n * u - y * c * (n2 - n)) / n2
        s1 += -(a**2) * y * (u2 / n2 - u / n)
        u, n = u2, n2
        y = y + t * u
    w040_mm = s1 / 8
    return w040_mm / (6 * math.sqrt(5)) / (WL_UM * 1e-3)


def test_focal_length_follows_the_lensmakers_equation():
    d = rx.traced(singlet())
    assert abs(d["efl_mm"] / lensmaker_efl() - 1) < 1e-6  # the issue asks 0.5 %
    assert d["epd_mm"] == pytest.approx(d["efl_mm"] / 8)


def test_a_slow_lens_on_a_small_field_is_near_diffraction_limited():
    d = rx.traced(singlet(f_number=22, image_circle_mm=0.5))
    worst = max(abs(w) for z in d["zones"] for w in z["zernike_waves"].values())
    assert worst < 0.01, d["zones"]


@pytest.mark.parametrize("f_number", [5.0, 8.0])
def test_spherical_aberration_matches_the_seidel_sum(f_number):
    z11 = rx.traced(singlet(f_number=f_number))["zones"][0]["zernike_waves"]["11"]
    expected = seidel_z11_waves(f_number)
    # an under-corrected positive lens: marginal rays focus in front of the paraxial image, the same sign as an
    # image in front of the sensor in camrig's Z4 convention (focal_shift_waves < 0)
    assert np.sign(z11) == np.sign(focal_shift_waves(-1.0, f_number, WL_UM)) == -1
    # Welford counts an under-corrected lens's W040 positive: the opposite sign to camrig's wavefront
    assert -z11 == pytest.approx(expected, rel=0.05), (z11, expected)


def test_spherical_scales_as_the_fourth_power_of_the_aperture():
    z5 = rx.traced(singlet(f_number=5.0))["zones"][0]["zernike_waves"]["11"]
    z10 = rx.traced(singlet(f_number=10.0))["zones"][0]["zernike_waves"]["11"]
    assert z5 / z10 == pytest.approx(16, rel=0.03)


def test_a_moved_image_plane_is_camrigs_defocus():
    base = rx.traced(singlet(image_plane="paraxial"))
    bfd = base["paraxial_bfd_mm"]
    moved = rx.traced(singlet(back_mm=bfd + 0.2, image_plane="prescription"))  # sensor 0.2 mm behind the focus
    dz4 = moved["zones"][0]["zernike_waves"]["4"] - base["zones"][0]["zernike_waves"]["4"]
    assert dz4 == pytest.approx(focal_shift_waves(-200.0, 8.0, WL_UM), rel=0.02)


def test_best_focus_nulls_the_axial_defocus_and_the_lens_renders():
    lens = rx.PrescriptionLens(singlet(f_number=8, image_circle_mm=0.9))
    assert lens.spec.zones[0].zernike_waves[4] == 0.0
    assert lens.spec.focal_length_mm == pytest.approx(lensmaker_efl(), rel=1e-6)
    plane = camrig.FocalPlane(width_px=64, height_px=48, pitch_um=10.0)  # 0.8 mm diagonal
    ri = lens.relative_illumination(plane)
    assert 0.99 < ri.min() <= ri.max() <= 1.0 + 1e-6  # 0.2 degrees of field: hardly any falloff


def test_the_cache_returns_the_same_spec_and_rebuilds_a_corrupt_entry(monkeypatch):
    spec = singlet()
    first = rx.traced(spec)
    entry = rx.cache_dir() / f"{rx.cache_key(spec)}.json"
    assert entry.is_file()
    calls = []
    real = rx.derive
    monkeypatch.setattr(rx, "derive", lambda s: calls.append(s) or real(s))
    assert rx.traced(spec) == first and not calls  # a hit: no trace
    assert rx.ideal_spec(spec, rx.traced(spec)) == rx.ideal_spec(spec, first)
    entry.write_text('{"key": "' + rx.cache_key(spec)[:10])  # cut short, as by a crash mid-write elsewhere
    assert rx.traced(spec) == first and len(calls) == 1  # ignored and traced again
    assert json.loads(entry.read_text())["derived"] == first  # and rewritten whole
    assert rx.cache_key(singlet(f_number=9)) != rx.cache_key(spec)  # a changed input never reuses an entry
    assert rx.cache_key(singlet(back_mm=44.0, image_plane="prescription")) != rx.cache_key(spec)
    assert rx.cache_key(singlet(trace_wavelengths_nm=(450.0,))) != rx.cache_key(spec)
    assert rx.cache_key(singlet(zernike_terms=22)) != rx.cache_key(spec)


def _check(tmp_path, capsys, lens_yaml: str) -> str:
    from camrig.cli import main

    rig_file = tmp_path / "rig.yaml"
    rig_file.write_text(
        "rig:\n  name: t\n  make: t\n  model: t\n  frame_rate_hz: 1\n"
        f"  lens: {lens_yaml}\n"
        "  sensor: {type: sensors.cmos, width_px: 64, height_px: 48, pixel_pitch_um: 10}\n"
        "capture:\n  scene: {type: scenes.chart}\n"
    )
    assert main(["check", str(rig_file)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Traceback" not in err[0], err
    return err[0]


GOOD = "{radius_mm: -50, thickness_mm: 45}"


@pytest.mark.parametrize(
    ("first", "extra", "needle"),
    [
        ("{radius_mm: 50, thickness_mm: -5, index: 1.5, abbe: 60, stop: true}", "", "thickness_mm"),
        ("{radius_mm: 50, thickness_mm: 5, material: N-BKX7, stop: true}", "",
         "surfaces[0].material: No matches found for material 'N-BKX7'"),
        ("{radius_mm: 50, thickness_mm: 5, index: 1.5, abbe: 60, stop: true, semi_diameter_mm: 1}", "",
         "f_number: the stop"),
        ("{radius_mm: 50, thickness_mm: 5, index: 1.5, abbe: 60, stop: true}", ", trace_wavelengths_nm: [360, 550]",
         "trace_wavelengths_nm: 360 nm is outside an index and Abbe number (the i to t lines), 365-1014 nm, of the "
         "glass after surfaces[0]"),
        ("{radius_mm: 50, thickness_mm: 5, index: 1.5, abbe: 60, stop: true}", ", sensor_diagonal_mm: 1.5",
         "field_points: 0.7 of the 1.5 mm sensor diagonal (0.525 mm from the axis) lies beyond the lens's 1 mm image "
         "circle"),
    ],
)  # fmt: skip
def test_bad_prescriptions_are_refused_in_one_line_naming_the_field(tmp_path, capsys, first, extra, needle):
    line = _check(
        tmp_path,
        capsys,
        "{type: optics.prescription, f_number: 4, image_circle_mm: 1, surfaces: ["
        + first
        + ", "
        + GOOD
        + "]"
        + extra
        + "}",
    )
    assert needle in line, line


def test_a_missing_zmx_file_is_named(tmp_path, capsys):
    missing = tmp_path / "nowhere.zmx"
    line = _check(tmp_path, capsys, f"{{type: optics.prescription, f_number: 4, image_circle_mm: 1, zmx: '{missing}'}}")
    assert f"zmx: {missing}: no such file" in line, line


def test_a_traced_lens_captures_through_the_rig_with_focus_and_tilt(host, rig_dict):
    spec = singlet(f_number=8).model_dump(exclude_defaults=True)
    rig_dict["rig"].update(
        lens={"type": "optics.prescription", **spec, "image_circle_mm": 2.0, "subject_distance_m": 2.0,
              "sensor_tilt_deg": 1.0, "trace_wavelengths_nm": [450, 650],
              "azimuth_sectors": 4},
        sensor={"type": "sensors.cmos", "width_px": 64, "height_px": 48, "pixel_pitch_um": 20.0},
    )  # fmt: skip
    rig = camrig.assemble(host, camrig.read_rig(rig_dict), strict=False)
    shot = rig.capture()
    assert shot.result.data.shape[:2] == (48, 64) and np.isfinite(shot.result.data).all()


def test_the_double_gauss_example_fits_and_is_traced_as_documented(host):
    from camrig_optics.prescription import PrescriptionLens

    rig = camrig.read_rig("examples/rigs/double_gauss_50mm.yaml")
    assert camrig.assemble(host, rig, strict=False).report.ok
    lens = PrescriptionLens(PrescriptionSpec.model_validate(rig.rig.lens.model_dump(exclude={"type"})))
    d = lens.derived
    assert d["efl_mm"] == pytest.approx(50.0, abs=0.01) and d["half_field_deg"] == pytest.approx(12.3, abs=0.1)
    axis, corner = d["zones"][0]["zernike_waves"], d["zones"][-1]["zernike_waves"]
    assert axis["11"] < -0.2  # under-corrected spherical wide open at f/2, twice its f/5 design aperture
    assert abs(corner["6"]) > 0.5  # astigmatism dominates the corner


SINGLET_ZMX = """VERS 240000 3 0
MODE SEQ
UNIT MM X W X CM MR CPMM
ENPD 5.0
FTYP 0 0 1 1 0 0 0
WAVM 1 0.58756 1
PWAV 1
XFLN 0.0
YFLN 0.0
FWGN 1.0
SURF 0
  TYPE STANDARD
  CURV 0.0
  DISZ INFINITY
SURF 1
  TYPE STANDARD
  STOP
  CURV 0.02
  DISZ 5.0
  GLAS N-BK7 0 0 0 0 0 0 0 0 0 0
SURF 2
  TYPE {type}
  CURV -0.02
  DISZ 45.0
SURF 3
  TYPE STANDARD
  CURV 0.0
  DISZ 0.0
"""


def test_a_zemax_file_traces_as_the_same_surfaces_inline(tmp_path):
    path = tmp_path / "singlet.zmx"
    path.write_text(SINGLET_ZMX.format(type="STANDARD"))
    from_file = rx.traced(PrescriptionSpec(zmx=str(path), f_number=8, image_circle_mm=1.0))
    inline = PrescriptionSpec(
        surfaces=[dict(radius_mm=50, thickness_mm=5, material="N-BK7", stop=True),
                  dict(radius_mm=-50, thickness_mm=45)],
        f_number=8, image_circle_mm=1.0,
    )  # fmt: skip
    assert from_file["efl_mm"] == pytest.approx(rx.traced(inline)["efl_mm"], rel=1e-9)
    assert from_file["zones"] == rx.traced(inline)["zones"]


def test_a_zemax_surface_type_optiland_lacks_is_named(tmp_path, capsys):
    path = tmp_path / "grid.zmx"
    path.write_text(SINGLET_ZMX.format(type="GRID_SAG"))
    line = _check(tmp_path, capsys, f"{{type: optics.prescription, f_number: 8, image_circle_mm: 1, zmx: '{path}'}}")
    assert f"zmx: {path}: optiland cannot read it: Unsupported Zemax surface type: grid_sag" in line, line


def _double_gauss() -> PrescriptionSpec:
    rig = camrig.read_rig("examples/rigs/double_gauss_50mm.yaml")
    return PrescriptionSpec.model_validate(rig.rig.lens.model_dump(exclude={"type"}))


def test_distortion_and_lateral_colour_match_optilands_own_analyses():
    """At the example's 3.34 um pitch: the fitted poly5 against optiland's f-tan distortion analysis, and the
    fitted distortion and lateral colour against real chief rays at 450 and 650 nm, within 0.05 px."""
    from optiland.analysis import Distortion

    from camrig_optics.distortion import distort, tca_scale

    spec = _double_gauss()
    d = rx.traced(spec)
    lens = rx.PrescriptionLens(spec)
    pitch_mm = 3.34e-3
    op = rx.build_optic(spec)
    rx.configure(spec, op)  # the paraxial image plane, where the distortion is fitted
    rx._set_field(op, d["half_field_deg"])
    analysis = Distortion(op, wavelengths=[spec.wavelength_nm * 1e-3], num_points=9)
    theta = np.radians(np.linspace(1e-10, 1, 9) * d["half_field_deg"])
    ideal = d["efl_mm"] * np.tan(theta)
    theirs = ideal * (1 + np.asarray(analysis.data[0]) / 100)  # their percent against their near-axis plate scale
    ours, _ = distort(lens.spec.distortion, ideal, np.zeros_like(ideal))
    assert np.max(np.abs(ours - theirs)) / pitch_mm < 0.05, (ours - theirs) / pitch_mm
    hy = np.linspace(0, 1, 9)
    for band, nm in rx.TCA_NM.items():
        rays = op.trace_generic(0 * hy, hy, 0 * hy, 0 * hy, nm * 1e-3)
        green = op.trace_generic(0 * hy, hy, 0 * hy, 0 * hy, spec.wavelength_nm * 1e-3)
        h_ref = np.asarray(green.y, dtype=float)
        model = h_ref * tca_scale(lens.spec.tca, getattr(lens.spec.tca, band), h_ref / lens.spec.tca.norm_radius_mm)
        assert np.max(np.abs(model - np.asarray(rays.y, dtype=float))) / pitch_mm < 0.05, band


def test_a_clipping_aperture_vignettes_as_the_overlap_of_two_circles():
    """A flat aperture of the beam's radius R, L in front of the stop: the collimated beam from field angle
    theta lands displaced by L tan(theta), so the passed fraction is the overlap of two circles of radius R at
    that distance: (2/pi)(acos s - s sqrt(1 - s^2)), s = L tan(theta) / (2 R). The traced relative illumination
    with the aperture, over that without it, follows it within 1 % (the ray grid's sampling); the lensfun 'pa'
    polynomial (even powers of r) cannot follow the overlap's linear start, and says so in its residual."""
    from camrig_optics.ideal import circle_overlap

    f_number, gap = 8.0, 20.0
    beam = lensmaker_efl() / f_number / 2

    def traced(clip: bool) -> dict:
        front = {"radius_mm": 0, "thickness_mm": gap, **({"semi_diameter_mm": beam} if clip else {})}
        first = {"radius_mm": R1, "thickness_mm": D, "index": N_D, "abbe": V_D, "stop": True}
        surfaces = [front, first, {"radius_mm": R2, "thickness_mm": 45.0}]
        # the chief ray itself is clipped beyond 8.8 degrees (7.6 mm): the field stays inside that
        return rx.traced(PrescriptionSpec(surfaces=surfaces, f_number=f_number, image_circle_mm=14.4))

    clipped, open_ = traced(True), traced(False)
    theta = np.radians(clipped["field_samples"]["field_deg"])
    ratio = np.divide(
        clipped["field_samples"]["relative_illumination"], open_["field_samples"]["relative_illumination"]
    )
    expected = circle_overlap(gap * np.tan(theta) / (2 * beam))
    assert expected[-1] < 0.5  # the corner loses more than half its light
    assert np.max(np.abs(ratio - expected)) < 0.01, np.c_[ratio, expected]
    assert open_["vignetting"]["max_residual"] < 0.005 < 0.03 < clipped["vignetting"]["max_residual"] < 0.1


def test_a_clipping_aperture_cuts_each_zones_pupil_to_the_displaced_circle():
    """The same aperture seen in the pupil: for field angle theta its rim is a circle of the pupil's radius whose
    centre is displaced by d = L tan(theta) / R pupil radii along the field (towards the image point: the beam of
    a field above the axis runs downwards, so at the aperture L in front of the stop it is still L tan(theta)
    higher, and the rim bounds it on the image point's side). The pupil that passes is the unit disk inside it:
    its edge along azimuth phi (from +x, the zone's field direction) is the ray-circle intersection
    rho = d cos(phi) + sqrt(1 - d^2 sin^2(phi)) (by hand), which the bisected edge follows within 1e-4."""
    f_number, gap = 8.0, 20.0
    beam = lensmaker_efl() / f_number / 2
    front = {"radius_mm": 0, "thickness_mm": gap, "semi_diameter_mm": beam}
    first = {"radius_mm": R1, "thickness_mm": D, "index": N_D, "abbe": V_D, "stop": True}
    spec = PrescriptionSpec(surfaces=[front, first, {"radius_mm": R2, "thickness_mm": 45.0}], f_number=f_number,
                            image_circle_mm=14.4, trace_wavelengths_nm=())  # fmt: skip
    derived = rx.traced(spec)
    samples = derived["field_samples"]
    assert derived["zones"][0]["pupil_edge"] == []  # on axis the aperture is the beam: nothing clipped
    for zone in derived["zones"][1:]:
        theta = np.radians(np.interp(zone["field"] * derived["half_diagonal_mm"], samples["radius_mm"],
                                     samples["field_deg"]))  # fmt: skip
        d = gap * np.tan(theta) / beam
        phi = 2 * np.pi * np.arange(len(zone["pupil_edge"])) / len(zone["pupil_edge"])
        expected = np.minimum(1.0, d * np.cos(phi) + np.sqrt(1 - (d * np.sin(phi)) ** 2))
        assert len(zone["pupil_edge"]) == rx.PUPIL_EDGE_AZIMUTHS
        np.testing.assert_allclose(zone["pupil_edge"], expected, atol=1e-4)
        assert min(zone["pupil_edge"]) < 0.9  # the test has teeth: the cut is large


def test_without_optiland_the_error_names_the_extra(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "optiland", None)  # import optiland now raises ImportError
    with pytest.raises(rx.PrescriptionError, match=r"pip install 'camrig\[prescription\]'"):
        rx.traced(singlet(f_number=6.0))


def ray_transfer(surfaces: list[tuple[float, float, float]]) -> tuple[float, float]:
    """(EFL, back focal distance) by hand from paraxial ray-transfer matrices on (y, n u) (E. Hecht, *Optics*,
    5th ed., sec. 6.2): refraction [[1, 0], [-(n' - n) c, 1]], transfer [[1, t / n'], [0, 1]]; surfaces are
    (curvature, index after, thickness after), the last thickness not applied. EFL = -1 / M21, BFD = -M11 / M21
    (the thick-lens equations for one element)."""
    m = np.eye(2)
    n = 1.0
    for i, (c, n2, t) in enumerate(surfaces):
        m = np.array([[1.0, 0.0], [-(n2 - n) * c, 1.0]]) @ m
        if i + 1 < len(surfaces):
            m = np.array([[1.0, t / n2], [0.0, 1.0]]) @ m
        n = n2
    return -1.0 / m[1, 0], -m[0, 0] / m[1, 0]


DOUBLET = [  # a cemented achromat, crown then flint (index and Abbe number)
    dict(radius_mm=61.47, thickness_mm=6.0, index=1.5168, abbe=64.17, stop=True),
    dict(radius_mm=-44.64, thickness_mm=2.5, index=1.6727, abbe=32.21),
    dict(radius_mm=-129.94, thickness_mm=95.0),
]


@pytest.mark.parametrize("which", ["singlet", "doublet"])
def test_paraxial_focal_length_back_focus_and_f_number_by_hand(which):
    """EFL and back focal distance against ray-transfer matrices (1e-6 relative); the f-number as the image-space
    marginal ray's slope, N = 1 / (2 u'), with the stop (the first surface) giving the entrance pupil."""
    if which == "singlet":
        spec = singlet(f_number=6.0, image_plane="paraxial")
        by_hand = ray_transfer([(1 / R1, N_D, D), (1 / R2, 1.0, 0.0)])
        assert by_hand[0] == pytest.approx(lensmaker_efl(), rel=1e-12)  # the matrices are the lensmaker's equation
    else:
        spec = PrescriptionSpec(surfaces=DOUBLET, f_number=6.0, image_circle_mm=1.0, image_plane="paraxial",
                                trace_wavelengths_nm=())  # fmt: skip
        by_hand = ray_transfer([(1 / 61.47, 1.5168, 6.0), (-1 / 44.64, 1.6727, 2.5), (-1 / 129.94, 1.0, 0.0)])
    d = rx.traced(spec)
    assert abs(d["efl_mm"] / by_hand[0] - 1) < 1e-6
    assert abs(d["paraxial_bfd_mm"] / by_hand[1] - 1) < 1e-6
    op = rx.build_optic(spec)
    rx.configure(spec, op)
    y, u = op.paraxial.marginal_ray()
    slope = abs(float(np.ravel(np.asarray(u))[-1]))
    assert abs(1 / (2 * slope) / 6.0 - 1) < 1e-6
    assert abs(d["epd_mm"] / (by_hand[0] / 6.0) - 1) < 1e-6


def test_a_singlets_chromatic_focal_shift_follows_its_glass():
    """Longitudinal colour: at F (486.13 nm) and C (656.27 nm) the traced wavefronts, with the sensor fixed, put
    the image dz = W020 lambda 8 N^2 behind it (W020 the rho^2 coefficient of the Zernike sum, waves; paraxial
    defocus, good to the order of dz / f and the cone's change with f, ~1 % here); their difference is the shift
    of the back focal distance between N-BK7's two indices by the thick-lens equations,
    BFD = f (1 - (n - 1) d / (n R1)), 1/f from the lensmaker's equation."""
    from optiland.materials import Material

    f_number, lines = 22.0, (486.13, 656.27)
    surfaces = [dict(radius_mm=R1, thickness_mm=D, material="N-BK7", stop=True), dict(radius_mm=R2, thickness_mm=45.0)]
    spec = PrescriptionSpec(surfaces=surfaces, f_number=f_number, image_circle_mm=0.2, image_plane="paraxial",
                            trace_wavelengths_nm=lines)  # fmt: skip
    axis = rx.traced(spec)["zones"][0]["zernike_waves_by_nm"]

    def focal_length_mm(nm: float) -> tuple[float, float]:
        n = float(np.ravel(Material("N-BK7").n(nm * 1e-3))[0])
        return 1.0 / ((n - 1) * (1 / R1 - 1 / R2 + (n - 1) * D / (n * R1 * R2))), n

    def image_behind_sensor_um(nm: float) -> float:
        a = {int(j): w for j, w in axis[str(nm)].items()}
        w020 = 2 * math.sqrt(3) * a.get(4, 0) - 6 * math.sqrt(5) * a.get(11, 0) + 12 * math.sqrt(7) * a.get(22, 0)
        w020 -= 60 * a.get(37, 0)
        return w020 * nm * 1e-3 * 8 * f_number**2

    def bfd_um(nm: float) -> float:
        f, n = focal_length_mm(nm)
        return f * (1 - (n - 1) * D / (n * R1)) * 1e3

    traced = image_behind_sensor_um(lines[1]) - image_behind_sensor_um(lines[0])
    by_hand = bfd_um(lines[1]) - bfd_um(lines[0])
    assert by_hand > 500  # the C image lies ~0.75 mm behind the F image: a real shift
    assert traced == pytest.approx(by_hand, rel=0.01)


def test_a_diffraction_limited_lens_renders_the_airy_mtf_through_the_lens_stage():
    """A slow singlet on a tiny field (f/22, 0.4 mm diagonal) through PrescriptionLens.process: the rendered line
    spread function of a line on a pixel centre, Fourier transformed, is the analytic MTF of a circular pupil
    (2/pi)(acos v - v sqrt(1 - v^2)), v = f lambda N (Goodman eq. 6-32), times the pixel's sinc, aliased by the
    pixel sampling (sum over f + k / pitch), within 0.02 up to Nyquist."""
    from camrig_optics.psf import diffraction_mtf

    spec = singlet(f_number=22.0, image_circle_mm=0.5, wavelength_nm=550.0)
    lens = rx.PrescriptionLens(spec)
    pitch, cols, rows = 5.0, 64, 48  # Nyquist 0.1 cycles/um, beyond the cutoff 1 / (lambda N) = 0.083
    plane = camrig.FocalPlane(width_px=cols, height_px=rows, pitch_um=pitch)
    view = lens.view(plane)
    m = (view.height - rows) // 2
    radiance = np.zeros((view.height, view.width, 3), np.float32)
    radiance[:, m + cols // 2] = 1.0  # a vertical line on the centre of pixel column 32
    ctx = camrig.CaptureContext(exposure_s=1e-3, seed=0, geometry=camrig.Geometry(plane=plane, view=view))
    frame = camrig.Frame(radiance, camrig.FrameMeta(format="radiance", units="W/(m^2 sr)", bands_nm=(450, 550, 650)))
    lsf = lens.process(frame, ctx, "lens").data[rows // 2, :, 1].astype(np.float64)
    x = (np.arange(cols) - cols // 2) * pitch
    for nu in np.arange(0.01, 0.1001, 0.01):
        measured = abs(np.sum(lsf * np.exp(-2j * np.pi * nu * x))) / lsf.sum()
        expected = sum(diffraction_mtf(f, 0.55, 22.0) * np.sinc(f * pitch) for f in nu + np.arange(-2, 3) / pitch)
        assert abs(measured - expected) < 0.02, (nu, measured, expected)


def test_zones_are_turned_onto_the_x_axis_and_fit_to_j37():
    """optiland traces the field along y; the zones are turned onto +x, camrig's zone axis: astigmatism of a
    rotationally symmetric lens is then Z6 only (cos 2 theta, along the radius), coma Z8 only (cos theta). The fit
    to j = 37 leaves a smaller residual than to j = 11 on the fast double-Gauss (higher-order spherical)."""
    d = rx.traced(singlet(f_number=5.0, image_circle_mm=8.0))
    edge = {int(j): w for j, w in d["zones"][-1]["zernike_waves"].items()}
    assert abs(edge[6]) > 0.01 and abs(edge[8]) > 0.001
    assert abs(edge.get(5, 0.0)) < 1e-6 * abs(edge[6]) and abs(edge.get(7, 0.0)) < 1e-6 * abs(edge[8])
    assert all("fit_rms_waves" in z for z in d["zones"])
