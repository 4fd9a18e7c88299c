"""No import circle in monitor/, and imports point down the layers: the run-time import
graph (module-level and inside functions; `if TYPE_CHECKING:` blocks aside), where
importing `a.b.c` also runs the `__init__` of `a.b` (so a package's `__init__` is part
of every circle through one of its modules)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    return ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node except those under `if TYPE_CHECKING:` (types only, never run)."""
    out: list[ast.AST] = []
    todo = [tree]
    while todo:
        node = todo.pop()
        out.append(node)
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and ast.unparse(child.test) in (
                    "TYPE_CHECKING", "typing.TYPE_CHECKING"):
                todo.extend(child.orelse)
                continue
            todo.append(child)
    return out


def _packages_run(target: str, importer: str) -> list[str]:
    """The packages whose `__init__` importing `target` runs first: its parents, except
    the importer's own (already being imported when it runs)."""
    parts = target.split(".")
    parents = [".".join(parts[:i]) for i in range(1, len(parts))]
    return [p for p in parents if not (importer == p or importer.startswith(p + "."))]


def import_graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in (ROOT / "monitor").rglob("*.py")}
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        for node in _runtime_nodes(ast.parse(path.read_text(), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            targets += [p for t in targets for p in _packages_run(t, name)]
            graph[name] |= {t for t in targets if t in modules and t != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_circle_in_monitor() -> None:
    graph = import_graph()
    assert "monitor.commands.common" in graph["monitor.commands.run_command"]
    assert cycles(graph) == []


def test_a_package_init_is_part_of_the_graph() -> None:
    """Importing a module of a package runs the package's `__init__` first."""
    graph = import_graph()
    assert "monitor.commands" in graph["monitor.cli"]
    assert "monitor.checks" in graph["monitor.runner"]  # monitor/checks/__init__.py
    # A module's own package is not counted: it is being imported already.
    assert "monitor.commands" not in graph["monitor.commands.run_command"]
    assert _packages_run("monitor.commands.run_command", "monitor.serve_cycle") == [
        "monitor.commands"]


# Top down; a module may import its own layer's modules and those below, never above.
# A name is a module or a package (all its modules); the longest name that matches wins.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("commands and serve routes", (
        "monitor.__main__", "monitor.cli", "monitor.commands", "monitor.routes",
        "monitor.serve_cycle", "monitor.slack_app", "monitor.events.push",
        "monitor.frames")),  # frames: the notebooks' entry, with its own App
    ("the App", ("monitor.app",)),
    ("flow", (
        "monitor.cycle", "monitor.cycle_run", "monitor.delivery", "monitor.validate",
        "monitor.backtest",
        "monitor.batch_verdict", "monitor.gate", "monitor.runner", "monitor.scheduler",
        "monitor.demo", "monitor.schema",
        # The pages of a report read and render a flow's results (validate-daily's).
        "monitor.report.history", "monitor.report.html", "monitor.report.markdown",
        "monitor.report.text", "monitor.report.blocks",
        # An alert's chart queries its series.
        "monitor.notify.chart")),
    ("checks, rules", ("monitor.checks", "monitor.rules", "monitor.league_calendar")),
    ("report, notify, metrics", (
        "monitor.report", "monitor.notify", "monitor.metrics", "monitor.formatting",
        # The worker's side: no App, its own small adapters.
        "monitor.provenance", "monitor.events",
        "monitor.logs")),  # its local lines escaped as report/format.py escapes text
    ("warehouse, config", (
        "monitor.warehouse", "monitor.migrations", "monitor.queries", "monitor.config",
        "monitor.yaml_lines")),
    ("model and stats", (
        "monitor", "monitor.model", "monitor.stats", "monitor.exit_codes", "monitor.errors",
        "monitor.secrets", "monitor.runtime",
        # Plain data the config validates rules against.
        "monitor.metrics.registry")),
]


def layer_of(module: str) -> int:
    best: tuple[int, int] | None = None  # (length of the name, layer)
    for i, (_, names) in enumerate(LAYERS):
        for name in names:
            if (module == name or module.startswith(name + ".")) and (
                    best is None or len(name) > best[0]):
                best = (len(name), i)
    assert best is not None, f"{module}: give it a layer in LAYERS"
    return best[1]


def test_every_module_has_a_layer() -> None:
    for module in import_graph():
        layer_of(module)
    assert layer_of("monitor.report.history") < layer_of("monitor.rules.state") \
        < layer_of("monitor.report.strict_json") < layer_of("monitor.config") \
        < layer_of("monitor.model")


def test_imports_point_down_the_layers() -> None:
    graph = import_graph()
    # A package `__init__` that imports nothing (monitor/metrics/) adds no dependency.
    empty = {m for m, targets in graph.items()
             if not targets and any(o.startswith(m + ".") for o in graph)}
    upward = sorted(f"{a} ({LAYERS[layer_of(a)][0]}) imports {b} ({LAYERS[layer_of(b)][0]})"
                    for a, targets in graph.items() for b in targets - empty
                    if layer_of(b) < layer_of(a))
    assert upward == [], "\n".join(upward)


def test_no_command_imports_the_cli() -> None:
    graph = import_graph()
    commands = [m for m in graph if m.startswith("monitor.commands")]
    assert len(commands) > 10
    assert [m for m in commands if "monitor.cli" in graph[m]] == []


def test_the_game_date_zone_is_written_once() -> None:
    """Game dates are US/Eastern days (the data contract): one definition, so a slate's
    date, a deadline and the demo's tip-offs cannot disagree."""
    written = [str(p.relative_to(ROOT)) for p in (ROOT / "monitor").rglob("*.py")
               if 'ZoneInfo("America/New_York")' in p.read_text()]
    assert written == ["monitor/model.py"]
