"""The course as a learner meets it: JupyterLab in a real browser (Debian's chromium).

- 00_welcome: Run All in fast mode; every image output renders (decoded, visible, not blank).
- helpers.widgets.StylePanel (the class the lessons' panels use) with a quick render function.
- The harness's own panel notebook: change the dropdown, press Run, a new image appears; and the
  same checks fail on three panels broken on purpose (a failing Run handler; a widget whose
  front end does not exist; a panel cell that raises), so a broken panel cannot pass.
- Lesson panels (04 style transfer; 06 AdaIN once it exists; 09's GuidedStylePanel): Run All in
  fast mode, find the widget panel, change a control, press Run, a new stylised image appears.
- JupyterLab and its kernels stop when the block that started them fails.
Every browser test fails on any JavaScript error in the browser console, and on a cell's traceback.
Screenshots and console logs: test-artifacts/browser/.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from labpage import (KERNEL_DISPLAY_NAME, ConsoleLog, LabPageError, assert_image_rendered, change_a_control,
                     find_widget_panel, hide_file_browser, open_notebook,
                     press_run_and_wait_for_new_image, run_all_cells)
from labserver import LabServer
from playwright.sync_api import Locator, Page

ROOT = Path(__file__).resolve().parents[2]

# Seconds for Run All of a lesson in fast mode, and for one press of a panel's Run button.
RUN_ALL_TIMEOUT = float(os.environ.get("COURSE_BROWSER_RUN_ALL_TIMEOUT", "900"))
PANEL_TIMEOUT = float(os.environ.get("COURSE_BROWSER_PANEL_TIMEOUT", "300"))

# Lessons with a widget panel (helpers.widgets.StylePanel and its kin) and the control the test
# changes. 04 and 09 are tested as soon as their notebooks are in notebooks/; 06 once its
# notebook builds a panel (the AdaIN panel comes after the rest of that lesson).
PANEL_LESSONS = {"04_style_transfer.ipynb": "Style work", "06_adain_and_stylegan.ipynb": "Style work",
                 "09_culture_aware_transfer.ipynb": "Style work"}
PANEL_REQUIRED = {"04_style_transfer.ipynb", "09_culture_aware_transfer.ipynb"}


def _builds_a_panel(path: Path) -> bool:
    text = path.read_text(encoding="utf-8")
    return any(f"{name}(" in text for name in ("StylePanel", "make_panel", "AdaINPanel"))


PRESENT_PANEL_LESSONS = [
    n for n in PANEL_LESSONS
    if (ROOT / "notebooks" / n).exists()
    and (n in PANEL_REQUIRED or _builds_a_panel(ROOT / "notebooks" / n))]


def _image_outputs(path: Path) -> int:
    """How many image outputs the committed notebook has (the same cells display them in fast mode)."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    return sum(1 for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])
               if any(k.startswith("image/") for k in o.get("data", {})))


def _open_and_run(page: Page, lab: LabServer, name: str) -> Locator:
    """Open `name` in a workspace of its own (no other tabs restored), Run All; the notebook."""
    workspace = re.sub(r"[^A-Za-z0-9]+", "-", Path(name).stem)
    nb = open_notebook(page, lab.url(f"lab/workspaces/{workspace}/tree/{name}"), KERNEL_DISPLAY_NAME)
    hide_file_browser(page)
    seconds = run_all_cells(page, nb, RUN_ALL_TIMEOUT)
    print(f"{name}: Run All took {seconds:.1f} s in the browser (fast mode)")
    return nb


def exercise_panel(nb: Locator, log: ConsoleLog, shots: Path, timeout: float,
                   control: str | None = None) -> str:
    """Find the widget panel, change a control, press Run, see a new image; no console errors.

    `control` is the description of the control to change (default: the first dropdown).
    Saves <shots>-panel-before.png and <shots>-panel-after.png; returns a one-line report.
    """
    widget_outputs = nb.locator(".jp-Cell-outputArea").filter(has=nb.page.locator(".jupyter-widgets"))
    if widget_outputs.count():  # so that the screenshots show the panel, whatever fails next
        widget_outputs.last.scroll_into_view_if_needed()
    log.assert_no_errors("after Run All")
    panel = find_widget_panel(nb)
    panel.scroll_into_view_if_needed()
    panel.screenshot(path=f"{shots}-panel-before.png")
    changed = change_a_control(panel, control)
    stats, seconds = press_run_and_wait_for_new_image(panel, timeout)
    panel.screenshot(path=f"{shots}-panel-after.png")
    log.assert_no_errors("after pressing Run")
    return (f"{changed}; Run → new {stats['w']}×{stats['h']} image "
            f"(pixel std {float(stats['std']):.1f}) in {seconds:.1f} s")


def test_welcome_gallery_renders(lab: LabServer, lab_page: tuple[Page, ConsoleLog],
                                 artifacts: Path) -> None:
    page, log = lab_page
    nb = _open_and_run(page, lab, "00_welcome.ipynb")
    expected = _image_outputs(ROOT / "notebooks" / "00_welcome.ipynb")
    assert expected >= 2, "00_welcome should show at least the gallery and the photographs"
    images = nb.locator(".jp-OutputArea-output img")
    assert images.count() == expected, f"{images.count()} images rendered, expected {expected}"
    for i in range(expected):
        stats = assert_image_rendered(images.nth(i), f"00_welcome image {i + 1}/{expected}")
        print(f"image {i + 1}: {stats['w']}×{stats['h']}, pixel std {float(stats['std']):.1f}")
    gallery = images.first
    gallery.scroll_into_view_if_needed()
    gallery.screenshot(path=str(artifacts / "00_welcome-gallery.png"))
    page.screenshot(path=str(artifacts / "00_welcome-page.png"))
    log.assert_no_errors("00_welcome")


def test_panel_harness(lab: LabServer, lab_page: tuple[Page, ConsoleLog], artifacts: Path) -> None:
    page, log = lab_page
    nb = _open_and_run(page, lab, "panel.ipynb")
    print(exercise_panel(nb, log, artifacts / "panel", timeout=60))
    print(exercise_panel(nb, log, artifacts / "panel-slider", timeout=60, control="size"))


def test_style_panel_class(lab: LabServer, lab_page: tuple[Page, ConsoleLog],
                           artifacts: Path) -> None:
    """helpers.widgets.StylePanel (the lessons' panel) with a quick render: Run shows a new image."""
    page, log = lab_page
    nb = _open_and_run(page, lab, "style_panel.ipynb")
    print(exercise_panel(nb, log, artifacts / "style_panel", timeout=120, control="Style work"))
    print(exercise_panel(nb, log, artifacts / "style_panel-weight", timeout=120,
                         control="Style weight"))


@pytest.mark.parametrize("breakage, symptom", [
    ("handler", "waiting for a new image in the panel"),
    ("frontend", "No version of module course-no-such-widget is registered"),
    ("cell", "ValueError: broken on purpose: the panel cell fails"),
], ids=["handler", "frontend", "cell"])
def test_broken_panel_is_caught(lab: LabServer, lab_page: tuple[Page, ConsoleLog],
                                artifacts: Path, breakage: str, symptom: str) -> None:
    """The same checks as for the lessons fail, with a clear message, on a broken panel."""
    page, log = lab_page
    with pytest.raises(LabPageError) as caught:
        nb = _open_and_run(page, lab, f"panel_broken_{breakage}.ipynb")
        exercise_panel(nb, log, artifacts / f"panel_broken_{breakage}", timeout=20)
    print(f"broken ({breakage}) caught: {caught.value}")
    assert symptom in str(caught.value)


def _lesson_panel(lab: LabServer, lab_page: tuple[Page, ConsoleLog], artifacts: Path,
                  name: str) -> None:
    page, log = lab_page
    nb = _open_and_run(page, lab, name)
    report = exercise_panel(nb, log, artifacts / Path(name).stem, PANEL_TIMEOUT,
                            control=PANEL_LESSONS[name])
    print(f"{name}: {report}")


if PRESENT_PANEL_LESSONS:  # no test item (rather than a skipped one) before 04 exists
    test_lesson_panel = pytest.mark.parametrize("name", PRESENT_PANEL_LESSONS)(_lesson_panel)


def test_lab_server_stops_with_its_kernels_when_a_test_fails(tmp_path: Path) -> None:
    """JupyterLab and the kernels it started are gone after the `with` block, even on an error."""
    import json as _json
    import urllib.request

    import psutil

    root = tmp_path / "root"
    root.mkdir()
    server = LabServer(root, tmp_path / "work")
    pids: list[int] = []
    with pytest.raises(RuntimeError, match="a failing test"):
        with server:
            req = urllib.request.Request(
                server.base + "api/kernels", method="POST",
                data=_json.dumps({"name": "style-across-cultures"}).encode(),
                headers={"Authorization": f"token {server.token}",
                         "Content-Type": "application/json"})
            with urllib.request.urlopen(req, timeout=60) as r:
                assert r.status == 201
            assert server.proc is not None
            lab_process = psutil.Process(server.proc.pid)
            def cmdline(p: psutil.Process) -> str:
                try:
                    return " ".join(p.cmdline())
                except (psutil.ZombieProcess, psutil.NoSuchProcess):  # a child that just ended
                    return ""

            kernels = [p for p in lab_process.children(recursive=True) if "ipykernel" in cmdline(p)]
            assert kernels, "the kernel process did not start"
            pids = [lab_process.pid] + [k.pid for k in kernels]
            raise RuntimeError("a failing test")
    still_running = [p for p in pids if psutil.pid_exists(p)
                     and psutil.Process(p).status() != psutil.STATUS_ZOMBIE]
    assert not still_running, f"processes left running: {still_running}"
