"""Our PSFs against the analytic diffraction results."""

from __future__ import annotations

import math

import numpy as np
import pytest

from camrig_optics.psf import defocus_waves, diffraction_mtf, pixel_kernel, pixel_psf, psf, zernike

WAVELENGTH = 0.55


@pytest.mark.parametrize("f_number", [1.4, 4.0, 8.0])
def test_mtf_from_our_psf_is_diffraction_times_pixel_aperture(f_number):
    pitch = 1.5
    blurred, k = pixel_psf(WAVELENGTH, f_number, pitch, min_field_px=64)
    dx = pitch / k
    otf = np.abs(np.fft.fft(blurred.sum(axis=0)))  # line spread function -> MTF along x
    otf /= otf[0]
    freqs = np.fft.fftfreq(blurred.shape[1], d=dx)
    nyquist = 1 / (2 * pitch)
    sel = (freqs >= 0) & (freqs <= nyquist)
    expected = diffraction_mtf(freqs[sel], WAVELENGTH, f_number) * np.abs(np.sinc(freqs[sel] * pitch))
    assert np.max(np.abs(otf[sel] - expected)) < 0.02


def test_first_dark_ring_at_1_22_lambda_n():
    f_number, dx = 4.0, 0.05
    p = psf(WAVELENGTH, f_number, dx, min_field_um=60)
    c = p.shape[0] // 2
    profile = p[c, c:]  # along +x from the peak
    r = np.arange(profile.size) * dx
    first_min = r[np.argmax(np.diff(profile) > 0)]  # profile falls until the first ring's minimum
    assert first_min == pytest.approx(1.22 * WAVELENGTH * f_number, abs=dx)


@pytest.mark.parametrize("waves", [{}, {4: 0.3}, {7: 0.2, 11: 0.1}])
def test_kernel_energy_is_the_transmission(waves):
    kernel = pixel_kernel(WAVELENGTH, 2.0, 1.5, zernike_waves=waves, transmission=0.87)
    assert kernel.sum() == pytest.approx(0.87, abs=1e-3)
    assert kernel.shape[0] % 2 == 1


def test_zernike_terms_have_unit_rms_and_are_orthogonal():
    n = 801
    c = np.linspace(-1, 1, n)
    x, y = np.meshgrid(c, c)
    rho, theta = np.hypot(x, y), np.arctan2(y, x)
    inside = rho <= 1
    for j in (4, 5, 6, 7, 8, 11):
        z = zernike(j, rho, theta)[inside]
        assert np.sqrt(np.mean(z**2)) == pytest.approx(1.0, rel=0.01)
        assert abs(np.mean(z * zernike(4 if j != 4 else 11, rho, theta)[inside])) < 0.01


def test_aberrations_lower_the_peak_as_marechal_says():
    # Strehl ~ exp(-(2 pi sigma)^2) for small RMS wavefront error sigma (Marechal approximation)
    perfect = psf(WAVELENGTH, 4.0, 0.5)
    for sigma in (0.03, 0.05):
        aberrated = psf(WAVELENGTH, 4.0, 0.5, zernike_waves={11: sigma})
        assert aberrated.max() / perfect.max() == pytest.approx(math.exp(-((2 * math.pi * sigma) ** 2)), rel=0.02)


def test_defocus_from_subject_distance():
    # 35 mm at f/1.4 focused at 2 m, subject at 1 m: v = 1/(1/f - 1/s)
    f = 0.035
    dz = 1 / (1 / f - 1 / 1.0) - 1 / (1 / f - 1 / 2.0)
    expected = dz * 1e6 / (8 * 1.4**2) / (2 * math.sqrt(3)) / 0.55
    assert defocus_waves(35, 1.4, 2.0, 1.0, 0.55) == pytest.approx(expected)
    assert defocus_waves(35, 1.4, 2.0, 2.0, 0.55) == 0.0
    with pytest.raises(ValueError, match="inside the focal length"):
        defocus_waves(35, 1.4, 2.0, 0.02, 0.55)


def test_sampling_too_coarse_is_refused():
    with pytest.raises(ValueError, match="cannot be sampled"):
        psf(WAVELENGTH, 1.4, 1.0)


def test_stopping_down_shows_the_inner_part_of_the_same_wavefront():
    """Z11(s rho) = s^4 Z11 + sqrt(15) s^2 (s^2 - 1) Z4 + piston, by expanding sqrt(5)(6 rho^4 - 6 rho^2 + 1)
    with rho -> s rho; and for any mix, the new coefficients reproduce W(s rho) pointwise on the new pupil."""
    from camrig_optics.psf import stopped_down, zernike

    s = 1.4 / 2.8
    got = stopped_down({11: 0.1}, s)
    assert got[11] == pytest.approx(0.1 * s**4, abs=1e-12)
    assert got[4] == pytest.approx(0.1 * math.sqrt(15) * s**2 * (s**2 - 1), abs=1e-12)
    assert set(got) == {4, 11}
    mix = {4: 0.05, 5: 0.1, 8: -0.07, 11: 0.04}
    new = stopped_down(mix, 0.6)
    rho, theta = np.linspace(0, 1, 40)[:, None], np.linspace(0, 2 * np.pi, 50)[None, :]
    original = sum(w * zernike(j, 0.6 * rho, theta) for j, w in mix.items())
    rebuilt = sum(w * zernike(j, rho, theta) for j, w in new.items())
    offset = (original - rebuilt).mean()  # piston: dropped, it does not change the PSF
    assert np.abs(original - rebuilt - offset).max() < 1e-9
    assert 2 in new or 3 in new  # coma seen through a smaller pupil sheds tilt: the blur's centre moves
    assert stopped_down(mix, 1.0) == mix


def test_a_lens_cannot_open_wider_than_its_known_wavefront():
    from camrig_optics import IdealLensSpec

    assert IdealLensSpec(focal_length_mm=35, f_number=2.8, aberrations_f_number=1.4).aberrations_f_number == 1.4
    with pytest.raises(ValueError, match="opens wider than the aberrations_f_number 1.4"):
        IdealLensSpec(focal_length_mm=35, f_number=1.2, aberrations_f_number=1.4)


def test_the_noll_table_to_37_is_nolls_and_orthonormal():
    """Noll 1976, table I: j -> (n, m) (m < 0 the sine term), e.g. 12 (4, 2) cos, 13 (4, -2) sin, 16 (5, 1),
    22 (6, 0) secondary and 37 (8, 0) tertiary spherical; every pair orthonormal over the unit disk (a
    Gauss-Legendre x uniform-azimuth rule exact for the degree)."""
    from camrig_optics.psf import NOLL

    assert len(NOLL) == 37
    published = {1: (0, 0), 4: (2, 0), 5: (2, -2), 6: (2, 2), 7: (3, -1), 8: (3, 1), 11: (4, 0), 12: (4, 2),
                 13: (4, -2), 16: (5, 1), 17: (5, -1), 22: (6, 0), 29: (7, -1), 36: (7, 7), 37: (8, 0)}  # fmt: skip
    for j, nm in published.items():
        assert NOLL[j] == nm, j
    t, w = np.polynomial.legendre.leggauss(12)
    rho = np.sqrt((t + 1) / 2)
    theta = 2 * np.pi * np.arange(20) / 20
    r, th = np.meshgrid(rho, theta, indexing="ij")
    weight = np.repeat(w[:, None] / 2, 20, axis=1) / 20
    z = np.stack([zernike(j, r, th) for j in range(1, 38)])
    gram = np.einsum("iab,jab,ab->ij", z, z, weight)
    np.testing.assert_allclose(gram, np.eye(37), atol=1e-12)


def test_higher_orders_stop_down_and_turn_exactly():
    """W'(rho, theta) = W(s rho, theta) re-expanded (stopped_down) and W(rho, theta - phi) (rotated), both against
    the polynomial evaluated directly, for terms up to j = 37."""
    from camrig_optics.psf import rotated, stopped_down

    rng = np.random.default_rng(3)
    rho, theta = np.sqrt(rng.random(500)), 2 * np.pi * rng.random(500)
    mix = {11: 0.1, 22: 0.05, 37: 0.02, 8: 0.1, 29: 0.03, 6: 0.2, 15: 0.1, 36: 0.01}
    new = stopped_down(mix, 0.6)
    original = sum(w * zernike(j, 0.6 * rho, theta) for j, w in mix.items())
    rebuilt = sum(w * zernike(j, rho, theta) for j, w in new.items())
    np.testing.assert_allclose(rebuilt - rebuilt.mean(), original - original.mean(), atol=1e-12)
    assert abs(new[37] - 0.6**8 * 0.02) < 1e-12  # the top order only shrinks, as s^n
    turned = rotated(mix, 0.7)
    direct = sum(w * zernike(j, rho, theta - 0.7) for j, w in mix.items())
    np.testing.assert_allclose(sum(w * zernike(j, rho, theta) for j, w in turned.items()), direct, atol=1e-12)
    assert rotated({11: 0.1, 22: 0.05}, 1.0) == {11: 0.1, 22: 0.05}  # symmetric terms do not turn


@pytest.mark.parametrize(("pitch_um", "f_number"), [(2.0, 4.0), (20.0, 8.0)])  # 3 and 13 samples per pixel
def test_a_turned_psf_is_the_psf_of_the_turned_wavefront(pitch_um, f_number):
    """pixel_kernel(rotation_rad=phi) turns the fine PSF by interpolation (cubic splines, or linear from 9 samples
    per pixel) instead of a new FFT: against the kernel of the wavefront turned exactly (rotated), within 1 % of
    the peak at 22.5 degrees, and identical at 90 degrees (a permutation of the grid)."""
    from camrig_optics.psf import rotated

    waves = {4: 0.25, 6: 0.3, 5: 0.15, 8: 0.2, 9: 0.1}
    for degrees, tolerance in ((22.5, 0.01), (90.0, 1e-12)):
        phi = math.radians(degrees)
        direct = pixel_kernel(0.45, f_number, pitch_um, zernike_waves=rotated(waves, phi), radius_px=12)
        turned = pixel_kernel(0.45, f_number, pitch_um, zernike_waves=waves, radius_px=12, rotation_rad=phi)
        assert np.abs(turned - direct).max() < tolerance * direct.max(), degrees


def test_a_round_vignetted_pupil_is_a_slower_lens():
    """A pupil cut to e of its radius all round is the full pupil of f-number N / e: its MTF is the Airy MTF of
    N / e (Goodman eq. 6-32), not of N."""
    f_number, edge, sample = 2.0, 0.7, 0.1
    fine = psf(WAVELENGTH, f_number, sample, min_field_um=60.0, pupil_edge=(edge,) * 16)
    mtf = np.abs(np.fft.fft(fine.sum(axis=0)))
    mtf /= mtf[0]
    freqs = np.fft.fftfreq(fine.shape[1], d=sample)
    sel = freqs >= 0
    assert np.max(np.abs(mtf[sel] - diffraction_mtf(freqs[sel], WAVELENGTH, f_number / edge))) < 0.01
    cutoff = edge / (WAVELENGTH * f_number)  # the slower lens's cut-off, below the full pupil's 1 / (lambda N)
    assert np.max(mtf[sel & (freqs > cutoff * 1.02)]) < 1e-3


def test_a_cats_eye_pupil_cuts_the_mtf_off_along_its_short_axis_only():
    """The OTF is the pupil's autocorrelation (Goodman 6-28): its support along a direction is the pupil's width
    there. A pupil cut to |x| <= a (edge a / |cos phi| where that is < 1) passes no frequency beyond a / (lambda N)
    along x, while along y it reaches the full 1 / (lambda N); the light the cut stops is not the PSF's to lose
    (it still sums to 1)."""
    f_number, a, sample = 2.0, 0.5, 0.1
    phi = 2 * np.pi * np.arange(720) / 720
    edge = tuple(np.minimum(1.0, a / np.maximum(np.abs(np.cos(phi)), 1e-9)))
    fine = psf(WAVELENGTH, f_number, sample, min_field_um=60.0, pupil_edge=edge)
    assert fine.sum() == pytest.approx(1.0, abs=1e-9)
    freqs = np.fft.fftfreq(fine.shape[0], d=sample)
    along_x = np.abs(np.fft.fft(fine.sum(axis=0)))
    along_y = np.abs(np.fft.fft(fine.sum(axis=1)))
    cut_x, cut_full = a / (WAVELENGTH * f_number), 1 / (WAVELENGTH * f_number)
    beyond = (freqs > cut_x * 1.05) & (freqs < cut_full * 0.9)
    assert np.max(along_x[beyond]) < 2e-3
    assert np.min(along_y[beyond]) > 0.02


def test_stopping_down_a_vignetted_pupil_leaves_the_rims_where_they_were():
    from camrig_optics.psf import stopped_down_edge

    # rims at 0.6 and 0.9 of the f/1.4 pupil: at f/2 (scale 0.7) they are at 0.857 and 1.286 of it (clipped to 1)
    assert stopped_down_edge((0.6, 0.9) * 4, 0.7) == pytest.approx((0.6 / 0.7, 1.0) * 4)
    assert stopped_down_edge((0.6, 0.9) * 4, 0.5) == ()  # the stop alone bounds the pupil: the full circle
    assert stopped_down_edge((), 0.5) == ()
