"""Measuring art traditions: statistics of one image, and a style space of many.

Lesson 07 (and its solutions). NumPy in and out; scikit-image, SciPy and scikit-learn (but for
:class:`TraditionClassifier`'s base classes) are imported inside the functions that need them.

* **image statistics** of one image: CIELAB palette, colourfulness, saturation, empty space,
  edge density, stroke orientation, spectral slope (:func:`image_stats`);
* **style space**: VGG16 Gram matrices as one unit-length vector per image
  (:func:`style_vectors`); :class:`TraditionClassifier`, a scikit-learn estimator on images;
  leave-one-out on feature rows (:func:`loo_predict`); distances and a 2-D map.

Elsewhere: grouped cross-validation in :mod:`helpers.evaluation`, intervals and tests in
:mod:`helpers.stats`, the experiment in :mod:`helpers.study`, lesson 08 in :mod:`helpers.datasheet`.

    >>> import numpy as np
    >>> from helpers import culture
    >>> grey = np.full((64, 64, 3), 0.5, np.float32)
    >>> round(culture.colourfulness(grey), 3), round(culture.edge_density(grey), 3)
    (0.0, 0.0)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.utils.validation import check_is_fitted

from .evaluation import fit_clone, grouped_predict
from .features import LAYERS, STYLE_LAYERS
from .images import check_image, resize_to
from .stats import axial_mean

__all__ = [
    "STAT_NAMES", "COLOUR_FEATURE_NAMES", "FEATURE_SETS", "TraditionClassifier",
    "lab_palette", "lab_to_rgb", "colourfulness", "saturation", "local_contrast", "empty_space_mask",
    "empty_space", "edge_density", "stroke_orientation", "radial_power_spectrum", "spectral_slope",
    "powerlaw_noise", "colour_features", "image_stats", "style_vectors", "make_classifier",
    "fit_classifier", "loo_predict", "distance_matrix", "tradition_distances", "embed_2d",
]


def _rgb64(image: np.ndarray, name: str = "image") -> np.ndarray:
    """helpers.images.check_image, at least 8 px a side (for the filters), in float64 (the
    statistics are sums over many pixels)."""
    return check_image(image, name, min_side=8).astype(np.float64)


def _grey(image: np.ndarray) -> np.ndarray:
    from skimage.color import rgb2gray
    return rgb2gray(_rgb64(image))


# --------------------------------------------------------------------------------------
# 1 · Image statistics
# --------------------------------------------------------------------------------------


def lab_palette(image: np.ndarray, k: int = 5, seed: int = 0,
                max_pixels: int = 5_000) -> tuple[np.ndarray, np.ndarray]:
    """The image's ``k`` main colours: k-means in CIELAB (scikit-learn), largest share first.

    Returns ``(centres, shares)``: centres (k, 3) in L*a*b*, shares (k,) summing to 1.
    Pixels are subsampled (seeded) to ``max_pixels`` for speed.

    >>> img = np.zeros((20, 20, 3)); img[:, :5] = [1, 0, 0]      # a quarter red, the rest black
    >>> centres, shares = lab_palette(img, k=2)
    >>> shares.round(2).tolist(), centres[1].round(0).tolist()[:1]
    ([0.75, 0.25], [53.0])
    """
    from skimage.color import rgb2lab
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_limits

    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    lab = rgb2lab(_rgb64(image)).reshape(-1, 3)
    rng = np.random.default_rng(seed)
    if len(lab) > max_pixels:
        lab = lab[rng.choice(len(lab), max_pixels, replace=False)]
    n_distinct = len(np.unique(lab.round(3), axis=0))
    with threadpool_limits(1):   # a small k-means: threads cost 20x on two busy cores
        km = KMeans(n_clusters=min(k, n_distinct), n_init=2, random_state=seed).fit(lab)
    shares = np.bincount(km.labels_, minlength=km.n_clusters).astype(float) / len(lab)
    order = np.argsort(-shares, kind="stable")
    centres, shares = km.cluster_centers_[order], shares[order]
    if len(centres) < k:  # fewer distinct colours than k: pad with empty clusters
        centres = np.vstack([centres, np.repeat(centres[-1:], k - len(centres), axis=0)])
        shares = np.concatenate([shares, np.zeros(k - len(shares))])
    return centres, shares


def lab_to_rgb(lab: np.ndarray) -> np.ndarray:
    """CIELAB colours (..., 3) → RGB in [0, 1], for swatches."""
    from skimage.color import lab2rgb

    lab = np.asarray(lab, dtype=np.float64)
    return np.clip(lab2rgb(lab.reshape(-1, 1, 3)).reshape(lab.shape), 0, 1)


def colourfulness(image: np.ndarray) -> float:
    """Hasler & Süsstrunk's (2003) colourfulness M on the 0-255 scale.

    With rg = R − G and yb = (R + G)/2 − B:  M = √(σ_rg² + σ_yb²) + 0.3·√(μ_rg² + μ_yb²).
    About 0 for greys, 33 "moderately", 59 "quite", above 82 "extremely colourful".

    >>> round(colourfulness(np.full((16, 16, 3), 0.5)), 6)
    0.0
    """
    rgb = _rgb64(image) * 255.0
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    rg, yb = r - g, 0.5 * (r + g) - b
    return float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean()))


def saturation(image: np.ndarray) -> float:
    """Mean HSV saturation (scikit-image's ``rgb2hsv``), in [0, 1]."""
    from skimage.color import rgb2hsv

    return float(rgb2hsv(_rgb64(image))[..., 1].mean())


def local_contrast(image: np.ndarray, window: int | None = None) -> np.ndarray:
    """Standard deviation of grey levels in a ``window``×``window`` box around each pixel.

    ``window`` defaults to 1/32 of the shorter side (at least 3 px, odd).
    """
    from scipy.ndimage import uniform_filter

    grey = _grey(image)
    if window is None:
        window = max(3, int(round(min(grey.shape) / 32)) | 1)
    if window < 1:
        raise ValueError(f"window must be a positive number of pixels, got {window}")
    mean = uniform_filter(grey, window, mode="reflect")
    mean_sq = uniform_filter(grey * grey, window, mode="reflect")
    return np.sqrt(np.maximum(mean_sq - mean * mean, 0.0))


def empty_space_mask(image: np.ndarray, threshold: float = 0.02,
                     window: int | None = None) -> np.ndarray:
    """Pixels in low-texture areas: local grey-level spread below ``threshold`` (grey in [0, 1]).

    The blank silk or paper of an ink painting (留白, *liubai*) is such an area; so is a flat sky
    in a print. It measures *untextured* area, whatever its colour.
    """
    if not 0 < threshold < 1:
        raise ValueError(f"threshold must be in (0, 1), got {threshold}")
    return local_contrast(image, window) < threshold


def empty_space(image: np.ndarray, threshold: float = 0.02, window: int | None = None) -> float:
    """Fraction of the image that is low-texture (see :func:`empty_space_mask`).

    >>> img = np.full((64, 64, 3), 0.8); img[:, :32] = np.random.default_rng(0).random((64, 32, 3))
    >>> 0.45 < empty_space(img) < 0.5
    True
    """
    return float(empty_space_mask(image, threshold, window).mean())


def edge_density(image: np.ndarray, sigma: float = 1.5) -> float:
    """Fraction of pixels on a Canny edge (scikit-image, Gaussian ``sigma`` in px)."""
    from skimage.feature import canny

    grey = _grey(image)
    return float(canny(grey, sigma=sigma).mean())


def stroke_orientation(image: np.ndarray, bins: int = 12) -> dict[str, float]:
    """Statistics of the direction of strokes (edges), weighted by gradient strength.

    Returns ``coherence`` (0: strokes in every direction, 1: all parallel), ``dominant_deg``
    (the main stroke direction in degrees: 0 horizontal, 90 vertical) and ``entropy`` (of a
    ``bins``-bin orientation histogram, normalised to [0, 1]).

    >>> x = np.tile(np.sin(np.arange(64) / 2.0)[None, :, None], (64, 1, 3)) * 0.5 + 0.5
    >>> s = stroke_orientation(x)                           # vertical stripes
    >>> round(s["coherence"], 2), round(s["dominant_deg"])
    (1.0, 90)
    """
    from skimage.filters import sobel_h, sobel_v

    grey = _grey(image)
    gy, gx = sobel_h(grey), sobel_v(grey)
    weight = np.hypot(gx, gy)[2:-2, 2:-2]
    # A stroke runs across its gradient: stroke angle = gradient angle + 90°, orientation mod 180°.
    theta = (np.arctan2(gy, gx)[2:-2, 2:-2] + np.pi / 2) % np.pi
    if weight.sum() <= 1e-12:
        return {"coherence": 0.0, "dominant_deg": float("nan"), "entropy": 0.0}
    # Axial mean (0° = 180°); image rows run downwards, so negate: counter-clockwise from horizontal.
    axial = axial_mean(-np.degrees(theta), weight)
    hist, _ = np.histogram(theta, bins=bins, range=(0, np.pi), weights=weight)
    p = hist / hist.sum()
    p = p[p > 0]
    entropy = float(-(p * np.log(p)).sum() / np.log(bins))
    return {"coherence": axial["resultant"], "dominant_deg": round(axial["mean_deg"], 6),
            "entropy": entropy}


def radial_power_spectrum(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean power at each spatial frequency (cycles/pixel), from a Hann-windowed FFT of the grey image."""
    from scipy.signal.windows import hann

    grey = _grey(image)
    grey = grey - grey.mean()
    h, w = grey.shape
    grey = grey * np.outer(hann(h, sym=False), hann(w, sym=False))
    power = np.abs(np.fft.fft2(grey)) ** 2
    fy, fx = np.meshgrid(np.fft.fftfreq(h), np.fft.fftfreq(w), indexing="ij")
    radius = np.hypot(fy, fx)
    step = 1.0 / min(h, w)
    index = np.round(radius / step).astype(int)
    sums = np.bincount(index.ravel(), power.ravel())
    counts = np.bincount(index.ravel())
    freqs = np.arange(len(sums)) * step
    keep = (counts > 0) & (freqs > 0) & (freqs <= 0.5)
    return freqs[keep], sums[keep] / counts[keep]


def spectral_slope(image: np.ndarray, f_min: float | None = None, f_max: float = 0.25) -> float:
    """Slope of log power against log frequency (the texture scale; photos are near −2).

    A steeper (more negative) slope means the image's energy sits in broad, large-scale forms;
    a flatter one means fine texture. Fitted between ``f_min`` (default 4 cycles per image)
    and ``f_max`` cycles/pixel (for images under 32 px, from ``f_max``/2).
    """
    freqs, power = radial_power_spectrum(image)
    if f_min is None:  # 4 cycles per image, but leave at least an octave below f_max
        f_min = min(4.0 / min(np.asarray(image).shape[:2]), f_max / 2)
    sel = (freqs >= f_min) & (freqs <= f_max) & (power > 0)
    if sel.sum() < 3:
        raise ValueError(f"too few frequencies between {f_min:.3g} and {f_max:.3g} to fit a slope")
    slope, _ = np.polyfit(np.log(freqs[sel]), np.log(power[sel]), 1)
    return float(slope)


def powerlaw_noise(shape: tuple[int, int], exponent: float = 1.0, seed: int = 0) -> np.ndarray:
    """Grey noise whose *amplitude* spectrum falls as 1/f^exponent (power as f^(−2·exponent)),
    scaled to [0, 1] and returned as RGB. ``exponent=1`` is the "1/f noise" of natural scenes."""
    h, w = shape
    rng = np.random.default_rng(seed)
    fy, fx = np.meshgrid(np.fft.fftfreq(h), np.fft.fftfreq(w), indexing="ij")
    f = np.hypot(fy, fx)
    f[0, 0] = 1.0
    spectrum = (rng.standard_normal((h, w)) + 1j * rng.standard_normal((h, w))) / f**exponent
    spectrum[0, 0] = 0
    x = np.real(np.fft.ifft2(spectrum))
    x = (x - x.min()) / (x.max() - x.min())
    return np.repeat(x[..., None], 3, axis=2)


def colour_features(image: np.ndarray) -> np.ndarray:
    """The colour-only description used as the classifier's baseline: mean and standard
    deviation of L*, a*, b*, colourfulness and mean saturation (8 numbers)."""
    from skimage.color import rgb2lab

    img = _rgb64(image)
    lab = rgb2lab(img).reshape(-1, 3)
    return np.concatenate([lab.mean(0), lab.std(0), [colourfulness(img), saturation(img)]])


COLOUR_FEATURE_NAMES: tuple[str, ...] = (
    "L_mean", "a_mean", "b_mean", "L_std", "a_std", "b_std", "colourfulness", "saturation")

#: The per-work statistics of :func:`image_stats`, in order.
STAT_NAMES: tuple[str, ...] = (
    "colourfulness", "saturation", "empty_space", "edge_density",
    "orientation_coherence", "orientation_entropy", "dominant_stroke_deg", "spectral_slope")


def image_stats(image: np.ndarray) -> dict[str, float]:
    """Every scalar statistic of lesson 07, part 1, for one image (keys: :data:`STAT_NAMES`)."""
    img = _rgb64(image)
    orient = stroke_orientation(img)
    return {
        "colourfulness": colourfulness(img),
        "saturation": saturation(img),
        "empty_space": empty_space(img),
        "edge_density": edge_density(img),
        "orientation_coherence": orient["coherence"],
        "orientation_entropy": orient["entropy"],
        "dominant_stroke_deg": orient["dominant_deg"],
        "spectral_slope": spectral_slope(img),
    }


# --------------------------------------------------------------------------------------
# 2 · Style space: Gram-matrix vectors and a leave-one-out classifier
# --------------------------------------------------------------------------------------


def _gram_vector(acts: dict, layers: Sequence[str]) -> np.ndarray:
    from .style import gram_matrix

    parts = []
    for name in layers:
        g = gram_matrix(acts[name]).numpy()[0].astype(np.float64)
        iu = np.triu_indices(g.shape[0])
        # Off-diagonal entries appear twice in G: weight them by √2 so that the vector's
        # Euclidean norm equals G's Frobenius norm.
        v = g[iu] * np.where(iu[0] == iu[1], 1.0, np.sqrt(2.0))
        norm = np.linalg.norm(v)
        parts.append(v / norm if norm > 0 else v)
    return (np.concatenate(parts) / np.sqrt(len(layers))).astype(np.float32)


def style_vectors(images: Sequence[np.ndarray], layers: Sequence[str] = STYLE_LAYERS,
                  progress: bool = False) -> np.ndarray:
    """One unit-length "style vector" per image: the Gram matrices of VGG16's ``layers``,
    each scaled to unit Frobenius norm, flattened and joined (N, D).

    Scaling each layer equally makes the vector say *which channels fire together*, at every
    depth with the same weight, not how strongly the image excites the network. Euclidean
    distances between style vectors lie in [0, 2].
    """
    from .features import get_extractor

    if len(images) == 0:
        raise ValueError("no images given")
    vgg = get_extractor(tuple(layers))
    it = images
    if progress:
        from .runtime import progress as tqdm  # a bar a saved notebook shows in its final state

        it = tqdm(images, desc="Gram features", leave=False)
    return np.stack([_gram_vector(vgg(check_image(img, f"images[{i}]", min_side=8)), layers)
                     for i, img in enumerate(it)])


def make_classifier(kind: str = "style") -> Any:
    """The default tradition classifier: nearest centroid (scikit-learn).

    ``kind="style"``: on style vectors as they are (already scaled); ``kind="colour"``: on
    colour features standardised first (their units differ). Any other scikit-learn
    classifier can take its place: pass it as ``classifier=`` to :func:`loo_predict`.
    """
    from sklearn.neighbors import NearestCentroid
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if kind == "style":
        return NearestCentroid()
    if kind == "colour":
        return make_pipeline(StandardScaler(), NearestCentroid())
    raise ValueError(f"kind must be 'style' or 'colour', got {kind!r}")


def fit_classifier(features: np.ndarray, labels: Sequence[str], kind: str = "style",
                   classifier: Any = None) -> Any:
    """A fresh copy of ``classifier`` (default: :func:`make_classifier(kind) <make_classifier>`)
    fitted on ``features`` and ``labels``; the estimator passed in is never changed.

    scikit-learn's notice that some feature is constant within a class is silenced: it is
    true of many Gram entries and does not affect nearest-centroid predictions.

    >>> clf = fit_classifier(np.array([[0.0], [0.2], [1.0], [1.2]]), ["a", "a", "b", "b"])
    >>> clf.predict([[0.1], [0.9]]).tolist()
    ['a', 'b']
    """
    return fit_clone(make_classifier(kind) if classifier is None else classifier, features, labels)


def loo_predict(features: np.ndarray, labels: Sequence[str], kind: str = "style",
                test_features: np.ndarray | None = None, classifier: Any = None) -> np.ndarray:
    """Leave-one-out predictions: each work is classified by a classifier fitted on all the others.

    ``classifier`` is any scikit-learn estimator (e.g. ``KNeighborsClassifier(1)``), cloned
    for every fold; by default :func:`make_classifier(kind) <make_classifier>`. With
    ``test_features`` (same rows as ``features``), the held-out work is replaced by its row
    there (e.g. its tile-shuffled version) when it is classified; training always uses
    ``features``. Works of one artist are not independent: see :mod:`helpers.evaluation`.

    >>> x = np.array([[0.0], [0.1], [0.2], [1.0], [1.1], [1.2]])
    >>> loo_predict(x, ["a", "a", "a", "b", "b", "b"]).tolist()
    ['a', 'a', 'a', 'b', 'b', 'b']
    """
    x = np.asarray(features)
    y = np.asarray(labels)
    if len(x) != len(y):
        raise ValueError(f"{len(x)} feature rows but {len(y)} labels")
    counts = Counter(y.tolist())
    if len(counts) < 2 or min(counts.values()) < 2:
        raise ValueError(f"every tradition needs at least 2 works for leave-one-out, got {dict(counts)}")
    xt = x if test_features is None else np.asarray(test_features)
    if xt.shape != x.shape:
        raise ValueError(f"test_features has shape {xt.shape}, features {x.shape}")
    model = make_classifier(kind) if classifier is None else classifier
    return grouped_predict(x, y, None, model, test_features=xt)


def _listed(images: Sequence[np.ndarray]) -> Sequence[np.ndarray]:
    if isinstance(images, np.ndarray) and images.ndim != 4 or len(images) == 0:
        raise ValueError(f"images must be a non-empty list of RGB arrays (H, W, 3) (one image: "
                         f"[image]), got {type(images).__name__} of length {len(images)}")
    return images


#: The feature sets of :class:`TraditionClassifier`.
FEATURE_SETS: tuple[str, ...] = ("gram", "colour")
_NOT_FITTED = "This TraditionClassifier is not fitted yet: call fit(images, labels) before predict"


class TraditionClassifier(ClassifierMixin, BaseEstimator):
    """Which tradition does a work look like? A scikit-learn classifier that takes images.

    ``features``: ``"gram"``, the :func:`style vector <style_vectors>` of VGG16's ``layers``,
    or ``"colour"``, the 8 :func:`colour_features`, of each image (RGB (H, W, 3), any size,
    float in [0, 1] or uint8) resized so its longer side is ``size`` px (``None``: as given).
    ``classifier`` works on the feature rows (default :func:`make_classifier`). Features take
    the time: :meth:`transform` computes the rows once, :meth:`feature_classifier` gives the
    estimator to cross-validate on them (:func:`helpers.evaluation.evaluate`).

    >>> rng = np.random.default_rng(0)
    >>> def work(rgb): return np.clip(np.array(rgb) + 0.05 * rng.standard_normal((24, 32, 3)), 0, 1)
    >>> works = [work([0.8, 0.2, 0.1]) for _ in range(3)] + [work([0.1, 0.2, 0.8]) for _ in range(3)]
    >>> clf = TraditionClassifier(features="colour", size=None).fit(works, ["red"] * 3 + ["blue"] * 3)
    >>> clf.classes_.tolist(), clf.predict([work([0.9, 0.1, 0.1])]).tolist()
    (['blue', 'red'], ['red'])
    """

    def __init__(self, features: str = "gram", layers: Sequence[str] = STYLE_LAYERS,
                 classifier: Any = None, size: int | None = 256):
        self.features, self.layers, self.classifier, self.size = features, layers, classifier, size

    def feature_classifier(self) -> Any:
        """A fresh, unfitted copy of the estimator that classifies :meth:`transform`'s rows."""
        if self.features not in FEATURE_SETS:
            raise ValueError(f"features must be one of {FEATURE_SETS}, got {self.features!r}")
        if isinstance(self.layers, str) or not self.layers or set(self.layers) - set(LAYERS):
            raise ValueError(f"layers must be a list of VGG16 layers {LAYERS}, got {self.layers!r}")
        if self.size is not None and not (isinstance(self.size, int) and self.size >= 8):
            raise ValueError(f"size must be None or a whole number of pixels >= 8, got {self.size!r}")
        kind = "style" if self.features == "gram" else "colour"
        return make_classifier(kind) if self.classifier is None else clone(self.classifier)

    def transform(self, images: Sequence[np.ndarray]) -> np.ndarray:
        """The feature rows (n, d) of ``images``: compute them once, cross-validate many times."""
        self.feature_classifier()  # checks the parameters
        imgs = [check_image(im, f"images[{i}]", min_side=8) for i, im in enumerate(_listed(images))]
        imgs = imgs if self.size is None else [resize_to(im, self.size) for im in imgs]
        if self.features == "gram":
            return style_vectors(imgs, tuple(self.layers))
        return np.stack([colour_features(im) for im in imgs])

    def fit(self, images: Sequence[np.ndarray], labels: Sequence[str]) -> TraditionClassifier:
        """Fit on ``images`` and their traditions ``labels`` (at least two different ones)."""
        y = np.asarray(labels)
        if y.ndim != 1 or len(y) != len(_listed(images)) or len(set(y.tolist())) < 2:
            raise ValueError(f"labels must give each of the {len(images)} images a tradition, at "
                             f"least 2 different ones; got {y.size} labels")
        self.model_ = fit_clone(self.feature_classifier(), self.transform(images), y)
        self.classes_ = self.model_.classes_
        return self

    def predict(self, images: Sequence[np.ndarray]) -> np.ndarray:
        """The most likely tradition of each image."""
        check_is_fitted(self, "model_", msg=_NOT_FITTED)
        return self.model_.predict(self.transform(images))

    def predict_proba(self, images: Sequence[np.ndarray]) -> np.ndarray:
        """Probability of each tradition (columns: ``classes_``) as the feature classifier gives it;
        nearest centroid's (scikit-learn's) are not calibrated and can disagree with :meth:`predict`."""
        check_is_fitted(self, "model_", msg=_NOT_FITTED)
        return self.model_.predict_proba(self.transform(images))


def distance_matrix(vectors: np.ndarray) -> np.ndarray:
    """Pairwise Euclidean distances between rows (SciPy)."""
    from scipy.spatial.distance import cdist

    return cdist(vectors, vectors)


def tradition_distances(vectors: np.ndarray, labels: Sequence[str],
                        classes: Sequence[str]) -> np.ndarray:
    """Mean distance between works of tradition i and works of tradition j (the diagonal
    leaves out each work's zero distance to itself)."""
    d = distance_matrix(vectors)
    y = np.asarray(labels)
    out = np.zeros((len(classes), len(classes)))
    for i, a in enumerate(classes):
        for j, b in enumerate(classes):
            block = d[np.ix_(y == a, y == b)]
            if a == b:
                n = block.shape[0]
                out[i, j] = block.sum() / max(n * (n - 1), 1)
            else:
                out[i, j] = block.mean()
    return out


def embed_2d(vectors: np.ndarray) -> np.ndarray:
    """A 2-D map of style vectors: the first two principal components (scikit-learn PCA)."""
    from sklearn.decomposition import PCA

    return PCA(n_components=2, random_state=0).fit_transform(np.asarray(vectors, dtype=np.float64))
