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
from typing import TYPE_CHECKING

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


# Lesson 06's AdaIN panel
if TYPE_CHECKING:  # annotations only: importing adain (TensorFlow) at module top is slow
    import tensorflow as tf

    from . import adain


#: The panel's widget descriptions (stable: a browser test finds the widgets by them).
PANEL_DESCRIPTIONS: tuple[str, ...] = ("Content photo", "Style work", "Alpha", "Preserve colour", "Run")


class AdaINPanel:
    """Content photo, style work, α, colour preservation and a **Run** button; the result is an
    ``ipywidgets.Image`` (JPEG) under the controls, with the time it took and the credits.

    A photograph's features and an artwork's (μ, σ) are computed once and cached, so an update
    is one AdaIN and one decoder pass. ``panel.run()`` does what the button does and returns
    the image; show ``panel.widget``.
    """

    def __init__(self, stylizer: "adain.Stylizer", size: int = 256, content: str | None = None,
                 work: str | None = None, alpha: float = 1.0,
                 catalog: data.Catalog | None = None):
        import ipywidgets as w

        if size < 16:
            raise ValueError(f"size must be at least 16 px, got {size}")
        self.stylizer, self.size = stylizer, int(size)
        self.catalog = catalog or data.load_catalog()
        photos, works = self.catalog.contents(), self.catalog.styles()
        wide = {"description_width": "initial"}
        self.content = w.Dropdown(options=[(a.title, a.id) for a in photos], value=content or photos[0].id,
                                  description="Content photo", style=wide, layout=w.Layout(width="420px"))
        self.work = w.Dropdown(options=[(a.short_caption.replace("\n", " — "), a.id) for a in works],
                               value=work or works[0].id, description="Style work", style=wide,
                               layout=w.Layout(width="420px"))
        self.alpha = w.FloatSlider(value=alpha, min=0.0, max=1.0, step=0.05, description="Alpha")
        self.preserve_color = w.Checkbox(value=False, description="Preserve colour", indent=False)
        self.run_button = w.Button(description="Run", button_style="primary",
                                   tooltip="Stylise the photo with the chosen work and alpha")
        self.image = w.Image(format="jpeg", width=self.size + 64)
        self.status = w.Label(value="Press Run.")
        self.run_button.on_click(lambda _: self.run())
        self.widget = w.VBox([self.content, self.work, w.HBox([self.alpha, self.preserve_color, self.run_button]),
                              self.image, self.status])
        self._features: dict[str, tuple[np.ndarray, "tf.Tensor"]] = {}
        self._stats: dict[str, tuple["tf.Tensor", "tf.Tensor"]] = {}
        self.last_seconds = float("nan")

    def render(self, content_id: str, work_id: str, alpha: float, preserve: bool = False) -> np.ndarray:
        """The stylised image for these settings (H, W, 3) in [0, 1]."""
        from . import adain, images

        if content_id not in self._features:
            img = adain.crop8(self.catalog[content_id].load(max_side=self.size))
            self._features[content_id] = (img, self.stylizer.encode(img)[adain.ENCODER_LAYER])
        if work_id not in self._stats:
            self._stats[work_id] = self.stylizer.stats(self.catalog[work_id].load(max_side=self.size))
        img, fc = self._features[content_id]
        mu, sigma = self._stats[work_id]
        t = alpha * adain.adain_from_stats(fc, mu, sigma) + (1.0 - alpha) * fc
        out = self.stylizer.decode(t)[0]
        return images.preserve_color(out, img) if preserve else out

    def run(self) -> np.ndarray:
        """Render with the current settings and show the result; returns the image."""
        import io

        from PIL import Image

        start = time.perf_counter()
        out = self.render(self.content.value, self.work.value, float(self.alpha.value),
                          bool(self.preserve_color.value))
        buf = io.BytesIO()
        Image.fromarray((out * 255).round().astype(np.uint8)).save(buf, format="JPEG", quality=85)
        self.image.value = buf.getvalue()
        self.last_seconds = time.perf_counter() - start
        art, photo = self.catalog[self.work.value], self.catalog[self.content.value]
        self.status.value = (f"{self.last_seconds:.2f} s · {photo.title} in the style of "
                             f"{art.caption}")
        return out
