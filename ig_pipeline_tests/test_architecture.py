"""The package's shape, checked from source: short modules, no import cycles, a pipeline that does
not depend on the web handler.

Imports are read with ``ast`` from every module, including imports inside functions (a late import
hides a cycle from Python but not from the reader), ``TYPE_CHECKING`` blocks, and module names given
as strings (``importlib.import_module("ig_pipeline.x")``).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "ig_pipeline"
MAX_LINES = 400
# Generated Alembic revisions are data (DDL in order), not modules anyone navigates.
LENGTH_EXEMPT = ("warehouse/migrations/versions/",)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _resolve(module: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    if not MODULES[module].name == "__init__.py":
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports_of(module: str) -> set[str]:
    """ig_pipeline modules that ``module`` imports anywhere in its body."""
    found: set[str] = set()
    tree = ast.parse(MODULES[module].read_text())
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(module, node)
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in MODULES \
                and "." in node.value:
            targets = [node.value]  # importlib.import_module("ig_pipeline.x"): a dependency by name
        for target in targets:
            # the longest known module the name refers to (``from pkg import module`` or a symbol)
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != module and target.startswith("ig_pipeline"):
                found.add(target)
    return found


GRAPH = {module: imports_of(module) for module in MODULES}


def _cycles() -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in GRAPH[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for module in sorted(GRAPH):
        if module not in index:
            visit(module)
    return components


def _is_package_init_edge(a: str, b: str) -> bool:
    """A package's __init__ importing its own submodule (or the reverse) is not a design cycle."""
    return b.startswith(a + ".") or a.startswith(b + ".")


def test_no_import_cycles():
    cycles = []
    for component in _cycles():
        edges = [(a, b) for a in component for b in GRAPH[a] if b in component and not _is_package_init_edge(a, b)]
        if edges:
            cycles.append(sorted(edges))
    assert cycles == [], "import cycles (module -> module):\n" + "\n".join(map(str, cycles))


def test_modules_are_short():
    long = {name: n for name, path in MODULES.items()
            if not any(part in path.as_posix() for part in LENGTH_EXEMPT)
            and (n := len(path.read_text().splitlines())) > MAX_LINES}
    assert long == {}, f"modules over {MAX_LINES} lines: {long}"


@pytest.mark.parametrize("package", ["ig_pipeline.assets", "ig_pipeline.automation"])
def test_pipeline_does_not_import_the_web_handler(package):
    offenders = {m: sorted(i for i in GRAPH[m] if i.startswith("ig_pipeline.web"))
                 for m in GRAPH if m == package or m.startswith(package + ".")}
    assert {m: i for m, i in offenders.items() if i} == {}


@pytest.mark.parametrize("package", ["ig_pipeline.assets", "ig_pipeline.automation", "ig_pipeline.alerting",
                                     "ig_pipeline.graph"])
def test_dagster_code_takes_configuration_from_resources(package):
    """Assets, schedules, sensors and the Graph resource read no settings or environment of their own: the
    code location configures resources once (ig_pipeline/resources.py, secrets as dg.EnvVar)."""
    offenders = {}
    for name, path in MODULES.items():
        if name == package or name.startswith(package + "."):
            source = path.read_text()
            found = [w for w in ("load_settings", "os.environ", "getenv") if w in source]
            if "ig_pipeline.config" in GRAPH[name] and "load_settings" not in found:
                found += [n.names[0].name for n in ast.walk(ast.parse(source))
                          if isinstance(n, ast.ImportFrom) and n.module == "ig_pipeline.config"
                          and any(a.name in ("Settings", "load_settings") for a in n.names)]
            if found:
                offenders[name] = found
    assert offenders == {}


def test_the_checker_sees_function_level_imports():
    """Guard for the checker itself: a late import inside a function is an edge."""
    source = "def f():\n    from ig_pipeline.web import app\n"
    tree = ast.parse(source)
    assert any(isinstance(n, ast.ImportFrom) and n.module == "ig_pipeline.web" for n in ast.walk(tree))
    assert "ig_pipeline.web.app" in MODULES
