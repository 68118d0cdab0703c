"""camrig measure: camera image-quality measurements, as functions on arrays and as measurement accessories.

Functions (plain arrays in linear units):

* :func:`slanted_edge_mtf` -- the spatial frequency response (MTF) from a slanted edge, after ISO 12233:2017
  Annex D (e-SFR);
* :func:`photon_transfer` -- conversion gain, read noise, saturation capacity, dynamic range and SNR from
  flat-field frame pairs, after EMVA 1288 Release 4.0, section 6;
* :func:`ciede2000` -- colour difference, CIE 142-2001 in Sharma, Wu and Dalal's formulation (2005);
* :func:`siemens_star_mtf` -- the MTF from a binary Siemens star, the fundamental around rings (after ISO
  12233:2017 Annex F, s-SFR).

Accessories (kind ``measurement``) that experiments list under ``measurements``: ``measure.mtf``, ``measure.star_mtf``,
``measure.photon_transfer``, ``measure.colour_error``, ``measure.distortion``, ``measure.vignetting``,
``measure.latency`` and ``measure.link``. Their specs are here (cheap to import); the code is in
:mod:`camrig_measure.accessories`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

import camrig

from .ciede2000 import ciede2000
from .ptc import PhotonTransfer, photon_transfer
from .sfr import EdgeMtf, slanted_edge_mtf
from .star import StarMtf, siemens_star_mtf

__all__ = [
    "EdgeMtf",
    "PhotonTransfer",
    "StarMtf",
    "ciede2000",
    "photon_transfer",
    "siemens_star_mtf",
    "slanted_edge_mtf",
]

camrig_api = ">=1,<2"

Roi = tuple[float, float, float, float]


class MtfSpec(camrig.MeasurementSpec):
    """MTF and MTF50 by the ISO 12233 slanted-edge method, in a region holding one edge (e.g. scenes.chart with
    layout: edge)."""

    image: Literal["raw", "result"] = Field(
        default="raw",
        description="'raw': the mosaic as the host receives it (mono, or one green phase of a Bayer CFA); "
        "'result': the luminance of the pipeline's linear RGB output (the measurement refuses display-encoded RGB).",
    )
    roi: Roi = Field(
        default=(0.35, 0.25, 0.3, 0.5),
        description="Region holding the edge: (left, top, width, height) as fractions of the frame.",
    )
    oversample: int = Field(default=4, ge=2, le=8, description="ESF bins per pixel (ISO 12233: 4).")
    esfr_edge: int | None = Field(
        default=None,
        ge=0,
        description="Instead of roi: the region around edge k of a scenes.target e-SFR chart (pattern: esfr), "
        "k = 4 x square + side, squares in order centre, then per field (-x -y), (+x -y), (-x +y), (+x +y); sides "
        "left, right, top, bottom (docs/scenes.md). The region is 0.8 of a square's side along the edge and across it.",
    )

    @field_validator("roi")
    @classmethod
    def _inside(cls, v: Roi) -> Roi:
        x, y, w, h = v
        if w <= 0 or h <= 0 or x < 0 or y < 0 or x + w > 1 or y + h > 1:
            raise ValueError(f"roi (left, top, width, height) must lie inside the frame [0, 1], got {v}")
        return v


class StarMtfSpec(camrig.MeasurementSpec):
    """MTF and MTF50 from a Siemens star (scenes.target, pattern: siemens_star, centred on the axis): the
    fundamental of its sectors around rings (camrig_measure.star)."""

    image: Literal["raw", "result"] = Field(
        default="raw",
        description="'raw': the mosaic above black, each CFA phase divided by its mean (a neutral star); 'result': "
        "the luminance of the pipeline's linear RGB output.",
    )
    direction: Literal["all", "x", "y"] = Field(
        default="all",
        description="Frequencies along every direction, or along x (the segments above and below the centre) or y.",
    )


class PhotonTransferSpec(camrig.MeasurementSpec):
    """EMVA 1288 photon transfer of the rig's sensor: flat-field pairs from dark to beyond saturation through the
    sensor and link (the scene and lens are bypassed), giving gain, read noise, saturation and dynamic range."""

    irradiance_w_m2: float = Field(default=1.0, gt=0, description="Irradiance of the flat field in each band, W/m^2.")
    levels: int = Field(
        default=22, ge=6, le=100, description="Exposure levels (EMVA 1288 asks for at least 50; 22 suffice here)."
    )
    roi_px: int = Field(default=256, ge=16, description="Side of the central square analysed, pixels (per CFA phase).")


class ColourErrorSpec(camrig.MeasurementSpec):
    """Mean and largest CIEDE2000 of the 24 patches of a scenes.chart, from the pipeline's linear sRGB output,
    exposure normalised on the white patch's luminance."""

    patch_fraction: float = Field(default=0.5, gt=0, le=0.9, description="Central fraction of each patch averaged.")


class VignettingSpec(camrig.MeasurementSpec):
    """Fall-off from the centre to the corners of the raw, in EV, on a flat scene (scenes.chart with layout: flat)."""

    box_fraction: float = Field(
        default=0.05,
        gt=0,
        le=0.25,
        description="Side of the centre and corner boxes, as a fraction of the frame height.",
    )


class DistortionMeasurementSpec(camrig.MeasurementSpec):
    """Geometric distortion from the dot centroids of scenes.chart with layout: dots, against where a pinhole
    lens of the same focal length would put them."""

    image: Literal["raw", "result"] = Field(
        default="raw", description="'raw' (phases balanced) or 'result' (luminance of linear RGB)."
    )


class LatencySpec(camrig.MeasurementSpec):
    """Modelled latency from the start of the exposure to the raw frame in the phone, and the host's compute time."""


class LinkLoadSpec(camrig.MeasurementSpec):
    """Bytes on the link per frame, their rate at the rig's frame rate, and retransmissions."""


@camrig.hookimpl
def camrig_accessory_types() -> list[camrig.AccessoryType]:
    kind, where = camrig.Kind.MEASUREMENT, "camrig_measure.accessories"
    return [
        camrig.AccessoryType(
            "measure.mtf", kind, MtfSpec, f"{where}:Mtf", "MTF curve and MTF50 (ISO 12233 slanted edge)"
        ),
        camrig.AccessoryType(
            "measure.star_mtf", kind, StarMtfSpec, f"{where}:StarMtf", "MTF curve and MTF50 from a Siemens star"
        ),
        camrig.AccessoryType(
            "measure.photon_transfer",
            kind,
            PhotonTransferSpec,
            f"{where}:PhotonTransferMeasurement",
            "gain, read noise, saturation, dynamic range (EMVA 1288)",
        ),
        camrig.AccessoryType(
            "measure.colour_error", kind, ColourErrorSpec, f"{where}:ColourError", "CIEDE2000 on the ColorChecker"
        ),
        camrig.AccessoryType(
            "measure.distortion",
            kind,
            DistortionMeasurementSpec,
            f"{where}:Distortion",
            "radial distortion in % from a dot chart",
        ),
        camrig.AccessoryType(
            "measure.vignetting", kind, VignettingSpec, f"{where}:Vignetting", "corner fall-off in EV"
        ),
        camrig.AccessoryType(
            "measure.latency", kind, LatencySpec, f"{where}:Latency", "modelled latency and host compute time"
        ),
        camrig.AccessoryType(
            "measure.link", kind, LinkLoadSpec, f"{where}:LinkLoad", "bytes and retransmissions on the link"
        ),
    ]
