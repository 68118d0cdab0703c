"""The ACME telephoto: pinhole geometry and the camera equation, written against camrig's public API only.

Irradiance at field angle theta (camera equation, W. J. Smith, Modern Optical Engineering, ch. 8, object at
infinity): E = pi L T cos^4(theta) / (4 N^2).
"""

from __future__ import annotations

import math

import numpy as np

import camrig

from . import TeleSpec


class Tele(camrig.Lens[TeleSpec]):
    def view(self, plane: camrig.FocalPlane) -> camrig.AngularGrid:
        x, y = plane.pixel_centres_mm()
        f = self.spec.focal_length_mm
        return camrig.AngularGrid(
            width=plane.width_px, height=plane.height_px, x0=x[0] / f, y0=y[0] / f, step=plane.pitch_um * 1e-3 / f
        )

    def coverage(self, radius_mm: float) -> float:
        return 1.0 if radius_mm <= self.spec.image_circle_mm / 2 else 0.0

    def negotiate(self, upstream: camrig.Caps | None, geometry: camrig.Geometry) -> camrig.Caps:
        if upstream is None or upstream.format is not camrig.Format.RADIANCE:
            raise camrig.CapsError("a lens takes radiance")
        return upstream.model_copy(update={"format": camrig.Format.IRRADIANCE})

    def process(self, frame: camrig.Frame | None, ctx: camrig.CaptureContext, role: str) -> camrig.Frame:
        assert frame is not None
        s, plane = self.spec, ctx.geometry.plane
        x, y = plane.pixel_centres_mm()
        tan2 = (x[None, :] ** 2 + y[:, None] ** 2) / s.focal_length_mm**2
        cos4 = (1.0 / (1.0 + tan2)) ** 2
        factor = (math.pi * s.transmission / (4 * s.f_number**2) * cos4).astype(np.float32)
        irradiance = frame.data * factor[:, :, None]
        return frame.derive(irradiance, format=camrig.Format.IRRADIANCE, units="W/m^2", f_number=s.f_number,
                            focal_length_mm=s.focal_length_mm, pitch=plane.pitch_um)  # fmt: skip
