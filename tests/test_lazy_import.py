"""`import microgradx` loads its parts on first use; every public name still works.

Each check runs in a fresh interpreter, where nothing is imported yet.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import microgradx

ROOT = Path(__file__).resolve().parent.parent


def fresh(code: str) -> str:
    """Run ``code`` in a new interpreter importing this tree's microgradx; its stdout."""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_import_loads_no_numpy_and_no_part_until_used():
    out = fresh(
        "import sys, json, microgradx\n"
        "before = sorted(m for m in sys.modules if m == 'numpy' or m.startswith('microgradx.'))\n"
        "microgradx.Value\n"
        "after = sorted(m for m in sys.modules if m in ('numpy', 'microgradx.engine'))\n"
        "print(json.dumps([before, after, 'microgradx.viz' in sys.modules]))\n"
    )
    before, after, viz = json.loads(out)
    assert before == []
    assert after == ["microgradx.engine", "numpy"]
    assert viz is False  # using Value does not load the drawings


def test_every_public_name_is_the_object_of_its_module():
    defined_in = {
        "Value": "engine", "sum": "engine", "dot": "engine", "no_grad": "engine",
        "grad": "autodiff", "hessian": "autodiff", "draw": "viz", "stepper": "viz",
        "Tape": "tape", "compile": "tape", "gradcheck": "gradcheck", "parse": "expr",
        "check_backprop": "exercises", "OPS": "ops", "stats": "graph", "gc_paused": "_gc",
        "compare_with_torch": "compare",
    }  # fmt: skip
    for name, module in defined_in.items():
        assert getattr(microgradx, name) is getattr(
            importlib.import_module(f"microgradx.{module}"), name
        )
    for name in microgradx.__all__:
        assert getattr(microgradx, name) is not None
        assert name in dir(microgradx)
    assert microgradx.nn.MLP and microgradx.viz.draw is microgradx.draw  # sub-packages too


def test_star_import_gives_every_name_in_all_and_keeps_the_builtins():
    out = fresh(
        "import builtins, json\n"
        "from microgradx import *\n"
        "import microgradx\n"
        "names = {n: globals()[n] is getattr(microgradx, n) for n in microgradx.__all__}\n"
        "print(json.dumps([names, sum is builtins.sum, compile is builtins.compile]))\n"
    )
    names, builtin_sum, builtin_compile = json.loads(out)
    assert names == dict.fromkeys(microgradx.__all__, True)
    assert builtin_sum and builtin_compile  # microgradx.sum and .compile stay out of __all__


def test_gradcheck_stays_the_function_when_its_module_is_imported():
    out = fresh(
        "import microgradx\n"
        "from microgradx.gradcheck import numeric_grad\n"  # loads the module gradcheck
        "report = microgradx.gradcheck(lambda x: x * x, [3.0])\n"
        "print(bool(report), callable(microgradx.gradcheck))\n"
    )
    assert out.split() == ["True", "True"]


def test_unknown_names_are_attribute_errors():
    try:
        microgradx.no_such_name  # noqa: B018
    except AttributeError as error:
        assert "no_such_name" in str(error)
    else:
        raise AssertionError("an unknown name must raise AttributeError")


def test_help_loads_no_numpy_and_train_help_still_lists_the_choices():
    out = fresh(
        "import sys, contextlib, io\n"
        "from microgradx.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        "        main(['--help'])\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print('numpy' in sys.modules)\n"
    )
    assert out.strip() == "False"
    done = subprocess.run(
        [sys.executable, "-m", "microgradx", "train", "--help"],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0
    assert "{" + ",".join(sorted(microgradx.nn.DATASETS)) + "}" in done.stdout
    assert "--optimizer" in done.stdout and "sgd" in done.stdout
