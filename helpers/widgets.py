"""Interactive panels: pick a photo and a style work, set a few controls, press Run.

Lessons 04 (:class:`StylePanel`, optimisation with :func:`helpers.style.stylize`), 06
(:class:`AdaINPanel`, one pass of the AdaIN network) and 09 (:class:`GuidedStylePanel`, lesson
04's panel with the empty-space mask, its preview, and the brush scale). Each is a
:class:`Panel`: the same layout (dropdowns, the method's controls, a *Preserve colour* box, a
**Run** button with a status line, and the result as a JPEG image), the same ``run()`` (what
the button does), and,
when displayed, a static copy of the default result for readers without a running kernel
(a notebook viewer shows no widgets). Plain ipywidgets: works offline, no extensions.

When the chosen work (or photo) carries an ethics note in the catalog, the panel shows it
under the Run button (``notice``) and in the static copy's credit; rendering loads the work
with :meth:`helpers.data.Artwork.use_as_style` (and checks the photo with
:meth:`~helpers.data.Artwork.warn_if_flagged`), which also show the note as an
:class:`~helpers.data.EthicsNotice` warning once per session.

Each widget carries a stable ``description`` (:data:`DESCRIPTIONS`, :data:`PANEL_DESCRIPTIONS`)
so that a browser test can find it. A lesson can reuse :class:`StylePanel` with its own method
by passing a ``render(content, style, *, style_weight, size, preserve_color) → image``:

    >>> from helpers import widgets
    >>> panel = widgets.StylePanel(lambda c, s, **kw: c, sizes=(64,))
    >>> panel.run_button.description
    'Run'
    >>> image = panel.run()        # runs the render function, shows the result
    >>> image.shape[2]
    3
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from . import data

if TYPE_CHECKING:  # annotations only: importing adain (TensorFlow) at module top is slow
    import tensorflow as tf

    from . import adain

__all__ = ["Render", "DESCRIPTIONS", "PANEL_DESCRIPTIONS", "GUIDED_DESCRIPTIONS", "Panel",
           "stylize_render", "StylePanel", "guided_render", "mask_preview", "GuidedStylePanel", "AdaINPanel"]

Render = Callable[..., np.ndarray]

#: Lesson 04's widgets, in display order (stable: browser tests rely on them).
DESCRIPTIONS = ("Tradition", "Style work", "Content photo", "Style weight", "Size (px)",
                "Preserve colour", "Run")
#: What lesson 09's panel adds to lesson 04's, in display order.
GUIDED_DESCRIPTIONS: tuple[str, ...] = ("Keep empty space", "Style scale")
#: Lesson 06's widgets, in display order.
PANEL_DESCRIPTIONS: tuple[str, ...] = ("Content photo", "Style work", "Alpha", "Preserve colour",
                                       "Run")


def _jpeg(image: np.ndarray, quality: int = 90) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray((np.clip(image, 0, 1) * 255).round().astype(np.uint8)).save(
        buf, format="JPEG", quality=quality)
    return buf.getvalue()


class Panel:
    """What every lesson panel shares; a subclass adds its controls and :meth:`render`.

    Built here: ``content`` and ``work`` dropdowns (the catalog's photos and style works),
    ``preserve_color`` (checkbox), ``run_button``, ``status`` (a label), ``notice`` (a label:
    the ethics notes of the chosen work and photo, empty when neither has one) and ``image``
    (the result, JPEG, shown ``display_width`` px wide). :meth:`run` renders with the current
    settings, shows the result and returns it; ``runs`` and ``last_image`` record it.
    """

    def __init__(self, *, content: str | None = None, work: str | None = None,
                 catalog: data.Catalog | None = None, display_width: int = 512):
        import ipywidgets as w

        self.catalog = catalog or data.load_catalog()
        photos, works = self.catalog.contents(), self.catalog.styles()
        wide, layout = {"description_width": "initial"}, w.Layout(width="420px")
        self.content = w.Dropdown(options=[(a.title, a.id) for a in photos],
                                  value=content or photos[0].id, description="Content photo",
                                  style=wide, layout=layout)
        self.work = w.Dropdown(options=[(_label(a), a.id) for a in works],
                               value=work or works[0].id, description="Style work", style=wide,
                               layout=layout)
        self.preserve_color = w.Checkbox(value=False, description="Preserve colour", indent=False)
        self.run_button = w.Button(description="Run", button_style="primary", icon="play",
                                   tooltip="Render the photo in the chosen style")
        self.status = w.Label(value="Choose a style and a photo, then press Run.")
        self.notice = w.Label(value="")
        for chooser in (self.work, self.content):
            chooser.observe(lambda change: self._show_notice(), names="value")
        self._show_notice()
        self.image = w.Image(format="jpeg", width=int(display_width))
        self.run_button.on_click(lambda _: self.run())
        self.runs, self.last_image, self.last_seconds = 0, None, float("nan")
        self.widget: Any = None

    def _layout(self, rows: Sequence[Any]) -> None:
        """The panel: the given rows of controls, then Run with the status, then the image."""
        import ipywidgets as w

        self.widget = w.VBox(list(rows) + [w.HBox([self.run_button, self.status]), self.notice,
                                           self.image])

    def _show_notice(self) -> None:
        """Put the ethics notes of the chosen work and photo (if any) under the Run button."""
        chosen = [self.catalog[i] for i in (self.work.value, self.content.value) if i]
        notes = [a.notice for a in chosen if a.notice]
        self.notice.value = "Ethics note: " + " · ".join(notes) if notes else ""

    def render(self) -> np.ndarray:
        """The image (H, W, 3) in [0, 1] for the current settings."""
        raise NotImplementedError

    def caption(self) -> str:
        """One line: what the current settings show (photo, work, method's settings)."""
        art, photo = self.catalog[self.work.value], self.catalog[self.content.value]
        return f"{photo.title} in the style of {art.caption}"

    def run(self) -> np.ndarray:
        """What the Run button does: render, show the result, return it."""
        self.run_button.disabled = True
        self.status.value = "Running…"
        start = time.perf_counter()
        try:
            image = self.render()
        except Exception as exc:
            self.status.value = f"Failed: {exc}"
            raise
        finally:
            self.run_button.disabled = False
        self.last_seconds = time.perf_counter() - start
        self.runs += 1
        self.last_image = image
        self.image.value = _jpeg(image)
        self.status.value = (f"Done: run {self.runs}, {self.last_seconds:.1f} s · "
                             f"{self.caption()}")
        return image

    def _ipython_display_(self) -> None:
        from IPython.display import Image, Markdown, display

        if self.last_image is None:
            self.run()  # the default result, so that there is something to see at once
        display(self.widget)
        note = f"  \n**{self.notice.value}**" if self.notice.value else ""
        display(Markdown(f"*Static copy of the result (for viewers without a running kernel):* "
                         f"{self.caption()}{note}"))
        display(Image(data=_jpeg(self.last_image), width=self.image.width))


def _label(art: data.Artwork) -> str:
    return art.short_caption.replace("\n", " — ")


def stylize_render(steps: int = 100, scales: int = 1) -> Render:
    """A ``render`` function for :class:`StylePanel` using :func:`helpers.style.stylize`."""
    from . import style

    def render(content: np.ndarray, style_image: np.ndarray, *, style_weight: float, size: int,
               preserve_color: bool) -> np.ndarray:
        return style.stylize(content, style_image, style_weight=style_weight, size=size,
                             steps=steps, scales=scales,
                             preserve_color="luminance" if preserve_color else None,
                             progress=False)

    return render


class StylePanel(Panel):
    """Lesson 04: tradition, work, photo, style weight β, size, colour; Run calls ``render``.

    ``render(content, style, *, style_weight, size, preserve_color) → image`` (default
    :func:`stylize_render`); ``sizes`` are the output sizes offered (px; the first is
    selected); ``style_weight`` the slider's start (log scale, 10⁻⁴ … 10¹²); ``tradition``,
    ``work``, ``content`` the initial selections (a tradition_group, artwork and photo ids).
    """

    def __init__(self, render: Render | None = None, *, sizes: Sequence[int] = (128, 192, 256),
                 style_weight: float | None = None, tradition: str | None = None,
                 work: str | None = None, content: str | None = None,
                 catalog: data.Catalog | None = None):
        import ipywidgets as w

        if not sizes or any(int(s) < data.MIN_SIDE for s in sizes):
            raise ValueError(f"sizes must be a non-empty list of sizes ≥ {data.MIN_SIDE} px, "
                             f"got {sizes!r}")
        if style_weight is None:
            from . import style

            style_weight = style.DEFAULT_STYLE_WEIGHTS[style.DEFAULT_STYLE_NORM]
        if not style_weight > 0:
            raise ValueError(f"style_weight must be > 0, got {style_weight!r}")
        super().__init__(content=content, catalog=catalog, display_width=max(256, max(sizes)))
        self.render_fn = render or stylize_render()
        traditions = self.catalog.traditions()
        if tradition is not None and tradition not in traditions:
            raise ValueError(f"tradition {tradition!r} not in the catalog: {traditions}")
        wide = {"description_width": "initial"}
        self.tradition = w.Dropdown(options=traditions, value=tradition or traditions[0],
                                    description="Tradition", style=wide,
                                    layout=w.Layout(width="420px"))
        exponent = int(np.floor(np.log10(style_weight)))
        self.style_weight = w.FloatLogSlider(value=style_weight, base=10, min=exponent - 4,
                                             max=exponent + 3, step=0.25,
                                             description="Style weight", readout_format=".1e",
                                             style=wide, layout=w.Layout(width="420px"))
        self.size = w.Dropdown(options=[int(s) for s in sizes], value=int(sizes[0]),
                               description="Size (px)", style=wide)
        self._update_works()
        if work is not None:
            self.work.value = work
        self.tradition.observe(lambda change: self._update_works(), names="value")
        self._layout([self.tradition, self.work, self.content, self.style_weight,
                      w.HBox([self.size, self.preserve_color])])

    def _update_works(self) -> None:
        works = [a for a in self.catalog.by_tradition(self.tradition.value) if a.role == "style"]
        self.work.options = [(_label(a), a.id) for a in works]
        self.work.value = works[0].id

    def render(self) -> np.ndarray:
        size = int(self.size.value)
        load = max(size, 256)
        photo = self.catalog[self.content.value]
        photo.warn_if_flagged()
        return self.render_fn(photo.load(max_side=load),
                              self.catalog[self.work.value].use_as_style(max_side=load),
                              style_weight=float(self.style_weight.value), size=size,
                              preserve_color=bool(self.preserve_color.value))

    def caption(self) -> str:
        return (f"{super().caption()}; style weight {self.style_weight.value:.1e}, "
                f"{self.size.value} px{', colour preserved' if self.preserve_color.value else ''}")


def guided_render(steps: int = 100) -> Render:
    """A ``render`` for :class:`GuidedStylePanel`: :func:`helpers.style.stylize` with, when
    ``keep_empty``, ``regions=regions.void_and_mass(content, style)`` (void to void, mass to
    mass), and the style image at ``style_scale`` × the output's size (smaller: larger marks)."""
    from . import regions, style

    def render(content: np.ndarray, style_image: np.ndarray, *, style_weight: float, size: int,
               preserve_color: bool, keep_empty: bool, style_scale: float) -> np.ndarray:
        h, w = style_image.shape[:2]
        least = -(-data.MIN_SIDE * max(h, w) // min(h, w))  # the shorter side stays ≥ 16 px
        return style.stylize(content, style_image, style_weight=style_weight, size=size,
                             style_size=max(least, round(style_scale * size)), steps=steps,
                             preserve_color="luminance" if preserve_color else None,
                             regions=regions.void_and_mass(content, style_image) if keep_empty else None,
                             progress=False)

    return render


def mask_preview(content: np.ndarray, style_image: np.ndarray, height: int = 128) -> np.ndarray:
    """The photo's and the painting's flat masks (:func:`helpers.regions.flat_mask`, white =
    flat), side by side at ``height`` px, as an RGB image."""
    from . import images, regions

    parts = []
    for img in (content, style_image):
        m = regions.flat_mask(images.resize_to(img, 256))
        w = max(1, round(m.shape[1] * height / m.shape[0]))
        parts += [images.resize_exact(np.repeat(m[..., None], 3, -1), (height, w)),
                  np.full((height, 8, 3), 0.5, np.float32)]
    return np.concatenate(parts[:-1], axis=1)


class GuidedStylePanel(StylePanel):
    """Lesson 09: lesson 04's panel plus *Keep empty space* (guided Gram matrices, the photo's
    flat regions matched to the painting's), *Style scale* (the style image's size as a multiple
    of the output's) and a preview of the two masks, updated on each run.

    ``render(content, style, *, style_weight, size, preserve_color, keep_empty, style_scale)``
    (default :func:`guided_render`); ``scales``: the style scales offered (1 is selected if
    offered); other arguments as :class:`StylePanel`.
    """

    def __init__(self, render: Render | None = None, *, scales: Sequence[float] = (0.5, 1.0, 2.0),
                 keep_empty: bool = True, **kwargs: Any):
        import ipywidgets as w

        if not scales or any(not float(s) > 0 for s in scales):
            raise ValueError(f"scales must be a non-empty list of numbers > 0, got {scales!r}")
        super().__init__(render or guided_render(), **kwargs)
        self.keep_empty = w.Checkbox(value=keep_empty, description=GUIDED_DESCRIPTIONS[0],
                                     indent=False)
        values = [float(s) for s in scales]
        self.style_scale = w.Dropdown(options=[(f"{s:g}× the output", s) for s in values],
                                      value=1.0 if 1.0 in values else values[0],
                                      description=GUIDED_DESCRIPTIONS[1],
                                      style={"description_width": "initial"})
        self.masks = w.Image(format="jpeg", width=int(self.image.width) // 2)
        self._layout([self.tradition, self.work, self.content, self.style_weight,
                      w.HBox([self.size, self.preserve_color]),
                      w.HBox([self.keep_empty, self.style_scale]),
                      w.Label(value="Flat (white) in the photo | in the painting:"), self.masks])

    def render(self) -> np.ndarray:
        size = int(self.size.value)
        load = max(size, 256)
        photo = self.catalog[self.content.value]
        photo.warn_if_flagged()
        content = photo.load(max_side=load)
        art = self.catalog[self.work.value].use_as_style(max_side=load)
        self.masks.value = _jpeg(mask_preview(content, art))
        return self.render_fn(content, art, style_weight=float(self.style_weight.value), size=size,
                              preserve_color=bool(self.preserve_color.value),
                              keep_empty=bool(self.keep_empty.value),
                              style_scale=float(self.style_scale.value))

    def caption(self) -> str:
        kept = "empty space kept" if self.keep_empty.value else "plain transfer"
        return f"{super().caption()}; {kept}, style at {self.style_scale.value:g}× the output"


class AdaINPanel(Panel):
    """Lesson 06: photo, work, α and colour; Run is one AdaIN and one decoder pass.

    A photograph's features and an artwork's (μ, σ) are computed once and cached, so an
    update costs one AdaIN and one decoder pass.
    """

    def __init__(self, stylizer: "adain.Stylizer", size: int = 256, content: str | None = None,
                 work: str | None = None, alpha: float = 1.0,
                 catalog: data.Catalog | None = None):
        import ipywidgets as w

        if size < data.MIN_SIDE:
            raise ValueError(f"size must be at least {data.MIN_SIDE} px, got {size}")
        super().__init__(content=content, work=work, catalog=catalog,
                         display_width=max(256, int(size)))
        self.stylizer, self.size = stylizer, int(size)
        self.alpha = w.FloatSlider(value=alpha, min=0.0, max=1.0, step=0.05, description="Alpha")
        self._layout([self.content, self.work, w.HBox([self.alpha, self.preserve_color])])
        self._features: dict[str, tuple[np.ndarray, "tf.Tensor"]] = {}
        self._stats: dict[str, tuple["tf.Tensor", "tf.Tensor"]] = {}

    def render(self) -> np.ndarray:
        return self.render_with(self.content.value, self.work.value, float(self.alpha.value),
                                bool(self.preserve_color.value))

    def render_with(self, content_id: str, work_id: str, alpha: float,
                    preserve: bool = False) -> np.ndarray:
        """The stylised image for these settings (H, W, 3) in [0, 1]."""
        from . import adain, images

        if content_id not in self._features:
            photo = self.catalog[content_id]
            photo.warn_if_flagged()
            img = adain.crop8(photo.load(max_side=self.size))
            self._features[content_id] = (img, self.stylizer.encode(img)[adain.ENCODER_LAYER])
        if work_id not in self._stats:
            style_image = self.catalog[work_id].use_as_style(max_side=self.size)
            self._stats[work_id] = self.stylizer.stats(style_image)
        img, fc = self._features[content_id]
        mu, sigma = self._stats[work_id]
        t = alpha * adain.adain_from_stats(fc, mu, sigma) + (1.0 - alpha) * fc
        out = self.stylizer.decode(t)[0]
        return images.preserve_color(out, img) if preserve else out

    def caption(self) -> str:
        return f"{super().caption()}; α = {self.alpha.value:.2f}"
