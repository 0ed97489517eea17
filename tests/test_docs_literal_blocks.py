"""The API pages render docstrings' reST literal blocks (``Example::``) as code blocks."""

from __future__ import annotations

import importlib.util
import inspect
import pkgutil
import warnings
from pathlib import Path

import microgradx

HOOK = Path(__file__).resolve().parent.parent / "docs" / "_hooks" / "literal_blocks.py"
spec = importlib.util.spec_from_file_location("literal_blocks", HOOK)
assert spec is not None and spec.loader is not None
literal_blocks = importlib.util.module_from_spec(spec)
spec.loader.exec_module(literal_blocks)
fence = literal_blocks.literal_blocks_to_fences


def test_an_example_block_becomes_a_fenced_python_block():
    text = "Add two.\n\nExample::\n\n    >>> 1 + 1\n    2\n\nMore text."
    assert fence(text) == "Add two.\n\nExample:\n\n```python\n>>> 1 + 1\n2\n```\n\nMore text."
    indented = "Args:\n    x: a number ::\n\n        x + 1\n"
    assert fence(indented) == "Args:\n    x: a number\n\n    ```python\n    x + 1\n    ```"


def _docstrings():
    modules = [microgradx]
    for info in pkgutil.walk_packages(microgradx.__path__, "microgradx."):
        if info.name.endswith("__main__"):  # importing it runs the command line
            continue
        with warnings.catch_warnings():  # a deprecated module warns when imported
            warnings.simplefilter("ignore", DeprecationWarning)
            modules.append(importlib.import_module(info.name))
    for module in modules:
        yield module.__name__, inspect.getdoc(module) or ""
        for name, obj in vars(module).items():
            if getattr(obj, "__module__", None) == module.__name__ and callable(obj):
                yield f"{module.__name__}.{name}", inspect.getdoc(obj) or ""


def test_no_docstring_of_the_package_keeps_a_literal_marker():
    converted = 0
    for where, doc in _docstrings():
        if not any(line.rstrip().endswith("::") for line in doc.splitlines()):
            continue
        out = fence(doc)
        assert not any(line.rstrip().endswith("::") for line in out.splitlines()), where
        assert out.count("```python") >= 1 and out.count("```") % 2 == 0, where
        converted += 1
    assert converted >= 10  # the package documents its examples this way
