"""The shape of the framework's code: no import cycle, at import time or at run time, and no module using
another's private names.

The import graph is read from the source (the AST of every module of ``framework/camrig``): an edge for each
import of a camrig module, at module level or in a function body, leaving out imports that only annotate
(under ``if TYPE_CHECKING:``). A cycle through function-body imports is a cycle too: it only waits for the
first call. Then each module is imported alone in a fresh interpreter that watches every import for a camrig
module still being initialised, which is what a cycle looks like while it runs.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "framework" / "camrig"


@dataclass(frozen=True)
class Import:
    importer: str
    target: str
    line: int
    in_function: bool

    def __str__(self) -> str:
        where = "in a function" if self.in_function else "at module level"
        return f"{self.importer} -> {self.target} (line {self.line}, {where})"


def modules(root: Path = PACKAGE) -> dict[str, tuple[Path, bool]]:
    """Dotted module name -> (file, is a package) for every module under ``root``."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if package else parts)] = (path, package)
    return found


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


class _Imports(ast.NodeVisitor):
    """The imports of camrig modules in one module, skipping ``if TYPE_CHECKING:`` blocks."""

    def __init__(self, name: str, package: bool, known: dict[str, tuple[Path, bool]]) -> None:
        self.name, self.package, self.known = name, package, known
        self.found: list[Import] = []
        self.depth = 0

    def visit_If(self, node: ast.If) -> None:
        if _type_checking(node):
            for child in node.orelse:
                self.visit(child)
        else:
            self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_AsyncFunctionDef = visit_FunctionDef

    def add(self, target: str, line: int) -> None:
        if target in self.known:
            self.found.append(Import(self.name, target, line, self.depth > 0))

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.add(alias.name, node.lineno)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            base = self.name.split(".") if self.package else self.name.split(".")[:-1]
            base = base[: len(base) - (node.level - 1)]
            module = ".".join([*base, *([node.module] if node.module else [])])
        else:
            module = node.module or ""
        for alias in node.names:  # a submodule where the name is one, else the module that holds the name
            submodule = f"{module}.{alias.name}"
            self.add(submodule if submodule in self.known else module, node.lineno)


def import_graph(root: Path = PACKAGE) -> list[Import]:
    known = modules(root)
    found: list[Import] = []
    for name, (path, package) in known.items():
        visitor = _Imports(name, package, known)
        visitor.visit(ast.parse(path.read_text(encoding="utf-8"), str(path)))
        found += visitor.found
    return found


def cycles(edges: list[Import]) -> list[list[str]]:
    """The strongly connected components with more than one module (or a module importing itself)."""
    graph: dict[str, set[str]] = {}
    for e in edges:
        graph.setdefault(e.importer, set()).add(e.target)
        graph.setdefault(e.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1 or v in graph[v]:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return found


def test_the_graph_sees_imports_of_every_form(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("from .a import A\n")
    (pkg / "a.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .b import B\nA = 1\ndef f():\n    from .sub "
        "import c\n"
    )
    (pkg / "b.py").write_text("from . import a\nfrom pkg import __version__\n")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "c.py").write_text("from .. import b\nimport pkg.a\n")
    edges = {(e.importer, e.target, e.in_function) for e in import_graph(pkg)}
    assert edges == {
        ("pkg", "pkg.a", False),
        ("pkg.a", "pkg.sub.c", True),  # the annotation-only import of pkg.b is no edge
        ("pkg.b", "pkg.a", False),
        ("pkg.b", "pkg", False),  # a name from the package itself: its __init__
        ("pkg.sub.c", "pkg.b", False),
        ("pkg.sub.c", "pkg.a", False),
    }
    assert cycles(import_graph(pkg)) == [["pkg", "pkg.a", "pkg.b", "pkg.sub.c"]]


def test_no_import_cycle_in_the_framework():
    edges = import_graph()
    found = cycles(edges)
    lines = []
    for component in found:
        lines.append("cycle: " + ", ".join(component))
        lines += [f"    {e}" for e in edges if e.importer in component and e.target in component]
    assert not found, "\n".join(lines)


# Run in a fresh interpreter: import one module and fail (exit 3) on any import of a camrig module that is
# still being initialised, naming the importer; Python only notices a cycle when a name is missing.
PROBE = r"""
import builtins, importlib.util, sys

real_import = builtins.__import__
found = []

def initialising(name):
    module = sys.modules.get(name)
    return module is not None and getattr(getattr(module, "__spec__", None), "_initializing", False)

def watched(name, globals=None, locals=None, fromlist=(), level=0):
    importer = (globals or {}).get("__name__", "")
    if importer.split(".")[0] == "camrig":
        package = globals.get("__package__") or importer.rpartition(".")[0]
        base = importlib.util.resolve_name("." * level + name, package) if level else name
        package_path = getattr(sys.modules.get(base), "__path__", None)  # base is a package being (or done) loading
        targets = []
        for item in fromlist or ():
            sub = f"{base}.{item}"
            is_sub = sub in sys.modules or (package_path is not None and importlib.util.find_spec(sub) is not None)
            targets.append(sub if is_sub else base)
        targets = targets or [base]
        for target in targets:
            if target.split(".")[0] == "camrig" and target != importer and initialising(target):
                found.append(f"{importer} imports {target} while {target} is still being initialised")
    return real_import(name, globals, locals, fromlist, level)

builtins.__import__ = watched
importlib.import_module(sys.argv[1])
if found:
    print("\n".join(found))
    sys.exit(3)
"""


def _import_alone(module: str) -> tuple[str, int, str]:
    done = subprocess.run([sys.executable, "-c", PROBE, module], capture_output=True, text=True, timeout=120)
    return module, done.returncode, (done.stdout + done.stderr).strip()


def test_each_module_imports_alone_without_a_cycle():
    names = [m for m in modules() if not m.endswith("__main__")]  # __main__ runs the CLI when imported
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(_import_alone, names))
    failed = [f"{module} (exit {code}):\n{output}" for module, code, output in results if code != 0]
    assert not failed, "\n\n".join(failed)


def test_the_probe_sees_a_cycle_while_it_runs(tmp_path):
    pkg = tmp_path / "camrig_probe_pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("from .a import A\n")
    (pkg / "a.py").write_text("from .b import B\nA = 1\n")
    (pkg / "b.py").write_text("from . import a\nB = 2\n")
    probe = PROBE.replace('"camrig"', '"camrig_probe_pkg"')
    done = subprocess.run(
        [sys.executable, "-c", probe, "camrig_probe_pkg"], capture_output=True, text=True, cwd=tmp_path, timeout=60
    )
    assert done.returncode == 3, done.stdout + done.stderr
    assert (
        "camrig_probe_pkg.b imports camrig_probe_pkg.a while camrig_probe_pkg.a is still being initialised"
        in done.stdout
    )


def _private_uses(path: Path, name: str, package: bool, known: dict[str, tuple[Path, bool]]) -> list[str]:
    """``from .module import _name`` and ``module._name`` where ``module`` is another camrig module."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    aliases: set[str] = set()  # local names bound to camrig modules
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = name.split(".") if package else name.split(".")[:-1]
            base = base[: len(base) - (node.level - 1)]
            module = ".".join([*base, *([node.module] if node.module else [])])
            for alias in node.names:
                if f"{module}.{alias.name}" in known:
                    aliases.add(alias.asname or alias.name)
                elif alias.name.startswith("_") and not alias.name.startswith("__"):
                    found.append(f"{name}:{node.lineno} imports {module}.{alias.name}")
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
            if node.attr.startswith("_") and not node.attr.startswith("__"):
                found.append(f"{name}:{node.lineno} uses {node.value.id}.{node.attr}")
    return found


def test_no_module_uses_another_modules_private_names():
    known = modules()
    found = [use for name, (path, package) in known.items() for use in _private_uses(path, name, package, known)]
    assert not found, "\n".join(found)


def test_rig_and_router_import_each_other_only_one_way():
    """The rig captures through the router; the router reads the rig's type only to annotate."""
    edges = [e for e in import_graph() if {e.importer, e.target} == {"camrig.rig", "camrig.router"}]
    assert {(e.importer, e.target) for e in edges} == {("camrig.rig", "camrig.router")}, [str(e) for e in edges]


def test_experiments_load_only_for_camrig_run():
    """The experiments subpackage, and the libraries only it uses, stay out of a program that imports camrig
    and of every other command."""
    code = (
        "import sys, camrig, camrig.cli, camrig.testing\n"
        "heavy = ('camrig.experiments', 'matplotlib', 'pyarrow', 'tqdm', 'dask', 'distributed')\n"
        "print(sorted({m for m in sys.modules if m.split('.')[0] in heavy or m.startswith(heavy[0])}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "[]"


def test_the_framework_doctests_run():
    """Examples in the framework's docstrings are doctests that run (``--doctest-modules`` on framework/camrig,
    see pyproject.toml): none is skipped."""
    skipped = [
        f"{path.relative_to(PACKAGE)}:{number}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if ">>>" in line and "+SKIP" in line
    ]
    assert not skipped, skipped
