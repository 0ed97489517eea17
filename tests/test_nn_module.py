"""Neurons, layers, MLPs: structure, scopes, modes, initialisation, saving and loading."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from microgradx import Value
from microgradx.nn import MLP, Layer, Module, Neuron, init


def test_neuron_computes_activation_of_weighted_sum():
    n = Neuron(3, "tanh", weights=[0.5, -1.0, 2.0], bias=0.25)
    out = n([1.0, 2.0, 0.5])
    assert out.data == pytest.approx(math.tanh(0.5 - 2.0 + 1.0 + 0.25))
    out.backward()
    d = 1 - math.tanh(-0.25) ** 2
    assert [w.grad for w in n.w] == pytest.approx([d * 1.0, d * 2.0, d * 0.5])
    assert n.b.grad == pytest.approx(d)


def test_pre_activation_is_one_sum_of_weight_input_products_then_bias():
    n = Neuron(2, "relu", weights=[1.0, 2.0], bias=0.5)
    x = [Value(3.0, "x0"), Value(4.0, "x1")]
    out = n(x)
    assert out.op == "relu"
    (z,) = out.children
    assert z.op == "sum" and len(z.children) == 3
    for i, prod in enumerate(z.children[:2]):
        assert prod.op == "mul"
        assert prod.children == (n.w[i], x[i])  # weight first, then the input
    assert z.children[2] is n.b


@pytest.mark.parametrize(
    ("act", "f"),
    [
        ("relu", lambda z: max(z, 0.0)),
        ("tanh", math.tanh),
        ("sigmoid", lambda z: 1 / (1 + math.exp(-z))),
        ("leaky_relu", lambda z: z if z > 0 else 0.01 * z),
        ("linear", lambda z: z),
        (None, lambda z: z),
    ],
)
@pytest.mark.parametrize("z", [-1.5, 0.75])
def test_activations_by_name(act, f, z):
    n = Neuron(1, act, weights=[1.0], bias=0.0)
    assert n([z]).data == pytest.approx(f(z))
    assert n.forward_batch(np.array([[z]]))[0, 0] == pytest.approx(f(z))


def test_unknown_activation_and_init_are_value_errors():
    with pytest.raises(ValueError, match="unknown activation 'softplus'"):
        Neuron(2, "softplus")
    with pytest.raises(ValueError, match="unknown output_activation"):
        MLP(2, [1], output_activation="elu")
    with pytest.raises(ValueError, match="unknown init 'magic'"):
        Layer(2, 2, init="magic")


def test_parameters_are_marked_and_scoped():
    model = MLP(2, [3, 1], seed=0)
    ps = model.parameters()
    assert len(ps) == 2 * 3 + 3 + 3 * 1 + 1
    assert all(p.is_param and p.is_leaf for p in ps)
    named = dict(model.named_parameters())
    assert named["layer0.neuron2.w1"] is model.layers[0].neurons[2].w[1]
    assert named["layer1.neuron0.b"] is model.layers[1].neurons[0].b
    assert model.layers[0].neurons[2].w[1].scope == "layer0/neuron2"
    assert model.layers[0].neurons[2].w[1].label == "w1"


def test_forward_values_carry_layer_and_neuron_scopes():
    model = MLP(2, [3, 1], seed=0)
    out = model([0.5, -0.5])
    assert out.scope == "layer1/neuron0"
    assert out.op == "sum"  # linear output: the Σ node itself
    h = out.children[0].children[1]  # w·h, with h the first hidden unit
    assert h.op == "tanh" and h.scope == "layer0/neuron0"  # tanh: the default hidden activation
    assert h.children[0].scope == "layer0/neuron0"


def test_one_output_is_a_value_and_several_are_a_list():
    # as in the peer engine micrograd: the lecture's `(model(x) - y)**2` needs a Value
    layer = Layer(2, 1, seed=0)
    out = layer([1.0, 2.0])
    assert isinstance(out, Value)
    z = sum(w.data * x for w, x in zip(layer.neurons[0].w, [1.0, 2.0]))
    assert out.data == pytest.approx(math.tanh(z), rel=1e-12)
    model = MLP(2, [4, 1], seed=0)
    out = model(np.array([1.0, 2.0]))
    assert isinstance(out, Value)
    assert out.data == pytest.approx(model.forward_batch(np.array([[1.0, 2.0]]))[0, 0])
    assert ((out - 1.0) ** 2).data == pytest.approx((out.data - 1.0) ** 2)
    outs = Layer(2, 3, seed=0)([1.0, 2.0])
    assert isinstance(outs, list) and len(outs) == 3 and all(isinstance(v, Value) for v in outs)
    outs = MLP(2, [4, 2], seed=0)([1.0, 2.0])
    assert isinstance(outs, list) and len(outs) == 2


def test_wrong_input_length_names_the_sizes():
    with pytest.raises(ValueError, match="MLP expects 2 inputs, got 3"):
        MLP(2, [1], seed=0)([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"expected inputs of shape \(n, 2\), got \(4, 3\)"):
        MLP(2, [1], seed=0).forward_batch(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="positive int"):
        MLP(2, [4, 0])
    with pytest.raises(ValueError, match="at least one layer"):
        MLP(2, [])


def test_forward_batch_equals_scalar_forward():
    model = MLP(3, [5, 4, 2], activation="tanh", output_activation="sigmoid", seed=3)
    X = np.random.default_rng(0).normal(size=(6, 3))
    scalar = np.array([[v.data for v in model(x)] for x in X])
    np.testing.assert_allclose(model.forward_batch(X), scalar, rtol=1e-12)


def test_same_seed_same_weights_different_seed_different():
    a, b, c = MLP(2, [4, 1], seed=5), MLP(2, [4, 1], seed=5), MLP(2, [4, 1], seed=6)
    assert a.state_dict() == b.state_dict()
    assert a.state_dict() != c.state_dict()


def test_biases_start_at_zero():
    model = MLP(2, [4, 1], init="uniform", seed=1)
    assert all(n.b.data == 0.0 for layer in model.layers for n in layer.neurons)


@pytest.mark.parametrize(
    ("name", "std"),
    [
        ("he", math.sqrt(2 / 200)),
        ("kaiming_uniform", math.sqrt(2 / 200)),
        ("xavier", math.sqrt(2 / 300)),
        ("glorot_normal", math.sqrt(2 / 300)),
        ("uniform", math.sqrt(1 / 3)),
    ],
)
def test_initialisers_have_their_variance(name, std):
    W = init.get_initializer(name)(200, 100, seed=0)
    assert W.shape == (100, 200)
    assert W.std() == pytest.approx(std, rel=0.03)
    assert abs(W.mean()) < 0.1 * std


def test_uniform_bounds_and_zeros():
    W = init.xavier_uniform(10, 6, seed=1)
    assert np.abs(W).max() <= math.sqrt(6 / 16)
    assert np.all(init.zeros(3, 2) == 0)
    assert init.uniform(3, 2, seed=1).min() >= -1


def test_initialisers_are_reproducible():
    np.testing.assert_array_equal(init.he(5, 3, seed=9), init.kaiming(5, 3, seed=9))
    assert not np.array_equal(init.he(5, 3, seed=9), init.he(5, 3, seed=10))


def test_train_eval_modes_reach_every_module():
    model = MLP(2, [3, 1], seed=0)
    assert model.training
    assert model.eval() is model
    assert not model.training
    assert not model.layers[1].training and not model.layers[0].neurons[0].training
    model.train()
    assert model.layers[0].neurons[2].training


def test_dropout_only_in_training_and_scaled():
    model = MLP(2, [200, 1], activation="linear", dropout=0.5, seed=0)
    for layer in model.layers:  # every hidden unit outputs 1, the output sums them
        for n in layer.neurons:
            n.b.data = 1.0
            for w in n.w:
                w.data = 0.0
    model.layers[1].neurons[0].b.data = 0.0
    for w in model.layers[1].neurons[0].w:
        w.data = 1.0
    model.eval()
    assert model([0.0, 0.0]).data == 200.0
    model.train()
    out = model([0.0, 0.0]).data
    kept = out / 2.0  # kept units are scaled by 1/(1 − 0.5)
    assert out != 200.0 and kept == int(kept) and 60 < kept < 140
    with pytest.raises(ValueError, match="dropout"):
        MLP(2, [1], dropout=1.0)


def test_zero_grad():
    model = MLP(2, [2, 1], seed=0)
    model([1.0, 1.0]).backward()
    assert any(p.grad for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_reprs_are_readable():
    assert repr(Neuron(3, "tanh")) == "Neuron(3 inputs, tanh)"
    assert repr(Layer(2, 16)) == "Layer(2 → 16, tanh, 48 parameters)"
    text = repr(MLP(2, [16, 16, 1], seed=0))
    assert text.splitlines()[0] == "MLP(2 → 16 → 16 → 1, 337 parameters"
    assert "(layer2): Layer(16 → 1, linear, 17 parameters)" in text


# --- state dicts and files ---------------------------------------------------------------


def test_state_dict_round_trip_gives_identical_predictions():
    a = MLP(2, [4, 3], activation="tanh", seed=1)
    b = MLP(2, [4, 3], activation="tanh", seed=2)
    X = np.random.default_rng(3).normal(size=(5, 2))
    assert not np.array_equal(a.forward_batch(X), b.forward_batch(X))
    b.load_state_dict(a.state_dict())
    np.testing.assert_array_equal(a.forward_batch(X), b.forward_batch(X))
    for x in X:
        assert [v.data for v in a(x)] == [v.data for v in b(x)]


def test_save_and_load_json(tmp_path):
    a = MLP(3, [5, 2], activation="sigmoid", output_activation="tanh", init="xavier", seed=4)
    path = a.save(tmp_path / "model.json")
    doc = json.loads(path.read_text())
    assert doc["format"] == "microgradx.model" and doc["class"] == "MLP"
    b = MLP.load(path)
    assert isinstance(b, MLP) and b is not a
    assert b.config() == a.config()
    assert b.state_dict() == a.state_dict()
    X = np.random.default_rng(0).normal(size=(4, 3))
    np.testing.assert_array_equal(a.forward_batch(X), b.forward_batch(X))
    assert isinstance(Module.load(path), MLP)


def test_layer_and_neuron_save_too(tmp_path):
    n = Neuron(2, "sigmoid", weights=[0.3, -0.2], bias=0.1)
    m = Module.load(n.save(tmp_path / "n.json"))
    assert isinstance(m, Neuron) and m.state_dict() == n.state_dict()
    with pytest.raises(ValueError, match="holds a Neuron, not a MLP"):
        MLP.load(tmp_path / "n.json")


def corruptions(doc: dict) -> list[tuple[str, str]]:
    """(file text, expected message) for a series of broken files."""
    good = json.dumps(doc)
    cases = [
        (good[: len(good) // 2], "not valid JSON"),
        ("[]", "not a microgradx model file"),
        (json.dumps({**doc, "format": "pickle"}), "not a microgradx model file"),
        (json.dumps({**doc, "version": 99}), "unsupported version"),
        (json.dumps({**doc, "class": "Transformer"}), "unknown model class"),
        (json.dumps({**doc, "config": {**doc["config"], "nouts": [4, -1]}}), "invalid MLP config"),
        (json.dumps({**doc, "config": {**doc["config"], "depth": 3}}), "invalid MLP config"),
    ]
    state = dict(doc["state"])
    name = next(iter(state))
    missing = {k: v for k, v in state.items() if k != name}
    renamed = {**missing, "extra.w": 1.0}
    cases.append((json.dumps({**doc, "state": renamed}), "missing 1 .*unexpected 1"))
    cases.append((json.dumps({**doc, "state": missing}), "describes 17 parameters .* holds 16"))
    extra = {**state, "extra.w": 1.0}
    cases.append((json.dumps({**doc, "state": extra}), "describes 17 parameters .* holds 18"))
    cases.append((json.dumps({**doc, "state": {**state, name: "0.5"}}), "finite number"))
    cases.append((good.replace(json.dumps(state[name]), "NaN", 1), "finite number"))
    cases.append((json.dumps({**doc, "state": [1, 2]}), "mapping"))
    return cases


def test_corrupted_files_are_refused_and_leave_the_model_untouched(tmp_path):
    source = MLP(2, [4, 1], seed=1)
    doc = source.to_json()
    target = MLP(2, [4, 1], seed=2)
    before = target.state_dict()
    for i, (text, message) in enumerate(corruptions(doc)):
        path = tmp_path / f"bad{i}.json"
        path.write_text(text)
        with pytest.raises(ValueError, match=message):
            MLP.load(path)
        with pytest.raises(ValueError, match=message):
            target.load_weights(path)
        assert target.state_dict() == before
    # and the good file does load into it
    good = tmp_path / "good.json"
    good.write_text(json.dumps(doc))
    target.load_weights(good)
    assert target.state_dict() == source.state_dict()


def test_load_weights_refuses_another_architecture(tmp_path):
    path = MLP(2, [3, 1], seed=0).save(tmp_path / "m.json")
    target = MLP(2, [4, 1], seed=0)
    before = target.state_dict()
    with pytest.raises(ValueError, match="architecture differs"):
        target.load_weights(path)
    assert target.state_dict() == before


def test_load_state_dict_checks_everything_before_changing_anything():
    model = MLP(2, [2, 1], seed=0)
    before = model.state_dict()
    bad = dict(before)
    bad[list(bad)[-1]] = float("inf")  # the last one: all others would be set first
    with pytest.raises(ValueError, match="must be a finite number"):
        model.load_state_dict(bad)
    assert model.state_dict() == before


def test_binary_file_is_refused(tmp_path):
    path = tmp_path / "model.json"
    path.write_bytes(b"\x80\x04\x95pickle")
    with pytest.raises(ValueError, match="not a text"):
        MLP.load(path)


def test_saving_non_finite_weights_is_refused(tmp_path):
    model = MLP(2, [1], seed=0)
    model.parameters()[0].data = float("nan")
    with pytest.raises(ValueError, match="non-finite"):
        model.save(tmp_path / "m.json")
    assert not (tmp_path / "m.json").exists()


def test_load_weights_compares_the_header_and_builds_no_second_model(tmp_path, monkeypatch):
    big = MLP(2, [3, 1], seed=0)
    path = big.save(tmp_path / "m.json")

    def no_building(cls, config):
        raise AssertionError("load_weights built a model from the file")

    monkeypatch.setattr(MLP, "from_config", classmethod(no_building))
    target = MLP(2, [4, 1], seed=0)
    differs = r"architecture differs: \{'nouts': \(\[3, 1\], \[4, 1\]\)"
    with pytest.raises(ValueError, match=differs):
        target.load_weights(path)
    same = MLP(2, [3, 1], seed=5)
    same.load_weights(path)  # the weights go straight into the model
    assert same.state_dict() == big.state_dict()
