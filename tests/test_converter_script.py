"""examples/converters/render_dng.py: LibRaw renders our DNG as camrig does; missing converters are said."""

from __future__ import annotations

import importlib.util
import re
import shutil
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parents[1] / "examples" / "converters" / "render_dng.py"


def test_the_converter_script_reports_libraw_close_and_names_what_is_missing(capsys, tmp_path):
    pytest.importorskip("rawpy")
    spec = importlib.util.spec_from_file_location("render_dng", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    median = float(re.search(r"LibRaw \(rawpy\): CIEDE2000 to camrig's rendering, median ([\d.]+)", out).group(1))
    assert median < 0.5  # issue 19: one matrix for both renderers
    assert (tmp_path / "shot.dng").exists() and (tmp_path / "shot.dng.json").exists()
    for tool in ("darktable-cli", "rawtherapee-cli"):
        if shutil.which(tool) is None:
            assert f"{tool}: not installed" in out
