"""The package has no import cycles, counted with the standard library alone.

``lint-imports`` (run by ``make test``) checks the layers of docs/architecture.md; this
test is the independent, dependency-free check the layout issue asks for: every import
statement in ``src/`` (module level or inside a function: a lazy import is still a
dependency) becomes an edge, and no strongly connected component may hold two modules.
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SOURCE = REPO / "src"


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def import_graph(root: Path, package: str) -> dict[str, set[str]]:
    """module -> the modules of ``package`` it imports (a ``from P import name`` of a
    submodule counts as importing that submodule)."""
    modules = {module_name(path, root): path for path in sorted((root / package).rglob("*.py"))}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = name.split(".") if is_package else name.split(".")[:-1]
                    base = base[: len(base) - (node.level - 1)]
                    stem = ".".join(base + ([node.module] if node.module else []))
                else:
                    stem = node.module or ""
                targets = [f"{stem}.{alias.name}" if f"{stem}.{alias.name}" in modules else stem for alias in node.names]
            else:
                continue
            for target in targets:
                # the deepest module of ours that the dotted name names
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    graph[name].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_src_has_no_import_cycle():
    graph = import_graph(SOURCE, "skillcast")
    assert len(graph) > 40, "the walk must see the whole package"
    assert graph["skillcast.pipeline.job"] >= {"skillcast.config", "skillcast.bundle", "skillcast.engine.backtest"}
    assert cycles(graph) == []


def test_the_check_finds_a_cycle_made_on_purpose(tmp_path):
    """A cycle through a lazy import inside a function, and one through a relative import."""
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from pkg.b import thing\n")
    (package / "b.py").write_text("def thing():\n    from pkg import c\n    return c\n")
    (package / "c.py").write_text("import pkg.a\n")
    (package / "sub" / "__init__.py").write_text("")
    (package / "sub" / "x.py").write_text("from . import y\n")
    (package / "sub" / "y.py").write_text("from .x import name\n")
    (package / "d.py").write_text("from pkg.a import thing\n")  # depends on the cycle, is not in it
    assert cycles(import_graph(tmp_path, "pkg")) == [["pkg.a", "pkg.b", "pkg.c"], ["pkg.sub.x", "pkg.sub.y"]]


def test_the_layers_are_where_the_architecture_says():
    """Each layer's modules import only their own layer and those below (docs/architecture.md)."""
    order = ["data", "engine", "skills", "config|bundle", "pipeline", "api|mlops|reports", "cli"]
    rank = {name: position for position, names in enumerate(order) for name in names.split("|")}
    graph = import_graph(SOURCE, "skillcast")

    def layer(module: str) -> str | None:
        parts = module.split(".")
        return parts[1] if len(parts) > 1 and parts[1] in rank else None

    upward = [
        (module, target)
        for module, targets in graph.items()
        for target in targets
        if layer(module) and layer(target) and rank[layer(target)] > rank[layer(module)]
    ]
    siblings = [
        (module, target)
        for module, targets in graph.items()
        for target in targets
        if layer(module) and layer(target) and layer(module) != layer(target) and rank[layer(target)] == rank[layer(module)]
    ]
    assert upward == [] and siblings == []


# -- one screen of reading: the size limits of issue #24 ----------------------------------------
MAX_FILE_LINES = 600
MAX_FUNCTION_LINES = 80  # from the ``def`` line to the body's last line, decorators excluded
READS_THE_ENVIRONMENT = ("skillcast/cli/", "skillcast/config.py")  # and serving/, outside src/


def test_no_module_is_over_600_lines_and_no_function_over_80():
    too_long = []
    for path in sorted((SOURCE / "skillcast").rglob("*.py")):
        text = path.read_text()
        relative = path.relative_to(SOURCE).as_posix()
        if len(text.splitlines()) > MAX_FILE_LINES:
            too_long.append(f"{relative}: {len(text.splitlines())} lines")
        for node in ast.walk(ast.parse(text, filename=str(path))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    too_long.append(f"{relative}::{node.name}: {length} lines")
    assert too_long == []


def test_only_the_command_line_and_the_service_read_the_environment():
    """The configuration is built once per command or service start (``Config.from_env``, in
    ``cli/`` and ``serving/``) and passed down; nothing below reads ``os.environ`` itself."""
    readers = []
    for path in sorted((SOURCE / "skillcast").rglob("*.py")):
        relative = path.relative_to(SOURCE).as_posix()
        if relative.startswith(READS_THE_ENVIRONMENT):
            continue
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Attribute) and node.attr in {"environ", "getenv", "from_env"}:
                readers.append(f"{relative}:{node.lineno} {node.attr}")
    assert readers == []
