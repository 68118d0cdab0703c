"""The ideal lens: pinhole geometry plus the camera equation.

Geometry: a rectilinear lens focused at infinity images the direction (tan x, tan y) at focal-plane position
(f tan x, f tan y).

Irradiance (the camera equation; W. J. Smith, *Modern Optical Engineering*, 4th ed., ch. 8; for a distant
object, magnification m = 0)::

    E = pi * L * T * cos^4(theta) / (4 * N^2 * (1 + m)^2)

Beyond the image circle the exit pupil is progressively cut off by a mechanical stop ("cat's eye"
vignetting); we model the passed fraction as the overlap area of two equal circles whose centres separate
linearly from 0 at the image-circle radius to one full diameter ``vignetting_rolloff_mm`` further out.
"""

from __future__ import annotations

import math

import numpy as np

import camrig

from . import IdealLensSpec


def circle_overlap(s: np.ndarray | float) -> np.ndarray:
    """Overlap area of two unit-diameter circles at centre distance ``s`` (in diameters), as a fraction of one
    circle's area: (2/pi) (acos s - s sqrt(1 - s^2)), clipped to [0, 1] for s outside [0, 1]."""
    s = np.clip(np.asarray(s, dtype=np.float64), 0.0, 1.0)
    return (2 / np.pi) * (np.arccos(s) - s * np.sqrt(1 - s * s))


class IdealLens(camrig.Lens[IdealLensSpec]):
    def view(self, plane: camrig.FocalPlane) -> camrig.AngularGrid:
        x, y = plane.pixel_centres_mm()
        f = self.spec.focal_length_mm
        return camrig.AngularGrid(
            width=plane.width_px, height=plane.height_px, x0=x[0] / f, y0=y[0] / f, step=plane.pitch_um * 1e-3 / f
        )

    def coverage(self, radius_mm: float) -> float:
        beyond = radius_mm - self.spec.image_circle_mm / 2
        return 1.0 if beyond <= 0 else float(circle_overlap(beyond / self.spec.vignetting_rolloff_mm))

    def relative_illumination(self, plane: camrig.FocalPlane) -> np.ndarray:
        """(rows, cols) cos^4(theta) x coverage on the pixel grid, float32."""
        x, y = plane.pixel_centres_mm()
        f = self.spec.focal_length_mm
        r2 = (y[:, None] ** 2 + x[None, :] ** 2).astype(np.float32)
        cos2 = 1.0 / (1.0 + r2 / np.float32(f * f))
        ri = cos2 * cos2
        circle = self.spec.image_circle_mm / 2
        if (x[-1] ** 2 + y[-1] ** 2) > circle**2:
            ri *= circle_overlap((np.sqrt(r2) - circle) / self.spec.vignetting_rolloff_mm).astype(np.float32)
        return ri

    def negotiate(self, upstream: camrig.Caps | None, geometry: camrig.Geometry) -> camrig.Caps:
        plane = geometry.plane
        if upstream is None or upstream.format is not camrig.Format.RADIANCE:
            raise camrig.CapsError("a lens takes radiance")
        if upstream.shape[:2] != (plane.height_px, plane.width_px) or len(upstream.shape) != 3:
            raise camrig.CapsError(f"radiance must be sampled on the view grid {plane.height_px}x{plane.width_px}xbands")
        return camrig.Caps(
            format=camrig.Format.IRRADIANCE, dtype="float32", shape=upstream.shape, bands_nm=upstream.bands_nm
        )

    def process(self, frame: camrig.Frame | None, ctx: camrig.CaptureContext, role: str) -> camrig.Frame:
        assert frame is not None
        s = self.spec
        scale = np.float32(math.pi * s.transmission / (4 * s.f_number**2))
        factor = self.relative_illumination(ctx.geometry.plane)
        factor *= scale
        irradiance = np.multiply(frame.data, factor[:, :, None], dtype=np.float32)
        return frame.derive(
            irradiance,
            format=camrig.Format.IRRADIANCE,
            units="W/m^2",
            pitch=ctx.geometry.plane.pitch_um,
            f_number=s.f_number,
            focal_length_mm=s.focal_length_mm,
        )
