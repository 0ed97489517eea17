"""Renamed keywords: fit's ``engine=`` is ``backend=``, the drawings' ``engine=`` is ``layout=``.

The old names (and ``microgradx train --engine``) still work, with a DeprecationWarning
that names the new word and points at the caller's line; old and new together are a
TypeError. "engine" is left to the autograd engine.
"""

from __future__ import annotations

import json
import warnings

import pytest

import microgradx
from microgradx import nn
from microgradx.cli import main
from microgradx.nn.history import History
from microgradx.viz import render


def _moons_fit(**keyword):
    X, y = nn.make_moons(40, noise=0.1, seed=0)
    model = nn.MLP(2, [4, 1], seed=0)
    history = nn.fit(model, X, y, loss="hinge", epochs=3, batch_size=10, progress=False,
                     **keyword)  # fmt: skip
    return history, [p.data for p in model.parameters()]


def _only_deprecation(caught, new: str) -> warnings.WarningMessage:
    """The single warning caught: a DeprecationWarning naming ``new``, at this file's line."""
    assert len(caught) == 1, [str(w.message) for w in caught]
    warning = caught[0]
    assert warning.category is DeprecationWarning
    message = str(warning.message)
    assert "engine= is deprecated" in message and f"use {new}=" in message
    assert warning.filename == __file__  # the user's line, where Python shows it by default
    return warning


# --- fit: backend -----------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["scalar", "tape"])
def test_fit_engine_still_works_warns_and_equals_backend(backend):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        new, new_weights = _moons_fit(backend=backend)
    assert caught == []  # the new name warns about nothing
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        old, old_weights = _moons_fit(engine=backend)
    message = str(_only_deprecation(caught, "backend").message)
    assert message.startswith("fit(): ")
    assert new.info["backend"] == old.info["backend"] == backend  # the backend that ran
    assert "engine" not in new.info
    assert old.loss == new.loss and old_weights == new_weights


def test_fit_old_and_new_keyword_together_is_a_type_error():
    with pytest.raises(TypeError, match=r"fit\(\) got both backend= and .* engine="):
        _moons_fit(backend="tape", engine="scalar")
    with pytest.raises(TypeError, match="pass only backend="):  # even when they agree
        _moons_fit(backend="auto", engine="auto")


def test_fit_keeps_its_signature_and_refuses_an_unknown_backend_by_the_new_name():
    import inspect

    parameters = inspect.signature(nn.fit).parameters
    assert parameters["backend"].default == "auto" and "engine" not in parameters
    with pytest.raises(ValueError, match="backend must be one of 'auto', 'scalar', 'tape'"):
        _moons_fit(backend="gpu")
    with pytest.deprecated_call(), pytest.raises(ValueError, match="backend must be one of"):
        _moons_fit(engine="gpu")


def test_the_old_constants_give_the_new_with_a_warning():
    from microgradx.nn import backends, train

    assert nn.BACKENDS == {"scalar": nn.scalar_loss_and_grads, "tape": nn.tape_loss_and_grads}
    for module, new in ((nn, nn.BACKENDS), (backends, nn.BACKENDS), (render, render.LAYOUTS)):
        old = r"ENGINES is deprecated .* use (BACKENDS|LAYOUTS)"
        with pytest.warns(DeprecationWarning, match=old):
            assert module.ENGINES is new
    assert "sfdp" in render.LAYOUTS
    with pytest.raises(AttributeError, match="no attribute 'ENGINE'"):
        nn.ENGINE  # noqa: B018 - a typo is still an AttributeError
    assert not hasattr(train, "ENGINES")  # nn.train re-exported it; the name lives in nn now
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every public name reads without a warning
        assert all(getattr(nn, name) is not None for name in nn.__all__)


def test_the_old_module_is_an_attribute_of_nn_as_before():
    import sys

    sys.modules.pop("microgradx.nn.engines", None)
    nn.__dict__.pop("engines", None)
    with pytest.warns(DeprecationWarning, match="microgradx.nn.backends"):
        assert nn.engines.ENGINES is nn.BACKENDS


def test_a_history_saved_with_the_old_key_loads_with_the_new(tmp_path):
    old = {"format": "microgradx.history", "info": {"loss": "hinge", "engine": "tape"},
           "epochs": [{"epoch": 1, "loss": 0.5}]}  # fmt: skip
    path = tmp_path / "history.json"
    path.write_text(json.dumps(old))
    assert History.load(path).info == {"loss": "hinge", "backend": "tape"}


def test_a_batch_norm_fallback_warning_points_at_the_caller():
    X, y = nn.make_moons(20, noise=0.1, seed=0)
    model = nn.MLP(2, [4, 1], batch_norm=True, seed=0)
    with pytest.warns(UserWarning, match="backend='tape'") as caught:
        history = nn.fit(model, X, y, epochs=1, backend="tape", progress=False)
    assert caught[0].filename == __file__
    assert history.info["backend"] == "scalar"


# --- drawings: layout -------------------------------------------------------------------


def test_draw_layout_and_its_old_name(lecture):
    f = lecture(backward=True).f
    assert microgradx.draw(f).layout == "dot"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        new = microgradx.draw(f, layout="sfdp")
    assert caught == [] and new.layout == "sfdp" and new.digraph.engine == "sfdp"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        old = f.draw(engine="sfdp")  # through Value.draw too
    assert str(_only_deprecation(caught, "layout").message).startswith("draw(): ")
    assert old.layout == "sfdp" and old.source == new.source
    with pytest.raises(TypeError, match=r"draw\(\) got both layout= and .* engine="):
        microgradx.draw(f, layout="dot", engine="dot")
    with pytest.deprecated_call(), pytest.raises(ValueError, match="layout must be one of"):
        microgradx.draw(f, engine="magic")


def test_the_old_layout_keyword_reaches_graphviz(lecture, dot_program):
    f = lecture(backward=True).f
    with pytest.deprecated_call():
        old = microgradx.draw(f, engine="neato").svg()
    assert old == microgradx.draw(f, layout="neato").svg()
    assert old != microgradx.draw(f).svg()  # neato, not dot, laid it out
    with pytest.deprecated_call():
        svg = render.run_graphviz(microgradx.draw(f).source, "svg", engine="neato")
    assert svg.decode() == old


def test_draw_backward_layout_and_its_old_name():
    a = microgradx.Value(2.0)  # no labels: the drawing names them from this function
    b = a * a.tanh()
    new = microgradx.draw_backward(b, a, layout="circo")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        old = microgradx.draw_backward(b, a, engine="circo")
    _only_deprecation(caught, "layout")
    assert old.layout == new.layout == "circo" and old.source == new.source
    assert "∂b/∂a" in old.source  # the caller's names are still found past the wrapper
    with pytest.raises(TypeError, match="pass only layout="):
        microgradx.draw_backward(b, a, layout="dot", engine="circo")


def test_stepper_options_take_the_layout_and_its_old_name(lecture, tmp_path):
    f = lecture(backward=True).f
    frames = microgradx.backward_steps(f, layout="twopi")
    assert {frame.layout for frame in frames} == {"twopi"}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        old = microgradx.backward_steps(f, engine="twopi")
    _only_deprecation(caught, "layout")
    assert [frame.source for frame in old] == [frame.source for frame in frames]
    assert {frame.layout for frame in old} == {"twopi"}
    with pytest.raises(TypeError, match="pass only layout="):
        microgradx.save_steps(f, tmp_path / "steps.html", layout="dot", engine="dot")
    assert not (tmp_path / "steps.html").exists()


# --- the command line: --backend --------------------------------------------------------

TINY = ["train", "--hidden", "4", "--epochs", "1", "--samples", "20", "--no-progress"]


def test_train_help_shows_backend_not_engine(capsys):
    with pytest.raises(SystemExit) as done:
        main(["train", "--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    assert "--backend" in text and "--engine" not in text


def test_train_backend_flag_is_used(tmp_path, capsys):
    assert main([*TINY, "--backend", "scalar", "-o", str(tmp_path / "run")]) == 0
    assert capsys.readouterr().err == ""
    assert History.load(tmp_path / "run" / "history.json").info["backend"] == "scalar"
    assert main([*TINY, "-o", str(tmp_path / "auto")]) == 0  # the default: the tape here
    assert History.load(tmp_path / "auto" / "history.json").info["backend"] == "tape"


def test_train_old_engine_flag_still_works_and_warns_on_stderr(tmp_path, capsys):
    assert main([*TINY, "--engine", "scalar", "-o", str(tmp_path / "run")]) == 0
    err = capsys.readouterr().err
    assert err == (
        "microgradx train: warning: --engine is deprecated and will be removed; "
        "use --backend (same values)\n"
    )
    assert History.load(tmp_path / "run" / "history.json").info["backend"] == "scalar"


def test_train_old_and_new_flag_together_is_refused_before_training(tmp_path, capsys):
    out = tmp_path / "run"
    assert main([*TINY, "--engine", "tape", "--backend", "scalar", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("microgradx train: error: ") and "give only --backend" in err
    assert not out.exists()


def test_the_old_module_path_still_imports_with_a_warning():
    import importlib
    import sys

    from microgradx.nn import backends

    sys.modules.pop("microgradx.nn.engines", None)
    with pytest.warns(DeprecationWarning, match="microgradx.nn.backends"):
        old = importlib.import_module("microgradx.nn.engines")
    assert old.ENGINES is backends.BACKENDS and old.Engine is backends.Backend
    assert old.tape_loss_and_grads is backends.tape_loss_and_grads
