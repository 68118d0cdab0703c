"""One way to blame a part: what a part raises becomes a StageError naming its role, accessory, plugin and
what it was doing; a file and its provenance are written by one path; camrig's own errors are CamrigErrors."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
from pydantic import Field

import camrig
from camrig.errors import blame, part_error

ERRORS: dict[str, type[Exception]] = {"runtime": RuntimeError, "os": PermissionError}


class BrokenWriterSpec(camrig.WriterSpec):
    error: str = Field(default="runtime", description="What write() raises: 'runtime' or 'os'.")


class BrokenWriter(camrig.Writer[BrokenWriterSpec]):
    def accepts(self, caps: camrig.Caps) -> str | None:
        return None

    def write(self, frame: camrig.Frame, path: Path) -> None:
        path.write_bytes(b"half a file")
        raise ERRORS[self.spec.error]("disk on fire")

    def write_animation(self, frames: list[camrig.Frame], path: Path, frame_rate_hz: float) -> None:
        self.write(frames[0], path)


class BrokenStageSpec(camrig.StageSpec):
    pass


class BrokenStage(camrig.Stage[BrokenStageSpec]):
    def negotiate(self, upstream: camrig.Caps | None, geometry: camrig.Geometry) -> camrig.Caps:
        raise KeyError("no such caps")

    def process(self, frame: camrig.Frame | None, ctx: camrig.CaptureContext, role: str) -> camrig.Frame:
        raise AssertionError("never reached")


class BlamePlugin:
    camrig_api = ">=1"

    @staticmethod
    @camrig.hookimpl
    def camrig_accessory_types() -> list[camrig.AccessoryType]:
        return [
            camrig.AccessoryType(
                "blame.writer", camrig.Kind.WRITER, BrokenWriterSpec, BrokenWriter, suffixes=(".broken",)
            ),
            camrig.AccessoryType("blame.stage", camrig.Kind.STAGE, BrokenStageSpec, BrokenStage),
        ]


@pytest.fixture
def blame_host() -> camrig.Host:
    return camrig.Host(env={}, plugins={"blame": BlamePlugin()})


@pytest.mark.parametrize("animated", [False, True])
def test_a_writer_that_raises_is_blamed_and_leaves_nothing(blame_host, rig_dict, tmp_path, animated):
    rig = camrig.assemble(blame_host, camrig.read_rig(rig_dict))
    frame = rig.capture().result
    path = tmp_path / "shot.broken"
    with pytest.raises(camrig.StageError) as err:
        rig.write_animation([frame, frame], path, 30.0) if animated else rig.write(frame, path)
    doing = "write_animation()" if animated else "write()"
    assert str(err.value) == f"writer 'blame.writer' (plugin 'blame'): {doing} raised RuntimeError: disk on fire"
    assert (err.value.role, err.value.accessory, err.value.plugin) == ("writer", "blame.writer", "blame")
    assert isinstance(err.value.__cause__, RuntimeError)
    assert list(tmp_path.iterdir()) == []  # neither the file, nor its sidecar, nor a temporary


def test_a_writer_that_cannot_write_its_file_is_an_output_error(blame_host, rig_dict, tmp_path):
    rig_dict["rig"]["writers"] = [{"type": "blame.writer", "error": "os"}]
    rig = camrig.assemble(blame_host, camrig.read_rig(rig_dict))
    with pytest.raises(camrig.OutputError, match="shot.broken: write failed: disk on fire"):
        rig.write(rig.capture().result, tmp_path / "shot.broken")
    assert list(tmp_path.iterdir()) == []


def test_a_part_that_raises_while_negotiating_is_blamed(blame_host, rig_dict):
    rig_dict["rig"]["stages"].append({"type": "blame.stage"})
    with pytest.raises(camrig.StageError) as err:
        camrig.assemble(blame_host, camrig.read_rig(rig_dict))
    assert str(err.value) == "stages[3] 'blame.stage' (plugin 'blame'): negotiate() raised KeyError: 'no such caps'"


def test_capturing_a_rig_that_does_not_fit_is_a_camrig_error(rig_dict):
    rig_dict["rig"]["lens"].update(mount="EF")
    rig = camrig.assemble(camrig.Host(env={}), camrig.read_rig(rig_dict), strict=False)
    assert not rig.report.ok
    with pytest.raises(camrig.RigDoesNotFit) as err:
        rig.capture()
    assert str(err.value).startswith(
        "capturing needs a rig that passed its fit checks (camrig.assemble)\nrig does not fit"
    )
    assert err.value.report is rig.report


def test_blame_lets_the_errors_it_is_told_to_through():
    part: Any = type("P", (), {"role": "lens", "name": "optics.ideal", "plugin": "optics"})()
    with pytest.raises(camrig.ConfigError):
        with blame(part, "view()"):
            raise camrig.ConfigError("camrig's own: it says where it comes from")
    with pytest.raises(
        camrig.StageError, match=r"^lens 'optics.ideal' \(plugin 'optics'\): process\(\) raised ConfigError"
    ):
        with blame(part, "process()", passing=()):
            raise camrig.ConfigError("raised by the part itself")
    assert str(part_error(part, "returned None")) == "lens 'optics.ideal' (plugin 'optics'): returned None"


def test_only_the_errors_module_builds_a_stage_error():
    """Every other module blames a part through camrig.errors.blame or part_error (the module process only
    rebuilds the StageError its child sent)."""
    root = Path(camrig.__file__).parent
    builders = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "StageError":
                builders.append(path.relative_to(root).as_posix())
    assert sorted(set(builders)) == ["_module_process.py", "errors.py"]
