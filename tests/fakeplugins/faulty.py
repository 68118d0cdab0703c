"""A plugin whose stage misbehaves on request, and a uniform scene with a known radiance."""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

import camrig

camrig_api = ">=1,<2"


class FaultySpec(camrig.StageSpec):
    mode: Literal["ok", "raise", "shape", "dtype", "nan", "not_a_frame", "edit_input", "slow"] = Field(
        default="ok", description="How to misbehave."
    )


class Faulty(camrig.Stage[FaultySpec]):
    def negotiate(self, upstream, geometry):
        return upstream

    def process(self, frame, ctx, role):
        mode = self.spec.mode
        data = frame.data
        if mode == "raise":
            raise ZeroDivisionError("boom")
        if mode == "shape":
            return frame.derive(data[1:])
        if mode == "dtype":
            return frame.derive(data.astype(np.float64))
        if mode == "nan":
            out = data.astype(data.dtype)
            out.flat[3] = np.nan
            return frame.derive(out)
        if mode == "not_a_frame":
            return data
        if mode == "edit_input":
            data[0, 0] = 0  # must fail: frames are read-only
        if mode == "slow":
            import time

            time.sleep(0.03)
        return frame.derive(data.copy())


class UniformSpec(camrig.SceneSpec):
    radiance_w_m2_sr: float = Field(default=1.0, gt=0, description="Band radiance everywhere, W/(m^2 sr).")
    bands_nm: tuple[float, ...] = Field(default=(450.0, 550.0, 650.0), description="Bands, nm.")


class Uniform(camrig.Scene[UniformSpec]):
    def negotiate(self, upstream, geometry):
        v = geometry.view
        return camrig.Caps(
            format=camrig.Format.RADIANCE,
            dtype="float32",
            shape=(v.height, v.width, len(self.spec.bands_nm)),
            bands_nm=self.spec.bands_nm,
        )

    def process(self, frame, ctx, role):
        v = ctx.geometry.view
        data = np.full((v.height, v.width, len(self.spec.bands_nm)), self.spec.radiance_w_m2_sr, dtype=np.float32)
        return camrig.Frame(
            data, camrig.FrameMeta(format=camrig.Format.RADIANCE, units="W/(m^2 sr)", bands_nm=self.spec.bands_nm)
        )


EVENTS: list[tuple[str, str]] = []


@camrig.hookimpl
def camrig_accessory_types():
    return [
        camrig.AccessoryType("fake.faulty", camrig.Kind.STAGE, FaultySpec, Faulty, "misbehaves on request"),
        camrig.AccessoryType("fake.uniform", camrig.Kind.SCENE, UniformSpec, Uniform, "uniform radiance"),
    ]


@camrig.hookimpl
def camrig_frame_done(role):
    EVENTS.append(("frame_done", role))


@camrig.hookimpl
def camrig_rig_assembled(rig):
    EVENTS.append(("assembled", rig.name))


class PinholeSpec(camrig.LensSpec):
    mount: str = Field(default="EF", description="Mount.")
    flange_distance_mm: float = Field(default=44.0, description="Flange, mm.")
    image_circle_mm: float = Field(default=43.3, description="Image circle, mm.")


class Pinhole(camrig.Lens[PinholeSpec]):
    """A lens that keeps the default relayed(): it cannot sit behind a focal reducer."""

    def view(self, plane):
        return camrig.AngularGrid(width=plane.width_px, height=plane.height_px, x0=0, y0=0, step=1e-3)

    def coverage(self, radius_mm):
        return 1.0

    def negotiate(self, upstream, geometry):
        return upstream.model_copy(update={"format": camrig.Format.IRRADIANCE})

    def process(self, frame, ctx, role):
        return frame.derive(format=camrig.Format.IRRADIANCE)


@camrig.hookimpl(specname="camrig_accessory_types")
def more_accessory_types():
    return [camrig.AccessoryType("fake.pinhole", camrig.Kind.LENS, PinholeSpec, Pinhole, "cannot be relayed")]
