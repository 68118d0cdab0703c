"""A lens from its optical prescription, ray traced by optiland and reduced to an :class:`IdealLens`.

The surfaces (inline, or a Zemax ``.zmx`` file read by ``optiland.fileio.load_zemax_file``) are traced by
optiland (the optional extra ``camrig[prescription]``; imported only when such a lens is built) with the
object at infinity, and the trace is reduced to what camrig's ideal lens already renders:

* **Effective focal length** and back focal distance: optiland's paraxial trace (for a singlet they follow the
  lensmaker's equation 1/f = (n - 1) [1/R1 - 1/R2 + (n - 1) d / (n R1 R2)]; E. Hecht, *Optics*, 5th ed., eq. 6.2).
* **f-number**: N = f / D_EP with the entrance pupil diameter D_EP set to f / N; the stop's semi-diameter
  bounds it (paraxial marginal ray: D_EP,max = 2 sd_stop / (y_stop / y_EP)).
* **Distortion**: real chief rays at field angles theta land at height h(theta); camrig's lensfun ``poly5``
  model r_d = r_u (1 + k1 r_u^2 + k2 r_u^4) is fitted by least squares to h against the pinhole height
  r_u = f tan(theta), radii normalised by the traced half diagonal.
* **Lateral colour**: chief-ray heights at 450 and 650 nm (:data:`TCA_NM`) against the reference
  wavelength's, fitted to lensfun's ``poly3`` r'/r = v + c r + b r^2 (``TcaSpec``; camrig applies the blue
  one to bands <= 500 nm and the red one to bands >= 600 nm).
* **Relative illumination**: E(theta) / E(0) = T(theta) cos(theta) f^2 sin(theta) / (h dh/dtheta), the
  camera equation for a pupil of projected area cos(theta) and the image area dA = h dh dphi that the solid
  angle dOmega = sin(theta) dtheta dphi lands on (for h = f tan theta it is the cos^4 law; W. J. Smith,
  *Modern Optical Engineering*, 4th ed., ch. 8), with T the fraction of a uniform entrance-pupil ray grid
  that passes every semi-diameter (mechanical vignetting), the stop closed as an iris to the working f-number and
  the grid overfilled, so the real entrance pupil's growth off axis (pupil aberration) counts
  (:func:`_passed_fraction`). Fitted to lensfun's ``pa`` polynomial 1 + k1 r^2 + k2 r^4 + k3 r^6
  (``VignettingSpec``). The wavefront fits still aim rays at the paraxial entrance pupil (at the f/2.8 corner
  of the shipped 35 mm, optiland's iterative ray aiming moves no Zernike term by more than 0.05 waves; wide open
  it fails to converge).
* **Wavefront**: at each of ``field_points`` (relative to the sensor's half diagonal) optiland's optical path
  difference against the reference sphere centred on the chief ray's image point, on a hexapolar pupil grid,
  is fitted by least squares to Noll-normalised Zernike polynomials j = 1..``zernike_terms`` (default 37: every
  term to radial order 7 and the tertiary spherical; R. J. Noll, JOSA 66(3), 1976;
  :func:`camrig_optics.psf.zernike`), the RMS residual reported per zone (``fit_rms_waves``); j >= 4 become
  that field's :class:`AberrationZone` in waves (piston and tilt are dropped: tilt is distortion, fitted above).
  Where rims vignette the pupil (the "cat's eye" off axis), only the rays that pass are fitted, and the zone
  carries the passed pupil's edge (``pupil_edge``, :func:`_pupil_edge`): the PSF is formed over that pupil, where
  the fit holds, not over the full circle, where 37 terms fitted on a cat's eye extrapolate to many waves.
  optiland's OPD is reference minus ray path; camrig's wavefront has the opposite sign (positive Z4: the image
  behind the sensor), so the fit takes its negative. optiland traces the field along y (the image point on -y);
  the coefficients are turned onto +x, the axis camrig's zones are given for (:func:`camrig_optics.psf.rotated`),
  and the lens turns them to each pixel's azimuth.
* **Per band**: the wavefront is also fitted at each of ``trace_wavelengths_nm`` with the sensor where it is
  for the reference wavelength (``zernike_waves_by_nm``): the Z4 of each wavelength is its longitudinal colour
  (for a singlet f(lambda) from the lensmaker's equation with n(lambda)), Z11 against wavelength its
  spherochromatism; each band takes the coefficients interpolated at its wavelength.
  ``image_plane: best_focus`` removes the reference wavelength's on-axis Z4 from every zone (and the same
  sensor shift, Z4 x lambda_ref / lambda, from every wavelength's): the sensor moved along the axis to the
  focus of least on-axis RMS wavefront error, which shifts every field by the same Z4 to first order.
  Trace wavelengths outside a glass's dispersion data are refused (optiland would extrapolate).

The ideal lens then blends the zones linearly in field radius, adds the thin-lens defocus of focus and subject
distance and the sensor tilt, and stops nothing down (the trace is at the working f-number). Tracing takes
seconds, so the derived numbers are cached on disk (:func:`cache_dir`) under a hash of every input that
changes them; a corrupt entry is ignored and rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import math
import warnings
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from . import AberrationZone, IdealLensSpec, PrescriptionSpec
from .cache import cache_root, write_atomically
from .distortion import DistortionSpec, TcaSpec, VignettingSpec
from .ideal import IdealLens
from .psf import rotated, zernike

CACHE_VERSION = 4
"""Bump when the derivation changes: old cache entries are then never read."""
OPD_SIGN = -1.0
"""camrig wavefront = OPD_SIGN x optiland OPD (optiland: reference minus ray; see the module docstring)."""
FIELD_SAMPLES = 25
"""Field angles, axis to the traced corner, for the distortion and relative-illumination fits."""
VIGNETTING_RAYS = 64
"""Rays per (working) pupil diameter of the uniform grid that measures the passed fraction."""
OVERFILL = 1.5
"""The passed-fraction grid spans this many times the working entrance pupil (the iris bounds the beam)."""
TCA_NM = {"blue": 450.0, "red": 650.0}
"""Wavelengths whose chief rays give lateral colour; camrig applies them to bands <= 500 and >= 600 nm."""
KEEP_WAVES = 1e-4
"""Zernike terms below this (RMS waves) are dropped from the zones: round-off of symmetric terms (astigmatism on
axis) and terms that change the Strehl ratio by (2 pi 1e-4)^2 ~ 4e-7, but cost a turned PSF per sector."""
PUPIL_EDGE_AZIMUTHS = 48
"""Azimuths at which a zone's vignetted pupil edge is found (7.5 degrees apart: linear interpolation of a rim's
circular arc between them errs by r (1 - cos 3.75 deg) ~ 0.2 % of its radius)."""
PUPIL_EDGE_TOLERANCE = 1e-6
"""Bisection tolerance of the pupil edge (relative pupil radius); an edge within 1e-4 of round is taken as round."""
GLASS_RANGE_ABBE_NM = (365.0, 1014.0)
"""Where an index and Abbe number describe a glass (the i to t lines): trace wavelengths beyond are refused."""


class PrescriptionError(ValueError):
    """A prescription that cannot be traced; the message names the surface, field or file."""


def _optiland():  # type: ignore[no-untyped-def]
    try:
        import optiland  # noqa: F401
        from optiland import optic
    except ImportError as exc:
        raise PrescriptionError(
            "optics.prescription needs optiland: pip install 'camrig[prescription]'" + f" ({exc})"
        ) from None
    return optic


def cache_dir() -> Path:
    """Where derived prescriptions are cached: ``prescriptions/`` under :func:`camrig_optics.cache.cache_root`
    ($CAMRIG_CACHE_DIR, else $XDG_CACHE_HOME/camrig, default ~/.cache/camrig)."""
    return cache_root() / "prescriptions"


def cache_key(spec: PrescriptionSpec) -> str:
    """SHA-256 of every input the trace depends on: the surfaces (or the .zmx file's bytes), f-number,
    wavelength, trace wavelengths, Zernike terms, traced field, field points, image plane, pupil sampling,
    optiland's version and
    :data:`CACHE_VERSION`. Focus and subject distance are not in it: the trace is at infinity and refocusing
    is the ideal lens's thin-lens defocus."""
    from importlib.metadata import version

    if spec.zmx is not None:
        source: Any = {"zmx_sha256": hashlib.sha256(_zmx_path(spec).read_bytes()).hexdigest()}
    else:
        source = [s.model_dump(mode="json") for s in spec.surfaces or []]
    try:
        optiland_version = version("optiland")
    except Exception:  # noqa: BLE001 - not installed: the build fails later with the extra's name
        optiland_version = "?"
    payload = {
        "v": CACHE_VERSION, "optiland": optiland_version, "source": source, "f_number": spec.f_number,
        "wavelength_nm": spec.wavelength_nm, "diagonal_mm": _diagonal(spec), "field_points": list(spec.field_points),
        "image_plane": spec.image_plane, "pupil_rings": spec.pupil_rings,
        "trace_wavelengths_nm": list(spec.trace_wavelengths_nm), "zernike_terms": spec.zernike_terms,
    }  # fmt: skip
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _diagonal(spec: PrescriptionSpec) -> float:
    return spec.sensor_diagonal_mm or spec.image_circle_mm


def _zmx_path(spec: PrescriptionSpec) -> Path:
    path = Path(spec.zmx or "").expanduser()
    if not path.is_file():
        raise PrescriptionError(f"zmx: {path}: no such file")
    return path


# -- building the optic --------------------------------------------------------------------------------------------


def build_optic(spec: PrescriptionSpec):  # type: ignore[no-untyped-def]
    """The optiland Optic of ``spec`` (object at infinity), before aperture and field are set."""
    optic = _optiland()
    if spec.zmx is not None:
        path = _zmx_path(spec)
        from optiland.fileio import load_zemax_file

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                op = load_zemax_file(str(path))
        except Exception as exc:  # noqa: BLE001 - optiland's reader raises many kinds; name the file
            raise PrescriptionError(f"zmx: {path}: optiland cannot read it: {exc}") from None
        if not math.isinf(float(op.surfaces[0].thickness)):
            raise PrescriptionError(
                f"zmx: {path}: the object is at a finite distance; only infinite conjugates are traced"
            )
        return op
    from optiland.materials import AbbeMaterial
    from optiland.physical_apertures import RadialAperture

    op = optic.Optic()
    op.surfaces.add(index=0, radius=np.inf, thickness=np.inf)
    for i, s in enumerate(spec.surfaces or [], start=1):
        where = f"surfaces[{i - 1}]"
        kw: dict[str, Any] = {
            "radius": np.inf if s.radius_mm == 0 or math.isinf(s.radius_mm) else s.radius_mm,
            "thickness": s.thickness_mm, "conic": s.conic, "is_stop": s.stop,
        }  # fmt: skip
        if s.semi_diameter_mm is not None:
            kw["aperture"] = RadialAperture(s.semi_diameter_mm)
        if s.index is not None:
            kw["material"] = AbbeMaterial(s.index, s.abbe, model="buchdahl")  # n_d exact at 587.56 nm
        elif s.material is not None:
            kw["material"] = s.material
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                op.surfaces.add(index=i, **kw)
        except Exception as exc:  # noqa: BLE001 - optiland: ValueError for an unknown glass, others for geometry
            raise PrescriptionError(f"{where}.material: {exc}" if s.material else f"{where}: {exc}") from None
    op.surfaces.add(index=len(spec.surfaces or []) + 1)
    _check_glass_ranges(spec, op)
    return op


def _check_glass_ranges(spec: PrescriptionSpec, op: Any) -> None:
    """Refuse a trace wavelength outside a glass's dispersion data (optiland would extrapolate silently)."""
    wanted = (spec.wavelength_nm, *spec.trace_wavelengths_nm)
    for i, surface in enumerate(op.surfaces):
        material = getattr(surface, "material_post", None)
        if material is None or type(material).__name__ == "IdealMaterial":
            continue
        if type(material).__name__ == "AbbeMaterial":
            lo, hi, what = *GLASS_RANGE_ABBE_NM, "an index and Abbe number (the i to t lines)"
        else:
            low, high = getattr(material, "min_wavelength", None), getattr(material, "max_wavelength", None)
            if low is None or high is None:
                continue
            lo, hi = float(low) * 1e3, float(high) * 1e3
            what = f"the data of {getattr(material, 'name', 'its glass')}"
        bad = [nm for nm in wanted if not lo <= nm <= hi]
        if bad and 1 <= i <= len(spec.surfaces or op.surfaces):
            where = f"surfaces[{i - 1}]" if spec.surfaces is not None else f"zmx surface {i}"
            raise PrescriptionError(
                f"trace_wavelengths_nm: {bad[0]:g} nm is outside {what}, {lo:.0f}-{hi:.0f} nm, of the glass after "
                f"{where}"
            )


def _finite(value: Any) -> float:
    return float(np.ravel(np.asarray(value))[0])


# -- the trace -----------------------------------------------------------------------------------------------------


def derive(spec: PrescriptionSpec) -> dict[str, Any]:
    """Trace ``spec`` and reduce it to plain numbers (JSON-able): see the module docstring."""
    wl = spec.wavelength_nm * 1e-3
    op = build_optic(spec)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        derived = _derive(spec, op, wl)
    return json.loads(json.dumps(derived))  # exactly what the cache gives back (string keys, floats)


def _set_field(op: Any, theta_max_deg: float) -> None:
    from optiland.fields.field_group import FieldGroup

    op.fields = FieldGroup()
    op.fields.set_type("angle")
    op.fields.add(y=0.0)
    op.fields.add(y=theta_max_deg)


def configure(spec: PrescriptionSpec, op: Any) -> dict[str, float]:
    """Set ``op`` up as :func:`derive` traces it: the wavelength, the entrance pupil for ``f_number`` (refused
    beyond the stop's semi-diameter) and the image plane (the paraxial one, or the prescription's); returns
    efl_mm, epd_mm, paraxial_bfd_mm and bfd_mm, where the sensor goes (best focus) for the wavefront."""
    from optiland.wavelength import WavelengthGroup

    wl = spec.wavelength_nm * 1e-3
    op.wavelengths = WavelengthGroup()  # replaces a .zmx file's own wavelengths and fields
    op.wavelengths.add(value=wl, is_primary=True)
    op.set_aperture("EPD", 1.0)
    _set_field(op, 1.0)
    efl = _finite(op.paraxial.f2())
    if not math.isfinite(efl) or efl <= 0:
        raise PrescriptionError(
            f"surfaces: the prescription has no positive focal length (paraxial EFL {efl:.4g} mm): it forms no real "
            "image of a distant object"
        )
    epd = efl / spec.f_number
    stop = op.surfaces.stop_index
    y_marginal, _ = op.paraxial.marginal_ray()  # at EPD = 1: heights scale with the pupil
    stop_sd = getattr(getattr(op.surfaces[stop], "aperture", None), "r_max", None)
    if stop_sd is not None:
        y_stop = abs(float(np.ravel(np.asarray(y_marginal))[stop]))  # the marginal ray's height there at EPD 1
        max_epd = float(stop_sd) / y_stop if y_stop > 0 else math.inf
        if epd > max_epd * (1 + 1e-6):
            raise PrescriptionError(
                f"f_number: the stop (surface {stop - 1}, semi-diameter {float(stop_sd):g} mm) opens to "
                f"f/{efl / max_epd:.3g}, not f/{spec.f_number:g}"
            )
    op.set_aperture("EPD", epd)
    last = op.surfaces.num_surfaces - 2  # the surface before the image
    if spec.image_plane != "prescription":
        op.updater.image_solve()
    paraxial_bfd = float(op.surfaces[last].thickness)
    bfd = paraxial_bfd
    if spec.image_plane == "best_focus":
        # move the sensor to null the on-axis Z4: Z4 = dz / (8 N^2) / (2 sqrt 3) / lambda is an image dz behind
        # the sensor (camrig_optics.psf.focal_shift_waves), so the sensor moves back by dz
        _set_field(op, 1.0)
        axis_z4 = _fit_zone(spec, op, 0.0, 0.0)["zernike_waves"][4]
        bfd = paraxial_bfd + axis_z4 * 2 * math.sqrt(3) * 8 * spec.f_number**2 * wl * 1e-3
    return {"efl_mm": efl, "epd_mm": epd, "paraxial_bfd_mm": paraxial_bfd, "bfd_mm": bfd, "last_surface": last}


def _least_squares(basis: np.ndarray, values: np.ndarray) -> np.ndarray:
    """min |basis c - values|: the normal equations (Zernike terms are near-orthogonal on the pupil grid, so they
    are well conditioned, and cheap), else SVD least squares when a clipped pupil makes them ill-conditioned."""
    gram = basis.T @ basis
    if np.linalg.cond(gram) < 1e8:
        return np.linalg.solve(gram, basis.T @ values)  # type: ignore[no-any-return]
    return np.linalg.lstsq(basis, values, rcond=None)[0]  # type: ignore[no-any-return]


def _fit_zone(
    spec: PrescriptionSpec, op: Any, field: float, hy: float, wavelength_nm: float | None = None
) -> dict[str, Any]:
    """Noll j = 1..``zernike_terms`` least-squares fit of the traced OPD at normalised field ``hy`` and
    ``wavelength_nm`` (default the reference); j >= 4 kept, with the fit's RMS residual (waves)."""
    from optiland.wavefront import OPD

    wl = (wavelength_nm or spec.wavelength_nm) * 1e-3
    opd = OPD(op, (0.0, hy), wl, num_rings=spec.pupil_rings, strategy="chief_ray")
    data = opd.get_data(opd.fields[0], opd.wavelengths[0])
    x = np.asarray(opd.distribution.x, dtype=float)
    y = np.asarray(opd.distribution.y, dtype=float)
    w = OPD_SIGN * np.asarray(data.opd, dtype=float)
    ok = (np.asarray(data.intensity, dtype=float) > 0) & np.isfinite(w)
    terms = range(1, spec.zernike_terms + 1)
    if ok.sum() < 2 * len(terms):
        raise PrescriptionError(
            f"field_points: at field {field:g} too few rays pass the lens to fit its wavefront ({int(ok.sum())} for "
            f"{len(terms)} Zernike terms: raise pupil_rings or lower zernike_terms)"
        )
    rho_p, phi_p = np.hypot(x[ok], y[ok]), np.arctan2(y[ok], x[ok])
    basis = np.stack([zernike(j, rho_p, phi_p) for j in terms], axis=1)
    coefficients = _least_squares(basis, w[ok])
    residual = float(np.sqrt(np.mean((basis @ coefficients - w[ok]) ** 2)))
    waves = {j: float(c) for j, c in zip(terms, coefficients) if j >= 4}
    return {
        "field": float(field),
        "zernike_waves": waves,
        "fit_rms_waves": residual,
        "vignetted_fraction": float(1 - ok.mean()),
    }


def _pupil_edge(op: Any, hy: float, wl: float, turn: float) -> list[float]:
    """The edge of the pupil that passes every semi-diameter at normalised field ``hy``, as the relative pupil
    radius at :data:`PUPIL_EDGE_AZIMUTHS` equally spaced azimuths of camrig's pupil (optiland's turned by
    ``turn``, as the zone's wavefront is): real rays bisected from the pupil centre (the chief ray, which the field
    check has already seen pass) to the rim along each azimuth. The passed pupil is an intersection of circles (the
    rims projected into the pupil), so convex and star-shaped about its centre: one edge radius per azimuth
    describes it. Empty when nothing is vignetted; one radius repeated when it is round (a rim clipping on axis)."""
    phi = 2 * np.pi * np.arange(PUPIL_EDGE_AZIMUTHS) / PUPIL_EDGE_AZIMUTHS - turn  # optiland's azimuths
    ux, uy = np.cos(phi), np.sin(phi)
    hx_all, hy_all = np.zeros_like(phi), np.full_like(phi, hy)

    def passes(rho: np.ndarray) -> np.ndarray:
        rays = op.trace_generic(hx_all, hy_all, rho * ux, rho * uy, wl)
        i = np.asarray(rays.i, dtype=float)
        return np.isfinite(np.asarray(rays.y, dtype=float)) & np.isfinite(i) & (i > 0)  # type: ignore[no-any-return]

    lo, hi = np.zeros_like(phi), np.ones_like(phi)
    whole = passes(hi)
    lo[whole] = 1.0
    while np.max(hi - lo) > PUPIL_EDGE_TOLERANCE:
        mid = (lo + hi) / 2
        ok = passes(mid)
        lo, hi = np.where(ok, mid, lo), np.where(ok, hi, mid)
    edge = (lo + hi) / 2
    edge[whole] = 1.0
    if edge.min() >= 1.0 - 1e-4:
        return []
    if edge.max() - edge.min() < 1e-4:
        edge[:] = edge.mean()
    return [float(e) for e in edge]


def _passed_fraction(op: Any, hy: np.ndarray, wl: float, epd: float) -> np.ndarray:
    """The light each field's beam gets through, relative to a grid over an entrance pupil ``OVERFILL`` times
    the working one: the stop closed, as an iris, to the paraxial marginal ray's height there (a prescription's
    stop semi-diameter is its full aperture), so the real pupil, not the paraxial one the rays are aimed at,
    bounds the beam. Off axis the iris's image grows (pupil aberration: 6 % in area at the f/2.8 corner of the
    shipped 35 mm) and the lens rims cut it (cat's eye): both are in the count. Checked against the exit pupil's
    projected solid angle (tests/plugins/test_optics_relative_illumination.py)."""
    from optiland.physical_apertures import RadialAperture

    stop = op.surfaces.stop_index
    surface = op.surfaces[stop]
    aperture = getattr(surface, "aperture", None)
    y_marginal, _ = op.paraxial.marginal_ray()
    iris = abs(float(np.ravel(np.asarray(y_marginal))[stop]))
    full = getattr(aperture, "r_max", None)
    try:
        if full is None or iris < float(full):
            surface.aperture = RadialAperture(iris)
        op.set_aperture("EPD", epd * OVERFILL)
        fraction = np.empty_like(hy)
        for i, hyi in enumerate(hy):
            r = op.trace(0.0, float(hyi), wl, num_rays=round(VIGNETTING_RAYS * OVERFILL), distribution="uniform")
            intensity = np.asarray(r.i, dtype=float)
            fraction[i] = np.mean(np.isfinite(intensity) & (intensity > 0))
    finally:
        surface.aperture = aperture
        op.set_aperture("EPD", epd)
    return fraction


def _derive(spec: PrescriptionSpec, op: Any, wl: float) -> dict[str, Any]:
    axial = configure(spec, op)
    efl, epd = axial["efl_mm"], axial["epd_mm"]

    # field: find the angle whose chief ray reaches the traced half diagonal
    half = _diagonal(spec) / 2
    beyond = [f for f in spec.field_points if f * half > spec.image_circle_mm / 2 * (1 + 1e-9)]
    if beyond:
        raise PrescriptionError(
            f"field_points: {beyond[0]:g} of the {2 * half:g} mm sensor diagonal ({beyond[0] * half:.3g} mm from the "
            f"axis) lies beyond the lens's {spec.image_circle_mm:g} mm image circle"
        )
    theta_max = math.degrees(math.atan(half / efl)) * 1.25
    if theta_max >= 89:
        raise PrescriptionError(
            f"sensor_diagonal_mm: a {2 * half:g} mm diagonal needs more than 89 degrees of field at f = {efl:.3g} mm"
        )
    _set_field(op, theta_max)
    hy = np.linspace(0.0, 1.0, 4 * FIELD_SAMPLES + 1)
    rays = op.trace_generic(np.zeros_like(hy), hy, np.zeros_like(hy), np.zeros_like(hy), wl)
    h = np.abs(np.asarray(rays.y, dtype=float))
    alive = np.isfinite(h) & (np.asarray(rays.i, dtype=float) > 0)
    theta = np.radians(hy * theta_max)
    bad = ~alive | np.concatenate([[False], np.diff(h) <= 0])
    if bad[: int(np.searchsorted(h, half)) + 2].any() or np.nanmax(np.where(alive, h, np.nan)) < half:
        first = theta[np.argmax(bad)] if bad.any() else theta[-1]
        raise PrescriptionError(
            f"field: the chief ray fails or turns back at {math.degrees(first):.2f} degrees of field before reaching "
            f"the {half:g} mm half diagonal (total internal reflection, a missed surface or a clipped chief ray)"
        )

    def theta_at(radius_mm: float) -> float:  # h increases up to past the half diagonal (checked above)
        return float(np.interp(radius_mm, h, theta))

    theta_top = theta_at(half)

    # distortion (lensfun poly5 on the pinhole height f tan theta, normalised by the half diagonal)
    t = np.linspace(0.0, theta_top, FIELD_SAMPLES)
    hy_t = np.degrees(t) / theta_max
    chief = op.trace_generic(np.zeros_like(hy_t), hy_t, np.zeros_like(hy_t), np.zeros_like(hy_t), wl)
    h_t = np.abs(np.asarray(chief.y, dtype=float))
    r_u = efl * np.tan(t[1:]) / half
    design = np.stack([r_u**2, r_u**4], axis=1)
    (k1, k2), *_ = np.linalg.lstsq(design, h_t[1:] / (efl * np.tan(t[1:])) - 1, rcond=None)
    model = r_u * (1 + k1 * r_u**2 + k2 * r_u**4) * half
    distortion_residual_um = float(np.max(np.abs(model - h_t[1:]))) * 1e3

    # lateral colour: chief-ray heights at TCA_NM against the reference wavelength's, lensfun poly3 of its radius
    tca = {}
    for name, nm in TCA_NM.items():
        band = op.trace_generic(np.zeros_like(hy_t), hy_t, np.zeros_like(hy_t), np.zeros_like(hy_t), nm * 1e-3)
        h_band = np.abs(np.asarray(band.y, dtype=float))
        if not np.isfinite(h_band).all():
            raise PrescriptionError(
                f"field: a chief ray at {nm:g} nm fails inside the field (total internal reflection or a missed "
                "surface)"
            )
        rho_t = h_t[1:] / half
        design = np.stack([np.ones_like(rho_t), rho_t, rho_t**2], axis=1)  # r'/r = v + c r + b r^2
        (tv, tc, tb), *_ = np.linalg.lstsq(design, h_band[1:] / h_t[1:], rcond=None)
        tca[name] = [float(tv), float(tc), float(tb)]

    # relative illumination: passed fraction x cos(theta) f^2 sin(theta) / (h dh/dtheta), the fraction with the
    # iris closed to the working f-number and the pupil overfilled (:func:`_passed_fraction`)
    fraction = _passed_fraction(op, hy_t, wl, epd)
    if fraction[0] <= 0:
        raise PrescriptionError("surfaces: no ray passes the lens on axis (semi-diameters smaller than the beam)")
    dh = np.gradient(h_t, t, edge_order=2)
    geometric = np.ones_like(t)
    geometric[1:] = np.cos(t[1:]) * efl**2 * np.sin(t[1:]) / (h_t[1:] * dh[1:])
    ri = fraction / fraction[0] * geometric
    rho = h_t / half
    design = np.stack([rho**2, rho**4, rho**6], axis=1)
    (v1, v2, v3), *_ = np.linalg.lstsq(design, ri - 1, rcond=None)
    vignetting_fit = 1 + design @ np.array([v1, v2, v3])
    vignetting_residual = float(np.max(np.abs(vignetting_fit - ri)))

    # distortion, lateral colour and illumination are against the paraxial image (the usual definition); the
    # sensor now moves to best focus for the wavefront (the image scale it changes by ~0.1 % is not rendered)
    op.set_thickness(axial["bfd_mm"], axial["last_surface"])
    # wavefront zones at the sensor's position: Noll j = 1..zernike_terms least squares on the hexapolar pupil grid,
    # at the reference wavelength and at each trace wavelength (one sensor position: longitudinal colour is Z4)
    y_image = float(np.ravel(np.asarray(chief.y, dtype=float))[-1])
    turn = -math.atan2(y_image, 0.0)  # optiland's traced point lies on -y (or +y): turned onto +x, camrig's zone axis
    zones = []
    for f in spec.field_points:
        hy_f = math.degrees(theta_at(f * half)) / theta_max
        zone = _fit_zone(spec, op, f, hy_f)
        zone["pupil_edge"] = _pupil_edge(op, hy_f, wl, turn)
        zone["fit_rms_waves_by_nm"] = {}
        zone["zernike_waves_by_nm"] = {}
        for nm in spec.trace_wavelengths_nm:
            fit = _fit_zone(spec, op, f, hy_f, nm)
            zone["zernike_waves_by_nm"][nm] = fit["zernike_waves"]
            zone["fit_rms_waves_by_nm"][nm] = fit["fit_rms_waves"]
        zones.append(zone)
    if spec.image_plane == "best_focus":  # the residual of the linear refocus (<< 0.01 waves) goes too
        axis_z4 = float(np.interp(0.0, [z["field"] for z in zones], [z["zernike_waves"][4] for z in zones]))
        for z in zones:  # the same sensor shift is Z4 x reference / lambda waves at another wavelength
            z["zernike_waves"][4] -= axis_z4
            for nm, waves in z["zernike_waves_by_nm"].items():
                waves[4] -= axis_z4 * spec.wavelength_nm / nm
    for z in zones:  # turned onto +x; terms below KEEP_WAVES are dropped

        def kept(waves: dict[int, float]) -> dict[str, float]:
            return {str(j): w for j, w in sorted(rotated(waves, turn).items()) if abs(w) >= KEEP_WAVES or j == 4}

        z["zernike_waves"] = kept(z["zernike_waves"])
        z["zernike_waves_by_nm"] = {str(nm): kept(w) for nm, w in z["zernike_waves_by_nm"].items()}
        z["fit_rms_waves_by_nm"] = {str(nm): r for nm, r in z["fit_rms_waves_by_nm"].items()}
    return {
        "efl_mm": efl, "bfd_mm": axial["bfd_mm"], "paraxial_bfd_mm": axial["paraxial_bfd_mm"],
        "f_number": spec.f_number,
        "epd_mm": epd, "half_diagonal_mm": half, "half_field_deg": math.degrees(theta_top),
        "distortion": {"k1": float(k1), "k2": float(k2), "max_residual_um": distortion_residual_um},
        "vignetting": {"k1": float(v1), "k2": float(v2), "k3": float(v3), "max_residual": vignetting_residual,
                       "corner": float(ri[-1])},
        "field_samples": {"field_deg": np.degrees(t).tolist(), "radius_mm": h_t.tolist(),
                          "relative_illumination": ri.tolist(), "passed_fraction": (fraction / fraction[0]).tolist()},
        "tca": tca, "zones": zones, "focus_shift_mm": axial["bfd_mm"] - axial["paraxial_bfd_mm"],
    }  # fmt: skip


# -- the cache -----------------------------------------------------------------------------------------------------


def traced(spec: PrescriptionSpec) -> dict[str, Any]:
    """:func:`derive`, from the on-disk cache when an entry for these inputs exists and reads back whole."""
    key = cache_key(spec)
    path = cache_dir() / f"{key}.json"
    try:
        entry = json.loads(path.read_text())
        if entry.get("key") == key and isinstance(entry.get("derived"), dict) and entry["derived"].get("zones"):
            return entry["derived"]  # type: ignore[no-any-return]
    except (OSError, ValueError, AttributeError):
        pass  # missing or corrupt: trace again and overwrite
    derived = derive(spec)
    try:  # atomic: a reader sees the old entry or the new one, never half of one
        write_atomically(path, lambda f: f.write(json.dumps({"key": key, "derived": derived}).encode()))
    except OSError:
        pass  # a read-only cache only costs the next run a trace
    return derived


def ideal_spec(spec: PrescriptionSpec, derived: dict[str, Any]) -> IdealLensSpec:
    """The optics.ideal spec of a traced prescription."""
    half = derived["half_diagonal_mm"]
    d, v = derived["distortion"], derived["vignetting"]
    return IdealLensSpec(
        focal_length_mm=derived["efl_mm"],
        f_number=spec.f_number,
        transmission=spec.transmission,
        mount=spec.mount,
        flange_distance_mm=spec.flange_distance_mm,
        image_circle_mm=spec.image_circle_mm,
        vignetting_rolloff_mm=spec.vignetting_rolloff_mm,
        psf=spec.psf,
        scene_supersampling=spec.scene_supersampling,
        azimuth_sectors=spec.azimuth_sectors,
        zones=[
            AberrationZone(
                field=z["field"],
                zernike_waves={int(j): w for j, w in z["zernike_waves"].items()},
                zernike_waves_by_nm={
                    float(nm): {int(j): w for j, w in waves.items()}
                    for nm, waves in z.get("zernike_waves_by_nm", {}).items()
                },
                pupil_edge=tuple(z.get("pupil_edge", ())),
            )
            for z in derived["zones"]
        ],
        zones_radius_mm=half,
        distortion=DistortionSpec(model="poly5", k1=d["k1"], k2=d["k2"], norm_radius_mm=half),
        vignetting=VignettingSpec(k1=v["k1"], k2=v["k2"], k3=v["k3"], norm_radius_mm=half),
        tca=TcaSpec(
            model="poly3", red=tuple(derived["tca"]["red"]), blue=tuple(derived["tca"]["blue"]), norm_radius_mm=half
        ),
        focus_distance_m=spec.focus_distance_m,
        subject_distance_m=spec.subject_distance_m,
        sensor_tilt_deg=spec.sensor_tilt_deg,
        sensor_tilt_azimuth_deg=spec.sensor_tilt_azimuth_deg,
    )


class PrescriptionLens(IdealLens):
    """An :class:`IdealLens` whose focal length, distortion, relative illumination and wavefront zones come
    from tracing a prescription. ``spec`` is the derived ideal-lens spec; ``prescription_spec`` what was asked;
    ``derived`` the traced numbers (with the fits' residuals)."""

    def __init__(self, spec: PrescriptionSpec) -> None:
        self.prescription_spec = spec
        self.derived = traced(spec)
        super().__init__(ideal_spec(spec, self.derived))

    @cached_property
    def summary(self) -> str:
        d = self.derived
        return (f"EFL {d['efl_mm']:.3f} mm, f/{d['f_number']:g}, half field {d['half_field_deg']:.2f} deg, "
                f"corner illumination {d['vignetting']['corner']:.3f}")  # fmt: skip
