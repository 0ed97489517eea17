"""Notebooks in a real browser: JupyterLab on 127.0.0.1, headless Chromium via Selenium.

The notebooks are copied without their stored outputs into a temporary folder, so
every picture checked here was made by running the cells in this session. Each
wait is bounded; the server is stopped at the end; screenshots are written to
``build/screenshots/``.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import nbformat
import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "build" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
SERVER_START = 90  # seconds for JupyterLab to answer
RUN_ALL = 240  # seconds for every cell of a notebook to finish

# Pictures a cell shows: Graphviz SVG inline or as an <img>, or a PNG.
PICTURES = ".jp-OutputArea-output svg, .jp-OutputArea-output img"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(what: str, seconds: float, check: Callable[[], object], every: float = 0.25):
    """Call ``check`` until it returns something true; fail naming ``what`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            result = check()
        except (StaleElementReferenceException, OSError):
            result = None
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds:g} s waiting for {what}")
        time.sleep(every)


def _lab_settings(folder: Path) -> Path:
    """JupyterLab settings: every cell kept on the page, no news pop-up."""
    settings = {
        "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
        "@jupyterlab/apputils-extension/notification": {"fetchNews": "false"},
    }
    for plugin, values in settings.items():
        path = folder / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    return folder


@pytest.fixture(scope="module")
def lab(tmp_path_factory) -> Iterator[dict[str, str]]:
    """A JupyterLab server on a free loopback port with a token, serving output-free copies."""
    work = tmp_path_factory.mktemp("lab")
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        nb.metadata.pop("widgets", None)
        nbformat.write(nb, work / path.name)
    port, token = _free_port(), secrets.token_hex(16)
    home = work / ".jupyter-home"
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(home / "config"), JUPYTER_DATA_DIR=str(home))
    env["JUPYTER_RUNTIME_DIR"] = str(home / "runtime")
    env["JUPYTERLAB_SETTINGS_DIR"] = str(_lab_settings(home / "lab-settings"))
    env["MPLBACKEND"] = "Agg"
    log = (work / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
         "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={work}",
         "--LabApp.news_url=None", "--LabApp.check_for_updates_class="
         "jupyterlab.handlers.announcements.NeverCheckForUpdate"],
        cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:

        def answers() -> bool:
            if server.poll() is not None:
                raise AssertionError(f"JupyterLab exited: {(work / 'server.log').read_text()}")
            with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2) as r:
                return r.status == 200

        _wait("JupyterLab to answer", SERVER_START, answers, every=0.5)
        yield {"url": url, "token": token, "dir": str(work)}
    finally:
        _stop(server)
        log.close()


def _stop(server: subprocess.Popen) -> None:
    """Stop the server and the kernels it started (its process group)."""
    for sig, grace in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
        try:
            os.killpg(server.pid, sig)
        except ProcessLookupError:
            pass
        try:
            server.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    """Headless Debian Chromium through Debian's chromedriver (nothing is downloaded)."""
    for program in (CHROMIUM, CHROMEDRIVER):
        if not shutil.which(program):
            pytest.fail(f"{program} is missing: apt-get install chromium chromium-driver")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--window-size=1400,1000",
    ):  # fmt: skip
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def _screenshot(driver: WebDriver, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    driver.save_screenshot(str(path))
    return path


def _open(driver: WebDriver, lab: dict[str, str], notebook: str) -> None:
    driver.get(f"{lab['url']}/lab/tree/{notebook}?token={lab['token']}&reset")
    _wait("the notebook to open", 60, lambda: driver.find_elements(By.CSS_SELECTOR, ".jp-Cell"))
    _wait(
        "the kernel to be idle",
        90,
        lambda: any(
            "| Idle" in e.text
            for e in driver.find_elements(By.CSS_SELECTOR, ".jp-StatusBar-Widget")
        ),
    )


def _menu(driver: WebDriver, menu: str, item: str) -> None:
    """Click ``item`` in the menu bar's ``menu``, as a person would."""
    path = f"//div[contains(@class,'lm-MenuBar-itemLabel') and normalize-space()='{menu}']"
    driver.find_element(By.XPATH, path).click()
    path = f"//div[contains(@class,'lm-Menu-itemLabel') and normalize-space()='{item}']"
    _wait(f"menu item {item}", 10, lambda: driver.find_element(By.XPATH, path)).click()


def _run_all(driver: WebDriver) -> None:
    """Run every cell and wait until each code cell has an execution number."""
    _menu(driver, "Run", "Run All Cells")

    def finished() -> bool:
        prompts = [
            e.text.strip()
            for e in driver.find_elements(By.CSS_SELECTOR, ".jp-CodeCell .jp-InputArea-prompt")
        ]
        return bool(prompts) and all(re.fullmatch(r"\[\d+\]:", p) for p in prompts)

    _wait("every cell to run", RUN_ALL, finished, every=1.0)


def _errors(driver: WebDriver) -> list[str]:
    outputs = driver.find_elements(By.CSS_SELECTOR, ".jp-OutputArea-output")
    return [o.text[:500] for o in outputs if "Traceback" in o.text or "Error:" in o.text]


def _picture(element: WebElement) -> str:
    """What a drawing shows: the SVG markup or the image's source."""
    return element.get_attribute("outerHTML") or ""


def test_notebook_01_runs_and_draws_graphs(browser, lab):
    _open(browser, lab, "01_computational_graphs.ipynb")
    assert not browser.find_elements(By.CSS_SELECTOR, PICTURES)  # outputs were removed
    _run_all(browser)
    _screenshot(browser, "jupyter-01-after-run")
    assert _errors(browser) == []
    pictures = _wait(
        "a graph drawing", 30, lambda: browser.find_elements(By.CSS_SELECTOR, PICTURES)
    )
    first = pictures[0]
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", first)
    _screenshot(browser, "jupyter-01-graph")
    assert first.size["width"] > 100 and first.size["height"] > 50  # drawn, not an icon
    html = "".join(_picture(p) for p in pictures)
    assert "44" in html or "data:image" in html  # the lecture graph's f = 44 (or an image)


def _interactive_output(driver: WebDriver) -> WebElement | None:
    """The first cell output holding a slider: the interactive drawing's controls and view."""
    path = (
        "//div[contains(@class,'jp-OutputArea-output')][.//div[contains(@class,'widget-slider')]]"
    )
    outputs = driver.find_elements(By.XPATH, path)
    return outputs[0] if outputs else None


def _interactive_picture(driver: WebDriver) -> WebElement | None:
    """The largest picture in that output (the graph, not an icon)."""
    output = _interactive_output(driver)
    if output is None:
        return None
    pictures = output.find_elements(By.CSS_SELECTOR, "svg, img")
    pictures = [p for p in pictures if p.size["width"] > 100]
    return max(pictures, key=lambda p: p.size["width"] * p.size["height"], default=None)


def test_notebook_06_slider_redraws_the_graph(browser, lab):
    _open(browser, lab, "06_interactive.ipynb")
    _run_all(browser)
    assert _errors(browser) == []
    before_picture = _wait("the interactive drawing", 60, lambda: _interactive_picture(browser))
    before = _picture(before_picture)
    output = _interactive_output(browser)
    assert output is not None
    sliders = output.find_elements(By.CSS_SELECTOR, ".widget-slider")
    assert sliders, "no slider in the interactive notebook"
    slider = sliders[0]
    readout = slider.find_element(By.CSS_SELECTOR, ".widget-readout")
    old_value = readout.text
    handle = slider.find_element(By.CSS_SELECTOR, ".noUi-handle")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", slider)
    _screenshot(browser, "jupyter-06-before")
    ActionChains(browser).click_and_hold(handle).move_by_offset(60, 0).release().perform()
    _wait("the slider's value to change", 10, lambda: readout.text != old_value)
    after = _wait(
        "the drawing to change",
        60,
        lambda: (
            (p := _interactive_picture(browser)) is not None
            and _picture(p) != before
            and _picture(p)
        ),
    )
    _screenshot(browser, "jupyter-06-after")
    assert after != before
    # the new drawing shows the slider's new value of w (f = (w + 6)·4)
    new_w = float(readout.text)
    assert f"{(new_w + 6) * 4:g}" in after or "data:image" in after


def test_inline_stepper_next_button(browser, lab):
    _open(browser, lab, "01_computational_graphs.ipynb")
    _run_all(browser)
    path = "//div[contains(@class,'jp-OutputArea')]//button[starts-with(normalize-space(),'Next')]"
    buttons = browser.find_elements(By.XPATH, path)
    frames = browser.find_elements(By.CSS_SELECTOR, ".jp-OutputArea-output iframe")
    if not buttons:
        for frame in frames:  # the stepper page may sit in an iframe of its own
            browser.switch_to.frame(frame)
            buttons = browser.find_elements(
                By.XPATH, "//button[starts-with(normalize-space(),'Next')]"
            )
            if buttons:
                break
            browser.switch_to.default_content()
    if not buttons:
        _screenshot(browser, "jupyter-01-stepper")
    assert buttons, "the stepper in notebook 01 shows no Next button in JupyterLab"
    try:
        button = buttons[0]
        picture = "*[local-name()='svg' or local-name()='img']"
        stepper = button.find_element(By.XPATH, f"./ancestor::*[.//{picture}][1]")
        before = stepper.get_attribute("innerHTML")
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", button)
        button.click()
        _wait("the stepper to show the next frame", 10,
              lambda: stepper.get_attribute("innerHTML") != before)  # fmt: skip
        _screenshot(browser, "jupyter-01-stepper-next")
    except WebDriverException:
        _screenshot(browser, "jupyter-01-stepper-error")
        raise
    finally:
        browser.switch_to.default_content()
