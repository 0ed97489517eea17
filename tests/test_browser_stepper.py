"""The lesson page in a real browser: headless Chromium driven by Selenium.

Forward and backward frames, click-to-explain, the quiz, the controls, the JavaScript
handle ``window.microgradx.pages``, hostile labels, no network. Screenshots are saved to
``build/screenshots/``.

Skipped only when Chromium or its driver is missing and ``CI`` is not set; under
``CI=true`` a missing browser is a failure (``make test`` installs Debian's
``chromium`` and ``chromium-driver`` when it runs as root).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hostile_text import SHOWN, hostile_graph

from microgradx import Value, save_steps

SCREENSHOTS = Path(__file__).resolve().parent.parent / "build" / "screenshots"

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
DRIVER_PATHS = ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver")


def _missing(what: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{what} is missing in CI: apt-get install chromium chromium-driver")
    pytest.skip(f"{what} is not installed (apt-get install chromium chromium-driver)")


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium with its console log kept, 1400×900 like a lecture screen."""
    binary = next(filter(None, map(shutil.which, CHROMIUM_NAMES)), None)
    driver_path = shutil.which("chromedriver") or next(
        (p for p in DRIVER_PATHS if os.path.exists(p)), None
    )
    if binary is None:
        _missing("Chromium")
    if driver_path is None:
        _missing("chromedriver")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _missing("selenium (pip install -e '.[dev]')")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,900",
                "--disable-dev-shm-usage"):  # fmt: skip
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def readme_example() -> tuple[Value, dict[str, Value]]:
    """The README's example: only the leaves are labelled."""
    w, x, y, z = Value(5.0, "w"), Value(3.0, "x"), Value(2.0, "y"), Value(4.0, "z")
    f = (w + x * y) * z
    return f, {"w": w, "x": x, "y": y, "z": z, "f": f}


def open_page(driver, path) -> None:
    driver.get_log("browser")  # forget what earlier pages logged
    driver.get(path.resolve().as_uri())


def console_errors(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def screenshot(driver, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"lesson-{name}.png"
    driver.save_screenshot(str(path))
    return path


def handle(driver, call: str):
    """Call the page's JavaScript handle: ``handle(d, "state()")``."""
    return driver.execute_script(f"return window.microgradx.pages[0].{call};")


def svg_cells(driver) -> dict[str, tuple[str, str]]:
    """Each drawn value's name -> (data text, grad text), read from the drawing."""
    return {
        name: tuple(cells)
        for name, cells in driver.execute_script(
            """
            var out = {};
            document.querySelectorAll(".mgx-graph g.node").forEach(function (g) {
              var t = Array.from(g.querySelectorAll("text")).map(function (e) {
                return e.textContent; });
              var d = t.find(function (s) { return s.indexOf("data ") === 0; });
              var r = t.find(function (s) { return s.indexOf("grad ") === 0; });
              if (d !== undefined) out[t[0]] = [d.slice(5), r.slice(5)];
            });
            return out;
            """
        ).items()
    }


def click(driver, selector: str) -> None:
    from selenium.webdriver.common.by import By

    driver.find_element(By.CSS_SELECTOR, selector).click()


def node_selector(driver, name: str) -> str:
    """The element id of the drawn box of the value called ``name``."""
    return driver.execute_script(
        """
        var name = arguments[0], found = null;
        var nodes = JSON.parse(document.getElementById("frames").textContent).nodes;
        var id = "v" + nodes.findIndex(function (e) { return e.n === name; });
        document.querySelectorAll(".mgx-graph g.node").forEach(function (g) {
          if (g.querySelector("title").textContent === id) found = g.id;
        });
        return found;
        """,
        name,
    )


def test_forward_then_backward_on_the_lecture_graph(browser, dot_program, tmp_path):
    from selenium.webdriver.common.by import By

    f, leaves = readme_example()
    open_page(browser, save_steps(f, tmp_path / "steps.html"))
    assert handle(browser, "frames") == 8
    start = handle(browser, "state()")
    assert start == {"phase": "forward", "index": 0, "grads": {},
                     "values": {"w": 5, "x": 3, "y": 2, "z": 4}}  # fmt: skip
    assert svg_cells(browser)["f"] == ("?", "?") and svg_cells(browser)["x"] == ("3", "?")
    caption = browser.find_element(By.CSS_SELECTOR, ".mgx-caption")
    for k, shown in enumerate(["x·y = x × y = 3 × 2 = 6", "w+x·y = w + (x·y) = 5 + 6 = 11",
                               "f = (w+x·y) × z = 11 × 4 = 44"], 1):  # fmt: skip
        click(browser, '[data-do="next"]')
        assert caption.text == shown
        assert handle(browser, "state()")["index"] == k
    screenshot(browser, "forward-done")
    assert handle(browser, "state()")["values"]["f"] == 44 and svg_cells(browser)["f"][0] == "44"
    click(browser, '[data-do="next"]')
    assert handle(browser, "state()")["grads"] == {"f": 1}
    assert browser.find_element(By.CSS_SELECTOR, ".mgx-counter").text == (
        "backward pass: step 0 of 3"
    )
    for _ in range(3):
        click(browser, '[data-do="next"]')
    last = handle(browser, "state()")
    assert last["phase"] == "backward" and last["index"] == 7
    assert browser.find_element(By.CSS_SELECTOR, '[data-do="next"]').get_attribute("disabled")
    f.backward()
    for name, leaf in leaves.items():
        assert last["grads"][name] == leaf.grad and last["values"][name] == leaf.data, name
    assert [last["grads"][k] for k in "wxyz"] == [4, 8, 12, 11]  # by hand: z, y·z, x·z, w+x·y
    assert svg_cells(browser)["x"] == ("3", "8")
    assert "∂f/∂x = ∂f/∂(x·y) · ∂(x·y)/∂x = 4 · 2 = 8" in caption.text
    assert browser.find_elements(By.CSS_SELECTOR, "g.edge.active")  # the step's edges in red
    screenshot(browser, "backward-done")
    # the keys step back and forth; the drawing fits the window
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys("\ue012")  # left arrow
    assert handle(browser, "state()")["index"] == 6 and svg_cells(browser)["x"][1] == "?"
    body.send_keys("\ue014")  # right arrow
    assert handle(browser, "state()")["index"] == 7
    size = browser.execute_script(
        "var r = document.querySelector('.mgx-graph svg').getBoundingClientRect();"
        "return [r.right, r.bottom, window.innerWidth, window.innerHeight];"
    )
    assert size[0] <= size[2] and size[1] <= size[3]
    # the caption reads from the back of a room: at least 20 px, in no clipped box
    font = browser.execute_script(
        "var c = document.querySelector('.mgx-caption');"
        "return [parseFloat(getComputedStyle(c).fontSize), c.scrollWidth, c.clientWidth];"
    )
    assert font[0] >= 20 and font[1] <= font[2]
    # the slider and reset
    browser.execute_script(
        "var s = document.querySelector('[data-do=slider]'); s.value = 2;"
        "s.dispatchEvent(new Event('input'));"
    )
    assert handle(browser, "state()")["index"] == 2
    click(browser, '[data-do="reset"]')
    assert handle(browser, "state()")["index"] == 0
    assert console_errors(browser) == []


def test_click_x_explains_its_chain_rule_terms(browser, dot_program, tmp_path):
    from selenium.webdriver.common.by import By

    f, _ = readme_example()
    open_page(browser, save_steps(f, tmp_path / "steps.html"))
    handle(browser, "go(7)")
    click(browser, "#" + node_selector(browser, "x"))
    panel = browser.find_element(By.CSS_SELECTOR, ".mgx-explain").text
    assert "value: 3" in panel
    assert "∂f/∂x = ∂f/∂(x·y) · ∂(x·y)/∂x = 4 · 2 = 8" in panel
    screenshot(browser, "explain-x")
    # the handle says the same: one user, x·y, upstream ∂f/∂(x·y) = z = 4, local y = 2
    assert handle(browser, "explain('x')") == {
        "value": 3, "grad": 8, "terms": [{"user": "x·y", "upstream": 4, "local": 2}]}  # fmt: skip
    # before its gradient is known the panel says so, and lists no terms
    handle(browser, "go(5)")
    assert handle(browser, "explain('x')") == {"value": 3, "grad": None, "terms": []}
    assert "not known yet" in browser.find_element(By.CSS_SELECTOR, ".mgx-explain").text
    # an operation: its op row and local derivatives
    handle(browser, "go(7)")
    click(browser, "#" + node_selector(browser, "x·y"))
    panel = browser.find_element(By.CSS_SELECTOR, ".mgx-explain").text
    assert "∂(a·b)/∂a = b" in panel and "∂(x·y)/∂y = 3" in panel
    # an edge: its local derivative
    edge = browser.execute_script(
        "var found = null; document.querySelectorAll('.mgx-graph g.edge').forEach(function (g)"
        " { if (g.querySelector('title').textContent === 'v2->v3op') found = g.id; });"
        "return found;"
    )
    browser.execute_script(f"document.getElementById('{edge}').dispatchEvent("
                           "new MouseEvent('click', {bubbles: true}));")  # fmt: skip
    panel = browser.find_element(By.CSS_SELECTOR, ".mgx-explain").text
    assert "local derivative ∂(x·y)/∂y = 3" in panel
    # the keyboard reaches a node too: focus and Enter
    browser.execute_script(f"document.getElementById('{node_selector(browser, 'z')}').focus();")
    browser.switch_to.active_element.send_keys("\ue007")  # Enter
    assert browser.find_element(By.CSS_SELECTOR, ".mgx-explain h2").text == "z"
    assert console_errors(browser) == []


def test_quiz_wrong_then_right(browser, dot_program, tmp_path):
    from selenium.webdriver.common.by import By

    f, _ = readme_example()
    open_page(browser, save_steps(f, tmp_path / "quiz.html", quiz=True))
    for _ in range(5):  # through the forward pass and the start of the backward one
        click(browser, '[data-do="next"]')
    quiz = browser.find_element(By.CSS_SELECTOR, ".mgx-quiz")
    assert quiz.is_displayed() and "Predict ∂f/∂(w+x·y)" in quiz.text
    caption = browser.find_element(By.CSS_SELECTOR, ".mgx-caption").text
    assert "∂f/∂(w+x·y) = ?" in caption and "= 11" not in caption  # no answer given away
    assert handle(browser, "state()")["grads"] == {"f": 1}  # asked, not revealed
    box = quiz.find_element(By.TAG_NAME, "input")
    box.send_keys("3\ue007")  # wrong, Enter
    text = quiz.text
    assert "Not quite" in text and "∂f/∂(w+x·y) = 4" in text
    assert "∂f/∂(w+x·y) = ∂f/∂f · ∂f/∂(w+x·y) = 1 · 4" in text  # the chain-rule sum
    assert browser.find_element(By.CSS_SELECTOR, ".mgx-score").text == "0 of 1 right"
    assert handle(browser, "state()")["index"] == 5  # it waits for the student
    screenshot(browser, "quiz-wrong")
    box = quiz.find_element(By.TAG_NAME, "input")  # the next question: ∂f/∂z
    box.send_keys("11.004\ue007")  # within 1e-3 relative of 11
    assert "Right" in quiz.text
    assert browser.find_element(By.CSS_SELECTOR, ".mgx-score").text == "1 of 2 right"
    assert handle(browser, "state()")["grads"] == {"f": 1, "w+x·y": 4, "z": 11}
    # the handle answers too, with the same tolerance
    click(browser, '[data-do="next"]')
    assert handle(browser, "answer('w', 4.0000001)") == {"correct": True, "expected": 4}
    assert handle(browser, "answer('x·y', 5)") == {"correct": False, "expected": 4}
    assert handle(browser, "score()") == {"right": 2, "answered": 4}
    screenshot(browser, "quiz-score")
    assert console_errors(browser) == []


def test_hostile_labels_stay_text_and_run_nothing(browser, dot_program, tmp_path):
    open_page(browser, save_steps(hostile_graph(), tmp_path / "hostile.html", quiz=True))
    assert browser.execute_script("return window.pwned === undefined;")
    frames = handle(browser, "frames")
    handle(browser, f"go({frames - 1})")
    texts = browser.execute_script(
        "return Array.from(document.querySelectorAll('.mgx-graph text'))"
        ".map(function (t) { return t.textContent; });"
    )
    for shown in SHOWN:
        assert shown in texts, shown
    assert set(SHOWN) <= set(handle(browser, "state()")["values"])
    # the quiz asks for the last two gradients by name, as text
    quiz = browser.execute_script("return document.querySelector('.mgx-quiz').textContent;")
    assert f"Predict ∂(f\\)/∂{SHOWN[0]}" in quiz or f"Predict ∂f\\/∂{SHOWN[0]}" in quiz, quiz
    assert not browser.execute_script("return document.querySelectorAll('a[href], [src]').length;")
    screenshot(browser, "hostile")
    assert browser.execute_script("return window.pwned === undefined;")
    assert console_errors(browser) == []


def test_no_network_request(browser, dot_program, tmp_path):
    f, _ = readme_example()
    open_page(browser, save_steps(f, tmp_path / "steps.html", quiz=True))
    for k in range(8):
        handle(browser, f"go({k})")
        handle(browser, "explain('x')")
    resources = browser.execute_script(
        "return performance.getEntriesByType('resource').map(function (e) { return e.name; });"
    )
    assert resources == []


def test_play_runs_to_the_end_and_stops(browser, dot_program, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    f, _ = readme_example()
    open_page(browser, save_steps(f, tmp_path / "steps.html", delay=0.05))
    play = browser.find_element(By.CSS_SELECTOR, '[data-do="play"]')
    play.click()
    WebDriverWait(browser, 30).until(lambda d: handle(d, "state()")["index"] == 7)
    assert play.text == "Play"
    assert console_errors(browser) == []


def test_play_pauses_at_a_question_until_it_is_answered(browser, dot_program, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    f, _ = readme_example()
    open_page(browser, save_steps(f, tmp_path / "quiz.html", quiz=True, delay=0.05))
    play = browser.find_element(By.CSS_SELECTOR, '[data-do="play"]')
    play.click()
    # the first backward frame asks for ∂f/∂(w+x·y): play stops there, not at the end
    WebDriverWait(browser, 30).until(lambda d: play.text == "Play")
    assert handle(browser, "state()")["index"] == 5
    quiz = browser.find_element(By.CSS_SELECTOR, ".mgx-quiz")
    assert quiz.is_displayed() and "Predict ∂f/∂(w+x·y)" in quiz.text
    assert console_errors(browser) == []


def test_page_without_graphviz_fills_its_table(browser, no_dot, tmp_path):
    from selenium.webdriver.common.by import By

    f, leaves = readme_example()
    open_page(browser, save_steps(f, tmp_path / "steps.html"))
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys("\ue010")  # End: the last frame
    assert handle(browser, "state()")["index"] == 7
    cells = browser.execute_script(
        "var out = {}; document.querySelectorAll('tr[data-node]').forEach(function (r) {"
        "out[r.cells[0].textContent] = r.cells[3].textContent; }); return out;"
    )
    f.backward()
    assert {k: float(cells[k]) for k in leaves} == {k: v.grad for k, v in leaves.items()}
    assert console_errors(browser) == []


def test_big_graph_opens_zoomed_on_the_step(browser, dot_program, tmp_path):
    from selenium.webdriver.common.by import By

    v = Value(0.5, "x")
    for _ in range(30):  # 91 values: the page follows the current step
        v = (v * 1.01).tanh()
    open_page(browser, save_steps(v, tmp_path / "steps.html"))
    handle(browser, "go(62)")  # the first backward step: the output's rule

    def view() -> list[float]:
        script = "return document.querySelector('.mgx-graph svg').getAttribute('viewBox');"
        return [float(n) for n in browser.execute_script(script).split()]

    def active_inside(box: list[float]) -> bool:
        centre = browser.execute_script(
            "var g = document.querySelectorAll('.mgx-graph g.node');"
            "var s = document.querySelector('.mgx-graph svg');"
            "for (var i = 0; i < g.length; i++) {"
            "  if (g[i].querySelector('title').textContent === arguments[0]) {"
            "    var b = g[i].getBBox();"
            "    var m = s.getScreenCTM().inverse().multiply(g[i].getScreenCTM());"
            "    var p = s.createSVGPoint(); p.x = b.x + b.width / 2; p.y = b.y + b.height / 2;"
            "    p = p.matrixTransform(m); return [p.x, p.y]; } }",
            "v90",  # the output, whose rule this step applies
        )
        x, y, w, h = box
        return x <= centre[0] <= x + w and y <= centre[1] <= y + h

    assert handle(browser, "state()")["phase"] == "backward"
    zoomed = view()
    assert active_inside(zoomed)
    zoom = browser.find_element(By.CSS_SELECTOR, '[data-do="zoom"]')
    assert zoom.text == "Whole graph"
    zoom.click()
    assert view()[2] > 3 * zoomed[2]  # the whole chain is much wider than the zoomed view
    assert zoom.text == "Zoom on step"
    assert console_errors(browser) == []


def test_jupyter_view_steps_inside_its_frame(browser, dot_program, tmp_path):
    from selenium.webdriver.common.by import By

    from microgradx import stepper

    f, _ = readme_example()
    cell = tmp_path / "cell.html"  # what a notebook shows for stepper(f)
    cell.write_text(f"<html><body>{stepper(f)._repr_html_()}</body></html>", encoding="utf-8")
    open_page(browser, cell)
    browser.switch_to.frame(browser.find_element(By.TAG_NAME, "iframe"))
    try:
        for _ in range(7):
            click(browser, '[data-do="next"]')
        assert handle(browser, "state()")["grads"]["y"] == 12
        assert svg_cells(browser)["y"] == ("2", "12")
    finally:
        browser.switch_to.default_content()
    assert console_errors(browser) == []


def test_replay_slider_moves_the_boundary(browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    from microgradx import nn

    X, y = nn.make_moons(100, seed=0)
    model = nn.MLP(2, [16, 16, 1], seed=0)
    history = nn.fit(model, X, y, epochs=60, batch_size=10, record_every=2,
                     progress=False, backend="tape")  # fmt: skip
    open_page(browser, history.replay(X, y, sample=3).save(tmp_path / "replay.html"))
    assert handle(browser, "frames") == 31  # epoch 1, then every second epoch
    picture = "return document.querySelector('.mgx-boundary').toDataURL();"
    first = browser.execute_script(picture)
    assert handle(browser, "state()")["epoch"] == 1
    slider = browser.find_element(By.CSS_SELECTOR, '[data-do="slider"]')
    slider.send_keys(Keys.END)  # drag to the last snapshot
    last = handle(browser, "state()")
    assert last["epoch"] == 60 and last["loss"] == pytest.approx(history.loss[-1], rel=1e-3)
    assert browser.execute_script(picture) != first  # the boundary changed
    click(browser, '[data-do="view"]')  # edges by gradient
    titles = browser.execute_script(
        "return Array.from(document.querySelectorAll('.mgx-net line title'))"
        ".map(function (t) { return t.textContent; });"
    )
    assert len(titles) == 2 * 16 + 16 * 16 + 16 and all("∂L/∂w = " in t for t in titles)
    screenshot(browser, "replay")
    assert browser.execute_script("return performance.getEntriesByType('resource').length;") == 0
    assert console_errors(browser) == []


def test_replay_plays_to_the_end_and_takes_the_lesson_keys(browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from microgradx import nn

    X, y = nn.make_moons(40, seed=0)
    model = nn.MLP(2, [4, 1], seed=0)
    history = nn.fit(model, X, y, epochs=10, record_every=1, progress=False)
    open_page(browser, history.replay(X, y, delay=0.05).save(tmp_path / "replay.html"))
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys("\ue010")  # End
    assert handle(browser, "state()")["epoch"] == 10
    body.send_keys("\ue011")  # Home
    assert handle(browser, "state()")["epoch"] == 1
    body.send_keys("\ue014")  # right arrow
    assert handle(browser, "state()")["epoch"] == 2
    play = browser.find_element(By.CSS_SELECTOR, '[data-do="play"]')
    play.click()
    WebDriverWait(browser, 30).until(lambda d: handle(d, "state()")["epoch"] == 10)
    WebDriverWait(browser, 5).until(lambda d: play.text == "Play")  # stopped at the end
    slider = browser.find_element(By.CSS_SELECTOR, '[data-do="slider"]')
    assert slider.get_attribute("max") == "9" and slider.get_attribute("value") == "9"
    assert console_errors(browser) == []


def test_quiz_takes_only_a_whole_number_and_explain_gives_inf_and_nan(
    browser, dot_program, tmp_path
):
    from selenium.webdriver.common.by import By

    f, _ = readme_example()
    open_page(browser, save_steps(f, tmp_path / "strict.html", quiz=True))
    for _ in range(5):
        click(browser, '[data-do="next"]')
    quiz = browser.find_element(By.CSS_SELECTOR, ".mgx-quiz")
    box = quiz.find_element(By.TAG_NAME, "input")
    box.send_keys("4 apples\ue007")  # starts with the right number, but is not a number
    assert browser.execute_script(
        "return document.querySelector('.mgx-quiz input').validationMessage"
    )
    assert browser.find_element(By.CSS_SELECTOR, ".mgx-score").text == "0 of 0 right"
    box.clear()
    box.send_keys(" 4e0 \ue007")  # a whole number, written another way: right
    assert "Right" in quiz.text
    # a gradient that is known but infinite, and one that is nan, are numbers in explain()
    x, y = Value(0.0, "x"), Value(0.0, "y")
    g = x.sqrt() + y.sqrt() * 0.0  # ∂g/∂x = 1/(2√0) = inf; ∂g/∂y = inf · 0 = nan
    open_page(browser, save_steps(g, tmp_path / "inf.html"))
    handle(browser, f"go({handle(browser, 'frames') - 1})")
    assert browser.execute_script(
        "var p = window.microgradx.pages[0];"
        "return [p.explain('x').grad === Infinity, Number.isNaN(p.explain('y').grad),"
        " p.explain('x').terms[0].local === Infinity];"
    ) == [True, True, True]
    assert console_errors(browser) == []
