"""Model files from anywhere: checked before anything is allocated, ValueError only."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microgradx import nn
from microgradx.nn import MLP, Layer, Module, Neuron, serialize

_GOOD = json.dumps(MLP(2, [4, 1], seed=0).to_json())


def _doc() -> dict:
    """A fresh copy of a good file's document: MLP(2, [4, 1]), 17 parameters."""
    return json.loads(_GOOD)


def _write(tmp_path, doc_or_text, name: str = "model.json"):
    path = tmp_path / name
    text = doc_or_text if isinstance(doc_or_text, str) else json.dumps(doc_or_text)
    path.write_text(text)
    return path


@pytest.fixture
def no_building(monkeypatch):
    """Make building any layer or neuron a test failure: the file must be refused first."""

    def refuse(*args, **kwargs):
        raise AssertionError("a model was built before the file was checked")

    monkeypatch.setattr(Layer, "__init__", refuse)
    monkeypatch.setattr(Neuron, "__init__", refuse)


def test_a_small_file_describing_a_huge_model_is_refused_before_building(tmp_path, no_building):
    doc = _doc()
    doc["config"]["nouts"] = [10_000, 10_000, 1]  # ~10⁸ parameters from a 300-byte file
    with pytest.raises(ValueError, match=r"100,050,001 parameters; the limit is 1,000,000"):
        MLP.load(_write(tmp_path, doc))
    doc["config"]["nouts"] = [10**9, 1]
    with pytest.raises(ValueError, match="the limit is 1,000,000"):
        Module.load(_write(tmp_path, doc))


def test_config_and_state_sizes_must_agree_before_building(tmp_path, no_building):
    doc = _doc()
    doc["config"]["nouts"] = [400, 400, 1]  # within the limit, but the state holds 17
    with pytest.raises(ValueError, match=r"describes 162,001 parameters but the state holds 17"):
        MLP.load(_write(tmp_path, doc))


def test_building_a_model_beyond_the_limit_is_a_clear_error():
    with pytest.raises(ValueError, match=r"MLP\(2, \[1000000000, 1\]\).*the limit"):
        MLP(2, [10**9, 1])
    with pytest.raises(ValueError, match=r"Layer\(3, 1000000\).*the limit"):
        Layer(3, 10**6)
    with pytest.raises(ValueError, match=r"Neuron\(2000000\).*the limit"):
        Neuron(2 * 10**6)


def test_the_limit_can_be_raised(monkeypatch):
    monkeypatch.setattr(serialize, "MAX_PARAMETERS", 10)
    with pytest.raises(ValueError, match="the limit is 10 "):
        MLP(2, [4, 1])  # 17 parameters
    monkeypatch.setattr(serialize, "MAX_PARAMETERS", 17)
    assert len(MLP(2, [4, 1]).parameters()) == 17


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[" * 100_000, "nested too deeply"),
        ('{"a": ' + "9" * 5000 + "}", "not valid JSON"),
        ("\xff\xfe", "not a text"),
    ],
)
def test_hostile_json_is_a_value_error(tmp_path, text, message):
    path = tmp_path / "bad.json"
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(ValueError, match=message):
        MLP.load(path)


def test_huge_and_non_finite_weights_are_value_errors(tmp_path):
    good = json.dumps(_doc())
    name, value = next(iter(_doc()["state"].items()))
    for weight in ("1" + "0" * 400, "1e400", "-Infinity", "NaN", "true", '"0.5"', "null"):
        text = good.replace(json.dumps(value), weight, 1)
        with pytest.raises(ValueError, match=f"parameter '{name}' must be a finite number"):
            MLP.load(_write(tmp_path, text))


@pytest.mark.parametrize("version", [True, 1.0, "1", None, [1]])
def test_the_version_must_be_the_integer_1(tmp_path, version):
    doc = {**_doc(), "version": version}
    with pytest.raises(ValueError, match="unsupported version"):
        MLP.load(_write(tmp_path, doc))


def test_files_beyond_the_size_limit_are_refused_unread(tmp_path, monkeypatch):
    path = _write(tmp_path, _doc())
    monkeypatch.setattr(serialize, "MAX_FILE_BYTES", 100)
    with pytest.raises(ValueError, match="larger than 100 bytes"):
        MLP.load(path)


def test_count_parameters_matches_the_built_models():
    for model in (MLP(3, [5, 4, 2]), Layer(3, 4), Neuron(6)):
        assert type(model).count_parameters(model.config()) == len(model.parameters())


# --- any damage to a good file: ValueError and nothing else --------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.sampled_from([10**400, -(10**400), 10**6, 10**9, 0, -1])
    | st.floats()
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=8,
)

_CONFIG_KEYS = ["nin", "nouts", "activation", "output_activation", "init", "dropout", "seed"]


@st.composite
def damaged_documents(draw) -> dict:
    doc = _doc()
    where = draw(st.sampled_from(["top", "config", "state", "nouts", "drop"]))
    value = draw(json_values)
    if where == "top":
        doc[draw(st.sampled_from(["format", "version", "class", "config", "state"]))] = value
    elif where == "config":
        doc["config"][draw(st.sampled_from([*_CONFIG_KEYS, "extra"]))] = value
    elif where == "state":
        doc["state"][draw(st.sampled_from(sorted(doc["state"])))] = value
    elif where == "nouts":
        doc["config"]["nouts"] = draw(st.lists(json_values | st.integers(-3, 10**7), max_size=4))
    else:
        section = draw(st.sampled_from(["top", "config"]))
        target = doc if section == "top" else doc["config"]
        target.pop(draw(st.sampled_from(sorted(target))))
    return doc


@settings(max_examples=300, deadline=None, derandomize=True)
@given(doc=damaged_documents())
def test_damaged_files_raise_value_error_or_load(doc):
    try:
        model = MLP.from_json(doc)
    except ValueError:
        return
    # what loads is a model whose parameters are exactly the file's finite numbers
    assert model.state_dict() == {k: float(v) for k, v in doc["state"].items()}
    assert all(math.isfinite(x) for x in model.state_dict().values())


# --- load_state_dict is linear ----------------------------------------------------------------


class _CountingName(str):
    """A parameter name that counts how often it is hashed (each set or dict lookup)."""

    hashes = 0

    def __hash__(self) -> int:
        _CountingName.hashes += 1
        return str.__hash__(self)


def test_load_state_dict_hashes_each_name_a_bounded_number_of_times(monkeypatch):
    model = MLP(2, [40, 40, 1], seed=0)  # 1,801 parameters
    named = [(_CountingName(n), p) for n, p in model.named_parameters()]
    monkeypatch.setattr(model, "named_parameters", lambda: named)
    state = {str(n): 0.5 for n, _ in named}
    _CountingName.hashes = 0
    model.load_state_dict(state)
    # linear: a few hashes per name; rebuilding a set of all names per key would be n²
    assert _CountingName.hashes <= 5 * len(named)
    assert all(p.data == 0.5 for p in model.parameters())


def test_a_large_model_round_trips(tmp_path):
    model = nn.MLP(2, [150, 150, 1], seed=3)  # 23,251 parameters
    path = model.save(tmp_path / "big.json")
    again = MLP.load(path)
    assert again.state_dict() == model.state_dict()


@pytest.mark.parametrize(
    "text",
    [
        "[" * 100_000,
        '{"format": "microgradx.history", "epochs": [], "info": [1]}',
        '{"format": "microgradx.history", "epochs": [' + "1" * 5000 + "]}",
        "\xff",
    ],
    ids=["deep", "info-list", "huge-int", "not-utf8"],
)
def test_malformed_history_files_are_value_errors(tmp_path, text):
    path = tmp_path / "history.json"
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(ValueError, match=r"history\.json"):
        nn.History.load(path)
