"""Camera image-quality measurements, in pure NumPy.

* :func:`slanted_edge_mtf` -- the spatial frequency response (MTF) from a slanted edge, after
  ISO 12233:2017 Annex D (e-SFR);
* :func:`photon_transfer` -- conversion gain, read noise, saturation capacity, dynamic range and SNR from
  flat-field frame pairs, after EMVA 1288 Release 4.0, section 6.

Both take plain arrays in linear units (DN or any linear scale) and return frozen dataclasses.
"""

from __future__ import annotations

from .ptc import PhotonTransfer, photon_transfer
from .sfr import EdgeMtf, slanted_edge_mtf

__all__ = ["EdgeMtf", "PhotonTransfer", "photon_transfer", "slanted_edge_mtf"]
