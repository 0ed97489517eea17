"""Browser tests: JupyterLab driven by headless Chromium.

They start a Jupyter server and a browser, so they run only through
``make browser-test`` (which sets ``MICROGRADX_BROWSER_TESTS=1``); a plain
``pytest tests`` does not collect them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

collect_ignore_glob = [] if os.environ.get("MICROGRADX_BROWSER_TESTS") == "1" else ["test_*.py"]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """On a failure, save what the browser showed to build/screenshots/<test>-failed.png."""
    report = yield
    driver = getattr(item, "funcargs", {}).get("browser")
    if report.failed and call.when == "call" and driver is not None:
        folder = Path(__file__).resolve().parents[2] / "build" / "screenshots"
        folder.mkdir(parents=True, exist_ok=True)
        try:
            driver.save_screenshot(str(folder / f"{item.name}-failed.png"))
        except Exception:  # the browser itself may be what failed
            pass
    return report
