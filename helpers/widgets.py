"""Interactive panels for the lessons: pick a style (by tradition, then work), a photo, settings, Run.

The panel works offline in JupyterLab (plain ipywidgets, no extensions). Its widgets carry
stable ``description`` strings, so that a browser test can find them:

=====================  ==============================================
``Tradition``          Dropdown of ``tradition_group`` values
``Style work``         Dropdown of the works of that tradition
``Content photo``      Dropdown of the content photographs
``Style weight``       FloatLogSlider (β)
``Size (px)``          Dropdown of output sizes
``Preserve colour``    Checkbox (luminance-only transfer)
``Run``                Button; the result appears in the output area
=====================  ==============================================

The picture is made by a ``render`` function, so another lesson can reuse the panel with its
own method (e.g. AdaIN in lesson 06)::

    def render(content, style, *, style_weight, size, preserve_color):
        return my_method(content, style, ...)          # NumPy (H, W, 3) in [0, 1]

    panel = widgets.StylePanel(render)
    panel            # shows it; panel.run() does what the Run button does

    >>> from helpers import widgets
    >>> panel = widgets.StylePanel(lambda c, s, **kw: c, sizes=(64,))
    >>> panel.run_button.description
    'Run'
    >>> image = panel.run()        # runs the render function, shows the result
    >>> image.shape[2]
    3
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np

from . import data, plot

Render = Callable[..., np.ndarray]

#: The widgets' descriptions, in display order (stable: browser tests rely on them).
DESCRIPTIONS = ("Tradition", "Style work", "Content photo", "Style weight", "Size (px)",
                "Preserve colour", "Run")


def stylize_render(steps: int = 30, scales: int = 1) -> Render:
    """A ``render`` function for :class:`StylePanel` using :func:`helpers.style.stylize`."""
    from . import style

    def render(content: np.ndarray, style_image: np.ndarray, *, style_weight: float, size: int,
               preserve_color: bool) -> np.ndarray:
        return style.stylize(content, style_image, style_weight=style_weight, size=size,
                             steps=steps, scales=scales,
                             preserve_color="luminance" if preserve_color else None,
                             progress=False)

    return render


class StylePanel:
    """Controls, a Run button and an output area; Run calls ``render`` and shows its image.

    Parameters
    ----------
    render:
        ``render(content, style, *, style_weight, size, preserve_color) → image``; default
        :func:`stylize_render`.
    sizes:
        Output sizes offered (px); the first is selected.
    style_weight:
        Initial value of the style-weight slider (log scale, 10⁻⁴ … 10²).
    tradition, work, content:
        Initial selections (a tradition_group, an artwork id, a content-photo id).
    """

    def __init__(self, render: Render | None = None, *, sizes: Sequence[int] = (128, 192, 256),
                 style_weight: float = 1e-2, tradition: str | None = None,
                 work: str | None = None, content: str | None = None,
                 catalog: data.Catalog | None = None):
        import ipywidgets as w

        if not sizes or any(int(s) < data.MIN_SIDE for s in sizes):
            raise ValueError(f"sizes must be a non-empty list of sizes ≥ {data.MIN_SIDE} px, "
                             f"got {sizes!r}")
        if not style_weight > 0:
            raise ValueError(f"style_weight must be > 0, got {style_weight!r}")
        self.render = render or stylize_render()
        self.catalog = catalog or data.load_catalog()
        traditions = self.catalog.traditions()
        if tradition is not None and tradition not in traditions:
            raise ValueError(f"tradition {tradition!r} not in the catalog: {traditions}")
        style_desc = {"description_width": "initial"}
        layout = w.Layout(width="420px")
        self.tradition = w.Dropdown(options=traditions, value=tradition or traditions[0],
                                    description="Tradition", style=style_desc, layout=layout)
        self.work = w.Dropdown(description="Style work", style=style_desc, layout=layout)
        photos = self.catalog.contents()
        self.content = w.Dropdown(options=[(a.title, a.id) for a in photos],
                                  value=content or photos[0].id, description="Content photo",
                                  style=style_desc, layout=layout)
        self.style_weight = w.FloatLogSlider(value=style_weight, base=10, min=-4, max=2, step=0.25,
                                             description="Style weight", readout_format=".1e",
                                             style=style_desc, layout=layout)
        self.size = w.Dropdown(options=[int(s) for s in sizes], value=int(sizes[0]),
                               description="Size (px)", style=style_desc)
        self.preserve_color = w.Checkbox(value=False, description="Preserve colour",
                                         indent=False)
        self.run_button = w.Button(description="Run", button_style="primary", icon="play",
                                   tooltip="Render the photo in the chosen style")
        self.status = w.Label(value="Choose a style and a photo, then press Run.")
        self.output = w.Output(layout=w.Layout(min_height="120px"))
        self._update_works()
        if work is not None:
            self.work.value = work
        self.tradition.observe(lambda change: self._update_works(), names="value")
        self.run_button.on_click(lambda button: self.run())
        self.widget = w.VBox([self.tradition, self.work, self.content, self.style_weight,
                              w.HBox([self.size, self.preserve_color]),
                              w.HBox([self.run_button, self.status]), self.output])
        self.runs = 0
        self.last_image: np.ndarray | None = None

    def _update_works(self) -> None:
        works = [a for a in self.catalog.by_tradition(self.tradition.value) if a.role == "style"]
        self.work.options = [(a.short_caption.replace("\n", " — "), a.id) for a in works]
        self.work.value = works[0].id

    def run(self) -> np.ndarray:
        """Render with the current settings, show the result (with credits), return it."""
        from IPython.display import clear_output

        art = self.catalog[self.work.value]
        photo = self.catalog[self.content.value]
        size = int(self.size.value)
        self.run_button.disabled = True
        self.status.value = f"Running at {size} px…"
        start = time.perf_counter()
        try:
            image = self.render(photo.load(max_side=max(size, 256)), art.load(max_side=max(size, 256)),
                                style_weight=float(self.style_weight.value), size=size,
                                preserve_color=bool(self.preserve_color.value))
        except Exception as exc:
            self.status.value = f"Failed: {exc}"
            raise
        finally:
            self.run_button.disabled = False
        seconds = time.perf_counter() - start
        self.runs += 1
        self.last_image = image
        caption = (f"Run {self.runs}: {photo.title}\nin the style of {art.caption}\n"
                   f"style weight {self.style_weight.value:.1e}, {size} px"
                   f"{', colour preserved' if self.preserve_color.value else ''}")
        with self.output:
            clear_output(wait=True)
            fig = plot.show_images([art.load(max_side=size), image],
                                   [art.short_caption, caption], ncols=2, size=3.2,
                                   caption_width=48)
            plot.show(fig)
        self.status.value = f"Done in {seconds:.0f} s (run {self.runs})."
        return image

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


def make_panel(render: Render | None = None, **kwargs) -> StylePanel:  # type: ignore[no-untyped-def]
    """Shorthand for :class:`StylePanel` (same arguments)."""
    return StylePanel(render, **kwargs)
