"""The patches a small GAN learns from: random crops of a few images, and the course's
three generated Islamic star patterns cut that way.

Lesson 02 (the DCGAN's data, re-exported by :mod:`helpers.gan`); lesson 06's StyleGAN cuts
its painting patches with :func:`motif_patches` too.

    >>> import numpy as np
    >>> from helpers import motifs
    >>> motifs.motif_patches([np.zeros((40, 50, 3))], n=2, patch=16).shape
    (2, 16, 16, 3)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["motif_patches", "ISLAMIC_PATTERN_IDS", "ISLAMIC_PATTERN_SIDE", "islamic_motifs"]


def motif_patches(images: Sequence[np.ndarray], n: int, patch: int = 32, seed: int = 0,
                  augment: bool = True, return_sources: bool = False,
                  rotate: bool = True) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Random ``patch``×``patch`` crops from a list of images (H, W, 3) in [0, 1].

    Crops are spread evenly over the images (``n // len(images)`` each, the rest to the
    first ones). With ``augment``, each crop is also flipped and (with ``rotate``) rotated by
    a random multiple of 90° — symmetries the course's geometric patterns have; a painting
    with an up and a down (a wave, a sky) wants ``rotate=False``: a left–right flip only.
    Returns float32 (n, patch, patch, 3) in [0, 1], and with ``return_sources`` the index of
    each crop's image.

    >>> x = motif_patches([np.zeros((40, 50, 3))], n=3, patch=32); x.shape
    (3, 32, 32, 3)
    """
    if not images:
        raise ValueError("give at least one image")
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    for i, im in enumerate(images):
        if im.ndim != 3 or im.shape[2] != 3:
            raise ValueError(f"image {i} must be (H, W, 3), got {im.shape}")
        if min(im.shape[:2]) < patch:
            raise ValueError(f"image {i} is {im.shape[1]}×{im.shape[0]} px, smaller than the "
                             f"{patch}-px patch; load it larger")
    rng = np.random.default_rng(seed)
    sources = np.arange(n) % len(images)
    out = np.empty((n, patch, patch, 3), np.float32)
    for j, s in enumerate(sources):
        im = images[s]
        y = rng.integers(0, im.shape[0] - patch + 1)
        x = rng.integers(0, im.shape[1] - patch + 1)
        crop = im[y:y + patch, x:x + patch]
        if augment:
            if rotate:
                crop = np.rot90(crop, k=int(rng.integers(4)))
            if rng.random() < 0.5:
                crop = crop[:, ::-1]
        out[j] = crop
    return (out, sources) if return_sources else out


#: The catalog ids of the course's DCGAN data: three generated Islamic star patterns.
ISLAMIC_PATTERN_IDS: tuple[str, ...] = (
    "generated-islamic-geometric__488-star-pattern__generated",
    "generated-islamic-geometric__hex-star-pattern__generated",
    "generated-islamic-geometric__sq-star-pattern__generated",
)
#: Side (px) the patterns are shrunk to before cutting 32-px patches: a patch then holds
#: about half a repeat of the 8-fold pattern and two or three stars of the 6-fold and 4-fold
#: ones, which a small DCGAN learns within a few thousand steps on a CPU.
ISLAMIC_PATTERN_SIDE = 128


def islamic_motifs(n: int, patch: int = 32, side: int = ISLAMIC_PATTERN_SIDE, seed: int = 0,
                   return_sources: bool = False) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Patches of the three generated Islamic star patterns in the catalog, in [0, 1].

    These patterns were drawn by a program for the course (labelled "generated" in the
    catalog): teaching stand-ins, not historical objects.
    """
    from .data import load_catalog

    cat = load_catalog()
    images = [cat[i].load(max_side=side) for i in ISLAMIC_PATTERN_IDS]
    return motif_patches(images, n, patch=patch, seed=seed, return_sources=return_sources)
