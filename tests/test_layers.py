"""The layers of docs/architecture.md, checked on the source: no module imports a layer
above its own, and no two modules import each other in a cycle (imports made only for type
checkers, under ``if TYPE_CHECKING:``, do not run and are not counted as cycles, but must
still respect the layers)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCE_ROOTS = ("common", "server", "pbxsim", "crm_client")

#: Module prefix -> layer rank (the longest matching prefix counts); lower ranks are lower
#: layers.  docs/architecture.md draws the same table.
LAYERS: dict[str, int] = {
    "callcenter.common": 0,  # codecs and schema (pure, sans-I/O)
    "callcenter.common.tkfonts": 6,  # Tk fonts of both windows: GUI layer
    "callcenter.common.pipes": 6,  # both command lines' standard output
    "callcenter.common.shortcut": 6,  # both programs' start-menu shortcuts
    "callcenter.common.agent.client": 1,  # the agent-protocol link of consoles and the CRM
    "callcenter.pbxsim": 1,  # the simulator: a separate program on the codecs
    "callcenter.server.pbx.port": 1,  # links
    "callcenter.server.pbx.link": 1,
    "callcenter.server.store": 2,  # stores
    "callcenter.server.rating": 2,
    "callcenter.server.settings": 3,  # services
    "callcenter.server.service_file": 3,
    "callcenter.server.pbx": 3,
    "callcenter.server.prepaid": 3,
    "callcenter.server.hotel": 3,
    "callcenter.server.query": 3,
    "callcenter.server.accounts": 3,
    "callcenter.server.demo": 3,  # the demo's simulator and hotel
    "callcenter.server.hub": 4,  # the agent hub and the admin API
    "callcenter.server.runtime": 5,  # the composition root
    "callcenter.server.cli": 6,  # command line and GUI
    "callcenter.server.console": 6,
    "callcenter.server.__main__": 6,
    "callcenter.server": 3,  # the package's own __init__
    "callcenter.crm_client": 6,  # the CRM client's package __init__
    "callcenter.crm_client.phone": 0,  # pure: the phone-number index
    "callcenter.crm_client.link": 1,  # the hub connection thread
    "callcenter.crm_client.store": 2,  # its own peewee database
    "callcenter.crm_client.settings": 3,  # per-PC settings
    "callcenter.crm_client.desk": 3,  # the phone state model
    "callcenter.crm_client.app": 3,  # use cases
    "callcenter.crm_client.cli": 6,
    "callcenter.crm_client.gui": 6,
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts[1:])
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer_of(module: str) -> int | None:
    best = max((p for p in LAYERS if module == p or module.startswith(p + ".")),
               key=len, default=None)
    return None if best is None else LAYERS[best]


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports(path: Path, module: str) -> Iterator[tuple[str, bool]]:
    """(imported module, only for type checkers) of every import in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]

    def walk(node: ast.AST, typing_only: bool) -> Iterator[tuple[str, bool]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                for sub in child.body:
                    yield from walk_one(sub, True)
                for sub in child.orelse:
                    yield from walk_one(sub, typing_only)
            else:
                yield from walk_one(child, typing_only)

    def walk_one(node: ast.AST, typing_only: bool) -> Iterator[tuple[str, bool]]:
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, typing_only
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            submodules = [f"{target}.{a.name}" for a in node.names
                          if f"{target}.{a.name}" in MODULES]
            # "from pkg import module": the module (running pkg's __init__ first is
            # Python's business, not a dependency of this module on the package's names)
            yield from ((sub, typing_only) for sub in submodules)
            if len(submodules) < len(node.names):
                yield target, typing_only
        else:
            yield from walk(node, typing_only)

    yield from walk(tree, False)


def project_modules() -> dict[str, Path]:
    found = {}
    for root in SOURCE_ROOTS:
        for path in (ROOT / root).rglob("*.py"):
            found[module_name(path)] = path
    return found


MODULES = project_modules()


def graph() -> dict[str, list[tuple[str, bool]]]:
    edges: dict[str, list[tuple[str, bool]]] = {}
    for module, path in MODULES.items():
        edges[module] = [(target, typing_only) for target, typing_only in imports(path, module)
                         if target in MODULES and target != module]
    return edges


def test_every_module_has_a_layer() -> None:
    assert [m for m in MODULES if layer_of(m) is None] == []


def test_no_module_imports_a_higher_layer() -> None:
    upward = []
    for module, targets in graph().items():
        mine = layer_of(module)
        assert mine is not None
        for target, _typing_only in targets:
            theirs = layer_of(target)
            assert theirs is not None
            if theirs > mine:
                upward.append(f"{module} (layer {mine}) imports {target} (layer {theirs})")
    assert upward == []


def test_the_simulator_does_not_import_the_server() -> None:
    assert [(m, t) for m, ts in graph().items() if m.startswith("callcenter.pbxsim")
            for t, _ in ts if t.startswith("callcenter.server")] == []


def test_no_import_cycles() -> None:
    edges = {m: sorted({t for t, typing_only in ts if not typing_only})
             for m, ts in graph().items()}
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in edges.get(node, []):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt):], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node)
    assert cycles == []


@pytest.mark.parametrize("module", ["callcenter.server.store", "callcenter.server.rating",
                                    "callcenter.server.query", "callcenter.server.prepaid",
                                    "callcenter.server.hotel", "callcenter.server.accounts",
                                    "callcenter.server.pbx", "callcenter.server.hub"])
def test_domain_modules_parse_no_command_lines(module: str) -> None:
    """Messages of the domain modules are shown in windows: no argparse there."""
    offenders = [m for m, path in MODULES.items()
                 if (m == module or m.startswith(module + "."))
                 and any(t in ("argparse",) for t, _ in imports(path, m))]
    assert offenders == []
