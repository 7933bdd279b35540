"""Drive a notebook in JupyterLab the way a learner does: open it, Run All, use a widget panel.

Every wait has a deadline and every failure raises `LabPageError` with what was seen, so a test
that fails says why (a cell's traceback, a widget that did not render, a button that did nothing).
Selectors are JupyterLab 4's and ipywidgets 8's own class names.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import ConsoleMessage, Error, Locator, Page

KERNEL_DISPLAY_NAME = "Style Across Cultures (Python 3.11)"  # the kernel `make install` registers
CODE_PROMPT = ".jp-CodeCell .jp-InputArea-prompt"
# What JupyterLab's widget manager shows in place of a widget it could not render.
WIDGET_ERROR_TEXTS = ("Error displaying widget", "Click to show javascript error")

# How much the pixels of a rendered image must vary (standard deviation, 0-255) for it to
# count as a picture rather than a blank or one-colour box.
MIN_PIXEL_STD = 2.0

_IMAGE_STATS_JS = """
async (img) => {
  if (!img.complete) { await new Promise(r => { img.onload = r; img.onerror = r; }); }
  const w = img.naturalWidth, h = img.naturalHeight;
  if (!w || !h) return {w, h, std: 0, src: img.src.slice(0, 64)};
  const c = document.createElement('canvas');
  c.width = Math.min(w, 256); c.height = Math.min(h, 256);
  const ctx = c.getContext('2d');
  ctx.drawImage(img, 0, 0, c.width, c.height);
  const d = ctx.getImageData(0, 0, c.width, c.height).data;
  let n = 0, s = 0, s2 = 0;
  for (let i = 0; i < d.length; i += 4) {
    for (let k = 0; k < 3; k++) { const v = d[i + k]; s += v; s2 += v * v; n++; }
  }
  const mean = s / n;
  return {w, h, std: Math.sqrt(Math.max(s2 / n - mean * mean, 0)), src: img.src.slice(0, 64)};
}
"""


class LabPageError(AssertionError):
    """What the learner would see going wrong in JupyterLab."""


@dataclass
class ConsoleLog:
    """Every console message and uncaught page error of one page, kept for the test's report."""

    messages: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def attach(self, page: Page) -> "ConsoleLog":
        page.on("console", self._on_console)
        page.on("pageerror", self._on_pageerror)
        return self

    def _on_console(self, msg: ConsoleMessage) -> None:
        line = f"[{msg.type}] {msg.text}"
        self.messages.append(line)
        if msg.type == "error":
            self.errors.append(line)

    def _on_pageerror(self, exc: Error) -> None:
        line = f"[pageerror] {exc}"
        self.messages.append(line)
        self.errors.append(line)

    def assert_no_errors(self, where: str) -> None:
        if self.errors:
            raise LabPageError(f"JavaScript errors in the browser console ({where}):\n"
                               + "\n".join(self.errors))

    def save(self, path: Path) -> None:
        path.write_text("\n".join(self.messages) + "\n", encoding="utf-8")


def _wait(predicate, timeout: float, what: str, poll: float = 0.5):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise LabPageError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(poll)


def open_notebook(page: Page, url: str, kernel_name: str, timeout: float = 300.0) -> Locator:
    """Open a notebook; wait until its cells are shown and its kernel is started and idle.

    Returns the notebook panel (toolbar and cells); every later lookup is made inside it, so
    other tabs that a workspace may have restored cannot answer in its place.
    """
    page.goto(url)
    nb = page.locator(".jp-NotebookPanel:visible").first
    nb.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=timeout * 1000)

    def kernel_ready() -> bool:
        name = nb.locator(".jp-Toolbar-kernelName").first
        status = nb.locator(".jp-Notebook-ExecutionIndicator").first
        try:
            return (name.inner_text(timeout=1000).strip() == kernel_name
                    and status.get_attribute("data-status", timeout=1000) == "idle")
        except Error:
            return False

    _wait(kernel_ready, timeout, f"the kernel {kernel_name!r} to start (is it installed? "
                                 "`make install` registers it)")
    return nb


def hide_file_browser(page: Page) -> None:
    """Collapse the left side bar so screenshots show the notebook."""
    current = page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current")
    if current.count():
        current.first.click()  # clicking the open panel's tab collapses it


def _cell_errors(nb: Locator) -> list[str]:
    """Texts of error outputs (tracebacks) in the notebook."""
    return nb.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").evaluate_all(
        "els => els.map(e => e.innerText).filter(t => /Traceback \\(most recent call last\\)/.test(t))")


def run_all_cells(page: Page, nb: Locator, timeout: float) -> float:
    """Run → Run All Cells, wait until every code cell has run; return the seconds it took.

    Raises LabPageError with the traceback if a cell fails (JupyterLab then stops running the
    cells below it) or when the deadline passes.
    """
    n_code = nb.locator(CODE_PROMPT).count()
    if n_code == 0:
        raise LabPageError("the notebook has no code cells")
    start = time.monotonic()
    page.click("li.lm-MenuBar-item:has-text('Run')")
    page.click("li.lm-Menu-item[data-command='runmenu:run-all']")

    def finished() -> bool:
        errors = _cell_errors(nb)
        if errors:
            raise LabPageError("a cell failed when run in JupyterLab:\n" + errors[0][-3000:])
        prompts = nb.locator(CODE_PROMPT).evaluate_all("els => els.map(e => e.textContent.trim())")
        return all(re.fullmatch(r"\[\d+\]:", p) for p in prompts)

    _wait(finished, timeout, f"all {n_code} code cells to run", poll=1.0)
    return time.monotonic() - start


def image_stats(img: Locator) -> dict[str, float | str]:
    """Natural size and pixel standard deviation of a rendered <img> (read back from a canvas)."""
    return img.evaluate(_IMAGE_STATS_JS)


def assert_image_rendered(img: Locator, what: str) -> dict[str, float | str]:
    """The <img> was decoded by the browser, is laid out with a size, and is not blank."""
    stats = image_stats(img)
    if not stats["w"] or not stats["h"]:
        raise LabPageError(f"{what}: the browser could not decode the image ({stats['src']}…)")
    box = img.bounding_box()
    if box is None or box["width"] < 16 or box["height"] < 16:
        raise LabPageError(f"{what}: the image is not visible on the page (box {box})")
    if float(stats["std"]) < MIN_PIXEL_STD:
        raise LabPageError(f"{what}: the image is blank (pixel std {float(stats['std']):.2f})")
    return stats


def find_widget_panel(nb: Locator) -> Locator:
    """The output area of the first cell whose output holds ipywidgets with a button."""
    for text in WIDGET_ERROR_TEXTS:
        shown = nb.get_by_text(text)
        if shown.count():
            raise LabPageError(f"JupyterLab shows {text!r} in the outputs: "
                               + shown.first.inner_text())
    panels = nb.locator(".jp-Cell-outputArea").filter(has=nb.page.locator(".widget-button"))
    if panels.count() == 0:
        widgets = nb.locator(".jp-Cell-outputArea .jupyter-widgets").count()
        raise LabPageError(f"no widget panel with a button was rendered ({widgets} widget "
                           "elements in the outputs; did the ipywidgets front end load?)")
    return panels.first


def _image_sources(panel: Locator) -> list[str]:
    return panel.locator("img").evaluate_all("els => els.map(e => e.src)")


def change_a_control(panel: Locator, label: str | None = None) -> str:
    """Change the panel's first dropdown, else its first slider, else its first text box.

    With `label`, the control whose description is that text is changed (the lessons' panels
    keep stable descriptions, see helpers/widgets.py). Returns what was changed, for the report.
    """
    controls = panel.locator(".widget-dropdown, .widget-slider, .widget-text")
    if label is not None:
        labelled = panel.page.locator(
            "label.widget-label", has_text=re.compile(rf"^\s*{re.escape(label)}\s*$"))
        controls = controls.filter(has=labelled)
        if controls.count() == 0:
            raise LabPageError(f"the panel has no dropdown, slider or text box labelled {label!r}")
    kinds = controls.evaluate_all("els => els.map(e => e.className)")
    order = ["widget-dropdown", "widget-slider", "widget-text"]
    ranked = sorted(range(len(kinds)), key=lambda i: next(
        (r for r, k in enumerate(order) if k in kinds[i].split()), len(order)))
    if not ranked:
        raise LabPageError("the panel has no dropdown, slider or text box to change")
    control = controls.nth(ranked[0])
    kind = next(k for k in order if k in kinds[ranked[0]].split())
    name = control.locator("label.widget-label").first.inner_text().strip() or kind
    if kind == "widget-dropdown":
        select = control.locator("select").first
        options = select.locator("option").evaluate_all("els => els.map(e => e.value)")
        current = select.input_value()
        others = [o for o in options if o != current]
        if not others:
            raise LabPageError(f"{name}: the dropdown has only one option ({current!r})")
        select.select_option(others[0])
        return f"{name}: {current!r} → {others[0]!r}"
    if kind == "widget-slider":
        readout = control.locator(".widget-readout").first
        before = readout.inner_text()
        handle = control.locator(".noUi-handle").first
        handle.focus()
        handle.press("ArrowRight")
        _wait(lambda: readout.inner_text() != before, 10, f"the slider {name!r} to move")
        return f"{name}: {before} → {readout.inner_text()}"
    box = control.locator("input").first
    box.fill(box.input_value() + "1")
    box.press("Enter")
    return f"{name}: text edited"


def press_run_and_wait_for_new_image(panel: Locator, timeout: float, button_text: str = "Run",
                                     ) -> tuple[dict[str, float | str], float]:
    """Click the panel's Run button; wait for a new image in the panel's result: the last <img>
    inside its widgets (not a static copy displayed after them).

    The last, because a panel may show other images above its result that Run also changes
    (lesson 09's GuidedStylePanel previews its two masks before it stylises): a new preview
    alone must not pass for a result. Returns the new image's stats and the seconds from click
    to rendered image.
    """
    before = set(_image_sources(panel))
    buttons = panel.locator(".widget-button").filter(
        has_text=re.compile(re.escape(button_text), re.IGNORECASE))
    if buttons.count() == 0:
        labels = panel.locator(".widget-button").all_inner_texts()
        raise LabPageError(f"the panel has no {button_text!r} button (buttons: {labels})")
    start = time.monotonic()
    buttons.first.click()

    def new_image() -> Locator | None:
        imgs = panel.locator(".jupyter-widgets img")
        if not imgs.count():
            return None
        img = imgs.last
        try:
            return img if img.get_attribute("src", timeout=1000) not in before else None
        except Error:
            return None

    try:
        img = _wait(new_image, timeout,
                    f"a new image in the panel's result after pressing {button_text!r}")
    except LabPageError as exc:
        labels = panel.locator(".widget-label").all_inner_texts()  # descriptions and status
        shown = " | ".join(s.strip() for s in labels if s.strip())[:600]
        raise LabPageError(f"{exc}; the panel's labels: {shown}") from None
    stats = assert_image_rendered(img, "the panel's new image")
    return stats, time.monotonic() - start
