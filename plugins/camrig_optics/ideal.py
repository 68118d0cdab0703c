"""The ideal lens: pinhole geometry, the camera equation, diffraction and wavefront aberrations.

Geometry: a rectilinear lens focused at distance s forms its image at v = f (1 + m), m = f / (s - f)
(thin lens); the direction (tan x, tan y) lands at focal-plane position (v tan x, v tan y).

Irradiance (the camera equation; W. J. Smith, *Modern Optical Engineering*, 4th ed., ch. 8)::

    E = pi * L * T * cos^4(theta) / (4 * N^2 * (1 + m)^2)

Beyond the image circle the exit pupil is progressively cut off by a mechanical stop ("cat's eye"
vignetting); we model the passed fraction as the overlap area of two equal circles whose centres separate
linearly from 0 at the image-circle radius to one full diameter ``vignetting_rolloff_mm`` further out.

Blur: the pinhole irradiance is convolved, per band, with the pixel-integrated PSF of the pupil
(:mod:`camrig_optics.psf`), whose energy is the transmission T. Defocus from ``subject_distance_m`` against
``focus_distance_m`` adds to Zernike Z4. With ``zones``, the image is the blend of one convolution per zone,
weighted linearly in relative field radius (weights sum to 1 everywhere). The scene is rendered with a margin
of the kernel's radius, so pixels at the sensor edge are blurred with the light that really surrounds them.
The blur runs on square tiles (with the margin as overlap) on the capture's threads: one forward FFT per band
and tile, one inverse per zone that weighs anything in the tile, so memory stays near the output's size and a
zone costs only where it applies.

Distortion and lateral colour (:mod:`camrig_optics.distortion`) move light after the blur: each pixel takes
the blurred ideal image at the ideal position its light comes from in its band (lateral colour undone, then
distortion undone), times the area ratio of the mapping, so flux is conserved.
"""

from __future__ import annotations

import contextlib
import math
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property

import numpy as np
from scipy import fft, ndimage

import camrig

from . import AberrationZone, IdealLensSpec
from .cache import kernel_key, load_kernel, store_kernel
from .distortion import undistort, untca, vignetting_factor, warp_polynomial
from .psf import (
    defocus_waves,
    defocus_waves_map,
    equivalent_defocus,
    focal_shift_waves,
    is_symmetric,
    oversampling,
    pixel_kernel,
    rotated,
    steepest_slope,
    stopped_down,
    stopped_down_edge,
)
from .tiles import (
    NO_WEIGHT,
    accumulate,
    azimuths,
    blend_product,
    hat_weight,
    pinhole_planes,
    remap_radial,
    sector_weight,
    store,
)
from .tiles import load_kernels as load_tile_kernels

MAX_OVERSAMPLING = 65
"""A pixel this many times larger than the PSF's Nyquist sample: the blur is invisible and costly to compute."""


def circle_overlap(s: np.ndarray | float) -> np.ndarray:
    """Overlap area of two unit-diameter circles at centre distance ``s`` (in diameters), as a fraction of one
    circle's area: (2/pi) (acos s - s sqrt(1 - s^2)), clipped to [0, 1] for s outside [0, 1]."""
    s = np.clip(np.asarray(s, dtype=np.float64), 0.0, 1.0)
    return (2 / np.pi) * (np.arccos(s) - s * np.sqrt(1 - s * s))


class IdealLens(camrig.Lens[IdealLensSpec]):
    # -- geometry ----------------------------------------------------------------------------------------------

    @property
    def magnification(self) -> float:
        """Lateral magnification m = f / (s - f) at the focus distance (0 at infinity)."""
        f_m = self.spec.focal_length_mm * 1e-3
        s = self.spec.focus_distance_m
        return 0.0 if math.isinf(s) else f_m / (s - f_m)

    @property
    def image_distance_mm(self) -> float:
        return self.spec.focal_length_mm * (1 + self.magnification)

    def margin_px(self, plane: camrig.FocalPlane, bands_nm: tuple[float, ...] = (650.0,)) -> int:
        """Kernel radius in pixels: 16 lambda N (an Airy pattern keeps ~1 % of its energy beyond 10 lambda N;
        truncating there shifts that into the core), widened by the wavefront error and the defocus blur."""
        if self.spec.psf == "none":
            return 0
        s = self.spec
        # the widest of the zones (a pixel's PSF is a blend of its zones', each no wider than the widest)
        waves = max(abs(w) for w in self._all_waves()) + abs(self._defocus(max(bands_nm)))
        corner_mm = math.hypot(plane.width_px, plane.height_px) * plane.pitch_um * 1e-3 / 2
        waves += abs(float(self.tilt_defocus_waves(corner_mm, 0.0, max(bands_nm), azimuth_deg=0.0)))
        blur_um = 16 * max(bands_nm) * 1e-3 * s.f_number * (1 + 4 * waves)
        return max(2, min(64, math.ceil(blur_um / plane.pitch_um)))

    def _all_waves(self) -> list[float]:
        """The wavefront's size for the blur margin: |coefficient| of each term up to Noll 11 (as sized since the
        first release) and :func:`~camrig_optics.psf.equivalent_defocus` of the higher ones (steeper per wave),
        over every zone and, per zone, the largest over its wavelengths."""

        def size(waves: dict[int, float], edge: tuple[float, ...] = ()) -> float:
            if edge:  # fitted over the vignetted pupil only: its coefficients say nothing of the slope outside.
                # Its steepest slope inside (as waves a of defocus, slope 4 sqrt(3) a) bounds the largest transverse
                # ray aberration, 2 N lambda 4 sqrt(3) a = 13.9 a lambda N; the margin's 16 lambda N (1 + 4 w) then
                # needs w = a / 4 to hold it (16 a lambda N), not 4.6 times that as for the other terms' sizes
                return steepest_slope(waves, edge) / 4
            high = {j: w for j, w in waves.items() if j > 11}
            return sum(abs(w) for j, w in waves.items() if j <= 11) + equivalent_defocus(high)

        vals = [size(self.spec.zernike_waves)]
        for z in self.spec.zones:
            waves = [z.zernike_waves, *z.zernike_waves_by_nm.values()]
            vals.append(max(size(w, z.pupil_edge) for w in waves))
        return vals

    def _defocus(self, wavelength_nm: float) -> float:
        s = self.spec
        if s.focus_distance_m == s.subject_distance_m:
            return 0.0
        return defocus_waves(
            s.focal_length_mm, s.f_number, s.focus_distance_m, s.subject_distance_m, wavelength_nm * 1e-3
        )

    def tilt_defocus_waves(self, x_mm: np.ndarray | float, y_mm: np.ndarray | float, wavelength_nm: float = 550.0,
                           azimuth_deg: float | None = None) -> np.ndarray | float:  # fmt: skip
        """Noll Z4 (RMS waves) that the sensor tilt adds at focal-plane position (x, y) mm.

        A sensor tilted by theta, leaning away from the lens towards azimuth phi, sits
        dz = (x cos phi + y sin phi) tan theta behind the image plane there (the Scheimpflug geometry of a
        tilted image plane, small angles); the image then lies dz in front of the sensor, a focal-plane shift
        of -dz (:func:`camrig_optics.psf.focal_shift_waves`). ``azimuth_deg`` overrides the spec's (e.g. 0
        with x the distance from the hinge line)."""
        s = self.spec
        phi = math.radians(s.sensor_tilt_azimuth_deg if azimuth_deg is None else azimuth_deg)
        dz_um = (
            (np.multiply(x_mm, math.cos(phi)) + np.multiply(y_mm, math.sin(phi)))
            * math.tan(math.radians(s.sensor_tilt_deg))
            * 1e3
        )
        return focal_shift_waves(-dz_um, s.f_number, wavelength_nm * 1e-3)  # type: ignore[no-any-return]

    def to_ideal(self, wavelength_nm: float, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Ideal (pinhole) focal-plane position, mm, of the light that lands at real position (x, y) mm in this
        band: lateral colour undone, then distortion undone."""
        if self.spec.tca is not None:
            x, y = untca(self.spec.tca, wavelength_nm, x, y)
        if self.spec.distortion is not None:
            x, y = undistort(self.spec.distortion, x, y)
        return x, y

    def distortion_margin_px(
        self, plane: camrig.FocalPlane, bands_nm: tuple[float, ...] = (450.0, 550.0, 650.0)
    ) -> int:
        """Pixels the ideal image must extend beyond the sensor so every pixel's light is inside it."""
        if self.spec.distortion is None and self.spec.tca is None:
            return 0
        x, y = plane.pixel_centres_mm()
        border_x = np.concatenate([x, x, np.full(y.size, x[0]), np.full(y.size, x[-1])])
        border_y = np.concatenate([np.full(x.size, y[0]), np.full(x.size, y[-1]), y, y])
        reach = 0.0
        for band in bands_nm:
            bx, by = self.to_ideal(band, border_x, border_y)
            reach = max(reach, float(np.max(np.maximum(np.abs(bx) - abs(x[0]), np.abs(by) - abs(y[0])))))
        return max(0, math.ceil(reach / (plane.pitch_um * 1e-3))) + 2

    def fine(self, plane: camrig.FocalPlane) -> camrig.FocalPlane:
        """The plane the scene is sampled and blurred on: ``plane`` itself, or ``scene_supersampling`` times
        finer (the same area in q x q smaller pixels, whose means are the real pixels)."""
        q = self.spec.scene_supersampling
        if q == 1:
            return plane
        return camrig.FocalPlane(
            width_px=plane.width_px * q, height_px=plane.height_px * q, pitch_um=plane.pitch_um / q
        )

    def view(self, plane: camrig.FocalPlane) -> camrig.AngularGrid:
        plane = self.fine(plane)
        m = self.margin_px(plane) + self.distortion_margin_px(plane)
        x, y = plane.pixel_centres_mm()
        v = self.image_distance_mm
        step = plane.pitch_um * 1e-3 / v
        return camrig.AngularGrid(
            width=plane.width_px + 2 * m,
            height=plane.height_px + 2 * m,
            x0=x[0] / v - m * step,
            y0=y[0] / v - m * step,
            step=step,
        )

    def relayed(self, multiplier: float) -> IdealLens:
        """Through relay optics: focal length, f-number, image circle and the radii of the measured
        distortion, lateral colour and vignetting scale by ``multiplier``; mount and flange stay the lens's
        own (the adapter carries them to the body)."""
        s = self.spec
        update: dict[str, object] = {
            "focal_length_mm": s.focal_length_mm * multiplier,
            "f_number": s.f_number * multiplier,
            "aberrations_f_number": None if s.aberrations_f_number is None else s.aberrations_f_number * multiplier,
            "image_circle_mm": s.image_circle_mm * multiplier,
            "zones_radius_mm": None if s.zones_radius_mm is None else s.zones_radius_mm * multiplier,
            "vignetting_rolloff_mm": s.vignetting_rolloff_mm * multiplier,
        }
        for name in ("distortion", "tca", "vignetting"):
            model = getattr(s, name)
            if model is not None:
                update[name] = model.model_copy(update={"norm_radius_mm": model.norm_radius_mm * multiplier})
        return IdealLens(s.model_copy(update=update))

    def tilted(self, tilt_deg: float, azimuth_deg: float) -> IdealLens:
        """With the sensor tilted by a further ``tilt_deg`` towards ``azimuth_deg`` (an adapter out of square):
        small tilts add as vectors to the spec's own ``sensor_tilt_deg``."""
        s = self.spec
        x = s.sensor_tilt_deg * math.cos(math.radians(s.sensor_tilt_azimuth_deg)) + tilt_deg * math.cos(
            math.radians(azimuth_deg)
        )
        y = s.sensor_tilt_deg * math.sin(math.radians(s.sensor_tilt_azimuth_deg)) + tilt_deg * math.sin(
            math.radians(azimuth_deg)
        )
        update = {"sensor_tilt_deg": math.hypot(x, y), "sensor_tilt_azimuth_deg": math.degrees(math.atan2(y, x))}
        return IdealLens(type(s).model_validate({**s.model_dump(), **update}))

    def coverage(self, radius_mm: float) -> float:
        beyond = radius_mm - self.spec.image_circle_mm / 2
        return 1.0 if beyond <= 0 else float(circle_overlap(beyond / self.spec.vignetting_rolloff_mm))

    def relative_illumination(self, plane: camrig.FocalPlane, margin: int = 0, rows: tuple[int, int] | None = None,
                              cols: tuple[int, int] | None = None) -> np.ndarray:  # fmt: skip
        """cos^4(theta) (or the measured vignetting) x coverage on the pixel grid extended by ``margin`` pixels all
        round, float32; ``rows`` and ``cols`` (start, stop) select a window of that extended grid."""
        p = plane.pitch_um * 1e-3
        r0, r1 = rows or (0, plane.height_px + 2 * margin)
        c0, c1 = cols or (0, plane.width_px + 2 * margin)
        x = (np.arange(c0 - margin, c1 - margin) - (plane.width_px - 1) / 2) * p
        y = (np.arange(r0 - margin, r1 - margin) - (plane.height_px - 1) / 2) * p
        r2 = (y[:, None] ** 2 + x[None, :] ** 2).astype(np.float32)
        corner = ((plane.width_px - 1) / 2 + margin) ** 2 * p * p + ((plane.height_px - 1) / 2 + margin) ** 2 * p * p
        return self._relative_illumination_at(r2, corner)

    def _relative_illumination_at(self, r2: np.ndarray, largest_r2: float) -> np.ndarray:
        """Relative illumination at squared image-plane radii ``r2`` (mm^2, float32)."""
        v = self.image_distance_mm
        if self.spec.vignetting is not None:  # measured: includes the natural falloff
            ri = vignetting_factor(self.spec.vignetting, np.sqrt(r2)).astype(np.float32)
        else:
            cos2 = (1.0 / (1.0 + r2 / np.float32(v * v))).astype(np.float32)
            ri = cos2 * cos2
        circle = self.spec.image_circle_mm / 2
        if largest_r2 > circle**2:
            ri *= circle_overlap((np.sqrt(r2) - circle) / self.spec.vignetting_rolloff_mm).astype(np.float32)
        return ri

    def relative_illumination_profile(self, plane: camrig.FocalPlane, samples: int = 129) -> camrig.RadialProfile:
        """The relative illumination against image-plane radius, from the centre to the plane's corner: what a
        host's lens shading correction needs (the falloff is radially symmetric), small enough to travel in
        the frame's metadata."""
        corner = math.hypot(plane.width_px, plane.height_px) * plane.pitch_um * 1e-3 / 2
        radius = np.linspace(0.0, corner, samples)
        factor = self._relative_illumination_at((radius**2).astype(np.float32), corner**2)
        return camrig.RadialProfile(
            radius_mm=tuple(radius.tolist()), factor=tuple(np.asarray(factor, np.float64).tolist())
        )

    # -- blur --------------------------------------------------------------------------------------------------

    def kernel(self, plane: camrig.FocalPlane, wavelength_nm: float, zernike_waves: dict[int, float], margin: int,
               defocus_550: float | None = None, azimuth_rad: float = 0.0,
               pupil_edge: tuple[float, ...] = ()) -> np.ndarray:  # fmt: skip
        """The pixel-grid PSF for one band and wavefront, summing to the transmission. Defocus is added: from
        the spec's focus and subject distances, or ``defocus_550`` (Z4 RMS waves at 550 nm, from a depth map).
        ``azimuth_rad``: the wavefront turned by it (the PSF of :func:`~camrig_optics.psf.rotated` waves, from the
        unturned PSF turned, :func:`~camrig_optics.psf.pixel_psf`). ``pupil_edge``: the zone's vignetted pupil
        (:attr:`AberrationZone.pupil_edge`), stopped down with the wavefront."""
        s = self.spec
        quarters = math.floor(azimuth_rad / (math.pi / 2) + 1e-9)
        if quarters % 4:  # a quarter turn of the PSF and the square pixel is a quarter turn of the kernel: exact
            base = self.kernel(plane, wavelength_nm, zernike_waves, margin, defocus_550,
                               azimuth_rad - quarters * math.pi / 2, pupil_edge)  # fmt: skip
            turned = np.ascontiguousarray(np.rot90(base, -(quarters % 4)))
            turned.flags.writeable = False
            return turned
        k = oversampling(plane.pitch_um, wavelength_nm * 1e-3, s.f_number)
        if k > MAX_OVERSAMPLING:
            raise ValueError(
                f"psf: the diffraction spot (lambda N = {wavelength_nm * 1e-3 * s.f_number:.2f} um) is {k // 2}x "
                "smaller "
                f"than the {plane.pitch_um} um pixel: its blur cannot be seen at this pitch; set psf: none"
            )
        waves = dict(zernike_waves)
        edge = tuple(pupil_edge)
        if s.aberrations_f_number is not None:  # the design wavefront over the stopped-down pupil
            waves = stopped_down(waves, s.aberrations_f_number / s.f_number)
            edge = stopped_down_edge(edge, s.aberrations_f_number / s.f_number)
        defocus = self._defocus(wavelength_nm) if defocus_550 is None else defocus_550 * 550.0 / wavelength_nm
        waves[4] = waves.get(4, 0.0) + defocus
        key = (plane.pitch_um, wavelength_nm, margin, tuple(sorted(waves.items())), azimuth_rad, edge)
        cache = self._kernels
        if key in cache:
            return cache[key]
        # kept for the lens's life and on disk (camrig_optics.cache): a zone's sectors x bands are many kernels to
        # recompute; a depth map's defocus layers change with every frame, so theirs are kept nowhere
        stored = kernel_key(("pixel_kernel", s.f_number, s.transmission, *key)) if defocus_550 is None else None
        kernel = load_kernel(stored) if stored else None
        if kernel is None or kernel.shape != (2 * margin + 1, 2 * margin + 1):
            kernel = pixel_kernel(wavelength_nm * 1e-3, s.f_number, plane.pitch_um, zernike_waves=waves,
                                  transmission=s.transmission, radius_px=margin,
                                  rotation_rad=azimuth_rad, pupil_edge=edge).astype(np.float32)  # fmt: skip
            kernel.flags.writeable = False
            if stored:
                store_kernel(stored, kernel)
        if stored:
            cache[key] = kernel
        return kernel

    @cached_property
    def _kernels(self) -> dict[tuple[object, ...], np.ndarray]:
        return {}

    @staticmethod
    def zone_waves_at(zone: AberrationZone, wavelength_nm: float) -> dict[int, float]:
        """The zone's wavefront in the band at ``wavelength_nm``: ``zernike_waves``, or the per-wavelength
        coefficients interpolated linearly at it (held beyond the traced wavelengths)."""
        if not zone.zernike_waves_by_nm:
            return dict(zone.zernike_waves)
        nm = sorted(zone.zernike_waves_by_nm)
        terms = sorted({j for w in zone.zernike_waves_by_nm.values() for j in w})
        return {
            j: float(np.interp(wavelength_nm, nm, [zone.zernike_waves_by_nm[x].get(j, 0.0) for x in nm])) for j in terms
        }

    def zone_wavefront(self, index: int, wavelength_nm: float) -> dict[int, float]:
        """The unturned wavefront of zone ``index`` (a :meth:`zone_weights` key's first item; -1 for the spec's
        zernike_waves) in the band at ``wavelength_nm``; :meth:`kernel` turns its PSF to the key's azimuth."""
        if index < 0:
            return dict(self.spec.zernike_waves)
        return self.zone_waves_at(self.spec.zones[index], wavelength_nm)

    def zone_pupil(self, index: int) -> tuple[float, ...]:
        """The vignetted pupil's edge of zone ``index`` (as :meth:`zone_wavefront`; empty: the full pupil)."""
        return () if index < 0 else self.spec.zones[index].pupil_edge

    def _zone_turns(self, zone: AberrationZone) -> bool:
        """Whether the zone must be turned with azimuth: it has non-symmetric terms and sectors are on."""
        return self.spec.azimuth_sectors > 0 and not (
            is_symmetric(zone.zernike_waves)
            and all(is_symmetric(w) for w in zone.zernike_waves_by_nm.values())
            and len(set(zone.pupil_edge)) <= 1
        )

    def zone_weights(
        self,
        plane: camrig.FocalPlane,
        rows: tuple[int, int] | None = None,
        cols: tuple[int, int] | None = None,
        limits: Sequence[float] = (),
    ) -> list[tuple[tuple[int, float], np.ndarray | None]]:
        """(wavefront key for :meth:`zone_wavefront`, weight map or None for 'everywhere') per zone and azimuth
        sector, for pixel rows ``rows`` and columns ``cols`` (default all); hat functions of the relative field
        radius, times hat functions of the azimuth for a zone with non-symmetric terms (turned to each of
        ``azimuth_sectors`` equally spaced azimuths), so the weights sum to 1 everywhere. Entries that weigh
        nothing in the window are left out (a zone's entries: its weight maps, all zero).

        ``limits`` (radians per zone, :meth:`sector_limits`): a turned zone whose pixels' azimuths in the window all
        lie within its limit of one azimuth phi_c (the middle of the window's range; never a window that holds the
        image centre) is one entry, key (zone, phi_c), with the radial hat alone: its PSF is turned to phi_c for
        the whole window (:meth:`_blurred` blends the two sectors around phi_c, with their hat weights at phi_c, in
        the spectral domain); the weights still sum to 1. A key's azimuth is then either a sector's
        (k * spacing, the per-pixel blend) or such a phi_c."""
        zones = self.spec.zones
        if not zones:
            return [((-1, 0.0), None)]
        x, y = plane.pixel_centres_mm()
        if rows is not None:
            y = y[rows[0] : rows[1]]
        if cols is not None:
            x = x[cols[0] : cols[1]]
        half_diagonal = self.spec.zones_radius_mm or plane.diagonal_mm / 2  # what field 1 means
        # the window's range of field radius, from its nearest and farthest points: zones whose hat function is
        # zero over all of it are left out (weight zero), the others get their map
        near_x = 0.0 if x[0] <= 0 <= x[-1] else min(abs(x[0]), abs(x[-1]))
        near_y = 0.0 if y[0] <= 0 <= y[-1] else min(abs(y[0]), abs(y[-1]))
        low = math.hypot(near_x, near_y) / half_diagonal
        high = math.hypot(max(abs(x[0]), abs(x[-1])), max(abs(y[0]), abs(y[-1]))) / half_diagonal
        holds_centre = near_x == 0.0 and near_y == 0.0
        centre, spread = self._azimuth_range(x, y, holds_centre)
        fields = [z.field for z in zones]
        out: list[tuple[tuple[int, float], np.ndarray | None]] = []
        sectors = self.spec.azimuth_sectors
        spacing = 2 * math.pi / sectors if sectors else 0.0
        phi: np.ndarray | None = None  # the pixels' azimuths, computed once for all sectors of all zones
        for i, z in enumerate(zones):
            support_low = fields[i - 1] if i > 0 else -np.inf
            support_high = fields[i + 1] if i + 1 < len(zones) else np.inf
            if not (low < support_high and high > support_low):  # the zone weighs nothing here
                if not self._zone_turns(z):
                    out.append(((i, 0.0), np.zeros((y.size, x.size), np.float32)))
                continue
            turns = self._zone_turns(z)
            radial = np.empty((y.size, x.size), np.float32)
            hat_weight(y**2, x**2, 1 / half_diagonal, support_low, fields[i], support_high, radial)
            if not turns or (not holds_centre and i < len(limits) and spread <= limits[i]):
                out.append(((i, centre % (2 * math.pi) if turns else 0.0), radial))
                continue
            if phi is None:
                phi = np.empty((y.size, x.size))
                azimuths(y, x, phi)
            for k in range(sectors):
                azimuth = k * spacing
                gap = abs((azimuth - centre + math.pi) % (2 * math.pi) - math.pi)
                if gap >= spread + spacing:  # the sector's hat is zero over the window
                    continue
                weight = np.empty((y.size, x.size), np.float32)
                sector_weight(radial, phi, azimuth, spacing, weight)
                out.append(((i, azimuth), weight))
        return out

    @staticmethod
    def _azimuth_range(x: np.ndarray, y: np.ndarray, holds_centre: bool) -> tuple[float, float]:
        """(phi_c, spread) of a window of pixel centres ``x`` by ``y`` (mm): every pixel's azimuth lies within
        ``spread`` of ``phi_c`` (both radians); all azimuths (spread pi) if the window holds the centre. A rectangle
        that does not hold the centre sees it under the angles of its corners, so its extreme azimuths are two
        of its corners'; phi_c is halfway between them (the smallest spread)."""
        if holds_centre:
            return 0.0, math.pi
        corners = [math.atan2(b, a) for a in (x[0], x[-1]) for b in (y[0], y[-1])]
        middle = math.atan2(float(np.mean(y)), float(np.mean(x)))
        offsets = [(a - middle + math.pi) % (2 * math.pi) - math.pi for a in corners]
        return middle + (max(offsets) + min(offsets)) / 2, (max(offsets) - min(offsets)) / 2

    SECTOR_BUDGET = 1.0
    """The error the one-azimuth-per-tile path may add, as a fraction of the sector blend's own (:meth:`sector_limits`);
    0: every turned zone blends its sectors per pixel everywhere."""

    def sector_limits(self, plane: camrig.FocalPlane, margin: int, bands_nm: Sequence[float]) -> list[float]:
        """Per zone, the largest azimuth offset (radians) a tile may ignore: within it, taking a turned zone's PSF at
        one azimuth phi_c for the whole tile adds at most the sector blend's own worst error (times
        :attr:`SECTOR_BUDGET`); 0 for a zone that is not turned.

        The bound, per band: the per-pixel blend B(phi) = sum_k hat_k(phi) K_k is piecewise linear in phi, so
        ||B(phi) - B(phi_c)||_1 <= |phi - phi_c| G, G = max_k ||K_{k+1} - K_k||_1 / spacing; and a pixel's error
        is at most the L1 norm of its kernel's error times the scene's largest value (Young's inequality), so
        G |phi - phi_c| bounds the added error on any scene. The blend's own error is
        E = max_t ||(1 - t) K_0 + t K_1 - K(t spacing)||_1, K(phi) the exactly turned kernel (the wavefront
        :func:`~camrig_optics.psf.rotated`, and a vignetted pupil's edge turned by whole samples), taken at t = 1/2,
        or for a vignetted pupil at its edge sample nearest the middle of the first sector interval (the blend's
        error is about t (1 - t) times its curvature: 8/9 of the middle's at t = 1/3, so the limit errs low). The
        limit is min over bands of budget x E / G. A zone whose pupil edge has no sample inside the interval gets 0
        (its exact turn is not at hand). Computed once per plane, margin and bands, and kept on the lens."""
        zones = self.spec.zones
        sectors = self.spec.azimuth_sectors
        if self.SECTOR_BUDGET <= 0 or not zones or sectors <= 0:
            return [0.0] * len(zones)
        key = (plane.pitch_um, margin, tuple(bands_nm), self.SECTOR_BUDGET)
        if key in self._sector_limits:
            return self._sector_limits[key]
        spacing = 2 * math.pi / sectors
        limits = []
        for i, zone in enumerate(zones):
            if not self._zone_turns(zone):
                limits.append(0.0)
                continue
            edge = self.zone_pupil(i)
            if len(set(edge)) <= 1:
                turns = [(0.5, 0)]  # (t, edge samples turned)
            else:  # the edge's sample nearest the interval's middle, if one lies inside it
                per_sample = 2 * math.pi / len(edge)
                inside = [j for j in range(1, len(edge)) if j * per_sample < spacing - 1e-12]
                middle = min(inside, key=lambda j: abs(j * per_sample - spacing / 2), default=None)
                turns = [] if middle is None else [(middle * per_sample / spacing, middle)]
            limit = math.inf if turns else 0.0
            for band in bands_nm if turns else ():
                waves = self.zone_wavefront(i, band)
                kernels = [self.kernel(plane, band, waves, margin, None, k * spacing, edge).astype(np.float64)
                           for k in range(sectors)]  # fmt: skip
                slope = max(np.abs(kernels[(k + 1) % sectors] - kernels[k]).sum() for k in range(sectors)) / spacing
                own = 0.0
                for t, shift in turns:
                    turned_edge = tuple(edge[(j - shift) % len(edge)] for j in range(len(edge))) if shift else edge
                    exact = self.kernel(plane, band, rotated(waves, t * spacing), margin, None, 0.0, turned_edge)
                    blend = (1 - t) * kernels[0] + t * kernels[1]
                    own = max(own, float(np.abs(blend - exact).sum()))
                limit = min(limit, self.SECTOR_BUDGET * own / slope if slope > 0 else math.pi)
            limits.append(limit)
        self._sector_limits[key] = limits
        return limits

    @cached_property
    def _sector_limits(self) -> dict[tuple[object, ...], list[float]]:
        return {}

    # -- the stage ---------------------------------------------------------------------------------------------

    def negotiate(self, upstream: camrig.Caps | None, geometry: camrig.Geometry) -> camrig.Caps:
        load_tile_kernels()
        plane, view = geometry.plane, geometry.view
        if upstream is None or upstream.format is not camrig.Format.RADIANCE:
            raise camrig.CapsError("a lens takes radiance")
        if upstream.shape[:2] != (view.height, view.width) or len(upstream.shape) != 3:
            raise camrig.CapsError(f"radiance must be sampled on the view grid {view.height}x{view.width}xbands")
        if self.spec.psf == "diffraction":
            fine = self.fine(plane)
            for band in upstream.bands_nm:  # fail before frames flow if the PSF cannot be sampled
                k = oversampling(fine.pitch_um, band * 1e-3, self.spec.f_number)
                if k > MAX_OVERSAMPLING:
                    raise camrig.CapsError(
                        f"psf: {fine.pitch_um:g} um samples are {k // 2}x the diffraction spot at {band} nm; set "
                        "psf: none"
                    )
        return camrig.Caps(
            format=camrig.Format.IRRADIANCE,
            dtype="float32",
            shape=(plane.height_px, plane.width_px, upstream.shape[2]),
            bands_nm=upstream.bands_nm,
        )

    TILE = 512
    """Output pixels per side of a blur tile: each tile is one small FFT per band and wavefront (cache-friendly,
    and tiles run on the capture's threads); peak memory is the output plus a few tiles' temporaries."""
    STRIP_ROWS = 512
    """Output rows remapped per strip (distortion, lateral colour)."""

    def process(self, frame: camrig.Frame | None, ctx: camrig.CaptureContext, role: str) -> camrig.Frame:
        assert frame is not None
        s, pixels = self.spec, ctx.geometry.plane
        plane = self.fine(pixels)
        total = (ctx.geometry.view.height - plane.height_px) // 2
        d = self.distortion_margin_px(plane, tuple(frame.meta.bands_nm))
        margin = total - d  # the blur kernel's radius
        ideal_plane = camrig.FocalPlane(
            width_px=plane.width_px + 2 * d, height_px=plane.height_px + 2 * d, pitch_um=plane.pitch_um
        )
        q = s.scene_supersampling
        into = ctx.reusable  # the scene's own array, handed over: the blurred (ideal) image may be written over it
        ideal = self._blurred(frame, ideal_plane, margin, ctx.threads, into)
        # the blur went over the scene: so may the remap, where no pixel reads above its own row (see _remap)
        in_place = (
            into is not None
            and np.shares_memory(ideal, into)
            and self.inward_reach_px(plane, d, frame.meta.bands_nm) <= d - 2
        )
        irradiance = ideal if d == 0 else self._remap(ideal, plane, d, frame.meta.bands_nm, ctx.threads, in_place)
        if q > 1:  # each pixel integrates its q x q fine samples (the pixel aperture at the fine pitch)
            rows, cols, bands = irradiance.shape
            irradiance = irradiance.reshape(rows // q, q, cols // q, q, bands).mean(axis=(1, 3), dtype=np.float32)
        return frame.derive(
            irradiance,
            format=camrig.Format.IRRADIANCE,
            units="W/m^2",
            pitch=pixels.pitch_um,
            f_number=s.f_number,
            focal_length_mm=s.focal_length_mm,
            relative_illumination=self.relative_illumination_profile(pixels),
            distortion=self.warp(pixels),
        )

    def warp(self, plane: camrig.FocalPlane) -> camrig.LensWarp | None:
        """The distortion and lateral colour as the DNG WarpRectilinear polynomial, fitted over ``plane`` (what the
        DNG writer puts in OpcodeList3); None for a rectilinear lens with no lateral colour."""
        s = self.spec
        if s.distortion is None and s.tca is None:
            return None
        width, height = plane.width_px * plane.pitch_um * 1e-3, plane.height_px * plane.pitch_um * 1e-3
        norm, planes, error = warp_polynomial(s.distortion, s.tca, width, height)
        return camrig.LensWarp(norm_radius_mm=norm, planes=tuple(planes), max_error_um=error)  # type: ignore[arg-type]

    def _blurred(self, frame: camrig.Frame, plane: camrig.FocalPlane, margin: int, threads: int = 1,
                 into: np.ndarray | None = None) -> np.ndarray:  # fmt: skip
        """The pinhole irradiance on ``plane``, blurred by the PSF (rows x cols x bands, float32), in square
        tiles of ``TILE`` output pixels (with the kernel's margin as overlap) on ``threads`` threads. Each tile
        is computed the same way whichever thread takes it, so the result does not depend on ``threads``. A turned
        zone takes one azimuth for a whole tile where :meth:`sector_limits` allows it (:meth:`zone_weights`), so
        the result depends on ``TILE``, by at most the sector blend's own error.

        ``into``: the scene's own array, handed over (:attr:`camrig.CaptureContext.reusable`): the image is
        written over it, output pixel (r, c) where scene sample (r, c) was, the first of the samples its window
        reads. A tile's region is then read only by the tile itself and its neighbours above and to the left
        (their margins), so each row of tiles is computed in full before any of it is written, and rows go in
        order: the result is the same as into a fresh array."""
        s = self.spec
        blur = s.psf == "diffraction"
        scale = np.float32(
            math.pi * (1.0 if blur else s.transmission) / (4 * s.f_number**2 * (1 + self.magnification) ** 2)
        )
        rows, cols, bands = plane.height_px, plane.width_px, frame.data.shape[2]
        usable = into is not None and into.shape == frame.data.shape and into.dtype == np.float32
        irradiance = into[:rows, :cols] if usable else np.empty((rows, cols, bands), np.float32)  # type: ignore[index]
        depth_defocus = self._defocus_map(frame, plane.pitch_um)  # per-sample defocus and its layers (depth, tilt)
        fast = fft.next_fast_len(self.TILE + 2 * margin, real=True)
        tile = fast - 2 * margin  # the tile grown to fill its FFT (a fast length) exactly
        shape = (
            fft.next_fast_len(min(tile, rows) + 2 * margin, real=True),
            fft.next_fast_len(min(tile, cols) + 2 * margin, real=True),
        )
        spectra: dict[tuple[object, ...], np.ndarray] = {}  # (zone and azimuth, defocus, band) -> kernel FFT
        lock = threading.Lock()

        wavefronts: dict[tuple[int, float], dict[int, float]] = {}  # (zone, band) -> its wavefront, for its sectors

        def spectrum(zone: tuple[int, float], defocus: float | None, band: float) -> np.ndarray:
            key = (zone, defocus, band)
            with lock:  # each kernel computed once, by whichever tile needs it first
                if key not in spectra:  # the unturned wavefront, its PSF turned to the sector's azimuth
                    if (zone[0], band) not in wavefronts:
                        wavefronts[zone[0], band] = self.zone_wavefront(zone[0], band)
                    waves = wavefronts[zone[0], band]
                    kernel = self.kernel(plane, band, waves, margin, defocus, azimuth_rad=zone[1],
                                         pupil_edge=self.zone_pupil(zone[0]))  # fmt: skip
                    spectra[key] = fft.rfft2(kernel, s=shape)
                return spectra[key]

        limits = () if depth_defocus is not None or not blur else self.sector_limits(plane, margin, frame.meta.bands_nm)
        sectors = s.azimuth_sectors

        def turned(zone: tuple[int, float], defocus: float | None, band: float, image: np.ndarray,
                   out: np.ndarray) -> None:  # fmt: skip
            """out = image x the spectrum of the zone's kernel at the key's azimuth: a sector's, or the blend of the
            two sectors around it with their hat weights there (:meth:`zone_weights`' one azimuth per tile)."""
            index, azimuth = zone
            if index < 0 or not sectors or not self._zone_turns(self.spec.zones[index]):
                np.multiply(image, spectrum(zone, defocus, band), out=out)
                return
            spacing = 2 * math.pi / sectors
            u = azimuth / spacing
            k = math.floor(u)
            if abs(u - round(u)) < 1e-9:  # on a sector: its own kernel (the per-pixel blend's keys)
                np.multiply(image, spectrum((index, (round(u) % sectors) * spacing), defocus, band), out=out)
                return
            first = spectrum((index, (k % sectors) * spacing), defocus, band)
            second = spectrum((index, ((k + 1) % sectors) * spacing), defocus, band)
            blend_product(image, first, 1.0 - (u - k), second, out)

        def run(r0: int, c0: int) -> np.ndarray:
            r1, c1 = min(rows, r0 + tile), min(cols, c0 + tile)
            factor = self.relative_illumination(plane, margin, (r0, r1 + 2 * margin), (c0, c1 + 2 * margin))
            factor *= scale
            source = frame.data[r0 : r1 + 2 * margin, c0 : c1 + 2 * margin]  # the tile plus the kernel margin
            out = np.empty((r1 - r0, c1 - c0, bands), np.float32) if usable else irradiance[r0:r1, c0:c1]
            if not blur:
                np.multiply(source, factor[:, :, None], out=out)
                return out
            zones = self._depth_layers(
                self.zone_weights(plane, (r0, r1), (c0, c1), limits), depth_defocus, margin, (r0, r1), (c0, c1)
            )
            zones = [z for z in zones if z[2] is None or z[2].any()]  # a zone that weighs nothing here costs nothing
            planes = np.empty((bands, *factor.shape), np.float32)
            pinhole_planes(source, factor, planes)
            total = np.empty((r1 - r0, c1 - c0), np.float32)
            product = np.empty((shape[0], shape[1] // 2 + 1), np.complex64)
            for b, band in enumerate(frame.meta.bands_nm):
                image = fft.rfft2(planes[b], s=shape)
                for i, (waves, defocus, weight) in enumerate(zones):
                    turned(waves, defocus, band, image, product)
                    full = fft.irfft2(product, s=shape, overwrite_x=True)
                    accumulate(total, full, 2 * margin, NO_WEIGHT if weight is None else weight, i == 0)
                store(total, out, b)
            return out

        def tiles(corners: list[tuple[int, int]], pool: ThreadPoolExecutor | None) -> list[np.ndarray]:
            return [run(*c) for c in corners] if pool is None else list(pool.map(lambda c: run(*c), corners))

        workers = min(threads, -(-cols // tile) if usable else -(-rows // tile) * -(-cols // tile))
        with ThreadPoolExecutor(workers) if workers > 1 else contextlib.nullcontext() as pool:
            if not usable:
                tiles([(r0, c0) for r0 in range(0, rows, tile) for c0 in range(0, cols, tile)], pool)
                return irradiance
            for r0 in range(0, rows, tile):  # a row of tiles read in full, then written over the scene
                done = tiles([(r0, c0) for c0 in range(0, cols, tile)], pool)
                for c0, out in zip(range(0, cols, tile), done):
                    irradiance[r0 : r0 + out.shape[0], c0 : c0 + out.shape[1]] = out
        return irradiance

    DEPTH_LAYER_WAVES = 0.25
    """Spacing of depth layers in defocus (Z4 RMS waves at 550 nm), widened to keep at most 9 layers."""

    def _defocus_map(self, frame: camrig.Frame, pitch_um: float) -> tuple[np.ndarray, np.ndarray] | None:
        """(defocus at 550 nm per view sample, the layer values): from the frame's ``depth_m`` plane (else the
        spec's focus and subject distances everywhere), plus the sensor tilt's; None when neither varies."""
        depth = frame.planes.get("depth_m")
        s = self.spec
        if s.psf == "none" or (depth is None and s.sensor_tilt_deg == 0):
            return None
        if depth is not None:
            whole = defocus_waves_map(s.focal_length_mm, s.f_number, s.focus_distance_m, depth, 0.55)
            lo, hi = float(whole.min()), float(whole.max())
            sized_for = max(abs(self._defocus(550.0)), 0.0)
            if max(abs(lo), abs(hi)) > sized_for + self.DEPTH_LAYER_WAVES:
                nearest = float(np.min(depth))
                raise ValueError(
                    f"the depth map needs {max(abs(lo), abs(hi)):.2f} waves of defocus but the lens was assembled for "
                    f"{sized_for:.2f} (subject_distance_m sizes the blur margin): set subject_distance_m to the "
                    f"nearest (or farthest) subject, e.g. {nearest:.3g} m"
                )
        else:
            whole = np.full(frame.data.shape[:2], self._defocus(550.0))
        if s.sensor_tilt_deg > 0:  # the view samples lie on the focal plane at the blur plane's pitch, centred
            rows, cols = whole.shape
            x = (np.arange(cols) - (cols - 1) / 2) * pitch_um * 1e-3
            y = (np.arange(rows) - (rows - 1) / 2) * pitch_um * 1e-3
            whole = whole + self.tilt_defocus_waves(x[None, :], y[:, None])
        lo, hi = float(whole.min()), float(whole.max())
        if hi - lo < 1e-9:  # one defocus everywhere: one layer, exact
            return whole, np.array([lo])
        # layers on a grid through 0, so what is in focus is imaged exactly; between layers the blur is blended
        step = max(self.DEPTH_LAYER_WAVES, (hi - lo) / 7)
        first, last = math.floor(lo / step + 1e-9), math.ceil(hi / step - 1e-9)
        return whole, step * np.arange(first, last + 1)

    def _depth_layers(
        self,
        zones: list[tuple[tuple[int, float], np.ndarray | None]],
        defocus: tuple[np.ndarray, np.ndarray] | None,
        margin: int,
        rows: tuple[int, int],
        cols: tuple[int, int],
    ) -> list[tuple[tuple[int, float], float | None, np.ndarray | None]]:
        """Zones x depth layers: (wavefront key, defocus at 550 nm or None for the spec's, weight map or None).

        Without depth each zone is one entry. With it, the defocus of every pixel follows from its subject
        distance (thin lens), and the image is blended from blurs at a few defocus values with hat weights,
        like the field zones (the layered approximation: occlusion at depth edges is not modelled)."""
        if defocus is None:
            return [(waves, None, weight) for waves, weight in zones]
        whole, layers = defocus
        strip = whole[margin + rows[0] : margin + rows[1], margin + cols[0] : margin + cols[1]]
        out: list[tuple[tuple[int, float], float | None, np.ndarray | None]] = []
        for waves, zone_weight in zones:
            for i, value in enumerate(layers):
                basis = np.zeros(len(layers))
                basis[i] = 1.0
                layer_weight = (
                    np.interp(strip, layers, basis).astype(np.float32)
                    if len(layers) > 1
                    else np.ones(strip.shape, np.float32)
                )
                out.append((waves, float(value), layer_weight if zone_weight is None else layer_weight * zone_weight))
        return out

    RADIAL_TABLE = 16385
    """Radii at which a radial mapping's scale and area ratio are tabulated for the remap (linear interpolation
    between them errs by ~ (corner / 16384)^2 |s''| / 8: below 1e-9 of the scale for lensfun-size terms)."""

    def _radial_table(self, wavelength_nm: float, top_mm: float) -> tuple[float, np.ndarray, np.ndarray] | None:
        """(step mm, scale, area) of the real -> ideal mapping in this band when it is radial (every distortion model
        but Brown-Conrady, and lateral colour): P_ideal = P_real s(r), r = |P_real|, whose area ratio is
        |det| = s(r) d(r s(r))/dr; tabulated every ``step`` from 0 to ``top_mm``. None for a non-radial mapping."""
        if self.spec.distortion is not None and self.spec.distortion.model == "brown_conrady":
            return None
        r = np.linspace(0.0, top_mm, self.RADIAL_TABLE)
        step = float(r[1])
        g, _ = self.to_ideal(wavelength_nm, r, np.zeros_like(r))  # along +x: the ideal radius of each real one
        g = np.abs(np.asarray(g, dtype=np.float64))
        scale = np.empty_like(r)
        scale[1:] = g[1:] / r[1:]
        scale[0] = 2 * scale[1] - scale[2]  # the limit at the axis (s is even in r: s(0) = s(h) + O(h^2))
        area = scale * np.gradient(g, step, edge_order=2)
        return step, scale, area

    def inward_reach_px(self, plane: camrig.FocalPlane, d: int, bands_nm: tuple[float, ...]) -> float:
        """How far above its own row (towards the axis, in the lower half) any pixel's light comes from, pixels:
        max over bands of (y - y_ideal) / pitch for y > 0, on every 8th row and column and the last ones (the
        mapping is smooth). Barrel distortion reads outward (0); pincushion, or a lateral-colour scale above 1,
        reads inward, and an in-place remap is safe only while this stays below the margin ``d`` less 2."""
        if d == 0:
            return 0.0
        x, y = plane.pixel_centres_mm()
        below = y[y > 0]
        if below.size == 0:
            return 0.0
        ys = np.unique(np.concatenate([below[::8], below[-1:]]))
        xs = np.unique(np.concatenate([x[::8], x[-1:]]))
        gx, gy = np.meshgrid(xs, ys)
        reach = 0.0
        for band in bands_nm:
            _, yu = self.to_ideal(band, gx, gy)
            reach = max(reach, float(np.max(gy - yu)) / (plane.pitch_um * 1e-3))
        return reach

    def _remap(self, ideal: np.ndarray, plane: camrig.FocalPlane, d: int, bands_nm: tuple[float, ...],
               threads: int = 1, in_place: bool = False) -> np.ndarray:  # fmt: skip
        """Sample the ideal image where each pixel's light comes from, per band (bilinear), conserving flux:
        the irradiance scales with the area ratio |det d(ideal)/d(real)|. A radial mapping (the usual case) is
        tabulated once per band against radius (:meth:`_radial_table`) and applied in one compiled pass
        (:func:`camrig_optics.tiles.remap_radial`) on ``threads``; Brown-Conrady's tangential terms take the
        general path: the inverse mapping at each pixel and half a pixel either side (central differences,
        second-order accurate up to the sensor edges).

        ``in_place``: the output is written over ``ideal`` itself (pixel (r, c) where ideal sample (r, c) was),
        in strips of :attr:`STRIP_ROWS` rows in order, each computed whole before it is written. Pixel (r, c)
        reads ideal rows from r + d - (its inward reach) on; the caller asks for this only where the inward reach
        (:meth:`inward_reach_px`) is at most d - 2, so every pixel reads below its own row, no strip reads what an
        earlier one wrote, and the result is the same as into a fresh array; the frame then needs no second
        full-size array."""
        rows, cols = plane.height_px, plane.width_px
        pitch_mm = plane.pitch_um * 1e-3
        bands = ideal.shape[2]
        out = None if in_place else np.empty((rows, cols, bands), np.float32)
        strip = np.empty((min(rows, self.STRIP_ROWS), cols, bands), np.float32) if in_place else None
        centre_x, centre_y = (cols - 1) / 2 + d, (rows - 1) / 2 + d
        x, y = plane.pixel_centres_mm()
        top = math.hypot(float(np.max(np.abs(x))), float(np.max(np.abs(y)))) * (1 + 1e-6) + 1e-9
        tables = [self._radial_table(band, top) for band in bands_nm]
        h = pitch_mm / 2
        for r0 in range(0, rows, self.STRIP_ROWS):
            r1 = min(rows, r0 + self.STRIP_ROWS)
            target = strip[: r1 - r0] if strip is not None else out[r0:r1]  # type: ignore[index]
            if all(t is not None for t in tables):

                def rows_of(a: int, b: int, r0: int = r0, target: np.ndarray = target) -> None:
                    for i, (step, scale, area) in enumerate(tables):  # type: ignore[misc]
                        remap_radial(ideal[:, :, i], x, y[r0 + a : r0 + b], step, scale, area, pitch_mm, centre_x,
                                     centre_y, target[a:b, :, i])  # fmt: skip

                camrig.in_blocks(r1 - r0, threads, rows_of)
            else:
                xs, ys = np.meshgrid(x, y[r0:r1])
                for b, band in enumerate(bands_nm):
                    xu, yu = self.to_ideal(band, xs, ys)
                    x_right, y_right = self.to_ideal(band, xs + h, ys)
                    x_left, y_left = self.to_ideal(band, xs - h, ys)
                    x_down, y_down = self.to_ideal(band, xs, ys + h)
                    x_up, y_up = self.to_ideal(band, xs, ys - h)
                    area = (np.abs((x_right - x_left) * (y_down - y_up) - (x_down - x_up) * (y_right - y_left))
                            / pitch_mm**2)  # fmt: skip
                    coords = np.stack([yu / pitch_mm + centre_y, xu / pitch_mm + centre_x])
                    target[:, :, b] = ndimage.map_coordinates(ideal[:, :, b], coords, order=1, mode="nearest") * area
            if strip is not None:
                ideal[r0:r1, :cols] = target
        return ideal[:rows, :cols] if out is None else out
