"""Where the sensor's pixels are and which directions they look at: the data the chain is negotiated on.

These are plain descriptions; the physics that produces them lives in plugins (the sensor says where its
pixels are, the lens says which angles land there).
"""

from __future__ import annotations

import math

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

__all__ = ["FocalPlane", "AngularGrid", "Geometry"]


class FocalPlane(BaseModel):
    """The sensor's pixel grid on the focal plane, centred on the optical axis.

    >>> plane = FocalPlane(width_px=4000, height_px=3000, pitch_um=3.3)
    >>> round(plane.width_mm, 2), round(plane.height_mm, 2), round(plane.diagonal_mm, 2)
    (13.2, 9.9, 16.5)
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    width_px: int = Field(gt=0, description="Pixels per row.")
    height_px: int = Field(gt=0, description="Rows.")
    pitch_um: float = Field(gt=0, description="Pixel pitch, um.")

    @property
    def width_mm(self) -> float:
        return self.width_px * self.pitch_um * 1e-3

    @property
    def height_mm(self) -> float:
        return self.height_px * self.pitch_um * 1e-3

    @property
    def diagonal_mm(self) -> float:
        return math.hypot(self.width_mm, self.height_mm)

    def pixel_centres_mm(self) -> tuple[np.ndarray, np.ndarray]:
        """x (columns) and y (rows) of pixel centres relative to the axis, mm; y grows downwards."""
        p = self.pitch_um * 1e-3
        x = (np.arange(self.width_px) - (self.width_px - 1) / 2) * p
        y = (np.arange(self.height_px) - (self.height_px - 1) / 2) * p
        return x, y


class AngularGrid(BaseModel):
    """A regular grid of viewing directions, in tangent-of-angle coordinates (a pinhole's natural grid).

    Sample ``(i, j)`` looks along ``(tan_x, tan_y) = (x0 + j * step, y0 + i * step)`` from the entrance pupil.
    Scenes render their radiance on this grid.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    width: int = Field(gt=0, description="Samples per row.")
    height: int = Field(gt=0, description="Rows of samples.")
    x0: float = Field(description="tan of the horizontal angle of the first column.")
    y0: float = Field(description="tan of the vertical angle of the first row (positive is down).")
    step: float = Field(gt=0, description="Tangent step between neighbouring samples.")

    def tangents(self) -> tuple[np.ndarray, np.ndarray]:
        """tan of the horizontal angle per column, and of the vertical angle per row."""
        return self.x0 + self.step * np.arange(self.width), self.y0 + self.step * np.arange(self.height)


class Geometry(BaseModel):
    """The focal plane and the view of one assembled rig."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    plane: FocalPlane = Field(description="The sensor's pixel grid.")
    view: AngularGrid = Field(description="Directions the scene is sampled at.")
