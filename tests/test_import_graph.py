"""Fast tier: cnnapp's import graph has no cycle, counting the imports inside functions.

A cycle held together by a function-level import works until someone moves that import to the top of its
file. Lazy imports of third-party packages (TensorFlow, tfmot, ...) defer a heavy import and are no edge here:
only imports of cnnapp modules are. Read from the source with `ast`, so nothing is imported.
"""

from __future__ import annotations

import ast
from collections import deque
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "cnnapp"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST):
    """Every Import and ImportFrom node, at any depth, except under `if TYPE_CHECKING:` (no runtime edge)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def import_graph() -> dict[str, set[str]]:
    """module -> the cnnapp modules it imports (at the top or inside functions)."""
    paths = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in paths}
    for name, path in paths.items():
        is_package = path.name == "__init__.py"
        for node in _imports(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = node.module or ""
                if node.level:  # relative: from the module's package, `level` packages up
                    package = name.split(".") if is_package else name.split(".")[:-1]
                    package = package[: len(package) - node.level + 1]
                    base = ".".join([*package, base] if base else package)
                # `from a import b` imports the module a.b when there is one, else a name of a.
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in paths else base for a in node.names]
            for target in targets:
                while target and target not in paths:  # `import cnnapp.x.y` where y is a name
                    target = target.rpartition(".")[0]
                if target in paths and target != name:
                    graph[name].add(target)
    return graph


def _shortest_cycle_through(graph: dict[str, set[str]], start: str) -> list[str] | None:
    previous: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for nxt in sorted(graph[node]):
            if nxt == start:
                path = [node]
                while path[-1] != start:
                    path.append(previous[path[-1]])
                return [*reversed(path), start]
            if nxt not in previous:
                previous[nxt] = node
                queue.append(nxt)
    return None


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One shortest cycle through each module that is on a cycle, each cycle listed once."""
    found: dict[frozenset, list[str]] = {}
    for module in sorted(graph):
        cycle = _shortest_cycle_through(graph, module)
        if cycle:
            found.setdefault(frozenset(cycle), cycle)
    return sorted(found.values())


def test_the_graph_sees_imports_inside_functions():
    graph = import_graph()
    assert "cnnapp.errors" in graph["cnnapp.recipes"]  # a top-level import
    # audit.core imports the zoo inside audit_architecture(), to keep `import cnnapp.audit` light.
    assert "cnnapp.models" in graph["cnnapp.audit.core"]
    targets = set().union(*graph.values())
    assert targets <= set(graph) and not any(t.startswith(("tensorflow", "keras")) for t in targets)


def test_cycle_finder_finds_a_cycle_and_only_cycles():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"d"}}
    assert cycles(graph) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles():
    found = cycles(import_graph())
    assert not found, "import cycles in cnnapp (function-level imports included):\n" + "\n".join(
        " → ".join(cycle) for cycle in found
    )
