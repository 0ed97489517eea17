"""The demo: backpropagation from start to finish, as ``microgradx demo`` shows it.

1. The lecture example ``f = (w + x·y)·z`` at w = 5, x = 3, y = 2, z = 4: the forward
   values, the gradient of every input with its chain-rule formula, the graph
   drawing and the backward stepper.
2. An MLP learning the moons dataset, with its history and plots.

:func:`run` prints the story and returns the files it made.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from .engine import Value

__all__ = ["INSTALL_DOT", "LECTURE_RULES", "lecture_example", "lecture_files", "run"]

#: How to install Graphviz's ``dot`` program, for messages.
INSTALL_DOT = (
    "sudo apt-get install graphviz (Debian/Ubuntu), brew install graphviz (macOS) "
    "or conda install -c conda-forge graphviz"
)

#: Each input of the lecture example and its gradient by the chain rule.
LECTURE_RULES = {
    "w": "∂f/∂w = z",
    "x": "∂f/∂x = z·y",
    "y": "∂f/∂y = z·x",
    "z": "∂f/∂z = w + x·y",
}


def lecture_example(backward: bool = True) -> tuple[Value, tuple[Value, Value, Value, Value]]:
    """f = (w + x·y)·z at w=5, x=3, y=2, z=4 with v = x·y and u = w + v labelled, after
    ``f.backward()`` unless ``backward=False``; returns f and (w, x, y, z)."""
    w, x, y, z = Value(5.0, "w"), Value(3.0, "x"), Value(2.0, "y"), Value(4.0, "z")
    v = x * y
    v.label = "v"
    u = w + v
    u.label = "u"
    f = u * z
    f.label = "f"
    if backward:
        f.backward()
    return f, (w, x, y, z)


def _print_lecture(f: Value, leaves: tuple[Value, ...]) -> None:
    w, x, y, _ = leaves
    print("1. The lecture example: f = (w + x·y)·z at w = 5, x = 3, y = 2, z = 4")
    print(f"   forward:  v = x·y = {x.data * y.data:g},  u = w + v = {w.data + x.data * y.data:g},"
          f"  f = u·z = {f.data:g}")  # fmt: skip
    print("   backward (the chain rule, from f to the inputs):")
    print(f"   {'input':<6}{'value':>6}{'gradient':>10}   rule")
    for leaf in leaves:
        print(f"   {leaf.label:<6}{leaf.data:>6g}{leaf.grad:>10g}   {LECTURE_RULES[leaf.label]}")
    print()


def lecture_files(f: Value, out: Path) -> tuple[list[Path], list[str]]:
    """The graph drawing (SVG, or DOT text without Graphviz) and the backward stepper.

    Returns the files written and notes for the reader.
    """
    files: list[Path] = []
    notes: list[str] = []
    try:
        from .viz import draw, save_steps_html
    except ImportError as exc:  # a build without the drawing package
        notes.append(f"no graph drawing or stepper: {exc}")
        return files, notes
    drawing = draw(f)
    if shutil.which("dot"):
        path = out / "lecture_graph.svg"
    else:
        path = out / "lecture_graph.dot"
        notes.append(f"Graphviz's dot program is missing, so {path.name} is DOT text; "
                     f"for images install it: {INSTALL_DOT}")  # fmt: skip
    drawing.save(path)
    files.append(path)
    steps = out / "lecture_steps.html"
    save_steps_html(f, steps)
    files.append(steps)
    return files, notes


def _demo_files(
    folder: Path, out: Path, epochs: int, progress: bool
) -> tuple[list[Path], list[str]]:
    """Print the demo's story, making its files in ``folder`` (they will move to
    ``out``, the name printed); returns the files made and notes."""
    from . import nn
    from .runs import final_scores, write_run_files

    f, leaves = lecture_example()
    _print_lecture(f, leaves)
    files, notes = lecture_files(f, folder)
    if files:
        names = ", ".join(str(out / p.name) for p in files)
        print(f"   graph and step-by-step backward pass: {names}")
        print()

    print("2. An MLP learns the moons: MLP(2, [16, 16, 1]), hinge loss + L2, SGD, batches of 10")
    X, y = nn.make_moons(100, noise=0.1, seed=0)
    model = nn.MLP(2, [16, 16, 1], seed=0)
    l2 = 1e-4
    history = nn.fit(model, X, y, loss="hinge", optimizer="sgd", lr=0.3, batch_size=10,
                     l2=l2, epochs=epochs, progress=progress)  # fmt: skip
    for line in final_scores(model, X, y, "hinge", l2).lines():
        print(f"   {line}")
    saved, more = write_run_files(model, history, X, y, folder)
    files += saved
    notes += more
    return files, notes


def run(out: Path, epochs: int = 100, progress: bool = True) -> list[Path]:
    """Run the demo into the directory ``out``, printing as it goes; returns the files.

    ``epochs`` and ``out`` are checked before anything is written: ``ValueError``
    for a bad ``epochs``, ``OSError`` for a directory that cannot take the files.
    The files are made in a temporary sibling folder that replaces ``out`` when the
    demo is complete, so a failed or interrupted demo leaves the previous one whole.
    """
    from ._atomic import atomic_dir
    from .nn.history import check_epochs
    from .runs import RUN_FILES, prepare_output

    check_epochs(epochs)
    lecture = ("lecture_graph.svg", "lecture_graph.dot", "lecture_steps.html")
    out = prepare_output(Path(out), (*lecture, *RUN_FILES))

    with atomic_dir(out, (*lecture, *RUN_FILES)) as folder:
        files, notes = _demo_files(folder, out, epochs, progress)
    files = [out / f.name for f in files]
    print()
    for note in notes:
        print(f"note: {note}")
    print(f"files made in {out}:")
    for path in files:
        print(f"  {path}")
    return files
