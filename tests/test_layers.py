"""The package's layers: no import reaches up, and no two modules import each other.

Every ``import`` and ``from ... import`` in the package is read, at module level and
inside functions alike (only ``if TYPE_CHECKING:`` blocks, which never run, are left
out). The layers are the README's "Layout" section; a convenience method that needs a
higher layer (``Value.draw``) reaches it through one lazy import in one function,
listed in ``REACHING_UP`` with that function's name.
"""

from __future__ import annotations

import ast
from pathlib import Path

import microgradx

PACKAGE = Path(microgradx.__file__).parent

#: Lowest first. A module may import its own layer's other groups only if listed lower.
LAYERS: list[set[str]] = [
    # "" is the package itself
    {"", "registry", "reals", "_gc", "_atomic", "_report", "_torch", "_compat", "_checks"},
    {"ops"},
    {"graph", "switches"},
    {"copying", "conveniences", "methods"},
    {"engine"},
    {"autodiff"},
    {"expr_rules"},
    {"gradcheck", "expr", "compare"},
    {"tape", "viz"},
    {"exercises", "nn"},
    {"micrograd", "plot"},
    {"runs"},
    {"demo"},
    {"cli_outputs"},
    {"cli", "__main__"},
]
LEVEL = {group: k for k, layer in enumerate(LAYERS) for group in layer}

#: (importing module, imported module) -> the one function allowed to make that import.
REACHING_UP = {
    ("microgradx.conveniences", "microgradx.viz"): "_viz",  # Value.draw, Value.draw_dot
    ("microgradx.nn.base", "microgradx.nn.torch_bridge"): "_bridge",  # to_torch, from_torch
}


def module_name(path: Path) -> str:
    parts = ["microgradx", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_module(name: str) -> bool:
    relative = Path(*name.split(".")[1:])
    return (PACKAGE / relative).with_suffix(".py").exists() or (PACKAGE / relative).is_dir()


class Imports(ast.NodeVisitor):
    """Every import of a module inside the package: (imported module, enclosing function)."""

    def __init__(self, module: str, is_package: bool) -> None:
        self.module, self.is_package = module, is_package
        self.found: list[tuple[str, str]] = []
        self.function = ""

    def visit_If(self, node: ast.If) -> None:
        if isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for child in node.orelse:
                self.visit(child)
            return
        self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        outer, self.function = self.function, self.function or node.name
        self.generic_visit(node)
        self.function = outer

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name.startswith("microgradx"):
                self.found.append((alias.name, self.function))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            base = self.module.split(".")
            if not self.is_package:
                base = base[:-1]
            base = base[: len(base) - (node.level - 1)]
            target = ".".join(base + ([node.module] if node.module else []))
        elif node.module and node.module.startswith("microgradx"):
            target = node.module
        else:
            return
        for alias in node.names:  # `from . import viz` imports the module viz
            sub = f"{target}.{alias.name}"
            self.found.append((sub if is_module(sub) else target, self.function))


def all_imports() -> list[tuple[str, str, str]]:
    """(importer, imported, enclosing function or "") for every import in the package."""
    edges = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = module_name(path)
        visitor = Imports(module, path.name == "__init__.py")
        visitor.visit(ast.parse(path.read_text(encoding="utf-8")))
        edges += [(module, target, function) for target, function in visitor.found]
    return edges


def group(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_every_group_of_the_package_has_a_layer():
    groups = {group(module_name(p)) for p in PACKAGE.rglob("*.py")}
    assert groups <= set(LEVEL), f"add to LAYERS (and the README's Layout): {groups - set(LEVEL)}"


def test_no_import_reaches_a_higher_layer():
    upward = []
    for importer, imported, function in all_imports():
        if LEVEL[group(importer)] >= LEVEL[group(imported)]:
            continue
        if REACHING_UP.get((importer, imported)) == function:
            continue
        upward.append(f"{importer} imports {imported}" + (f" in {function}()" if function else ""))
    assert not upward, "\n".join(upward)


def test_reaching_up_happens_in_one_function_per_pair():
    seen: dict[tuple[str, str], set[str]] = {}
    for importer, imported, function in all_imports():
        if (importer, imported) in REACHING_UP:
            seen.setdefault((importer, imported), set()).add(function)
    assert seen == {pair: {name} for pair, name in REACHING_UP.items()}


def test_no_two_modules_import_each_other_even_inside_functions():
    graph: dict[str, set[str]] = {}
    for importer, imported, function in all_imports():
        if importer == imported or imported.startswith(importer + "."):
            continue  # a package importing its own submodules
        if REACHING_UP.get((importer, imported)) == function:
            continue
        graph.setdefault(importer, set()).add(imported)
    found = cycles(graph)
    assert not found, "\n".join(found)


def cycles(graph: dict[str, set[str]]) -> list[str]:
    """Each import cycle met by a depth-first walk, as ``a -> b -> a`` (iterative)."""
    found = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start in sorted(graph):
        if state.get(start):
            continue
        state[start] = 1
        stack, path = [(start, iter(sorted(graph.get(start, ()))))], [start]
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
                path.pop()
            elif state.get(child) == 1:
                found.append(" -> ".join([*path[path.index(child) :], child]))
            elif not state.get(child):
                state[child] = 1
                stack.append((child, iter(sorted(graph.get(child, ())))))
                path.append(child)
    return found


def test_the_cycle_finder_finds_a_cycle_through_three_modules():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a -> b -> c -> a"]
    assert cycles({"a": {"b", "c"}, "b": {"c"}}) == []


def test_the_checker_sees_imports_inside_functions_and_skips_type_checking():
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from .viz import draw\n"
        "def f():\n    from .nn import MLP\n"
    )
    visitor = Imports("microgradx.engine", is_package=False)
    visitor.visit(ast.parse(source))
    assert visitor.found == [("microgradx.nn", "f")]
