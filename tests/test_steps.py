"""The backward stepper: frames, captions, the HTML page and the Jupyter views."""

from __future__ import annotations

import math
import re
import sys

import pytest

import microgradx
from microgradx import Value, backward_steps, save_steps_html, stepper
from microgradx.graph import topological_order


def by_label(frame) -> dict[str, float]:
    return {v.label: g for v, g in frame.grads.items() if v.label}


def test_lecture_frames_apply_one_rule_each(lecture):
    f, _ = lecture()
    frames = backward_steps(f)
    assert len(frames) == 1 + 3  # the start, then the three operations
    # hand-derived: f = u·z, u = w + v, v = x·y at w=5, x=3, y=2, z=4
    assert by_label(frames[0]) == {"f": 1.0}
    assert by_label(frames[1]) == {"f": 1.0, "u": 4.0, "z": 11.0}
    assert by_label(frames[2]) == {"f": 1.0, "u": 4.0, "z": 11.0, "w": 4.0, "v": 4.0}
    assert by_label(frames[3]) == {"f": 1.0, "u": 4.0, "z": 11.0, "w": 4.0, "v": 4.0,
                                   "x": 8.0, "y": 12.0}  # fmt: skip
    assert "∂f/∂x = ∂f/∂v · ∂v/∂x = 4 · 2 = 8" in frames[3].caption
    assert "∂f/∂y = ∂f/∂v · ∂v/∂y = 4 · 3 = 12" in frames[3].caption
    assert frames[1].caption.startswith("step 1 of 3: backward through f = u × z")


def test_frames_show_gradients_received_so_far(lecture):
    f, _ = lecture()
    frames = backward_steps(f)
    first, last = frames[0].source, frames[-1].source
    assert "grad ?" in first and "grad 1<" in first
    assert "grad ?" not in last
    for grad in ("grad 4<", "grad 8<", "grad 12<", "grad 11<"):
        assert grad in last
    # the node just processed is outlined in red, its operands in orange
    step3 = frames[3].source
    v_line = next(line for line in step3.splitlines() if "<b>v</b>" in line)
    x_line = next(line for line in step3.splitlines() if "<b>x</b>" in line)
    assert "#dc2626" in v_line and "#ea580c" in x_line


def leaves():
    return Value(0.7, "a"), Value(-1.3, "b"), Value(2.0, "c")


# Graphs with reuse, constants, unary ops, pow and n-ary sums; fresh leaves for each test.
GRAPHS = {
    "reuse": lambda a, b, c: (a * b + a).tanh() * a,
    "square": lambda a, b, c: a * a,
    "mixed": lambda a, b, c: (a.exp() + b.sigmoid() - c.log()) / (b**2 + 1.0),
    "sum": lambda a, b, c: microgradx.sum([a.relu(), b.max(c), abs(b), a.leaky_relu(0.1)]) ** c,
}


@pytest.mark.parametrize("name", list(GRAPHS))
def test_final_frame_equals_backward_and_changes_no_grad(name):
    root = GRAPHS[name](*leaves())
    frames = backward_steps(root)
    assert all(v.grad == 0.0 for v in topological_order(root))  # nothing changed
    root.backward()
    final = frames[-1].grads
    for v in topological_order(root):
        assert final[v] == v.grad, (name, v)
    assert len(frames) == 1 + sum(1 for v in topological_order(root) if v.children)


def test_reused_value_caption_shows_the_sum():
    x = Value(3.0, "x")
    y = Value(2.0, "y")
    u = x * y
    u.label = "u"
    f = u + x  # x reaches f directly and through u
    f.label = "f"
    frames = backward_steps(f)
    caption = frames[-1].caption
    assert "∂f/∂x += ∂f/∂u · ∂u/∂x = 1 · 2 = 2; sum 1 + 2 = 3" in caption
    assert frames[-1].grads[x] == 1.0 + y.data


def test_unlabelled_nodes_are_named_by_position():
    a = Value(2.0, "a")
    out = (a * 3.0).exp()
    frames = backward_steps(out)
    names = re.findall(r"#\d+", frames[1].caption)
    assert names  # the unlabelled output and product are #k
    assert all(name in frames[1].source for name in names)


def test_html_page_holds_every_frame_and_nothing_external(lecture, dot_program, tmp_path):
    f, _ = lecture()
    path = save_steps_html(f, tmp_path / "steps.html")
    page = path.read_text(encoding="utf-8")
    frames = backward_steps(f)
    assert page.count('<section class="frame"') == len(frames)
    assert page.count("<svg") == len(frames)
    assert "<?xml" not in page and "<!DOCTYPE svg" not in page
    for caption in (frame.caption for frame in frames):
        assert caption.splitlines()[0] in page
    assert 'id="prev"' in page and 'id="next"' in page and "ArrowRight" in page
    # nothing fetched: no src or href attributes, no stylesheets; URLs only as XML namespaces
    assert not re.search(r"\bsrc\s*=|<link|@import|url\(", page, re.I)
    for match in re.finditer(r"https?://", page):
        before = page[max(0, match.start() - 20) : match.start()]
        assert "xmlns" in before, before


def test_html_page_without_dot_has_gradient_tables(lecture, no_dot, tmp_path):
    f, _ = lecture()
    page = save_steps_html(f, tmp_path / "steps.html").read_text(encoding="utf-8")
    assert page.count('<table class="grads">') == 4
    assert "apt-get install graphviz" in page
    assert "<svg" not in page


def test_html_path_must_end_in_html(lecture, tmp_path):
    f, _ = lecture()
    with pytest.raises(ValueError, match=r"\.html"):
        save_steps_html(f, tmp_path / "steps.svg")
    assert list(tmp_path.iterdir()) == []


def test_stepper_slider_moves_through_frames(lecture, no_dot):
    f, _ = lecture()
    box = stepper(f)
    header, view = box.children
    slider = header.children[2]
    assert (slider.min, slider.max) == (0, 3)
    assert "step 0 of 3" in view.value
    slider.value = 3
    assert "step 3 of 3" in view.value and "4 · 2 = 8" in view.value
    header.children[0].click()  # Previous
    assert slider.value == 2 and "step 2 of 3" in view.value


def test_stepper_without_ipywidgets_shows_frames_in_turn(lecture, monkeypatch, no_dot):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # import fails
    f, _ = lecture()
    frames = stepper(f)
    assert len(frames) == 4
    bundle = frames._repr_mimebundle_()
    assert [line for line in bundle["text/plain"].splitlines() if line.startswith("step ")] == [
        frame.caption.splitlines()[0] for frame in frames
    ]
    assert 'pip install "microgradx[widgets]"' in bundle["text/plain"]
    assert bundle["text/html"].count('class="caption"') == 4


def test_stepper_rejects_non_values():
    with pytest.raises(TypeError, match="Value"):
        backward_steps(math.pi)
