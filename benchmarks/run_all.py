"""Run every benchmark and write what each printed into the README: ``make bench``.

    python benchmarks/run_all.py                    # run them all, print as they go
    python benchmarks/run_all.py --readme README.md # and regenerate the README's figures
    python benchmarks/run_all.py --quick --only bench_import.py

Each benchmark runs in its own process (a fresh interpreter: no benchmark warms the
next one's caches or collector), and its output is printed as it comes. With
``--readme``, every block of the README between

    <!-- bench: bench_engine.py -->
    ...
    <!-- end bench -->

is replaced by that benchmark's output, as a text block headed by the command that made
it, so the figures in the README are the ones the last ``make bench`` printed. The prose
around the blocks is not touched. A benchmark that fails stops the run before the README
is written: a README is never half regenerated.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: Every benchmark ``make bench`` runs, with the options of its full run, in order.
BENCHMARKS: dict[str, tuple[str, ...]] = {
    "bench_engine.py": (),
    "bench_floor.py": ("--compiled",),
    "bench_tape.py": (),
    "bench_mlp.py": (),
    "bench_stepper.py": (),
    "bench_refusals.py": (),
    "bench_import.py": (),
    "bench_blas.py": (),
}

BLOCK = re.compile(
    r"(?P<start><!-- bench: (?P<name>[\w.]+) -->\n)(?P<body>.*?)(?P<end><!-- end bench -->)",
    re.S,
)
START = re.compile(r"<!-- bench: [\w.]+ -->\n")
END = re.compile(r"<!-- end bench -->")
# anything that looks like a marker, however spelled: each must be one of the two above
LOOSE = re.compile(r"<!--\s*(?:end\s*)?bench\b", re.I)


def command(name: str, quick: bool = False) -> list[str]:
    """The command line that runs benchmark ``name`` (as ``make bench`` runs it)."""
    return ["python", f"benchmarks/{name}", *BENCHMARKS[name], *(["--quick"] if quick else [])]


def run(name: str, quick: bool) -> str:
    """Run one benchmark, echoing its output; its output, or SystemExit if it failed."""
    argv = [sys.executable, str(HERE / name), *command(name, quick)[2:]]
    lines = []
    with subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, cwd=HERE.parent) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            print(line, end="", flush=True)
            lines.append(line)
    if proc.returncode != 0:
        raise SystemExit(f"{name} failed (exit status {proc.returncode}); the README is unchanged")
    return "".join(lines)


def block(name: str, output: str, quick: bool = False) -> str:
    """The README text for one benchmark's output: its command, then what it printed."""
    text = output.strip("\n")
    return f"```text\n$ {' '.join(command(name, quick))}\n{text}\n```\n"


def regenerate(readme: str, outputs: dict[str, str], quick: bool = False) -> tuple[str, list[str]]:
    """``readme`` with each marked block whose benchmark ran replaced by its output.

    Returns the new text and the names replaced. A marker naming no benchmark is a
    ``ValueError`` (a typo would otherwise leave stale figures in place for good).
    """
    check_markers(readme)
    unknown = sorted({m["name"] for m in BLOCK.finditer(readme)} - set(BENCHMARKS))
    if unknown:
        raise ValueError(f"the README marks blocks for unknown benchmarks: {', '.join(unknown)}")
    replaced: list[str] = []

    def fill(m: re.Match[str]) -> str:
        name = m["name"]
        if name not in outputs:
            return m[0]
        replaced.append(name)
        return m["start"] + block(name, outputs[name], quick) + m["end"]

    return BLOCK.sub(fill, readme), replaced


def check_markers(readme: str) -> None:
    """``ValueError`` unless every marker is spelled exactly and the blocks pair one to one,
    start then end, none inside another: a stray marker would make a block swallow the
    text up to the next block's end."""
    marks = sorted(
        [(m.start(), "start") for m in START.finditer(readme)]
        + [(m.start(), "end") for m in END.finditer(readme)]
    )
    loose = [m.start() for m in LOOSE.finditer(readme)]
    misspelled = sorted(set(loose) - {at for at, _ in marks})
    if misspelled:
        line = readme.count("\n", 0, misspelled[0]) + 1
        raise ValueError(
            f"line {line}: a bench marker not spelled '<!-- bench: NAME -->' (then a new "
            "line) or '<!-- end bench -->'"
        )
    for k, (at, kind) in enumerate(marks):
        if kind != ("start" if k % 2 == 0 else "end"):
            line = readme.count("\n", 0, at) + 1
            raise ValueError(f"line {line}: a bench block's markers do not pair (start, end)")
    if len(marks) % 2:
        line = readme.count("\n", 0, marks[-1][0]) + 1
        raise ValueError(f"line {line}: a bench block is not closed with '<!-- end bench -->'")


def read_readme(path: Path) -> tuple[str, str]:
    """The README's text with ``\\n`` line ends, and the line end it uses."""
    raw = path.read_bytes().decode("utf-8")
    newline = "\r\n" if "\r\n" in raw else "\n"
    return raw.replace("\r\n", "\n"), newline


def write_whole(path: Path, text: str, newline: str = "\n") -> None:
    """Write ``text`` to ``path`` (a link: to the file it names) through a temporary file
    and a rename: all or nothing, with the file's line ends and permissions kept."""
    path = path.resolve()
    mode = path.stat().st_mode & 0o7777
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(text.replace("\n", newline).encode("utf-8"))
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="each benchmark's smoke run")
    parser.add_argument("--only", nargs="+", choices=list(BENCHMARKS), help="these benchmarks")
    parser.add_argument("--readme", type=Path, help="regenerate this README's marked blocks")
    args = parser.parse_args()
    readme, newline = None, "\n"
    if args.readme is not None:  # a README that cannot be written is refused before the run
        try:
            readme, newline = read_readme(args.readme)
            real = args.readme.resolve()
            if not (real.stat().st_mode & 0o200 and os.access(real, os.W_OK)):
                raise PermissionError("it is read-only")  # even for root: it was made so
            regenerate(readme, {})  # bad markers too
        except (OSError, UnicodeDecodeError, ValueError) as error:
            sys.exit(f"{args.readme}: {error}")
    outputs = {}
    for name in args.only or BENCHMARKS:
        print(f"\n$ {' '.join(command(name, args.quick))}", flush=True)
        outputs[name] = run(name, args.quick)
    if readme is not None:
        new, replaced = regenerate(readme, outputs, args.quick)
        write_whole(args.readme, new, newline)
        print(f"\n{args.readme}: regenerated {len(replaced)} block(s): {', '.join(replaced)}")


if __name__ == "__main__":
    main()
