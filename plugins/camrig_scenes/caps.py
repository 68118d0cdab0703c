"""What every scene of this family produces: float32 radiance on the view's grid, one plane per band."""

from __future__ import annotations

import camrig


def radiance_caps(upstream: camrig.Caps | None, geometry: camrig.Geometry, bands_nm: tuple[float, ...]) -> camrig.Caps:
    """The caps of a scene's radiance (rows x cols of the view, one plane per band), or a ``CapsError`` when
    anything comes before it: a scene is the first part of the chain."""
    if upstream is not None:
        raise camrig.CapsError("a scene is the first part of the chain")
    view = geometry.view
    return camrig.Caps(
        format=camrig.Format.RADIANCE,
        dtype="float32",
        shape=(view.height, view.width, len(bands_nm)),
        bands_nm=bands_nm,
    )
