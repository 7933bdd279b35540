"""Fixtures for the browser tests: a private JupyterLab, Debian's chromium through Playwright.

Run them with `make test-browser` (`.ci/run` does, after `make test`). They need Debian's
`chromium` package at /usr/bin/chromium (`apt-get install chromium`; COURSE_CHROMIUM overrides
the path); Playwright never downloads a browser here.

- JupyterLab serves copies of the lessons (and of the harness's own panel notebooks) from a
  temporary folder, so running cells in the browser never touches the committed notebooks.
  Its kernels run in fast mode (COURSE_FAST=1) with the network cut off (tests/offline).
- Screenshots and each page's console log go to test-artifacts/browser/ (git-ignored).
- JupyterLab and its kernels are stopped at the end of the session, pass or fail.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from labpage import ConsoleLog
from labserver import LabServer
from panel_notebook import BREAKAGES, build, build_style_panel
from playwright.sync_api import BrowserContext, Page, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM = Path(os.environ.get("COURSE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-dev-shm-usage"]
VIEWPORT = {"width": 1280, "height": 900}


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def lab_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with copies of notebooks/*.ipynb and the panel notebooks (working and broken)."""
    root = tmp_path_factory.mktemp("lab-root")
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        shutil.copy2(nb, root / nb.name)
    build(root / "panel.ipynb")
    build_style_panel(root / "style_panel.ipynb")
    for breakage in BREAKAGES:
        build(root / f"panel_broken_{breakage}.ipynb", breakage)
    return root


@pytest.fixture(scope="session")
def lab(lab_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    offline = str(ROOT / "tests" / "offline")
    pythonpath = os.pathsep.join(p for p in (offline, os.environ.get("PYTHONPATH", "")) if p)
    server = LabServer(lab_root, tmp_path_factory.mktemp("lab-work"),
                       env={"COURSE_FAST": "1", "PYTHONPATH": pythonpath,
                            "TF_CPP_MIN_LOG_LEVEL": "2"})
    start = time.monotonic()
    try:
        with server:
            print(f"\nJupyterLab up on port {server.port} in {time.monotonic() - start:.1f} s")
            yield server
    finally:
        if server.log_path.exists():
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            shutil.copy2(server.log_path, ARTIFACTS / "jupyterlab.log")


@pytest.fixture(scope="session")
def browser_context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserContext]:
    if not CHROMIUM.exists():
        pytest.fail(f"Debian's chromium is not installed at {CHROMIUM}: run "
                    "`apt-get install chromium` as root (.ci/run does), or set COURSE_CHROMIUM")
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),  # a fresh --user-data-dir
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
            viewport=VIEWPORT)
        try:
            yield context
        finally:
            context.close()


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_")


@pytest.fixture
def lab_page(browser_context: BrowserContext, lab: LabServer, artifacts: Path,
             request: pytest.FixtureRequest) -> Iterator[tuple[Page, ConsoleLog]]:
    """A new tab with its console recorded. Afterwards: a screenshot and the console log are
    saved as <test>-final.png / <test>-console.txt, and the tab's kernels are shut down."""
    page = browser_context.new_page()
    log = ConsoleLog().attach(page)
    name = _safe(request.node.name)
    try:
        yield page, log
    finally:
        try:
            page.screenshot(path=str(artifacts / f"{name}-final.png"))
        finally:
            log.save(artifacts / f"{name}-console.txt")
            page.close()
            lab.shutdown_kernels()
