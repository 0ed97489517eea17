"""The ``microgradx`` command line: a thin layer that parses arguments and calls the library.

Every sub-command is a pair of functions: ``_add_<name>(subparsers)`` declares its
arguments and ``_run_<name>(args) -> int`` does the work by calling the library
(the demo's story is :mod:`microgradx.demo`, training runs :mod:`microgradx.runs`).
Errors the user can fix (bad input, unwritable paths, missing programs) are
``CLIError``: one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from . import __version__
from .cli_outputs import CLIError, _check_outputs, _check_programs, _file_error, _write

__all__ = ["CLIError", "main"]


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line on stderr (exit status 2).

    A sub-command whose arguments need the library (``train``'s choices come from
    :mod:`microgradx.nn`) declares them on first use, so ``--help`` stays quick.
    """

    _declare: Callable[[argparse.ArgumentParser], None] | None = None

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")

    def declare_later(self, declare: Callable[[argparse.ArgumentParser], None]) -> None:
        """Run ``declare(self)`` (adding arguments) just before this parser first parses."""
        self._declare = declare

    def declared(self) -> _Parser:
        """This parser with every argument declared (a pending ``declare_later`` run now)."""
        declare, self._declare = self._declare, None
        if declare is not None:
            declare(self)
        return self

    def parse_known_args(self, args=None, namespace=None):  # type: ignore[override]
        return super(_Parser, self.declared()).parse_known_args(args, namespace)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command."""
    parser = _Parser(
        prog="microgradx",
        description="A scalar autograd engine for teaching and exploring backpropagation.",
    )
    parser.add_argument("--version", action="version", version=f"microgradx {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in _COMMANDS:
        add(subparsers)
    return parser


# --- graph and gradcheck: expressions and drawings -----------------------------------


def _assignment(text: str) -> tuple[str, float]:
    """``"x=3"`` -> ``("x", 3.0)``, for argparse."""
    from .expr import identifier

    name, sep, value = text.partition("=")
    name = identifier(name.strip())  # as the expression reads names: ℌ is H
    if not sep or not name.isidentifier():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{name}={value}: {value!r} is not a number") from None
    return name, number


def _add_expression_args(p) -> None:
    p.add_argument(
        "expression",
        metavar="EXPR",
        help='an expression like "(w + x*y)*z", or lines "v = x*y; f = v*z"',
    )
    p.add_argument("values", metavar="NAME=VALUE", nargs="*", type=_assignment,
                   help="a number for every name in the expression")  # fmt: skip


def _parsed(args):
    """Parse the expression with the given values; every problem is a CLIError."""
    from .expr import ExpressionError, parse

    values: dict[str, float] = {}
    for name, number in args.values:
        if name in values:
            raise CLIError(f"{name} is given twice")
        values[name] = number
    try:
        expr = parse(args.expression, **values)
    except ExpressionError as exc:
        raise CLIError(str(exc)) from None
    unused = sorted(set(values) - set(expr.variables))
    if unused:
        raise CLIError(f"not in the expression: {', '.join(unused)}")
    return expr


def _add_graph(subparsers) -> None:
    p = subparsers.add_parser(
        "graph",
        help="evaluate an expression, print its gradients and draw its graph",
        description="Evaluate EXPR at the given values, run backward, print the output and "
        "the gradient of every variable, and draw the computational graph.",
    )
    _add_expression_args(p)
    p.add_argument("-o", "--output", default=None,
                   help="drawing file: .svg .png .pdf (need Graphviz) or .dot .gv")  # fmt: skip
    p.add_argument("--rankdir", choices=["LR", "TB"], default="LR", help="layout direction")
    p.add_argument("--local-grads", action="store_true",
                   help="label edges with local gradients ∂result/∂operand")  # fmt: skip
    p.add_argument("--precision", type=int, default=4, help="decimals shown (default 4)")
    p.add_argument(
        "--steps",
        default=None,
        metavar="FILE",
        help="also write the stepper, the forward then the backward pass: .html (a "
        "self-contained page), .pdf (a page per step) or .gif (animated)",
    )
    p.add_argument("--quiz", action="store_true",
                   help="with --steps FILE.html: the page asks for each gradient before "
                   "revealing it, and keeps a score")  # fmt: skip
    p.add_argument("--backward", default=None, metavar="NAME",
                   help="draw ∂output/∂NAME: the backward pass as a graph")  # fmt: skip
    p.add_argument("--side-by-side", action="store_true",
                   help="with --backward: draw the forward and the backward pass side by side, "
                   "linking each backward node to the forward values it reads")  # fmt: skip
    p.set_defaults(func=_run_graph)


def _run_graph(args) -> int:
    from .viz import draw, draw_backward, save_steps

    if args.side_by_side and args.backward is None:
        raise CLIError("--side-by-side needs --backward NAME: the input to differentiate by")
    from .viz.drawing import FORMATS
    from .viz.steps import STEP_SUFFIXES

    _check_outputs([("drawing", "-o", args.output, list(FORMATS)),
                    ("stepper", "--steps", args.steps, STEP_SUFFIXES)])  # fmt: skip
    _check_programs(args.output, args.steps)
    if args.quiz and not (args.steps or "").lower().endswith((".html", ".htm")):
        raise CLIError("--quiz needs --steps FILE.html: the quiz runs in the page")
    expr = _parsed(args)
    out = expr.output
    out.backward()
    drawn, clusters = out, False
    if args.backward is not None:
        if args.backward not in expr.variables:
            raise CLIError(f"--backward {args.backward}: not a variable of the expression")
        from .autodiff import grad

        drawn = grad(out, expr.variables[args.backward], create_graph=True)
        clusters = True  # the backward pass framed beside the forward values it reads
    style = {"rankdir": args.rankdir, "show_local_grads": args.local_grads,
             "precision": args.precision}  # fmt: skip
    try:
        if args.side_by_side:  # f and ∂f/∂NAME, each in a frame, linked
            drawing = draw_backward(out, expr.variables[args.backward], **style)
        else:
            drawing = draw(drawn, clusters=clusters, **style)
    except ValueError as exc:  # too many nodes, a bad precision
        raise CLIError(str(exc)) from None
    name = out.label or "output"
    print(f"{name} = {out.data:g}")
    if expr.variables:  # a row per input: its value and ∂output/∂input
        width = max(len("input"), *(len(var) for var in expr.variables))
        column = f"∂{name}/∂input"
        print(f"{'input':<{width}}  {'value':>10}  {column:>14}")
        for var, leaf in expr.variables.items():
            print(f"{var:<{width}}  {leaf.data:>10g}  {leaf.grad:>14g}")
    if args.output:
        print(f"wrote {_write('drawing', args.output, drawing.save)}")
    else:  # writing a file nobody named could overwrite one: say how to draw instead
        print("no drawing written: add -o graph.svg (or .png .pdf .dot) to draw the graph")
    if args.steps:
        written = _write("stepper", args.steps, lambda p: save_steps(
            out, p, rankdir=args.rankdir, precision=args.precision, quiz=args.quiz))  # fmt: skip
        print(f"wrote {written}")
    return 0


def _add_gradcheck(subparsers) -> None:
    p = subparsers.add_parser(
        "gradcheck",
        help="compare autograd gradients of an expression with finite differences",
        description="Compare the gradient of EXPR with respect to every variable, computed "
        "by backpropagation, with central differences (f(x+h) − f(x−h)) / 2h. "
        "Exit status 1 when any gradient does not match.",
    )
    _add_expression_args(p)
    p.add_argument("--eps", type=float, default=None,
                   help="step h (default: ε^(1/3)·max(1, |x|) per input, ε = 2^-52, "
                   "as microgradx.gradcheck)")  # fmt: skip
    p.add_argument("--atol", type=float, default=1e-5, help="absolute tolerance (default 1e-5)")
    p.add_argument("--rtol", type=float, default=1e-4, help="relative tolerance (default 1e-4)")
    p.set_defaults(func=_run_gradcheck)


def _run_gradcheck(args) -> int:
    from .expr import parse
    from .gradcheck import gradcheck

    if args.eps is not None and not (args.eps > 0 and math.isfinite(args.eps)):
        raise CLIError(f"--eps must be positive and finite, got {args.eps:g}")
    for flag, tolerance in (("--atol", args.atol), ("--rtol", args.rtol)):
        if not (tolerance >= 0 and math.isfinite(tolerance)):
            raise CLIError(f"{flag} must be a finite number >= 0, got {tolerance:g}")
    expr = _parsed(args)
    names = list(expr.variables)
    if not names:
        raise CLIError("the expression has no variables to differentiate")

    def f(*leaves):
        return parse(args.expression, **dict(zip(names, leaves))).output

    inputs = [expr.variables[n] for n in names]
    report = gradcheck(f, inputs, eps=args.eps, atol=args.atol, rtol=args.rtol)
    print(f"{expr.output.label or 'output'} = {report.output:g}")
    print(report)
    return 0 if report else 1


# --- train and demo: neural networks ----------------------------------------------------


def _hidden_sizes(text: str) -> list[int]:
    """``"16,16"`` -> ``[16, 16]``; ``""`` -> ``[]`` (no hidden layer)."""
    if not text.strip():
        return []
    try:
        sizes = [int(part) for part in text.split(",")]  # "16,,16" is an error, not 16,16
    except ValueError:
        raise CLIError(f"--hidden must be sizes like 16,16, got {text!r:.40}") from None
    if any(n < 1 for n in sizes):
        raise CLIError(f"--hidden sizes must be positive, got {text!r:.40}")
    return sizes


def _add_train(subparsers) -> None:
    p = subparsers.add_parser(
        "train",
        help="train an MLP on a toy dataset; write the model, history and plots",
        description="Train an MLP on a toy 2-D dataset and write model.json, history.json, "
        "loss.png and boundary.png (plots need matplotlib).",
    )
    p.declare_later(_train_args)


def _train_args(p) -> None:
    from .nn import DATASETS, OPTIMIZERS

    p.add_argument("--dataset", choices=sorted(DATASETS), default="moons",
                   help="the toy 2-D dataset (default moons)")  # fmt: skip
    p.add_argument("--samples", type=int, default=100, help="number of points (default 100)")
    p.add_argument("--noise", type=float, default=None, help="noise (default: the dataset's)")
    p.add_argument("--hidden", default="16,16", help="hidden layer sizes (default 16,16)")
    p.add_argument("--activation", default="tanh",
                   help="relu, tanh, sigmoid or leaky_relu (default tanh, as MLP: smooth and "
                   "zero-centred, and no unit dies for good as a relu unit can)")  # fmt: skip
    p.add_argument("--loss", default=None,
                   help="hinge, cross_entropy, mse, ... (default: hinge for a dataset of 2 "
                   "classes, cross_entropy for 3 or more)")  # fmt: skip
    p.add_argument("--epochs", type=int, default=100, help="passes over the data (default 100)")
    p.add_argument("--optimizer", choices=sorted(OPTIMIZERS), default="sgd",
                   help="the update rule (default sgd)")  # fmt: skip
    p.add_argument("--lr", type=float, default=0.1, help="learning rate (default 0.1)")
    p.add_argument("--batch-size", type=int, default=10, help="0 for full batch (default 10)")
    p.add_argument("--l2", type=float, default=1e-4, help="L2 penalty (default 1e-4)")
    p.add_argument("--seed", type=int, default=0,
                   help="seed of data, weights and batch order (default 0)")  # fmt: skip
    p.add_argument("--backend", default=None,
                   help="how fit computes each batch's gradients: auto (default: the tape "
                   "where it applies, else scalar; same numbers), scalar (Value graphs) or "
                   "tape (compiled)")  # fmt: skip
    # the deprecated old name of --backend: still accepted, with a warning on stderr
    p.add_argument("--engine", default=None, help=argparse.SUPPRESS)
    p.add_argument("-o", "--output", default=None, help="output directory (default runs/DATASET)")
    p.add_argument("--replay", default=None, metavar="FILE.html",
                   help="also write a page replaying the training: a slider over the epochs "
                   "with the loss, the decision boundary and one sample's network")  # fmt: skip
    p.add_argument("--no-progress", action="store_true", help="no progress bar or lines")
    p.set_defaults(func=_run_train)


def _run_train(args) -> int:
    from ._compat import renamed_flag
    from .runs import train_toy

    try:
        flags = (args.backend, args.engine)
        backend = renamed_flag("microgradx train", "--backend", "--engine", flags, "auto")
    except ValueError as exc:
        raise CLIError(str(exc)) from None
    out = Path(args.output or f"runs/{args.dataset}")
    replay = args.replay
    if replay is not None and Path(replay).parent.resolve() == out.resolve() and not out.exists():
        # inside the run folder, which training makes: only the name can be checked now
        if Path(replay).suffix.lower() not in (".html", ".htm"):
            raise CLIError(f"cannot write the replay page {replay}: it must end in .html")
    else:
        _check_outputs([("the replay page", "--replay", replay, [".html", ".htm"])])
    try:
        run = train_toy(
            out, dataset=args.dataset, samples=args.samples, noise=args.noise,
            hidden=_hidden_sizes(args.hidden), activation=args.activation, loss=args.loss,
            epochs=args.epochs, optimizer=args.optimizer, lr=args.lr,
            batch_size=args.batch_size or None, l2=args.l2, seed=args.seed,
            backend=backend, progress=not args.no_progress, replay=args.replay,
        )  # fmt: skip
    except ValueError as exc:
        raise CLIError(str(exc)) from None
    except OSError as exc:
        raise _file_error("the run's files", exc) from None
    for note in run.notes:
        print(note)
    print("\n".join(run.scores.lines()))
    print("wrote: " + ", ".join(str(f) for f in run.files))
    return 0


def _add_demo(subparsers) -> None:
    p = subparsers.add_parser(
        "demo",
        help="the lecture example (w + x·y)·z, its graph and stepper, then an MLP on moons",
        description="Backpropagation from start to finish: the lecture example f = (w + x·y)·z "
        "with its gradient table, graph drawing and backward stepper, then an MLP trained on "
        "the moons dataset, with its plots. Lists the files it makes.",
    )
    p.add_argument("-o", "--output", default="microgradx-demo",
                   help="output directory (default microgradx-demo)")  # fmt: skip
    p.add_argument("--epochs", type=int, default=100, help="training epochs (default 100)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar or lines")
    p.set_defaults(func=_run_demo)


def _run_demo(args) -> int:
    from . import demo

    try:
        demo.run(Path(args.output), epochs=args.epochs, progress=not args.no_progress)
    except ValueError as exc:
        raise CLIError(str(exc)) from None
    except OSError as exc:
        raise _file_error("the demo's files", exc) from None
    return 0


# Sub-commands, in the order help lists them; each adds its parser and sets func=_run_<name>.
_COMMANDS: list = []
_COMMANDS += [_add_graph, _add_gradcheck, _add_train, _add_demo]


def _command_names(parser: argparse.ArgumentParser) -> list[str]:
    """The sub-commands' names, in the order help lists them."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return list(action.choices)
    return []


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:  # no command: the usage on stderr and status 2, as argparse does
        parser.print_usage(sys.stderr)
        commands = ", ".join(_command_names(parser))
        print(f"{parser.prog}: error: give a command: {commands} (see {parser.prog} --help)",
              file=sys.stderr)  # fmt: skip
        return 2
    try:
        return func(args)
    except CLIError as exc:
        print(f"microgradx {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a file problem no command foresaw: still one line
        where = f" {exc.filename}" if exc.filename else ""
        print(f"microgradx {args.command}: error:{where} {exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"microgradx {args.command}: interrupted", file=sys.stderr)
        return 130
