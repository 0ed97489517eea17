"""Regenerate the pictures in the README from the code.

    python docs/make_images.py

Needs Graphviz's ``dot``; the stepper screenshot also needs Chromium, chromedriver and
selenium (``pip install -e ".[dev]"``), and is left as it is when they are missing.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import microgradx
from microgradx import Value, nn

DOCS = Path(__file__).resolve().parent


def lecture() -> Value:
    """The README's example: only the leaves are labelled, ``f`` is named by this code."""
    w, x, y, z = Value(5.0, "w"), Value(3.0, "x"), Value(2.0, "y"), Value(4.0, "z")
    f = (w + x * y) * z
    f.backward()
    return f


def lecture_graph() -> list[Path]:
    f = lecture()
    drawing = f.draw()
    return [drawing.save(DOCS / "lecture_graph.svg"), drawing.save(DOCS / "lecture_graph.png")]


def backward_drawing() -> microgradx.Drawing:
    """The README's side-by-side picture: f = (w + x·y)·z and its four derivatives."""
    w, x, y, z = Value(5.0, "w"), Value(3.0, "x"), Value(2.0, "y"), Value(4.0, "z")
    f = (w + x * y) * z
    f.label = "f"
    return microgradx.draw_backward(f, [w, x, y, z])


def backward_graph() -> list[Path]:
    return [backward_drawing().save(DOCS / "backward_graph.png")]


def network() -> list[Path]:
    model = nn.MLP(4, [4, 2], activation="tanh", seed=1)
    sample = model.draw(x=[0.5, -1.0, 2.0, 0.1], y=[1.0, 0.0])
    return [sample.save(DOCS / "network_4_4_2.png", dpi=150)]


def collapsed() -> list[Path]:
    model = nn.MLP(2, [4, 4, 1], seed=0)
    X = [[0.5, -1.0], [1.0, 2.0], [-0.3, 0.8]]
    loss = microgradx.sum((model(x) - 1.0) ** 2 for x in X) / len(X)
    loss.label = "loss"
    loss.backward()
    return [loss.draw(collapse=True).save(DOCS / "collapsed_mlp.png", dpi=120)]


def stepper_gif() -> list[Path]:
    f = lecture()
    return [microgradx.save_steps(f, DOCS / "lecture_steps.gif", delay=1.5, dpi=110)]


def stepper_screenshot() -> list[Path]:
    """The lesson page at its last frame, explaining x, in a 1400×900 headless Chromium."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
        from selenium.webdriver.common.by import By
    except ImportError:
        print("no selenium: stepper screenshot left as it is")
        return []
    binary, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    if not (binary and driver_path):
        print("no chromium or chromedriver: stepper screenshot left as it is")
        return []
    f = lecture()
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,900"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        with tempfile.TemporaryDirectory() as folder:
            page = microgradx.save_steps(f, Path(folder) / "steps.html")
            driver.get(page.as_uri())
            for _ in range(7):  # the forward pass, then the backward pass to its end
                driver.find_element(By.CSS_SELECTOR, '[data-do="next"]').click()
            driver.execute_script("window.microgradx.pages[0].explain('x');")
            path = DOCS / "stepper.png"
            driver.save_screenshot(str(path))
    finally:
        driver.quit()
    return [path]


def main() -> None:
    makers = (lecture_graph, backward_graph, network, collapsed, stepper_gif, stepper_screenshot)
    for make in makers:
        for path in make():
            print(f"wrote {path.relative_to(DOCS.parent)} ({path.stat().st_size // 1024} kB)")


if __name__ == "__main__":
    main()
