"""Routing overhead: a chain of 6 stages on a 12 MP frame through the router, against calling the same
process() functions directly; and host-side copies of frame data (zero) shown with tracemalloc.

Two frame kinds: a raw uint16 mosaic (integers: the router's finite check is free) and float32 RGB (the
router sums each float output once to prove it finite, one read pass per stage).
"""

from __future__ import annotations

import tracemalloc
from types import SimpleNamespace

import numpy as np

import camrig
from run import Result, interleaved


def bench_plugin(raw: np.ndarray, copy_stages: bool) -> SimpleNamespace:
    """Minimal accessories: the scene and lens pass a 1-pixel frame on, the sensor hands over the prebuilt
    ``raw``; stages do cheap real work (a new array: x + 0) or, with ``copy_stages`` off, return the same data
    in a new frame."""

    class Passthrough:
        def __init__(self, spec):
            self.spec = spec

    class Scene(Passthrough, camrig.Scene):
        def negotiate(self, upstream, geometry):
            v = geometry.view
            return camrig.Caps(format="radiance", dtype="float32", shape=(v.height, v.width, 1), bands_nm=(550.0,))

        def process(self, frame, ctx, role):
            v = ctx.geometry.view
            radiance = np.zeros((v.height, v.width, 1), np.float32)
            return camrig.Frame(radiance, camrig.FrameMeta(format="radiance", units="W/(m^2 sr)", bands_nm=(550.0,)))

    class Lens(Passthrough, camrig.Lens):
        def view(self, plane):
            return camrig.AngularGrid(width=plane.width_px, height=plane.height_px, x0=0, y0=0, step=1e-4)

        def coverage(self, radius_mm):
            return 1.0

        def negotiate(self, upstream, geometry):
            return upstream.model_copy(update={"format": camrig.Format.IRRADIANCE})

        def process(self, frame, ctx, role):
            return frame.derive(format=camrig.Format.IRRADIANCE, units="W/m^2", pitch=1.0)

    class Sensor(Passthrough, camrig.Sensor):
        def focal_plane(self):  # a 1-pixel view: scene and lens cost nothing, the stages get the 12 MP raw
            return camrig.FocalPlane(width_px=1, height_px=1, pitch_um=1.0)

        def raw_bytes_per_frame(self):
            return raw.nbytes

        def negotiate(self, upstream, geometry):  # the sensor's contract: caps state CFA and bit depth
            return camrig.Caps(format="raw", dtype=raw.dtype.name, shape=raw.shape, cfa="RGGB", bit_depth=14)

        def process(self, frame, ctx, role):
            meta = camrig.FrameMeta(
                format="raw",
                units="DN",
                cfa="RGGB",
                bit_depth=14,
                black_level=0,
                white_level=16383,
                exposure_s=ctx.exposure_s,
            )
            return camrig.Frame(raw, meta)

    class Stage(Passthrough, camrig.Stage):
        def negotiate(self, upstream, geometry):
            return upstream

        def process(self, frame, ctx, role):
            return frame.derive(frame.data + 0) if copy_stages else frame.derive()

    class Rgb(Passthrough, camrig.Stage):  # the float32 RGB case: the mosaic's frame as RGB, made once per capture
        def negotiate(self, upstream, geometry):
            return camrig.Caps(format="rgb_linear", dtype="float32", shape=(*upstream.shape, 3))

        def process(self, frame, ctx, role):
            return frame.derive(np.zeros((*frame.data.shape, 3), np.float32), format="rgb_linear", units="1", cfa=None)

    class LensSpec(camrig.LensSpec):
        pass

    class SensorSpec(camrig.SensorSpec):
        pass

    types = [
        camrig.AccessoryType("bench.scene", camrig.Kind.SCENE, camrig.SceneSpec, Scene),
        camrig.AccessoryType("bench.lens", camrig.Kind.LENS, LensSpec, Lens),
        camrig.AccessoryType("bench.sensor", camrig.Kind.SENSOR, SensorSpec, Sensor),
        camrig.AccessoryType("bench.stage", camrig.Kind.STAGE, camrig.StageSpec, Stage),
        camrig.AccessoryType("bench.rgb", camrig.Kind.STAGE, camrig.StageSpec, Rgb),
    ]
    return SimpleNamespace(camrig_api=">=1", camrig_accessory_types=camrig.hookimpl(lambda: types))


def build_rig(raw: np.ndarray, copy_stages: bool, rgb: bool = False) -> camrig.Rig:
    """The bench rig on the mosaic ``raw``; with ``rgb`` a first stage makes it float32 RGB for the six."""
    host = camrig.Host(entry_points=[], plugins={"bench": bench_plugin(raw, copy_stages)}, env={})
    rows, cols = raw.shape[:2]
    part = {"mount": "M", "flange_distance_mm": 10.0}
    config = {
        "rig": {
            "lens": {"type": "bench.lens", "image_circle_mm": 100.0, **part},
            "sensor": {"type": "bench.sensor", "width_px": cols, "height_px": rows, "pixel_pitch_um": 1.0, **part},
            "stages": [{"type": "bench.rgb"}] * rgb + [{"type": "bench.stage"}] * 6,
        },
        "capture": {"scene": {"type": "bench.scene"}},
    }
    return camrig.assemble(host, camrig.read_rig(config))


def direct(rig: camrig.Rig):
    """The same process() calls, in the same order, without the router."""
    from camrig.accessory import CaptureContext

    ctx = CaptureContext(exposure_s=0.01, seed=0, geometry=rig.geometry)
    frame = None
    for part in rig.chain:
        frame = part.accessory.process(frame, ctx, part.role)
    return frame


def run(quick: bool) -> list[Result]:
    rows, cols = (1500, 2000) if quick else (3000, 4000)  # 12 MP (3 MP quick)
    repeats = 5 if quick else 15
    results = []
    raw = np.zeros((rows, cols), np.uint16)
    frames = {"raw uint16": False, "rgb float32": True}  # float32 RGB: made from the mosaic by a first stage
    for label, rgb in frames.items():
        rig = build_rig(raw, copy_stages=True, rgb=rgb)
        routed_s, direct_s = interleaved(rig.capture, lambda: direct(rig), repeats)
        results.append(
            Result(
                f"6-stage chain, {rows * cols / 1e6:.0f} MP {label}: routed / direct",
                routed_s / direct_s,
                "<= 1.02",
                f"routed {routed_s * 1e3:.1f} ms, direct {direct_s * 1e3:.1f} ms",
            )  # fmt: skip
        )
    for label, rgb in frames.items():
        rig = build_rig(raw, copy_stages=False, rgb=rgb)
        frame_bytes = raw.nbytes * (6 if rgb else 1)  # float32 x 3 bands against uint16
        rig.capture()
        tracemalloc.start()
        rig.capture()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        results.append(
            Result(
                f"host copies, {label}: traced peak / frame bytes",
                (peak - (frame_bytes if rgb else 0)) / frame_bytes,
                "<= 0.01",
                f"peak {peak / 1e3:.0f} kB for a {frame_bytes / 1e6:.0f} MB frame (RGB: made by the first stage)",
            )  # fmt: skip
        )
    return results
