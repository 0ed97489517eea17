"""The backward stepper: frames, captions, the HTML page and the Jupyter views."""

from __future__ import annotations

import json
import math
import os
import re
import sys
from html import unescape
from importlib import resources
from pathlib import Path

import pytest

import microgradx
from microgradx import Value, backward_steps, save_steps, save_steps_html, stepper
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


def test_a_switched_off_input_is_captioned_with_the_exact_zero_it_receives():
    # relu below 0 passes exactly 0, even from an infinite upstream gradient (IEEE would
    # give inf · 0 = nan): the caption shows the 0 that is added, and the sum stays 0
    x = Value(-1.0, "x")
    r = x.relu()
    r.label = "r"
    f = r * Value(math.inf, "k")
    f.label = "f"
    frames = backward_steps(f)
    caption = frames[-1].caption
    assert "∂f/∂x = ∂f/∂r · ∂r/∂x = inf · 0 = 0" in caption and "nan" not in caption
    assert frames[-1].grads[x] == 0.0
    f.backward()
    assert x.grad == 0.0  # what backward gives, too


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


def test_unlabelled_nodes_get_readable_names_never_ids():
    w, x, y, z = Value(5.0, "w"), Value(3.0, "x"), Value(2.0, "y"), Value(4.0, "z")
    f = (w + x * y) * z  # only the leaves are labelled; f is named by this code
    frames = backward_steps(f)
    captions = "\n".join(frame.caption for frame in frames)
    assert not re.search(r"#\d", captions)
    assert frames[1].caption.startswith("step 1 of 3: backward through f = (w+x·y) × z")
    assert "∂f/∂x = ∂f/∂(x·y) · ∂(x·y)/∂x = 4 · 2 = 8" in frames[3].caption
    # the drawing shows the same names the captions use
    assert "x·y" in frames[3].source and "w+x·y" in frames[3].source
    assert not re.search(r">#\d", frames[3].source)


def page_data(page: str) -> dict:
    """The frames a stepper page carries as data."""
    found = re.search(r'<script id="frames" type="application/json">(.*?)</script>', page, re.S)
    return json.loads(found.group(1))


def test_html_page_has_one_drawing_and_frames_as_data(lecture, dot_program, tmp_path):
    f, _ = lecture()
    page = save_steps_html(f, tmp_path / "steps.html").read_text(encoding="utf-8")
    assert page.count("<svg") == 1 and "<?xml" not in page and "<!DOCTYPE svg" not in page
    data = page_data(page)
    frames = data["frames"]
    # forward first: the inputs, then one operation per frame, by hand at w=5, x=3, y=2, z=4
    assert [frame["c"] for frame in frames[:4]] == [
        "the inputs: w = 5, x = 3, y = 2, z = 4",
        "v = x × y = 3 × 2 = 6",
        "u = w + v = 5 + 6 = 11",
        "f = u × z = 11 × 4 = 44",
    ]
    assert [frame["p"] for frame in frames] == ["f"] * 4 + ["b"] * 4
    # then the backward frames, with backward_steps' captions
    assert [frame["c"] for frame in frames[4:]] == [
        frame.caption.split(": ", 1)[1] for frame in backward_steps(f)
    ]
    # per frame only what changes: the gradients the step set, the active node
    assert frames[4]["g"] == {"6": [1.0, "1"]} and "a" not in frames[4]
    assert frames[7]["g"] == {"1": [8.0, "8"], "2": [12.0, "12"]} and frames[7]["a"] == 3
    assert frames[7]["u"] == [1, 2] and frames[1]["a"] == 3 and "g" not in frames[1]
    # the ids are the drawing's node ids: v3 is x·y, drawn once, with its operands' edges
    assert "<title>v3</title>" in page and "<title>v1&#45;&gt;v3op</title>" in page
    assert data["nodes"][3]["n"] == "v" and data["nodes"][3]["k"] == [1, 2]
    # x's chain-rule term: user v, upstream ∂f/∂v = z = 4, local ∂v/∂x = y = 2, at frame 7
    assert data["nodes"][1]["t"] == [[3, 4.0, 2.0, "4", "2", 7]]
    for control in ("prev", "next", "play", "reset", "slider", "zoom"):
        assert f'data-do="{control}"' in page
    # the script and styles are the package's files, inlined whole
    static = resources.files("microgradx.viz").joinpath("static")
    for name in ("lesson.js", "lesson.css"):
        assert static.joinpath(name).read_text(encoding="utf-8").strip() in page
    # nothing fetched: no src or href attributes, no stylesheets; URLs only as XML namespaces
    assert not re.search(r"\bsrc\s*=|\bhref\s*=|<link|@import|url\(|fetch\(|XMLHttp", page, re.I)
    for match in re.finditer(r"https?://", page):
        before = page[max(0, match.start() - 20) : match.start()]
        assert "xmlns" in before, before


def test_page_numbers_at_the_last_frame_are_backwards(tmp_path):
    for name, build in GRAPHS.items():
        root = build(*leaves())
        data = page_data(save_steps(root, tmp_path / f"{name}.html").read_text(encoding="utf-8"))
        grads: dict[int, float] = {}
        for frame in data["frames"]:
            grads.update({int(i): g[0] for i, g in frame.get("g", {}).items()})
        root.backward()
        order = topological_order(root)
        assert {i: order[i].grad for i in range(len(order))} == grads, name
        assert [n["v"] for n in data["nodes"]] == [v.data for v in order]


def test_backward_only_page(lecture, no_dot, tmp_path):
    f, _ = lecture()
    frames = page_data(save_steps(f, tmp_path / "s.html", forward=False).read_text())["frames"]
    assert [frame["p"] for frame in frames] == ["b"] * 4


def test_page_grows_with_nodes_plus_frames(dot_program, tmp_path):
    def chain(n: int) -> Value:
        v = Value(0.5, "x")
        for _ in range(n):
            v = v * 1.01 + 0.1
        return v

    sizes = {}
    for n in (50, 100):
        page = save_steps(chain(n), tmp_path / f"chain{n}.html").read_text(encoding="utf-8")
        data = page_data(page)
        assert len(data["frames"]) == 2 * (1 + 2 * n)  # forward and backward
        assert max(len(frame.get("g", {})) for frame in data["frames"]) == 2  # never all
        sizes[n] = len(page)
    # twice the nodes and frames: about twice the page (one full SVG per frame gave 4x)
    assert sizes[100] < 2.3 * sizes[50]


def test_html_page_without_dot_has_a_gradient_table(lecture, no_dot, tmp_path):
    f, _ = lecture()
    page = save_steps_html(f, tmp_path / "steps.html").read_text(encoding="utf-8")
    assert page.count('<table class="grads">') == 1
    assert page.count('<td data-cell="grad">') == 7  # one cell per value, filled in by the script
    assert "apt-get install graphviz" in page
    assert "<svg" not in page
    assert len(page_data(page)["frames"]) == 8


def test_page_size_is_bounded(lecture, no_dot, tmp_path):
    f, _ = lecture()
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(ValueError, match=r"max_bytes.*smaller graph"):
        save_steps(f, out / "steps.html", max_bytes=1000)
    assert list(out.iterdir()) == []


def test_html_path_must_end_in_html(lecture, tmp_path):
    f, _ = lecture()
    with pytest.raises(ValueError, match=r"\.html"):
        save_steps_html(f, tmp_path / "steps.svg")
    with pytest.raises(ValueError, match=r"\.html \.htm \.pdf \.gif"):
        save_steps(f, tmp_path / "steps.png")
    assert list(tmp_path.iterdir()) == []


def test_pdf_has_one_page_per_frame(lecture, dot_program, tmp_path):
    import zlib

    from PIL import PdfParser

    f, _ = lecture()
    path = save_steps(f, tmp_path / "steps.pdf", dpi=60)
    assert path.read_bytes().startswith(b"%PDF")
    pdf = PdfParser.PdfParser(str(path))
    assert len(pdf.pages) == 8  # 4 forward frames, 4 backward
    images = []
    for ref in pdf.pages:
        page = pdf.read_indirect(ref)
        image = pdf.read_indirect(page[b"Resources"][b"XObject"][b"Im0"])
        width, height = image.dictionary[b"Width"], image.dictionary[b"Height"]
        pixels = zlib.decompress(image.buf[: image.dictionary[b"Length"]])
        assert len(pixels) == width * height * 3  # RGB, as declared
        assert page[b"MediaBox"][2:] == pytest.approx([width * 72 / 60, height * 72 / 60], 0.01)
        images.append(pixels)
    pdf.close()
    assert len(set(images)) == 8  # every frame shows something new


def test_gif_is_animated_with_the_delay(lecture, dot_program, tmp_path):
    from PIL import Image

    f, _ = lecture()
    path = save_steps(f, tmp_path / "steps.gif", delay=0.7, dpi=60)
    frames = []
    with Image.open(path) as gif:
        assert gif.format == "GIF" and gif.n_frames == 8 and gif.info["loop"] == 0
        for k in range(gif.n_frames):
            gif.seek(k)
            assert gif.info["duration"] == 700
            frames.append(gif.convert("RGB").tobytes())
    assert len(set(frames)) == 8
    backward_only = save_steps(f, tmp_path / "b.gif", forward=False, dpi=60)
    with Image.open(backward_only) as gif:
        assert gif.n_frames == 4


def test_images_beyond_the_frame_cap_are_refused_before_rendering(no_dot, tmp_path):
    v = Value(0.5, "x")
    for _ in range(200):  # 1 + 200 forward frames, 1 + 200 backward
        v = v * 1.01
    with pytest.raises(ValueError, match=r"402 frames.*limit is 300.*\.html"):
        save_steps(v, tmp_path / "s.gif", max_nodes=1000)
    assert list(tmp_path.iterdir()) == [tmp_path / "empty-path"]


def test_pdf_and_gif_without_pillow_say_what_to_install(
    lecture, monkeypatch, dot_program, tmp_path
):
    monkeypatch.setitem(sys.modules, "PIL", None)  # import fails
    f, _ = lecture()
    with pytest.raises(ImportError, match=re.escape('pip install "microgradx[slides]"')):
        save_steps(f, tmp_path / "steps.gif")
    assert list(tmp_path.iterdir()) == []


def test_stepper_shows_the_page_inline(lecture, no_dot):
    f, _ = lecture()
    page = stepper(f)
    assert len(page) == 8 and page.grads[-1][f.children[1]] == 11.0
    html = page._repr_html_()
    assert html.startswith("<iframe srcdoc=") and 'sandbox="allow-scripts"' in html
    # the whole page, escaped into the attribute: the frames travel with it
    assert unescape(html.split('srcdoc="', 1)[1].split('" style=')[0]) == page.html
    assert len(page_data(page.html)["frames"]) == 8


def test_failed_write_leaves_the_old_page(lecture, monkeypatch, no_dot, tmp_path):
    f, _ = lecture()
    path = tmp_path / "out" / "steps.html"
    path.parent.mkdir()
    path.write_text("old page", encoding="utf-8")

    def fail(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError):
        save_steps(f, path)
    assert path.read_text(encoding="utf-8") == "old page"
    assert [p.name for p in path.parent.iterdir()] == ["steps.html"]  # no temporary file left


def test_stepper_rejects_non_values():
    with pytest.raises(TypeError, match="Value"):
        backward_steps(math.pi)


@pytest.mark.parametrize("delay", [1e308, math.inf, math.nan, 0, -1, True, "1"])
def test_delay_must_be_finite_positive_and_sane(lecture, delay, tmp_path):
    f, _ = lecture()
    with pytest.raises(ValueError, match="delay"):
        save_steps(f, tmp_path / "steps.html", delay=delay)
    with pytest.raises(ValueError, match="delay"):
        stepper(f, delay=delay)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("height", [-1, 0, math.nan, math.inf, 1e9, "tall"])
def test_height_must_be_a_positive_number_of_pixels(lecture, height):
    f, _ = lecture()
    with pytest.raises(ValueError, match="height"):
        stepper(f, height=height)


def test_height_defaults_to_what_the_drawing_needs(lecture, no_dot):
    f, _ = lecture()
    assert stepper(f, height=300).height == 300
    small = stepper(f).height
    chain = Value(0.5, "x")
    for _ in range(12):
        chain = chain * 1.01
    assert 420 <= small < stepper(chain, rankdir="TB").height <= 900


def test_quiz_and_forward_must_be_booleans(lecture, tmp_path):
    f, _ = lecture()
    with pytest.raises(TypeError, match="quiz"):
        save_steps(f, tmp_path / "s.html", quiz="yes")
    with pytest.raises(TypeError, match="forward"):
        stepper(f, forward=1)


REFUSAL = """
import sys, tracemalloc
from microgradx import Value, save_steps, backward_steps, stepper
v = Value(0.5, "x")
for _ in range(10_000):
    v = v * 1.0001
tracemalloc.start()
for make in (lambda: save_steps(v, sys.argv[1]), lambda: backward_steps(v),
             lambda: stepper(v), lambda: save_steps(v, sys.argv[1], max_nodes=10**9)):
    try:
        make()
    except ValueError as exc:
        print(exc)
    else:
        print("built")
print("peak", tracemalloc.get_traced_memory()[1])
"""


def test_big_graphs_are_refused_before_any_large_allocation(tmp_path):
    import subprocess

    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    done = subprocess.run(
        [sys.executable, "-c", REFUSAL, str(tmp_path / "steps.html")],
        capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 5 and "built" not in lines
    for message in lines[:4]:
        assert "collapse=True" in message and "smaller graph" in message
    assert "at most 5000" in lines[3]  # a huge max_nodes does not lift the bound
    # counting stops at the bound: far less than one frame per value would take
    assert int(lines[4].split()[1]) < 2_000_000
    assert not (tmp_path / "steps.html").exists()


def test_backward_steps_bounds_frames_times_values(no_dot):
    v = Value(0.5, "x")
    for _ in range(800):  # 1601 values, 801 frames: 1.28 million value boxes
        v = v * 1.0001
    with pytest.raises(ValueError, match=r"801 frames of 1601 values.*save_steps"):
        backward_steps(v, max_nodes=5000)


STREAM = """
import io, resource, sys
from pathlib import Path
from PIL import Image
from microgradx.viz.export import write_gif, write_pdf

frames = []
for k in range(80):  # 80 frames of 1200 x 900: 260 MB if they were all decoded at once
    im = Image.new("RGB", (1200, 900), "white")
    im.paste((k * 3 % 256, 40, 200), (k * 10, 100, k * 10 + 200, 400))
    buffer = io.BytesIO()
    im.save(buffer, format="PNG")
    frames.append(buffer.getvalue())
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
(write_gif if sys.argv[2] == "gif" else write_pdf)(*(
    (Path(sys.argv[1]), frames, 100) if sys.argv[2] == "gif" else (Path(sys.argv[1]), frames, 72)))
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)
"""


@pytest.mark.parametrize("fmt", ["gif", "pdf"])
def test_exports_hold_one_decoded_frame_at_a_time(fmt, tmp_path):
    import subprocess

    from PIL import Image

    path = tmp_path / f"steps.{fmt}"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    done = subprocess.run([sys.executable, "-c", STREAM, str(path), fmt],
                          capture_output=True, text=True, timeout=300, env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) < 60  # MB above the frames' PNG bytes: a few frames, not 80
    if fmt == "gif":
        with Image.open(path) as gif:
            assert gif.n_frames == 80 and gif.size == (1200, 900)
            gif.seek(79)
            assert gif.convert("RGB").getpixel((79 * 10 + 5, 200)) == (79 * 3 % 256, 40, 200)


def test_pages_save_html_only_and_show_as_an_iframe(tmp_path, lecture):
    import numpy as np

    from microgradx import stepper
    from microgradx.nn import MLP, fit

    f, _ = lecture()
    page = stepper(f)
    X, y = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]), np.array([0, 1, 1])
    history = fit(MLP(2, [3, 1], seed=0), X, y, epochs=2, record_every=1, progress=False)
    replay = history.replay(X, y)
    for what, p in (("stepper", page), ("replay", replay)):
        with pytest.raises(ValueError, match=f"the {what} is an HTML page"):
            p.save(tmp_path / f"{what}.txt")
        assert not (tmp_path / f"{what}.txt").exists()
        assert p.save(tmp_path / f"{what}.html").read_text(encoding="utf-8") == p.html
        assert (
            p._repr_html_().startswith("<iframe srcdoc=")
            and 'sandbox="allow-scripts"' in p._repr_html_()
        )


def test_small_refusals_say_what_is_wrong(tmp_path, lecture):
    import micrograd.engine

    from microgradx import draw, save_steps, stepper
    from microgradx.ops import Op

    f, _ = lecture()
    with pytest.raises(ValueError, match=r"quiz=True needs an \.html page"):
        save_steps(f, tmp_path / "q.gif", quiz=True)
    assert not (tmp_path / "q.gif").exists()
    with pytest.raises(ValueError, match=r"would be [\d,]+ bytes, more than max_bytes=10;"):
        save_steps(f, tmp_path / "q.html", max_bytes=10)
    peer = micrograd.engine.Value(1.0)
    for call in (draw, stepper):
        with pytest.raises(
            TypeError, match=r"micrograd\.engine\.Value \(not a microgradx Value\)"
        ):
            call(peer)
    with pytest.raises(ValueError, match="'linear' is the activation that applies no op"):
        Op("linear", "lin", 1, f=lambda a: a, df=lambda out, a: (1.0,), activation=True)


def test_render_to_a_file_does_not_keep_the_folder_of_an_earlier_call(
    tmp_path, monkeypatch, dot_program, lecture
):
    monkeypatch.chdir(tmp_path)
    f, _ = lecture()
    drawing = f.draw()
    first = drawing.render("g", directory="sub/deeper")
    second = drawing.render("h")
    assert Path(first).as_posix() == "sub/deeper/g.svg" and second == "h.svg"
    assert (tmp_path / "h.svg").exists() and (tmp_path / "sub" / "deeper" / "g.svg").exists()
