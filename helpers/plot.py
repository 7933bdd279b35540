"""Figures with credits: every artwork shown by the course carries its title, artist and date.

    >>> from helpers import data, plot
    >>> cat = data.load_catalog()
    >>> works = cat.by_tradition("andean")
    >>> fig = plot.show_artworks(works, max_side=128)

Lessons 00–08 (captioned grids, :func:`show`); lessons 01, 02 and 05 (:class:`LiveFigure`,
a training view redrawn in place).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import numpy as np

from .data import Artwork

__all__ = ["wrap", "show_images", "show_artworks", "credit", "show", "LiveFigure"]


def wrap(text: str, width: int = 28) -> str:
    """Wrap each line of a caption to ``width`` characters, only at spaces (never inside a word).

    >>> print(wrap("Under the Wave off Kanagawa, 8-fold", 12))
    Under the
    Wave off
    Kanagawa,
    8-fold
    """
    return "\n".join(textwrap.fill(line, width, break_long_words=False, break_on_hyphens=False)
                     for line in text.splitlines() or [""])


def show_images(
    images: Sequence[np.ndarray],
    captions: Sequence[str] | None = None,
    ncols: int = 4,
    size: float = 2.2,
    title: str | None = None,
    caption_width: int = 28,
    fontsize: float = 7.0,
    cmap: str | None = None,
):  # type: ignore[no-untyped-def]
    """A grid of images with a caption under each; returns the Matplotlib figure.

    Images are (H, W, 3) floats in [0, 1] (or (H, W) with ``cmap``). Captions are wrapped.
    """
    import matplotlib.pyplot as plt

    n = len(images)
    if n == 0:
        raise ValueError("no images to show")
    if captions is not None and len(captions) != n:
        raise ValueError(f"{n} images but {len(captions)} captions")
    ncols = max(1, min(ncols, n))
    nrows = -(-n // ncols)
    wrapped = [wrap(c, caption_width) for c in captions] if captions is not None else []
    # room for the longest caption: a full credit is never cut, so a long one needs height
    lines = max((c.count("\n") + 1 for c in wrapped), default=0)
    caption_h = lines * fontsize * 1.3 / 72
    fig, axes = plt.subplots(nrows, ncols, squeeze=False,
                             figsize=(size * ncols, nrows * (size + caption_h + 0.15)))
    for i, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if i >= n:
            continue
        img = np.asarray(images[i])
        ax.imshow(np.clip(img, 0, 1) if cmap is None else img, cmap=cmap)
        if captions is not None:
            ax.set_title(wrapped[i], fontsize=fontsize, pad=3)
    if title:
        fig.suptitle(title, fontsize=fontsize + 3)
    fig.tight_layout()
    return fig


def show_artworks(artworks: Sequence[Artwork], max_side: int = 256, ncols: int = 4,
                  size: float = 2.2, title: str | None = None):  # type: ignore[no-untyped-def]
    """Load and show catalog entries, each captioned "title / artist, date"."""
    images = [a.load(max_side=max_side) for a in artworks]
    return show_images(images, [a.short_caption for a in artworks], ncols=ncols, size=size,
                       title=title)


def credit(artwork: Artwork, prefix: str = "") -> str:
    """A one-line credit for figure captions: ``prefix`` + "Title — Artist, date"."""
    return f"{prefix}{artwork.caption}"


def show(fig, fmt: str = "jpeg", quality: int = 85, dpi: int = 100) -> None:  # type: ignore[no-untyped-def]
    """Display a figure in the notebook as a compact image, then close it.

    Pictures of paintings compress ~10× better as JPEG than as PNG with no visible loss, which
    keeps committed notebooks small. Use ``fmt="png"`` for line plots with fine text.
    """
    from IPython.display import Image as IPyImage
    from IPython.display import display

    data = _encode(fig, fmt, dpi, quality)
    display(IPyImage(data=data, format=fmt))


def _encode(fig, fmt: str, dpi: int, quality: int = 85) -> bytes:  # type: ignore[no-untyped-def]
    """Render ``fig`` to PNG or JPEG bytes and close it."""
    import io

    import matplotlib.pyplot as plt

    if fmt not in ("jpeg", "png"):
        raise ValueError(f"fmt must be 'jpeg' or 'png', got {fmt!r}")
    buf = io.BytesIO()
    kwargs = {"pil_kwargs": {"quality": quality}} if fmt == "jpeg" else {}
    fig.savefig(buf, format=fmt, dpi=dpi, bbox_inches="tight", facecolor="white", **kwargs)
    plt.close(fig)
    return buf.getvalue()


class LiveFigure:
    """Show a Matplotlib figure in a notebook and replace it in place as training goes on.

    ``draw(fig)`` renders the figure (PNG by default, JPEG for pictures) and closes it.
    Outside a notebook it does nothing but close the figure.

    >>> import matplotlib.pyplot as plt
    >>> LiveFigure().draw(plt.figure())          # no notebook here: renders, closes, shows nothing
    """

    def __init__(self, fmt: str = "png", dpi: int = 80) -> None:
        if fmt not in ("jpeg", "png"):
            raise ValueError(f"fmt must be 'jpeg' or 'png', got {fmt!r}")
        self.fmt, self.dpi, self._handle = fmt, dpi, None

    def draw(self, fig) -> None:  # type: ignore[no-untyped-def]
        data = _encode(fig, self.fmt, self.dpi)
        try:
            from IPython import get_ipython
            from IPython.display import Image, display
        except ImportError:  # pragma: no cover
            return
        if get_ipython() is None:
            return
        img = Image(data=data, format=self.fmt)
        if self._handle is None:
            self._handle = display(img, display_id=True)
        else:
            self._handle.update(img)
