"""The command line's error contract: one line, exit status 2, nothing written first."""

from __future__ import annotations

import math
import os
import stat

import pytest

from microgradx import gradcheck
from microgradx.cli import main

TRAIN = ["train", "--epochs", "1", "--samples", "10", "--no-progress"]


def _one_line_error(capsys, command: str) -> str:
    captured = capsys.readouterr()
    err = captured.err
    assert err.startswith(f"microgradx {command}: error: "), err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert captured.out == ""  # nothing printed before the refusal
    return err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--epochs", "0"], "epochs must be a positive int"),
        (["--lr", "nan"], "lr must be a finite number"),
        (["--lr", "inf"], "lr must be a finite number"),
        (["--l2", "nan"], "l2 must be a finite number"),
        (["--loss", "foo"], "unknown loss 'foo'"),
        (["--hidden", "16,,16"], "--hidden must be sizes like 16,16"),
        (["--hidden", "16,"], "--hidden must be sizes like 16,16"),
        (["--hidden", "1000000000"], "the limit is 1,000,000"),
        (["--samples", "10000000000"], "samples must be at most 1,000,000"),
        (["--noise", "nan"], "noise must be a number"),
        (["--batch-size", "-3"], "batch_size must be a positive int"),
        (["--seed", "-1"], "seed must be a non-negative int, got -1"),
    ],
)
def test_bad_train_arguments_are_refused_before_anything_is_written(
    tmp_path, capsys, extra, message
):
    out = tmp_path / "run"
    assert main([*TRAIN, "-o", str(out), *extra]) == 2
    assert message in _one_line_error(capsys, "train")
    assert not out.exists()


def test_an_output_file_that_is_a_directory_is_refused_before_training(tmp_path, capsys):
    (tmp_path / "model.json").mkdir()
    assert main([*TRAIN, "-o", str(tmp_path)]) == 2
    err = _one_line_error(capsys, "train")
    assert "model.json" in err and "directory" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.json"]


def test_an_output_directory_that_is_a_file_is_one_line(tmp_path, capsys):
    (tmp_path / "taken").write_text("a file")
    assert main([*TRAIN, "-o", str(tmp_path / "taken")]) == 2
    assert "taken" in _one_line_error(capsys, "train")
    assert (tmp_path / "taken").read_text() == "a file"


def test_demo_with_bad_epochs_writes_nothing(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--epochs", "-1", "--no-progress", "-o", str(out)]) == 2
    assert "epochs must be a positive int" in _one_line_error(capsys, "demo")
    assert not out.exists()


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--atol", "nan", "--atol must be a finite number >= 0"),
        ("--rtol", "-5", "--rtol must be a finite number >= 0"),
        ("--eps", "inf", "--eps must be positive and finite"),
        ("--eps", "nan", "--eps must be positive and finite"),
    ],
)
def test_gradcheck_refuses_bad_tolerances(capsys, flag, value, message):
    assert main(["gradcheck", "x*x", "x=2", flag, value]) == 2
    assert message in _one_line_error(capsys, "gradcheck")


def test_nan_gradients_are_a_mismatch(capsys):
    # x**y at x = -1, y = 0.5: nan value, nan gradients, nan differences
    assert main(["gradcheck", "x**y", "x=-1", "y=0.5"]) == 1
    out = capsys.readouterr().out
    assert "MISMATCH" in out and " ok" not in out and out.count("FAIL") == 2


def test_library_gradcheck_refuses_bad_tolerances_and_fails_nan():
    for kwargs in ({"atol": math.nan}, {"rtol": -5.0}, {"eps": math.inf}, {"eps": 0.0}):
        with pytest.raises(ValueError, match="must be"):
            gradcheck(lambda x: x * x, [2.0], **kwargs)
    report = gradcheck(lambda x, y: x**y, [-1.0, 0.5])  # (-1)^0.5: nan on both sides
    assert all(math.isnan(r.analytic) and math.isnan(r.numeric) for r in report)
    assert not report and not any(r.ok for r in report)


@pytest.mark.parametrize("flag", ["-o", "--steps"])
def test_graph_checks_its_output_paths_before_printing(tmp_path, capsys, flag):
    assert main(["graph", "x*2", "x=1", flag, str(tmp_path)]) == 2
    assert "is a directory" in _one_line_error(capsys, "graph")
    missing = tmp_path / "no" / "such" / "g.svg"
    assert main(["graph", "x*2", "x=1", flag, str(missing)]) == 2
    assert "does not exist" in _one_line_error(capsys, "graph")
    assert not (tmp_path / "no").exists()


def test_demo_into_a_file_is_one_line(tmp_path, capsys):
    (tmp_path / "f").write_text("keep")
    assert main(["demo", "--epochs", "1", "--no-progress", "-o", str(tmp_path / "f")]) == 2
    assert "is not a directory" in _one_line_error(capsys, "demo")
    assert (tmp_path / "f").read_text() == "keep"


def test_graph_refuses_a_bad_second_output_before_writing_the_first(tmp_path, capsys):
    good = tmp_path / "good.dot"
    good.write_text("digraph kept {}")
    argv = ["graph", "x*y", "x=1", "y=2", "-o", str(good), "--steps", str(tmp_path / "s.txt")]
    assert main(argv) == 2
    assert "--steps takes a file ending in .html" in _one_line_error(capsys, "graph")
    assert good.read_text() == "digraph kept {}"
    assert main(["graph", "x*y", "x=1", "y=2", "-o", str(tmp_path / "g.txt")]) == 2
    assert "-o takes a file ending in .svg" in _one_line_error(capsys, "graph")


def test_graph_refuses_two_outputs_that_are_one_file(tmp_path, capsys):
    same = tmp_path / "same.pdf"
    same.write_text("kept")
    assert main(["graph", "x*y", "x=1", "y=2", "-o", str(same), "--steps", str(same)]) == 2
    assert "name the same file" in _one_line_error(capsys, "graph")
    link = tmp_path / "link.pdf"
    link.symlink_to(same)  # another name for the same file
    assert main(["graph", "x*y", "x=1", "y=2", "-o", str(same), "--steps", str(link)]) == 2
    assert "name the same file" in _one_line_error(capsys, "graph")
    assert same.read_text() == "kept"


def test_graph_writes_through_a_symlink_and_refuses_a_fifo(tmp_path, capsys):
    real = tmp_path / "real.dot"
    real.write_text("old")
    link = tmp_path / "link.dot"
    link.symlink_to(real)
    assert main(["graph", "x*y", "x=1", "y=2", "-o", str(link)]) == 0
    capsys.readouterr()
    assert link.is_symlink() and real.read_text().startswith("digraph")
    fifo = tmp_path / "pipe.dot"
    os.mkfifo(fifo)
    assert main(["graph", "x*y", "x=1", "y=2", "-o", str(fifo)]) == 2
    assert "not a regular file" in _one_line_error(capsys, "graph")
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_graph_without_dot_refuses_an_image_before_printing(no_dot, tmp_path, capsys):
    assert main(["graph", "x*y", "x=1", "y=2", "--steps", str(tmp_path / "s.gif")]) == 2
    assert "dot program is missing" in _one_line_error(capsys, "graph")
    assert list(tmp_path.iterdir()) == [tmp_path / "empty-path"]


@pytest.mark.parametrize("command", [TRAIN, ["demo", "--no-progress"]])
def test_epochs_beyond_the_cap_are_refused_with_the_cap_and_why(tmp_path, capsys, command):
    out = tmp_path / "run"
    assert main([*command, "-o", str(out), "--epochs", str(10**12)]) == 2
    err = _one_line_error(capsys, command[0])
    assert "epochs must be at most 100,000" in err and "record to the history" in err
    assert not out.exists()


def test_output_paths_name_the_missing_folder_a_link_points_into_and_refuse_empty(
    tmp_path, capsys, monkeypatch
):
    from microgradx.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "steps.html").symlink_to(tmp_path / "nowhere" / "x.html")
    args = ["graph", "x*y", "x=1", "y=2"]
    assert main([*args, "--steps", "steps.html"]) == 2
    assert f"the folder '{tmp_path / 'nowhere'}' does not exist" in capsys.readouterr().err
    assert main([*args, "--steps", ""]) == 2
    assert "--steps needs a file name" in capsys.readouterr().err
