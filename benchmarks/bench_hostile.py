"""Rejecting hostile configs (issue 14): the time to refuse each, against loading the example rig.

File-level cases (a billion laughs, 3000-deep YAML and TOML, a duplicate key, a 50 MB file, /dev/zero, an
infinite exposure) are refused by ``camrig.read_rig``; the baseline reads the example rig the same way.
Spec-level cases (``width_px: true``, a NaN temperature, a 10^5 x 10^5 sensor) are refused while the rig
is assembled; the baseline assembles the example rig on the same host. Target: <= 2x.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import camrig
from run import Result, interleaved

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples/rigs/four_thirds_module.yaml"
SENSOR = "    flange_distance_mm: 19.25\n"


def _laughs() -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
    return "\n".join(lines) + "\nrig: *a9\ncapture: {}\n"


def _files(folder: Path) -> tuple[dict[str, Path], dict[str, Path]]:
    example = EXAMPLE.read_text()
    texts = {
        "billion laughs": ("laughs.yaml", _laughs()),
        "3000-deep YAML": ("deep.yaml", "rig: " + "[" * 3000 + "]" * 3000 + "\n"),
        "3000-deep TOML": ("deep.toml", "rig = " + "[" * 3000 + "]" * 3000 + "\n"),
        "duplicate key": (
            "dup.yaml",
            example.replace(
                "  name: Four Thirds module\n", "  name: Four Thirds module\n  lens: {type: optics.ideal}\n"
            ),
        ),
        "infinite exposure": ("inf.yaml", example.replace("exposure_s: 0.005", "exposure_s: .inf")),
    }
    spec_texts = {
        "width_px: true": ("bool.yaml", example.replace(SENSOR, SENSOR + "    width_px: true\n")),
        "NaN temperature": ("nan.yaml", example.replace(SENSOR, SENSOR + "    dark_reference_c: .nan\n")),
        "1e5 x 1e5 sensor": (
            "huge.yaml",
            example.replace(SENSOR, SENSOR + "    width_px: 100000\n    height_px: 100000\n"),
        ),
    }
    files = {}
    for label, (name, text) in texts.items():
        (folder / name).write_text(text)
        files[label] = folder / name
    with open(folder / "big.yaml", "wb") as fh:
        fh.truncate(50 * 2**20)
    files["50 MB file"] = folder / "big.yaml"
    files["/dev/zero"] = Path("/dev/zero")
    spec_files = {}
    for label, (name, text) in spec_texts.items():
        (folder / name).write_text(text)
        spec_files[label] = folder / name
    return files, spec_files


def _refused(action: Callable[[], object]) -> Callable[[], None]:
    def run() -> None:
        try:
            action()
        except camrig.ConfigError:
            return
        raise AssertionError("a hostile config was accepted")

    return run


def run(quick: bool) -> list[Result]:
    repeats = 5 if quick else 15
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        files, spec_files = _files(Path(tmp))
        for label, path in files.items():
            hostile, baseline = interleaved(
                _refused(lambda p=path: camrig.read_rig(p)), lambda: camrig.read_rig(EXAMPLE), repeats
            )
            results.append(
                Result(
                    f"reject {label}",
                    hostile / baseline,
                    "<= 2",
                    f"{hostile * 1e3:.2f} ms vs read_rig(example) {baseline * 1e3:.2f} ms",
                )
            )
        host = camrig.Host()
        for label, path in spec_files.items():
            hostile, baseline = interleaved(
                _refused(lambda p=path: camrig.assemble(host, camrig.read_rig(p))),
                lambda: camrig.assemble(host, camrig.read_rig(EXAMPLE)),
                repeats,
            )
            results.append(
                Result(
                    f"reject {label}",
                    hostile / baseline,
                    "<= 2",
                    f"{hostile * 1e3:.2f} ms vs assembling the example {baseline * 1e3:.2f} ms",
                )
            )
    return results
