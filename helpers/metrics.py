"""How the course measures images: one name per measure, each defined once.

Lessons 02, 04, 05, 06, 07 and 09. Every function takes RGB images in [0, 1] (uint8 accepted
where an image is taken) or feature vectors, and returns plain floats or NumPy arrays.

- Generated samples against real ones (lessons 02, 06): :func:`vgg_embedding`, :func:`kid`,
  :func:`precision_recall`, :func:`nearest_neighbour_distances`, :func:`nearest_labels`.
- Structure (lessons 05, 09): :func:`ssim`, :func:`cycle_errors`, :func:`content_distance`,
  :func:`checkerboard` (a grid printed by strided up-sampling).
- Style, as VGG16 Gram statistics (lessons 03–07): :func:`gram_distance`,
  :func:`tradition_grams`, :func:`style_distance`, and :func:`style_reduction` (the share of the
  photo's distance a stylised result removed).

    >>> import numpy as np
    >>> from helpers import metrics
    >>> img = np.random.default_rng(0).random((32, 32, 3))
    >>> metrics.ssim(img, img)
    1.0
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .features import CONTENT_LAYER, STYLE_LAYERS
from .images import check_image, resize_to

__all__ = [
    "EMBED_LAYERS", "vgg_embedding", "kid", "precision_recall", "nearest_neighbour_distances", "nearest_labels",
    "ssim", "cycle_errors", "content_distance", "checkerboard",
    "gram_distance", "tradition_grams", "style_distance", "style_reduction",
]


# --------------------------------------------------------------------------------------
# Samples against real images: VGG16 embeddings, KID, precision/recall, nearest neighbours
# --------------------------------------------------------------------------------------

#: Layers whose spatially averaged activations describe a small patch (texture and parts).
EMBED_LAYERS: tuple[str, ...] = ("block2_conv1", "block3_conv1", "block4_conv1")


def vgg_embedding(images01: np.ndarray, layers: Sequence[str] = EMBED_LAYERS, size: int = 32,
                  batch_size: int = 128) -> np.ndarray:
    """One vector per image: VGG16 activations at ``layers``, averaged over positions.

    Images (N, h, w, 3) in [0, 1] are resized to ``size`` px first (32 px: ``block4_conv1``
    then sees a 4×4 map; 64 px gives finer maps but costs 4× more). Returns float64
    (N, sum of channels).
    """
    import tensorflow as tf

    from .features import get_extractor

    images01 = np.asarray(images01, np.float32)
    if images01.ndim != 4 or images01.shape[-1] != 3:
        raise ValueError(f"images01 must be a batch (N, H, W, 3), got {images01.shape}")
    vgg = get_extractor(tuple(layers))
    parts = []
    for i in range(0, len(images01), batch_size):
        x = tf.image.resize(images01[i:i + batch_size], (size, size), method="bilinear")
        acts = vgg(x)
        parts.append(np.concatenate([tf.reduce_mean(acts[k], axis=(1, 2)).numpy() for k in layers],
                                    axis=1))
    return np.concatenate(parts, axis=0).astype(np.float64)


def _paired(x: np.ndarray, y: np.ndarray, names: tuple[str, str]) -> tuple[np.ndarray, np.ndarray]:
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1]:
        raise ValueError(f"{names[0]} and {names[1]} must be (n, d) with the same d, "
                         f"got {x.shape} and {y.shape}")
    return x, y


def kid(x: np.ndarray, y: np.ndarray, scale: float | None = None) -> float:
    """Kernel inception distance: unbiased squared MMD with the kernel k(a, b) = (a·b/d + 1)³.

    Bińkowski et al. (2018), computed on whatever features you give it (here VGG16
    embeddings, not Inception's). Both sets are centred on ``x``'s mean and divided by
    ``scale`` (default: the root-mean-square spread of ``x``'s features, one number, so
    a·b/d is of order 1 whatever the features' units). 0 means "same distribution"; it can
    dip slightly below 0 by chance.

    >>> rng = np.random.default_rng(0)
    >>> abs(kid(rng.normal(size=(200, 8)), rng.normal(size=(200, 8)))) < 0.05
    True
    """
    x, y = _paired(x, y, ("x", "y"))
    if len(x) < 2 or len(y) < 2:
        raise ValueError("kid needs at least two samples on each side")
    mu = x.mean(axis=0)
    s = np.sqrt(np.mean((x - mu) ** 2)) + 1e-12 if scale is None else float(scale)
    x, y = (x - mu) / s, (y - mu) / s
    d = x.shape[1]
    kxx = (x @ x.T / d + 1) ** 3
    kyy = (y @ y.T / d + 1) ** 3
    kxy = (x @ y.T / d + 1) ** 3
    m, n = len(x), len(y)
    return float((kxx.sum() - np.trace(kxx)) / (m * (m - 1))
                 + (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
                 - 2 * kxy.mean())


def _pairwise(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    d2 = (a ** 2).sum(1)[:, None] + (b ** 2).sum(1)[None] - 2 * a @ b.T
    return np.sqrt(np.maximum(d2, 0.0))


def nearest_neighbour_distances(queries: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Euclidean distance from each query vector to its nearest reference vector.

    Used on VGG embeddings: generated samples much closer to the training patches than fresh
    real patches are would be copies (memorisation).
    """
    q, r = _paired(queries, reference, ("queries", "reference"))
    return _pairwise(q, r).min(axis=1)


def nearest_labels(queries: np.ndarray, reference: np.ndarray, labels: Sequence[int]) -> np.ndarray:
    """The label of each query's nearest reference vector (which work does a sample look like?).

    With real patches labelled by the work they were cut from, this counts the *modes* a
    generator covers: the number of different labels among its samples.

    >>> ref = np.array([[0.0, 0.0], [10.0, 10.0]])
    >>> nearest_labels(np.array([[1.0, 0.0], [9.0, 9.0], [8.0, 10.0]]), ref, [0, 1]).tolist()
    [0, 1, 1]
    """
    q, r = _paired(queries, reference, ("queries", "reference"))
    labels = np.asarray(labels)
    if labels.shape != (len(r),):
        raise ValueError(f"labels must give one label per reference vector ({len(r)}), got shape {labels.shape}")
    return labels[_pairwise(q, r).argmin(axis=1)]


def precision_recall(real: np.ndarray, fake: np.ndarray, k: int = 3) -> dict[str, float]:
    """Improved precision and recall in feature space (Kynkäänniemi et al. 2019).

    Each set's manifold is the union of balls around its points with radius the distance to
    the point's ``k``-th nearest neighbour in the same set. *Precision*: the share of fakes
    inside the real manifold (are samples realistic?). *Recall*: the share of reals inside
    the fake manifold (is the data's variety covered?). Collapse lowers recall; blur lowers
    precision.

    >>> rng = np.random.default_rng(0)
    >>> r = rng.normal(size=(300, 4))
    >>> pr = precision_recall(r, rng.normal(size=(300, 4)))
    >>> pr["precision"] > 0.8 and pr["recall"] > 0.8
    True
    >>> precision_recall(r, np.zeros((300, 4)) + 0.01 * rng.normal(size=(300, 4)))["recall"] < 0.1
    True
    """
    real, fake = _paired(real, fake, ("real", "fake"))
    if k < 1 or len(real) <= k or len(fake) <= k:
        raise ValueError(f"k={k} needs more than k samples on each side "
                         f"(got {len(real)} real, {len(fake)} fake)")

    def radii(x: np.ndarray) -> np.ndarray:
        d = _pairwise(x, x)
        return np.sort(d, axis=1)[:, k]  # column 0 is the point itself

    r_real, r_fake = radii(real), radii(fake)
    d_fr = _pairwise(fake, real)
    precision = float(np.mean((d_fr <= r_real[None, :]).any(axis=1)))
    recall = float(np.mean((d_fr.T <= r_fake[None, :]).any(axis=1)))
    return {"precision": precision, "recall": recall}


# --------------------------------------------------------------------------------------
# Structure: SSIM, round-trip errors, VGG content distance
# --------------------------------------------------------------------------------------


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Structural similarity of two RGB images of the same shape (scikit-image), in [-1, 1]."""
    from skimage.metrics import structural_similarity

    a, b = check_image(a, "a", min_side=7), check_image(b, "b", min_side=7)
    if a.shape != b.shape:
        raise ValueError(f"a and b differ in shape: {a.shape} vs {b.shape}")
    return round(float(structural_similarity(a, b, channel_axis=2, data_range=1.0)), 12)


def cycle_errors(original: np.ndarray, reconstructed: np.ndarray) -> dict[str, float]:
    """L1 (mean absolute difference, images in [0, 1]) and SSIM of a round trip."""
    a = check_image(original, "original")
    b = check_image(reconstructed, "reconstructed")
    if a.shape != b.shape:
        raise ValueError(f"original and reconstructed differ in shape: {a.shape} vs {b.shape}")
    return {"l1": float(np.mean(np.abs(a - b))), "ssim": ssim(a, b)}


def checkerboard(image: np.ndarray, period: int = 4) -> float:
    """How strongly an image carries a pattern tied to the pixel grid, × 1000 (photos: about 1).

    Each pixel's local mean (a 5×5 box) is removed from the grey image, and what is left is
    averaged over all pixels at the same position modulo ``period`` (two stride-2 stages repeat
    every 4 pixels). Content averages out over those positions; a checkerboard from transposed
    convolutions (Odena et al., 2016) does not. Returns the root mean square of the
    ``period``² averages, in grey levels of [0, 1], times 1000.

    >>> flat = np.full((32, 32, 3), 0.5); grid = flat.copy(); grid[::2, ::2] += 0.1
    >>> checkerboard(flat), checkerboard(grid) > 10
    (0.0, True)
    """
    from scipy.ndimage import uniform_filter

    if period < 2:
        raise ValueError(f"period must be at least 2, got {period}")
    grey = check_image(image, "image", min_side=2 * period).astype(np.float64).mean(axis=2)
    detail = grey - uniform_filter(grey, size=5, mode="reflect")
    h, w = (s - s % period for s in detail.shape)
    phases = detail[:h, :w].reshape(h // period, period, w // period, period).mean(axis=(0, 2))
    return round(1000 * float(np.sqrt(np.mean(phases ** 2))), 9)


def content_distance(output: np.ndarray, photo: np.ndarray, layer: str = CONTENT_LAYER) -> float:
    """Relative VGG16 content distance ‖F(output) − F(photo)‖ / ‖F(photo)‖ at ``layer``."""
    from .features import get_extractor

    a, b = check_image(output, "output"), check_image(photo, "photo")
    if a.shape != b.shape:
        raise ValueError(f"output and photo differ in shape: {a.shape} vs {b.shape}")
    vgg = get_extractor((layer,))
    fa, fb = vgg.numpy(a)[layer], vgg.numpy(b)[layer]
    return float(np.linalg.norm(fa - fb) / max(np.linalg.norm(fb), 1e-12))


# --------------------------------------------------------------------------------------
# Style: Gram statistics of VGG16 features (the loss itself lives in helpers.style)
# --------------------------------------------------------------------------------------


def _grams(images: Sequence[np.ndarray], layers: Sequence[str]) -> list[dict[str, np.ndarray]]:
    from .features import LAYERS, get_extractor
    from .style import gram_matrix

    vgg = get_extractor(tuple(n for n in LAYERS if n in set(layers)))
    out = []
    for i, img in enumerate(images):
        acts = vgg(check_image(img, f"images[{i}]"))
        out.append({k: gram_matrix(acts[k]).numpy()[0].astype(np.float64) for k in layers})
    return out


def gram_distance(a: np.ndarray, b: np.ndarray,
                  layers: Sequence[str] = STYLE_LAYERS) -> dict[str, float]:
    """Relative Gram-matrix difference ‖G_a − G_b‖ / ‖G_a‖ per layer (Frobenius norms).

    0 means the two images have the same style statistics at that layer.

    >>> img = np.random.default_rng(0).random((64, 64, 3)).astype(np.float32)
    >>> gram_distance(img, img, ["block1_conv1"])
    {'block1_conv1': 0.0}
    """
    ga, gb = _grams([a, b], layers)
    return {k: float(np.linalg.norm(ga[k] - gb[k]) / max(float(np.linalg.norm(ga[k])), 1e-12))
            for k in layers}


def tradition_grams(images: Sequence[np.ndarray],
                    layers: Sequence[str] = STYLE_LAYERS) -> dict[str, np.ndarray]:
    """The mean Gram matrix per VGG16 style layer over a tradition's images."""
    if not len(images):
        raise ValueError("images is empty")
    grams = _grams(images, layers)
    return {k: np.mean([g[k] for g in grams], axis=0) for k in layers}


def style_distance(images: Sequence[np.ndarray], reference: dict[str, np.ndarray]) -> list[float]:
    """Gram distance of each image to a reference (e.g. :func:`tradition_grams`).

    Per layer: the mean squared difference of the Gram matrices divided by the mean squared
    entry of the reference Gram (so each layer weighs about the same); then averaged over
    layers. 0 means the same feature statistics as the reference; lower is closer.
    """
    out = []
    for g in _grams(images, list(reference)):
        per_layer = [np.mean((g[k] - reference[k]) ** 2) / np.mean(reference[k] ** 2)
                     for k in reference]
        out.append(float(np.mean(per_layer)))
    return out


def style_reduction(result: np.ndarray, photo: np.ndarray, style: np.ndarray,
                    layers: Sequence[str] = STYLE_LAYERS) -> float:
    """Share of the photo's style distance to ``style`` that ``result`` removed (1 = all).

    ``1 − d(result) / d(photo)`` with :func:`style_distance`, the photo and the style image
    first resized to the result's longer side: lesson 04's and the benchmark's measure of "how
    stylised". 0 means no closer to the painting than the photo was; negative, further away.

    >>> rng = np.random.default_rng(0)
    >>> photo, art = rng.random((32, 32, 3)), rng.random((32, 32, 3)) ** 3
    >>> style_reduction(photo, photo, art), round(style_reduction(art, photo, art), 3)
    (0.0, 1.0)
    """
    size = max(check_image(result, "result").shape[:2])
    ref = tradition_grams([resize_to(check_image(style, "style"), size)], layers)
    before, after = style_distance([resize_to(check_image(photo, "photo"), size), result], ref)
    return 1.0 - after / before
