"""Standard test targets: ``scenes.target`` (docs/scenes.md).

Siemens star (ISO 12233:2017, Annex F, binary form): ``2 n`` sectors around the axis, light where
``sin(n phi) >= 0`` and dark elsewhere, out to the radius ``R = tan(width / 2)``; the ground is light. Each
sample is the box-filtered target over its own square (one tangent step wide): at a distance ``d`` from the
nearest sector edge (``d = rho sin(delta phi)``, rho the radius and delta phi the angle to the edge) the far side
covers ``max(0, 1/2 - d / step)`` of it, the straight-edge approximation. Where the sectors are narrower than a
sample (``rho pi / n < step``) the sample is their mean, as a pixel there sees.

Grid of points: discs of angular diameter ``D`` every ``s`` degrees (in tangent units, centred on the axis) over
``width x 2/3 width``; a disc covers ``pi (D/2)^2`` of tangent-plane area, and a sample of area ``step^2`` that
holds it radiates ``L rho area / step^2`` when the disc is smaller than the sample (its flux kept in the sample
holding its centre), else the disc's coverage of the sample by 8 x 8 sub-samples.

The ISO 12233 e-SFR chart (:mod:`camrig_scenes.esfr`), the USAF 1951 bars (:mod:`camrig_scenes.usaf`) and the
star field (:mod:`camrig_scenes.starfield`) have their own modules.

Radiance: reflectance times the band radiance of a perfect white of ``white_luminance_cd_m2`` under the
illuminant (:mod:`camrig_scenes.spectral`); a star field's radiance is its stars' irradiance over the solid
angle of the samples they fall on.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from numba import njit

import camrig
from camrig import in_blocks

from . import TargetSpec, esfr, starfield, usaf
from .caps import radiance_caps
from .spectral import white_band_radiance

SUBSAMPLES = 8


@njit(nogil=True, cache=True)
def _star(out, tx, ty, step, radius, cycles, light, dark):  # noqa: ANN001
    """out[r, c] = box-filtered star reflectance at (tx[c], ty[r]) (module docstring)."""
    rows, cols = out.shape
    sector = math.pi / cycles
    mean = 0.5 * (light + dark)
    for r in range(rows):
        y = ty[r]
        for c in range(cols):
            x = tx[c]
            rho = math.sqrt(x * x + y * y)
            if rho > radius:
                out[r, c] = light
                continue
            if rho * sector < step:
                out[r, c] = mean
                continue
            phi = math.atan2(y, x)
            t = phi / sector  # sector index: light where floor(t) is even
            k = math.floor(t)
            near = t - k
            here, there = (light, dark) if k % 2 == 0 else (dark, light)
            delta = min(near, 1.0 - near) * sector
            d = rho * math.sin(delta)
            far = max(0.0, 0.5 - d / step)
            out[r, c] = here * (1.0 - far) + there * far


@njit(nogil=True, cache=True)
def _points(out, tx, ty, step, spacing, radius, nx, ny, light):  # noqa: ANN001
    """out[r, c] = reflectance of the point grid averaged over the sample (module docstring)."""
    rows, cols = out.shape
    small = 2 * radius < step
    point_area = math.pi * radius * radius
    for r in range(rows):
        y = ty[r]
        j = round(y / spacing)
        for c in range(cols):
            x = tx[c]
            i = round(x / spacing)
            out[r, c] = 0.0
            if abs(i) > nx or abs(j) > ny:
                continue
            cx, cy = i * spacing, j * spacing
            if small:  # the whole disc in the sample holding its centre ([x - step/2, x + step/2) on each axis)
                if x - step / 2 <= cx < x + step / 2 and y - step / 2 <= cy < y + step / 2:
                    out[r, c] = light * point_area / (step * step)
                continue
            if abs(x - cx) > radius + step or abs(y - cy) > radius + step:
                continue
            inside = 0
            for a in range(SUBSAMPLES):
                sy = y + ((a + 0.5) / SUBSAMPLES - 0.5) * step - cy
                for b in range(SUBSAMPLES):
                    sx = x + ((b + 0.5) / SUBSAMPLES - 0.5) * step - cx
                    if sx * sx + sy * sy <= radius * radius:
                        inside += 1
            out[r, c] = light * inside / (SUBSAMPLES * SUBSAMPLES)


@functools.cache
def load_kernels() -> None:
    one = np.zeros(1)
    _star(np.empty((1, 1), np.float32), one, one, 1.0, 1.0, 2, 1.0, 0.0)
    _points(np.empty((1, 1), np.float32), one, one, 1.0, 1.0, 0.1, 1, 1, 1.0)
    esfr._squares(np.empty((1, 1), np.float32), one, one, 1.0, np.zeros((1, 2)), 1.0, 0.1, 1.0, 0.5)
    usaf._bars(np.empty((1, 1), np.float32), one, one, 1.0, np.zeros((1, 4)), 1.0, 0.5)


class Target(camrig.Scene[TargetSpec]):
    """Radiance of a test target: L = rho * L_white per band (module docstring)."""

    def negotiate(self, upstream: camrig.Caps | None, geometry: camrig.Geometry) -> camrig.Caps:
        load_kernels()
        s = self.spec
        if s.pattern == "esfr":
            self._check_esfr_in_view(geometry.view)
        return radiance_caps(upstream, geometry, s.bands_nm)

    def _check_esfr_in_view(self, view: camrig.AngularGrid) -> None:
        """A CapsError naming esfr_fields when a square of the chart lies (partly) outside the view the lens
        samples (so its edges would not be in the frame)."""
        s = self.spec
        centres, side, fields = esfr.layout(s.width_deg, s.esfr_square, s.esfr_fields)
        a = math.radians(s.esfr_angle_deg)
        extent = 0.5 * side * (abs(math.cos(a)) + abs(math.sin(a)))
        x1, y1 = view.x0 + (view.width - 1) * view.step, view.y0 + (view.height - 1) * view.step
        for (x, y), f in zip(centres, fields):
            if x - extent < view.x0 or x + extent > x1 or y - extent < view.y0 or y + extent > y1:
                raise camrig.CapsError(
                    f"esfr_fields: the e-SFR square at field {f:g} (centre {math.degrees(math.atan(x)):.2f}, "
                    f"{math.degrees(math.atan(y)):.2f} deg) does not fit the frame "
                    f"({math.degrees(math.atan(x1)):.2f} x {math.degrees(math.atan(y1)):.2f} deg half-field); "
                    "narrow width_deg or esfr_fields"
                )

    def reflectance(self, view: camrig.AngularGrid, threads: int = 1) -> np.ndarray:
        """(rows, cols) reflectance of the target along each direction of ``view``, averaged over each sample."""
        s = self.spec
        tx, ty = view.tangents()
        out = np.empty((view.height, view.width), np.float32)
        half = math.tan(math.radians(s.width_deg) / 2)
        if s.pattern == "siemens_star":
            in_blocks(
                view.height,
                threads,
                lambda a, b: _star(out[a:b], tx, ty[a:b], view.step, half, s.cycles, s.light, s.dark),
            )
        elif s.pattern == "esfr":
            centres, side, _ = esfr.layout(s.width_deg, s.esfr_square, s.esfr_fields)
            angle, dark = math.radians(s.esfr_angle_deg), s.light / s.esfr_contrast
            in_blocks(
                view.height,
                threads,
                lambda a, b: esfr._squares(out[a:b], tx, ty[a:b], view.step, centres, side, angle, s.light, dark),
            )
        elif s.pattern == "usaf1951":
            rects = usaf.rectangles(s.usaf_groups, s.distance_m, s.usaf_scale)
            in_blocks(
                view.height, threads, lambda a, b: usaf._bars(out[a:b], tx, ty[a:b], view.step, rects, s.light, s.dark)
            )
        elif s.pattern == "star_field":
            out[:] = 0.0  # the sky is black; the stars are not reflectances (see process)
        else:
            spacing = math.tan(math.radians(s.point_spacing_deg))
            radius = math.tan(math.radians(s.point_diameter_deg) / 2)
            nx, ny = int(half / spacing + 1e-9), int(half * 2 / 3 / spacing + 1e-9)
            in_blocks(
                view.height,
                threads,
                lambda a, b: _points(out[a:b], tx, ty[a:b], view.step, spacing, radius, nx, ny, s.light),
            )
        return out

    def star_irradiance(self) -> np.ndarray:
        """(stars, bands) irradiance of each star at the pupil, W/m^2: 10^(-0.4 m) times the zero point's band
        irradiance (:mod:`camrig_scenes.starfield`)."""
        s = self.spec
        zero = starfield.zero_point_band_irradiance(s.bands_nm, s.star_spectrum)
        return 10.0 ** (-0.4 * np.asarray(s.star_magnitudes, dtype=np.float64))[:, None] * zero[None, :]

    def stars_tan(self) -> np.ndarray:
        """(stars, 2) directions of the stars, tangent units (x right, y down)."""
        s = self.spec
        return starfield.positions_tan(len(s.star_magnitudes), s.star_positions_deg, s.width_deg, s.star_seed)

    def process(self, frame: camrig.Frame | None, ctx: camrig.CaptureContext, role: str) -> camrig.Frame:
        s = self.spec
        view = ctx.geometry.view
        if s.pattern == "star_field":
            # A white diffuser lit by a magnitude-0 star at normal incidence: L = E / pi.
            white = starfield.zero_point_band_irradiance(s.bands_nm, s.star_spectrum) / math.pi
            radiance = np.zeros((view.height, view.width, len(s.bands_nm)), np.float32)
            starfield.render(radiance, view.x0, view.y0, view.step, self.stars_tan(), self.star_irradiance())
            illuminant = None
        else:
            white = white_band_radiance(s.bands_nm, s.illuminant, s.white_luminance_cd_m2)
            rho = self.reflectance(view, ctx.threads)
            radiance = rho[:, :, None] * white.astype(np.float32)[None, None, :]
            illuminant = s.illuminant
        meta = camrig.FrameMeta(
            format=camrig.Format.RADIANCE,
            units="W/(m^2 sr)",
            bands_nm=s.bands_nm,
            pitch=view.step,
            white_radiance=tuple(float(w) for w in white),
            illuminant=illuminant,
        )
        planes = {}
        if math.isfinite(s.distance_m):  # a plane facing the lens: z = distance everywhere
            planes["depth_m"] = np.broadcast_to(np.float32(s.distance_m), (view.height, view.width))
        return camrig.Frame(radiance, meta, planes=planes)
