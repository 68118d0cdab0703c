"""Accessories that each break one rule of camrig.testing.check_accessory (plugin name 'bad')."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ConfigDict, Field, model_validator

import camrig

camrig_api = ">=1,<2"


class Spec(camrig.StageSpec):
    gain: float = Field(default=1.0, gt=0, description="Gain.")


class Copy(camrig.Stage[Spec]):
    """A conforming stage on linear RGB: copies its input, times the gain."""

    def negotiate(self, upstream, geometry):
        if upstream is None or upstream.format is not camrig.Format.RGB_LINEAR:
            raise camrig.CapsError("takes linear RGB")
        return upstream

    def process(self, frame, ctx, role):
        return frame.derive(frame.data * np.float32(self.spec.gain))


class NoSchemaSpec(Spec):
    model_config = ConfigDict(arbitrary_types_allowed=True)
    table: np.ndarray = Field(default_factory=lambda: np.ones(3), description="Not expressible in JSON Schema.")


class DropsExtrasSpec(Spec):
    @model_validator(mode="before")
    @classmethod
    def _drop(cls, data: Any) -> Any:
        return {k: v for k, v in data.items() if k in cls.model_fields} if isinstance(data, dict) else data


class UndescribedSpec(Spec):
    strength: float = 1.0


class NotAStage(Copy):
    pass


def not_a_stage(spec: Spec) -> object:
    return object()


class WrongDtype(Copy):
    def process(self, frame, ctx, role):
        return frame.derive(frame.data.astype(np.float64))


class FlatRgb(Copy):
    """Declares and returns linear RGB with one plane: true to its caps, not to the rgb_linear contract."""

    def negotiate(self, upstream, geometry):
        caps = super().negotiate(upstream, geometry)
        return caps.model_copy(update={"shape": caps.shape[:2]})

    def process(self, frame, ctx, role):
        return frame.derive(np.ascontiguousarray(frame.data[:, :, 1]))


class EditsInput(Copy):
    def process(self, frame, ctx, role):
        view = frame.data.view()
        view.flags.writeable = True  # allowed when the producer's array is writeable: still forbidden
        view *= np.float32(0.5)
        return frame.derive(frame.data.copy())


class Unseeded(Copy):
    def process(self, frame, ctx, role):
        noise = np.random.default_rng().normal(0, 1e-3, frame.data.shape).astype(np.float32)
        return frame.derive(frame.data + noise)


class ThreadDependent(Copy):
    def process(self, frame, ctx, role):
        return frame.derive(frame.data + np.float32(1e-3 * ctx.threads))


class WriterSpec(camrig.WriterSpec):
    pass


class RaisingAccepts(camrig.Writer[WriterSpec]):
    def accepts(self, caps):
        if caps.format is not camrig.Format.RGB_DISPLAY:
            raise TypeError("only display RGB")
        return None

    def write(self, frame: camrig.Frame, path: Path) -> None:
        np.save(path.open("wb"), frame.data)


class LitterWriter(RaisingAccepts):
    def accepts(self, caps):
        return None if caps.format is camrig.Format.RGB_DISPLAY else "only display RGB"

    def write(self, frame: camrig.Frame, path: Path) -> None:
        super().write(frame, path)
        path.with_name(path.name + ".part").write_bytes(b"left behind")


def _stage(name: str, spec: type[camrig.StageSpec], factory: Any) -> camrig.AccessoryType:
    return camrig.AccessoryType(f"bad.{name}", camrig.Kind.STAGE, spec, factory, f"breaks a rule ({name})")


BROKEN_RULE = {
    "bad.no_schema": "spec.schema",
    "bad.drops_extras": "spec.forbids",
    "bad.undescribed": "spec.described",
    "bad.not_a_stage": "spec.defaults",
    "bad.wrong_dtype": "output.caps",
    "bad.flat_rgb": "output.contract",
    "bad.edits_input": "input.untouched",
    "bad.unseeded": "seed.same",
    "bad.copy": "seed.other",  # with noisy=True: a deterministic stage asked to be random
    "bad.threads": "threads",
    "bad.raising_accepts": "writer.refuses",
    "bad.litter": "writer.writes",
}
"""Each accessory here and the one rule it breaks."""


@camrig.hookimpl
def camrig_accessory_types() -> list[camrig.AccessoryType]:
    return [
        _stage("copy", Spec, Copy),
        _stage("no_schema", NoSchemaSpec, Copy),
        _stage("drops_extras", DropsExtrasSpec, Copy),
        _stage("undescribed", UndescribedSpec, Copy),
        _stage("not_a_stage", Spec, not_a_stage),
        _stage("wrong_dtype", Spec, WrongDtype),
        _stage("flat_rgb", Spec, FlatRgb),
        _stage("edits_input", Spec, EditsInput),
        _stage("unseeded", Spec, Unseeded),
        _stage("threads", Spec, ThreadDependent),
        camrig.AccessoryType(
            "bad.raising_accepts", camrig.Kind.WRITER, WriterSpec, RaisingAccepts, "raises", (".bad1",)
        ),
        camrig.AccessoryType("bad.litter", camrig.Kind.WRITER, WriterSpec, LitterWriter, "litters", (".bad2",)),
    ]
