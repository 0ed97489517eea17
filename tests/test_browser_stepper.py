"""The stepper page in a real browser: headless Chromium driven by Selenium.

Skipped only when Chromium or its driver is missing and ``CI`` is not set; under
``CI=true`` a missing browser is a failure (``make test`` installs Debian's
``chromium`` and ``chromium-driver`` when it runs as root).
"""

from __future__ import annotations

import os
import shutil

import pytest

from microgradx import Value, save_steps

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


def svg_grads(driver) -> dict[str, str]:
    """Each drawn value's name -> the text of its grad cell, read from the page."""
    return driver.execute_script(
        """
        var out = {};
        document.querySelectorAll("#graph g.node").forEach(function (g) {
          var texts = Array.from(g.querySelectorAll("text")).map(function (t) {
            return t.textContent; });
          var grad = texts.find(function (t) { return t.indexOf("grad ") === 0; });
          if (grad !== undefined) out[texts[0]] = grad.slice(5);
        });
        return out;
        """
    )


def state(driver) -> tuple[str, bool, bool]:
    from selenium.webdriver.common.by import By

    counter = driver.find_element(By.ID, "counter").text
    prev = driver.find_element(By.ID, "prev").get_attribute("disabled") is not None
    nxt = driver.find_element(By.ID, "next").get_attribute("disabled") is not None
    return counter, prev, nxt


def test_click_through_to_the_last_frame(browser, dot_program, tmp_path):
    from selenium.webdriver.common.by import By

    f, leaves = readme_example()
    path = save_steps(f, tmp_path / "steps.html")
    open_page(browser, path)
    assert state(browser) == ("step 0 of 3", True, False)  # Previous disabled at the start
    grads = svg_grads(browser)
    assert grads["f"] == "1"
    assert {grads[k] for k in "wxyz"} == {"?"} and grads["x·y"] == "?"
    caption = browser.find_element(By.ID, "caption")
    assert caption.text == "start at the output, ∂f/∂f = 1"
    for _ in range(3):
        browser.find_element(By.ID, "next").click()
    assert state(browser) == ("step 3 of 3", False, True)  # Next disabled at the end
    f.backward()
    grads = svg_grads(browser)
    for name, leaf in leaves.items():
        assert float(grads[name]) == leaf.grad, name
    assert grads["x·y"] == "4" and grads["w+x·y"] == "4"
    assert "∂f/∂x = ∂f/∂(x·y) · ∂(x·y)/∂x = 4 · 2 = 8" in caption.text
    assert caption.text.count("backward through") == 1  # the caption is shown once
    assert browser.find_elements(By.CSS_SELECTOR, "g.edge.active")  # the step's edges in red
    # the arrow keys step back; the drawing fills the window's width
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys("\ue012")  # left arrow
    assert state(browser) == ("step 2 of 3", False, False)
    assert svg_grads(browser)["x"] == "?"
    size = browser.execute_script(
        "var r = document.querySelector('#graph svg').getBoundingClientRect();"
        "return [r.width, r.bottom, window.innerWidth, window.innerHeight];"
    )
    assert size[0] >= 0.9 * size[2] - 40 and size[1] <= size[3]
    assert console_errors(browser) == []


def test_play_runs_to_the_end_and_stops(browser, dot_program, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    f, _ = readme_example()
    open_page(browser, save_steps(f, tmp_path / "steps.html", delay=0.05))
    play = browser.find_element(By.ID, "play")
    play.click()
    WebDriverWait(browser, 30).until(lambda d: state(d)[0] == "step 3 of 3")
    assert play.text == "Play" and state(browser) == ("step 3 of 3", False, True)
    assert console_errors(browser) == []


def test_page_without_graphviz_fills_its_table(browser, no_dot, tmp_path):
    from selenium.webdriver.common.by import By

    f, leaves = readme_example()
    open_page(browser, save_steps(f, tmp_path / "steps.html"))
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys("\ue010")  # End: the last frame
    assert state(browser) == ("step 3 of 3", False, True)
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
    browser.find_element(By.ID, "next").click()

    def view() -> list[float]:
        script = "return document.querySelector('#graph svg').getAttribute('viewBox');"
        return [float(n) for n in browser.execute_script(script).split()]

    def active_inside(box: list[float]) -> bool:
        centre = browser.execute_script(
            "var g = document.querySelectorAll('#graph g.node');"
            "var s = document.querySelector('#graph svg');"
            "for (var i = 0; i < g.length; i++) {"
            "  if (g[i].querySelector('title').textContent === arguments[0]) {"
            "    var b = g[i].getBBox();"
            "    var m = s.getScreenCTM().inverse().multiply(g[i].getScreenCTM());"
            "    var p = s.createSVGPoint(); p.x = b.x + b.width / 2; p.y = b.y + b.height / 2;"
            "    p = p.matrixTransform(m); return [p.x, p.y]; } }",
            "v90",  # the output, whose rule step 1 applies
        )
        x, y, w, h = box
        return x <= centre[0] <= x + w and y <= centre[1] <= y + h

    zoomed = view()
    assert active_inside(zoomed)
    zoom = browser.find_element(By.ID, "zoom")
    assert zoom.text == "Whole graph"
    zoom.click()
    whole = view()
    assert whole[2] > 3 * zoomed[2]  # the whole chain is much wider than the zoomed view
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
        assert state(browser) == ("step 0 of 3", True, False)
        for _ in range(3):
            browser.find_element(By.ID, "next").click()
        assert state(browser) == ("step 3 of 3", False, True)
        assert svg_grads(browser)["y"] == "12"
    finally:
        browser.switch_to.default_content()
    assert console_errors(browser) == []
