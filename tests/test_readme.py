"""The README's numbers are camrig's: the latency table equals what the script computes."""

from __future__ import annotations

import contextlib
import importlib.util
import io
from pathlib import Path

ROOT = Path(__file__).parents[1]


def test_latency_table_in_the_readme_is_current():
    spec = importlib.util.spec_from_file_location("latency_budget", ROOT / "examples" / "latency_budget.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        module.main()
    table = out.getvalue().strip()
    assert table.count("\n") == 7  # header, rule, 3 links x 2 modes
    assert table in (ROOT / "README.md").read_text()
