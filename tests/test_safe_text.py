"""User text is data: hostile labels and scope names through DOT, SVG, the page and the CLI.

A label is drawn as the characters it holds, never as markup, a link or code: it must
not become an HTML-like DOT label, a ``URL``/``href`` attribute, a DOT escape sequence,
or text that ends or opens an element of the stepper page.
"""

from __future__ import annotations

import json
import re
import warnings
import xml.etree.ElementTree as ET

import pytest
from hostile_text import HOSTILE, SHOWN, hostile_graph

import microgradx
from microgradx import draw, save_steps
from microgradx.cli import main
from microgradx.viz.names import printable


def test_printable_keeps_text_and_shows_control_characters():
    assert printable("x·y ∂f") == "x·y ∂f"
    assert printable("a\nb\tc\x7f") == "a␊b␉c␡"
    assert printable("a\ud800b") == "a\ufffdb"
    assert printable("a\ud800b").encode("utf-8")  # every name can be written to a file


def test_dot_text_of_hostile_labels_is_plain(dot_program):
    f = hostile_graph()
    f.backward()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the graphviz package warns on a broken quoted string
        source = draw(f, clusters=True, show_local_grads=True).source
    # no attribute is made from user text: no URL, href, target; no raw HTML-like value
    assert not re.search(r'\b(URL|href|target)\s*=\s*"?javascript', source, re.I)
    assert not re.search(r"(tooltip|label)=<b>", source)
    for drawing in (draw(f, clusters=True, show_local_grads=True), draw(f, collapse=True)):
        svg = drawing.svg()
        root = ET.fromstring(svg)  # well-formed XML
        assert "href" not in svg and "javascript:" not in "".join(
            v for e in root.iter() for v in e.attrib.values() if "href" in v.lower()
        )
        links = [e for e in root.iter() if e.tag.endswith("}a")]
        assert all(not any(k.endswith("href") for k in e.attrib) for e in links)
    texts = list(ET.fromstring(draw(f).svg()).itertext())
    for shown in SHOWN:
        assert shown in texts, shown
    assert "f\\" in texts  # a trailing backslash is a backslash, not an escape
    scoped = "".join(ET.fromstring(draw(f, clusters=True).svg()).itertext())
    assert HOSTILE[0] in scoped  # the scope's frame title, as text


def test_page_of_hostile_labels_keeps_its_script_whole(dot_program, tmp_path):
    page = save_steps(hostile_graph(), tmp_path / "steps.html").read_text(encoding="utf-8")
    # the page's own elements only: every user "<" reaches it escaped
    assert page.count("<script") == len(re.findall(r"<script[ >]", page))
    scripts = re.findall(r"<script\b[^>]*>(.*?)</script>", page, re.S)
    for body in scripts:
        assert "<!--" not in body and "<script" not in body.lower()
    data = next(json.loads(b) for b in scripts if b.lstrip().startswith("{"))
    text = json.dumps(data, ensure_ascii=False)
    for shown in SHOWN:
        assert json.dumps(shown, ensure_ascii=False)[1:-1] in text
    assert not re.search(r"\b(href|src)\s*=", page, re.I)
    for found in re.finditer("window.pwned", page):  # only ever after an escaped "<script>"
        before = page[max(0, found.start() - 6) : found.start()]
        assert before.endswith(("&gt;", "\\u003e")), before


def test_cli_refuses_hostile_expressions_in_one_line(tmp_path, capsys):
    steps = tmp_path / "steps.html"
    for expression in HOSTILE[:3]:
        assert main(["graph", expression, "--steps", str(steps)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err
    assert not steps.exists()


@pytest.mark.parametrize("label", ["", "x"])
def test_ordinary_labels_are_unchanged(label):
    assert microgradx.viz.names.printable(label) == label
