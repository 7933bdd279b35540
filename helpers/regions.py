"""Where a picture is empty: region masks for guided style transfer, and the liubai score.

Lesson 09 (culture-aware style transfer). The guided Gram matrices themselves are in
:mod:`helpers.style_loss` (``style.stylize(..., regions=...)``); this module finds the regions
and measures what a transfer did to them. NumPy in and out.

* **The rule for "flat"** (:func:`flat_mask`), the same for a photo and a painting: blur the grey
  image a little (σ = 1 px, so the weave of silk, the grain of paper and JPEG noise do not count
  as texture), take the standard deviation of grey levels in a small window
  (:func:`helpers.culture.local_contrast`, lesson 07), call a pixel flat where it is below 0.02
  (2 % of the grey range), then drop specks (a morphological opening and closing) and soften
  the edge. In a photo that finds sky, still water, plain walls; in an ink painting, the
  empty silk or paper (留白, liubai) and the mist; in a print, its flat colour fields.
* **Mass to mass, void to void** (:func:`void_and_mass`): the two (photo mask, painting mask)
  pairs that ``stylize(regions=...)`` takes.
* **The liubai score** (:func:`liubai_score`): the texture a transfer added where the photo was
  flat. 0 for the photo itself; it grows with every stroke painted into its sky.

    >>> import numpy as np
    >>> from helpers import regions
    >>> sky = np.full((64, 64, 3), 0.8, np.float32); sky[40:] = np.random.default_rng(0).random((24, 64, 3))
    >>> m = regions.flat_mask(sky)
    >>> round(float(m[:30].mean()), 2), round(float(m[44:].mean()), 2)
    (1.0, 0.0)
    >>> regions.liubai_score(sky, sky)
    0.0
"""

from __future__ import annotations

import numpy as np

from .culture import local_contrast
from .images import check_image
from .style_loss import check_mask

__all__ = ["FLAT_THRESHOLD", "flat_mask", "void_and_mass", "liubai_score"]

#: A pixel is flat where the grey levels around it spread less than this (grey in [0, 1]).
FLAT_THRESHOLD = 0.02


def flat_mask(image: np.ndarray, threshold: float = FLAT_THRESHOLD, window: int | None = None,
              smooth: float = 1.0, soften: bool = True) -> np.ndarray:
    """Where ``image`` is flat (low texture): float32 (H, W), 1 flat, 0 textured.

    The rule: grey image blurred with a Gaussian of ``smooth`` px; its local standard deviation
    in a ``window``-px box (default 1/32 of the shorter side, at least 3 px) below
    ``threshold``; then an opening and a closing with a box of the same size remove specks
    and pinholes; ``soften`` blurs the edge over about half a window, so a region fades out
    instead of ending in a seam. Computed at the image's own size (the course uses 256 px).
    """
    from scipy import ndimage as ndi

    img = check_image(image, "image", min_side=8)
    if not 0 < threshold < 1:
        raise ValueError(f"threshold must be in (0, 1), got {threshold!r}")
    if not smooth >= 0:
        raise ValueError(f"smooth must be ≥ 0 px, got {smooth!r}")
    if window is None:
        window = max(3, int(round(min(img.shape[:2]) / 32)) | 1)
    if not (isinstance(window, (int, np.integer)) and window >= 1):
        raise ValueError(f"window must be a positive whole number of pixels, got {window!r}")
    blurred = ndi.gaussian_filter(img, (smooth, smooth, 0)) if smooth > 0 else img
    flat = local_contrast(blurred, window) < threshold
    box = np.ones((window, window), bool)
    flat = ndi.binary_closing(ndi.binary_opening(flat, box), box, border_value=1)
    mask = flat.astype(np.float32)
    if soften:
        mask = np.clip(ndi.gaussian_filter(mask, window / 4), 0.0, 1.0)
    return mask.astype(np.float32)


def void_and_mass(photo: np.ndarray, painting: np.ndarray, threshold: float = FLAT_THRESHOLD,
                  **options) -> list[tuple[np.ndarray, np.ndarray]]:  # type: ignore[no-untyped-def]
    """[(flat in the photo, flat in the painting), (the rest of each)]: ``stylize``'s ``regions``.

    Void goes to void (the photo's sky and water take the statistics of the painting's empty
    silk), mass to mass. Each mask has its image's (H, W); ``options`` go to :func:`flat_mask`.
    Raises ``ValueError`` naming the image when one of them has no flat or no textured part
    at this ``threshold`` (a region must not be empty).
    """
    pairs = []
    masks = {"photo": flat_mask(photo, threshold, **options),
             "painting": flat_mask(painting, threshold, **options)}
    for part, pick in (("flat", lambda m: m), ("textured", lambda m: 1.0 - m)):
        pair = []
        for name, m in masks.items():
            region = pick(m)
            if float(region.max()) <= 0.0:
                raise ValueError(f"{name} has no {part} part at threshold {threshold}: "
                                 f"choose another threshold, or use plain transfer")
            pair.append(check_mask(region, f"{part} mask of the {name}"))
        pairs.append((pair[0], pair[1]))
    return pairs


def liubai_score(output: np.ndarray, photo: np.ndarray, mask: np.ndarray | None = None,
                 window: int | None = None) -> float:
    """Texture added where the photo was flat: lower keeps more empty space (0: none added).

    The mean, over ``mask`` (weights in [0, 1]; default :func:`flat_mask` of ``photo``), of
    max(0, local contrast of ``output`` − local contrast of ``photo``): the grey-level standard
    deviation in a ``window``-px box (:func:`helpers.culture.local_contrast`), unblurred, so every
    stroke counts. ``output`` and ``photo`` must have the same shape (resize the photo first).

    >>> rng = np.random.default_rng(0)
    >>> sky = np.full((64, 64, 3), 0.6, np.float32)
    >>> noisy = [np.clip(sky + a * rng.standard_normal(sky.shape), 0, 1) for a in (0.02, 0.1)]
    >>> [liubai_score(x, sky) > 0 for x in noisy], liubai_score(noisy[0], sky) < liubai_score(noisy[1], sky)
    ([True, True], True)
    """
    out, ph = check_image(output, "output", min_side=8), check_image(photo, "photo", min_side=8)
    if out.shape != ph.shape:
        raise ValueError(f"output and photo differ in shape: {out.shape} vs {ph.shape}; "
                         f"resize the photo to the output's size first")
    mask = flat_mask(ph) if mask is None else check_mask(mask, "mask", ph.shape[:2])
    if float(mask.sum()) <= 0.0:
        raise ValueError("mask: the photo has no flat region (its flat_mask is all zeros)")
    added = np.maximum(local_contrast(out, window) - local_contrast(ph, window), 0.0)
    return round(float((added * mask).sum() / mask.sum()), 12)
