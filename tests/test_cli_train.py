"""`microgradx train` end to end, in temporary directories."""

from __future__ import annotations

import errno
import json
import re

import pytest

from microgradx.cli import main
from microgradx.nn import MLP, History, accuracy, make_moons


def test_train_writes_model_history_and_plots(tmp_path, capsys):
    out = tmp_path / "runs" / "moons"
    argv = ["train", "--dataset", "moons", "--hidden", "8", "--epochs", "15",
            "--optimizer", "sgd", "--lr", "0.3", "--batch-size", "10", "--seed", "0",
            "-o", str(out)]  # fmt: skip
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert "final training accuracy:" in captured.out
    assert "15/15" in captured.err  # the progress bar
    for name in ("model.json", "history.json", "loss.png", "boundary.png"):
        assert (out / name).stat().st_size > 0, name
    model = MLP.load(out / "model.json")
    assert model.nouts == [8, 1]
    history = History.load(out / "history.json")
    assert len(history) == 15
    X, y = make_moons(100, noise=0.1, seed=0)
    printed = captured.out.split("final training accuracy: ")[1].split("%")[0]
    assert float(printed) == pytest.approx(100 * accuracy(model, X, y), abs=0.05)


def test_train_multiclass_uses_cross_entropy(tmp_path, capsys):
    argv = ["train", "--dataset", "blobs", "--samples", "30", "--hidden", "4",
            "--epochs", "2", "--optimizer", "adam", "--lr", "0.05", "--no-progress",
            "-o", str(tmp_path)]  # fmt: skip
    assert main(argv) == 0
    assert "loss cross_entropy" in capsys.readouterr().out
    doc = json.loads((tmp_path / "model.json").read_text())
    assert doc["config"]["nouts"] == [4, 3]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--hidden", "16,x"], "--hidden must be sizes like 16,16"),
        (["--backend", "gpu"], "backend must be one of 'auto', 'scalar', 'tape', got 'gpu'"),
        (["--lr", "-1"], "lr must be >= 0"),
        (["--activation", "elu"], "unknown activation 'elu'"),
    ],
)
def test_train_errors_are_one_line(tmp_path, capsys, extra, message):
    argv = ["train", "--epochs", "1", "--samples", "10", "--no-progress", "-o", str(tmp_path)]
    assert main(argv + extra) == 2
    err = capsys.readouterr().err
    assert err.startswith("microgradx train: error: ") and message in err
    assert "Traceback" not in err


TINY = ["train", "--hidden", "4", "--epochs", "1", "--samples", "20", "--no-progress"]
OLD_RUN = {"model.json": "old model", "history.json": "old history", "loss.png": "old loss",
           "boundary.png": "old boundary", "notes.txt": "the user's own notes"}  # fmt: skip


def _old_run(folder):
    folder.mkdir()
    for name, text in OLD_RUN.items():
        (folder / name).write_text(text)


def test_a_run_that_fails_half_way_leaves_the_previous_run_whole(tmp_path, monkeypatch, capsys):
    from microgradx import plot

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(plot, "loss_curve", disk_full)  # after model.json and history.json
    out = tmp_path / "run"
    _old_run(out)
    assert main([*TINY, "-o", str(out)]) == 2
    assert "No space left on device" in capsys.readouterr().err
    assert {p.name: p.read_text() for p in out.iterdir()} == OLD_RUN
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # no temporary folder left
    fresh = tmp_path / "new" / "run"
    assert main([*TINY, "-o", str(fresh)]) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # no empty folder either


def test_a_new_run_replaces_the_old_one_as_a_whole(tmp_path, monkeypatch, capsys):
    from microgradx import plot

    def no_matplotlib(*args, **kwargs):
        raise ImportError("plots need matplotlib")

    monkeypatch.setattr(plot, "loss_curve", no_matplotlib)
    out = tmp_path / "run"
    _old_run(out)
    assert main([*TINY, "-o", str(out)]) == 0
    assert "no plots" in capsys.readouterr().out
    # The new run has no plots, so the old run's plots must not stay beside it.
    assert sorted(p.name for p in out.iterdir()) == ["history.json", "model.json", "notes.txt"]
    assert (out / "notes.txt").read_text() == "the user's own notes"
    assert MLP.load(out / "model.json").nouts == [4, 1]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_train_help_says_every_default_and_the_activation_matches_mlp(capsys, tmp_path):
    import inspect

    from microgradx.cli import build_parser

    mlp_default = inspect.signature(MLP).parameters["activation"].default
    parser = build_parser()
    train = parser._subparsers._group_actions[0].choices["train"].declared()  # train's parser
    for action in train._actions:
        if action.option_strings and action.default not in (None, False, "==SUPPRESS=="):
            assert "default" in (action.help or ""), action.option_strings
    assert train.get_default("activation") == mlp_default
    activation = next(a for a in train._actions if a.dest == "activation")
    assert f"default {mlp_default}, as MLP" in activation.help
    loss = next(a for a in train._actions if a.dest == "loss")
    assert "hinge for a dataset of 2 classes, cross_entropy for 3 or more" in loss.help
    assert main([*TINY, "-o", str(tmp_path / "run")]) == 0
    saved = json.loads((tmp_path / "run" / "model.json").read_text())
    assert saved["config"]["activation"] == mlp_default


def test_a_run_through_a_symlinked_folder_keeps_the_link(tmp_path, capsys):
    real = tmp_path / "real"
    _old_run(real)
    link = tmp_path / "latest"
    link.symlink_to(real, target_is_directory=True)
    assert main([*TINY, "-o", str(link)]) == 0
    capsys.readouterr()
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert MLP.load(real / "model.json").nouts == [4, 1]
    assert (real / "notes.txt").read_text() == "the user's own notes"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest", "real"]


def test_train_replay_writes_a_page_with_a_snapshot_per_recorded_epoch(tmp_path, capsys):
    page = tmp_path / "train.html"
    argv = ["train", "--hidden", "4", "--epochs", "12", "--samples", "20", "--no-progress",
            "-o", str(tmp_path / "run"), "--replay", str(page)]  # fmt: skip
    assert main(argv) == 0
    assert str(page) in capsys.readouterr().out
    html = page.read_text(encoding="utf-8")
    assert "window.microgradx" in html and "<script src=" not in html  # offline, one file
    # 12 epochs: a snapshot after every epoch (12 // 100 rounds up to every 1)
    assert re.search(r"Training, replayed: 12 snapshots", html)


def test_train_replay_with_a_wrong_suffix_is_refused_before_training(tmp_path, capsys):
    argv = [*TINY, "-o", str(tmp_path / "run"), "--replay", str(tmp_path / "train.txt")]
    assert main(argv) == 2
    assert "--replay takes a file ending in .html" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []  # nothing trained, nothing written


def test_train_replay_may_go_inside_a_run_folder_that_training_makes(tmp_path, capsys):
    run = tmp_path / "run"
    assert main([*TINY, "-o", str(run), "--replay", str(run / "replay.html")]) == 0
    assert (run / "replay.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert (run / "model.json").exists()
