"""A tiny ipywidgets panel notebook that proves the harness: a dropdown, a slider, Run, an image.

    python tests/browser/panel_notebook.py /tmp/panel.ipynb [--break handler|frontend]

It is built at test time (not committed as .ipynb, so `make test`'s nbval does not collect it)
in the same shape as the lessons' panels: controls, a Run button, and an Output that shows the
picture the kernel made. The broken variants are what the harness must catch:

- `handler`: the Run button's callback raises before it displays anything (a learner clicks and
  nothing happens; the traceback goes to JupyterLab's log, not to the page);
- `frontend`: the panel holds a widget whose JavaScript module does not exist (JupyterLab shows
  "Error displaying widget" and logs a console error);
- `cell`: the cell that builds the panel raises (Run All stops there, the panel never shows).
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

BREAKAGES = ("handler", "frontend", "cell")

_SETUP = '''\
import io

import ipywidgets as widgets
import numpy as np
from IPython.display import Image, display
from PIL import Image as PILImage

HUES = {"vermilion": (227, 66, 52), "indigo": (75, 0, 130), "malachite": (11, 218, 81)}


def swatch(name: str, size: int = 96) -> bytes:
    """A PNG of a diagonal gradient from white to the named pigment."""
    ramp = np.add.outer(np.arange(size), np.arange(size)) / (2 * size - 2)
    rgb = 255 - ramp[..., None] * (255 - np.array(HUES[name]))
    buf = io.BytesIO()
    PILImage.fromarray(rgb.astype(np.uint8)).save(buf, format="png")
    return buf.getvalue()


print(len(swatch("indigo")) > 0)
'''

_PANEL = '''\
pigment = widgets.Dropdown(options=list(HUES), value="vermilion", description="pigment")
size = widgets.IntSlider(value=96, min=64, max=160, step=16, description="size")
run = widgets.Button(description="Run", button_style="primary")
out = widgets.Output()


def on_run(_button) -> None:
{broken_handler}    with out:
        out.clear_output(wait=True)
        display(Image(data=swatch(pigment.value, size.value), format="png"))


run.on_click(on_run)
children = [pigment, size, run, out]
{broken_frontend}{broken_cell}display(widgets.VBox(children))
'''

_BROKEN_HANDLER = '    raise RuntimeError("broken on purpose: the Run handler fails")\n'
_BROKEN_CELL = 'raise ValueError("broken on purpose: the panel cell fails")\n'
_BROKEN_FRONTEND = '''\


class Missing(widgets.DOMWidget):
    """Broken on purpose: its JavaScript module does not exist."""
    _view_module = widgets.widget.Unicode("course-no-such-widget").tag(sync=True)
    _view_name = widgets.widget.Unicode("MissingView").tag(sync=True)
    _model_module = widgets.widget.Unicode("course-no-such-widget").tag(sync=True)
    _model_name = widgets.widget.Unicode("MissingModel").tag(sync=True)


children.insert(0, Missing())

'''


def build(path: Path, breakage: str | None = None) -> Path:
    """Write the panel notebook (working, or broken as `breakage` says) to `path`."""
    if breakage not in (None, *BREAKAGES):
        raise ValueError(f"breakage must be None or one of {BREAKAGES}, got {breakage!r}")
    panel = _PANEL.format(broken_handler=_BROKEN_HANDLER if breakage == "handler" else "",
                          broken_frontend=_BROKEN_FRONTEND if breakage == "frontend" else "",
                          broken_cell=_BROKEN_CELL if breakage == "cell" else "")
    nb = new_notebook(cells=[
        new_markdown_cell("# Browser-test panel\nChoose a pigment and press **Run**."),
        new_code_cell(_SETUP),
        new_code_cell(panel),
    ])
    nb.metadata["kernelspec"] = {"name": "style-across-cultures", "language": "python",
                                 "display_name": "Style Across Cultures (Python 3.11)"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


_STYLE_PANEL = '''\
import numpy as np

from helpers import runtime, widgets

cfg = runtime.setup(seed=0)


def colour_transfer(content, style, *, style_weight, size, preserve_color):
    """A cheap stand-in for style transfer: give the photo the painting's colour statistics."""
    step = max(1, max(content.shape[:2]) // size)
    c = content[::step, ::step].astype(np.float32)
    s = style.reshape(-1, 3).astype(np.float32)
    out = (c - c.mean((0, 1))) / (c.std((0, 1)) + 1e-6) * s.std(0) + s.mean(0)
    # Like the real thing, the style weight decides how far the photo moves (a new image per weight).
    share = float(np.clip(np.log10(style_weight) / 12.0, 0.0, 1.0))
    return np.clip(share * out + (1.0 - share) * c, 0.0, 1.0)


panel = widgets.StylePanel(colour_transfer, sizes=(64, 96))
panel
'''


def build_style_panel(path: Path) -> Path:
    """The course's own panel (helpers.widgets.StylePanel) with a cheap render function."""
    nb = new_notebook(cells=[
        new_markdown_cell("# StylePanel in the browser\nThe lessons' panel class, with a quick "
                          "colour-statistics render instead of style transfer."),
        new_code_cell(_STYLE_PANEL),
    ])
    nb.metadata["kernelspec"] = {"name": "style-across-cultures", "language": "python",
                                 "display_name": "Style Across Cultures (Python 3.11)"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


if __name__ == "__main__":
    args = sys.argv[1:]
    if not args:
        raise SystemExit(__doc__)
    mode = args[args.index("--break") + 1] if "--break" in args else None
    print(build(Path(args[0]), mode))
