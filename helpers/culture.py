"""Measuring art traditions, and what style transfer does to them (lessons 07 and 08).

Four kinds of tool, NumPy in and out:

* **image statistics** of one image: CIELAB palette, colourfulness, saturation, empty space,
  edge density, stroke orientation, spectral slope (:func:`image_stats`);
* **style vectors**: VGG16 Gram matrices flattened into one unit-length vector per image
  (:func:`style_vectors`), with a leave-one-out tradition classifier (:func:`loo_predict`)
  and a tile-shuffle test of what lives in composition (:func:`tile_shuffle`);
* **the study**: :func:`run_study` computes every number of lesson 07 in one call and writes
  them as CSV files to a results folder (never to ``data/``);
* **the datasheet** of the course's dataset, made from the catalog (:func:`datasheet`).

    >>> import numpy as np
    >>> from helpers import culture
    >>> grey = np.full((64, 64, 3), 0.5, np.float32)
    >>> round(culture.colourfulness(grey), 3), round(culture.edge_density(grey), 3)
    (0.0, 0.0)
"""

from __future__ import annotations

import csv
import re
import time
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .data import DATA_DIR, Artwork, Catalog, EthicsNotice
from .features import CONTENT_LAYER, STYLE_LAYERS

#: Where lesson 07 writes its tables (git-ignored). The course never writes to ``data/``.
RESULTS_DIR: Path = DATA_DIR.parent / "results" / "07_culture_comparison"
#: Traditions with at least this many works take part in the classifier (smaller ones cannot
#: be left out one at a time and still have a centroid).
MIN_WORKS: int = 4
#: Generated stand-ins are not a historical tradition; the study leaves them out.
EXCLUDED_TRADITIONS: tuple[str, ...] = ("islamic-geometric-generated",)


# --------------------------------------------------------------------------------------
# Argument checks
# --------------------------------------------------------------------------------------


def _as_rgb(image: np.ndarray, name: str = "image") -> np.ndarray:
    """Check an (H, W, 3) float image in [0, 1] and return it as float64."""
    img = np.asarray(image)
    if img.ndim != 3 or img.shape[2] != 3:
        raise ValueError(f"{name} must have shape (H, W, 3), got {img.shape}")
    if min(img.shape[:2]) < 8:
        raise ValueError(f"{name} is too small ({img.shape[0]}×{img.shape[1]} px; need 8 px a side)")
    img = img.astype(np.float64)
    if not np.isfinite(img).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    if img.min() < -1e-6 or img.max() > 1 + 1e-6:
        raise ValueError(f"{name} must hold values in [0, 1], got [{img.min():.3g}, {img.max():.3g}]")
    return np.clip(img, 0.0, 1.0)


def _grey(image: np.ndarray) -> np.ndarray:
    from skimage.color import rgb2gray

    return rgb2gray(_as_rgb(image))


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

    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    lab = rgb2lab(_as_rgb(image)).reshape(-1, 3)
    rng = np.random.default_rng(seed)
    if len(lab) > max_pixels:
        lab = lab[rng.choice(len(lab), max_pixels, replace=False)]
    n_distinct = len(np.unique(lab.round(3), axis=0))
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
    rgb = _as_rgb(image) * 255.0
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    rg, yb = r - g, 0.5 * (r + g) - b
    return float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean()))


def saturation(image: np.ndarray) -> float:
    """Mean HSV saturation (scikit-image's ``rgb2hsv``), in [0, 1]."""
    from skimage.color import rgb2hsv

    return float(rgb2hsv(_as_rgb(image))[..., 1].mean())


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
    total = weight.sum()
    if total <= 1e-12:
        return {"coherence": 0.0, "dominant_deg": float("nan"), "entropy": 0.0}
    vec = (weight * np.exp(2j * theta)).sum() / total
    # Image rows run downwards: flip the sign so that angles are counter-clockwise from horizontal.
    dominant = float(np.degrees(-np.angle(vec) / 2) % 180)
    hist, _ = np.histogram(theta, bins=bins, range=(0, np.pi), weights=weight)
    p = hist / hist.sum()
    p = p[p > 0]
    entropy = float(-(p * np.log(p)).sum() / np.log(bins))
    return {"coherence": float(abs(vec)), "dominant_deg": round(dominant, 6), "entropy": entropy}


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

    img = _as_rgb(image)
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
    img = _as_rgb(image)
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


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Structural similarity of two RGB images of the same shape (scikit-image)."""
    from skimage.metrics import structural_similarity

    a, b = _as_rgb(a, "first image"), _as_rgb(b, "second image")
    if a.shape != b.shape:
        raise ValueError(f"images differ in shape: {a.shape} vs {b.shape}")
    return float(structural_similarity(a, b, channel_axis=2, data_range=1.0))


# --------------------------------------------------------------------------------------
# 2 · Style space: Gram-matrix vectors and a leave-one-out classifier
# --------------------------------------------------------------------------------------


def tile_shuffle(image: np.ndarray, grid: int = 4, seed: int = 0) -> np.ndarray:
    """Cut the image into ``grid``×``grid`` tiles and put them back in a random order.

    Texture inside each tile survives; the composition (what is where) does not. The image
    is cropped to a multiple of ``grid`` first. Never returns the original order (for
    ``grid`` ≥ 2).
    """
    img = np.asarray(image)
    if grid < 1:
        raise ValueError(f"grid must be at least 1, got {grid}")
    th, tw = img.shape[0] // grid, img.shape[1] // grid
    if th < 1 or tw < 1:
        raise ValueError(f"image {img.shape[:2]} is too small for a {grid}×{grid} grid")
    tiles = [img[r * th:(r + 1) * th, c * tw:(c + 1) * tw] for r in range(grid) for c in range(grid)]
    rng = np.random.default_rng(seed)
    order = np.arange(len(tiles))
    while grid > 1 and np.array_equal(order, np.arange(len(tiles))):
        order = rng.permutation(len(tiles))
    rows = [np.concatenate([tiles[order[r * grid + c]] for c in range(grid)], axis=1)
            for r in range(grid)]
    return np.concatenate(rows, axis=0)


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
        from tqdm.auto import tqdm

        it = tqdm(images, desc="Gram features", leave=False)
    return np.stack([_gram_vector(vgg(_as_rgb(img).astype(np.float32)), layers) for img in it])


def content_distance(output: np.ndarray, photo: np.ndarray, layer: str = CONTENT_LAYER) -> float:
    """Relative VGG16 content distance ‖F(output) − F(photo)‖ / ‖F(photo)‖ at ``layer``."""
    from .features import get_extractor

    a, b = _as_rgb(output, "output"), _as_rgb(photo, "photo")
    if a.shape != b.shape:
        raise ValueError(f"output and photo differ in shape: {a.shape} vs {b.shape}")
    vgg = get_extractor((layer,))
    fa, fb = vgg.numpy(a.astype(np.float32))[layer], vgg.numpy(b.astype(np.float32))[layer]
    return float(np.linalg.norm(fa - fb) / max(np.linalg.norm(fb), 1e-12))


def make_classifier(kind: str = "style"):  # type: ignore[no-untyped-def]
    """The tradition classifier: nearest centroid (scikit-learn).

    ``kind="style"``: on style vectors as they are (already scaled); ``kind="colour"``: on
    colour features standardised first (their units differ).
    """
    from sklearn.neighbors import NearestCentroid
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if kind == "style":
        return NearestCentroid()
    if kind == "colour":
        return make_pipeline(StandardScaler(), NearestCentroid())
    raise ValueError(f"kind must be 'style' or 'colour', got {kind!r}")


def loo_predict(features: np.ndarray, labels: Sequence[str], kind: str = "style",
                test_features: np.ndarray | None = None) -> np.ndarray:
    """Leave-one-out predictions: each work is classified by a classifier fitted on all the others.

    With ``test_features`` (same rows as ``features``), the held-out work is replaced by its
    row there (e.g. its tile-shuffled version) when it is classified; training always uses
    ``features``.
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
    out = []
    for i in range(len(x)):
        keep = np.arange(len(x)) != i
        clf = _fit(make_classifier(kind), x[keep], y[keep])
        out.append(clf.predict(xt[i:i + 1])[0])
    return np.array(out)


def _fit(clf, x: np.ndarray, y: np.ndarray):  # type: ignore[no-untyped-def]
    """Fit, silencing scikit-learn's notice that some feature is constant within a class
    (true of many Gram entries; it does not affect nearest-centroid predictions)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*within_class_std_dev_.*", category=UserWarning)
        return clf.fit(x, y)


def chance_levels(labels: Sequence[str]) -> dict[str, float]:
    """Accuracy of guessing: always the largest tradition (``majority``), or at random in
    proportion to the tradition sizes (``proportional``, Σ pᵢ²)."""
    counts = np.array(list(Counter(labels).values()), dtype=float)
    p = counts / counts.sum()
    return {"majority": float(p.max()), "proportional": float((p**2).sum())}


def confusion(labels: Sequence[str], predicted: Sequence[str], classes: Sequence[str]) -> np.ndarray:
    """Confusion matrix (rows: true tradition, columns: predicted), scikit-learn's."""
    from sklearn.metrics import confusion_matrix

    return confusion_matrix(labels, predicted, labels=list(classes))


def per_class_accuracy(labels: Sequence[str], predicted: Sequence[str]) -> dict[str, float]:
    y, p = np.asarray(labels), np.asarray(predicted)
    return {t: float((p[y == t] == t).mean()) for t in dict.fromkeys(y.tolist())}


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


# --------------------------------------------------------------------------------------
# Ethics notes
# --------------------------------------------------------------------------------------


def load_style(work: Artwork, max_side: int | None = None) -> np.ndarray:
    """Load an artwork *to be used as a style*: shows its ethics note first, if it has one
    (an :class:`~helpers.data.EthicsNotice` warning, not an error)."""
    work.warn_if_flagged()
    return work.load(max_side=max_side)


def flagged(works: Sequence[Artwork]) -> list[Artwork]:
    """The works among ``works`` whose catalog entry carries an ethics note."""
    return [w for w in works if w.ethics_note.strip()]


# --------------------------------------------------------------------------------------
# The study (lesson 07): one call, CSV files out
# --------------------------------------------------------------------------------------


@dataclass
class StudySettings:
    """What :func:`run_study` computes, and how much of it."""

    max_side: int = 256            # size at which works are measured
    transfer_side: int = 192       # size of the stylised images
    transfer_steps: int = 40       # L-BFGS iterations per stylised image
    photos: tuple[str, ...] = ()   # content photo ids
    transfer_traditions: tuple[str, ...] = ("chinese", "japanese", "south-asian", "european-painting")
    shuffle_grid: int = 4
    seed: int = 0
    palette_k: int = 5


@dataclass
class Study:
    """Everything :func:`run_study` measured (also written as CSV files to ``out_dir``)."""

    works: list[Artwork]
    stats: np.ndarray                      # (n_works, len(STAT_NAMES))
    palettes: list[tuple[np.ndarray, np.ndarray]]
    style: np.ndarray                      # style vectors (n_works, D)
    colour: np.ndarray                     # colour features (n_works, 8)
    classes: list[str]                     # traditions in the classifier
    in_classifier: np.ndarray              # bool (n_works,)
    classifier: dict[str, dict]            # per subset ("all", "full-colour"): results
    shuffle: dict[str, dict]               # per tradition: accuracy original / shuffled / retention
    transfer: list[dict] = field(default_factory=list)
    transfer_images: dict = field(default_factory=dict)   # (photo_id, tradition) -> image
    photo_images: dict = field(default_factory=dict)
    style_works: dict = field(default_factory=dict)       # tradition -> Artwork used as style
    out_dir: Path | None = None
    seconds: dict = field(default_factory=dict)

    @property
    def labels(self) -> np.ndarray:
        return np.array([w.tradition_group for w in self.works])


def _write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for row in rows:
            w.writerow([f"{v:.6g}" if isinstance(v, float) else v for v in row])


def _check_out_dir(out_dir: Path) -> Path:
    out_dir = Path(out_dir).resolve()
    data_dir = DATA_DIR.resolve()
    if out_dir == data_dir or data_dir in out_dir.parents:
        raise ValueError(f"out_dir {out_dir} is inside data/; the course never writes there")
    return out_dir


def classifier_results(style: np.ndarray, colour: np.ndarray, labels: Sequence[str],
                       classes: Sequence[str]) -> dict:
    """Leave-one-out accuracy of the style and colour classifiers, with chance levels."""
    y = np.asarray(labels)
    pred_style = loo_predict(style, y, "style")
    pred_colour = loo_predict(colour, y, "colour")
    chance = chance_levels(y)
    return {
        "n": len(y),
        "style_pred": pred_style,
        "colour_pred": pred_colour,
        "style_acc": float((pred_style == y).mean()),
        "colour_acc": float((pred_colour == y).mean()),
        "chance_majority": chance["majority"],
        "chance_proportional": chance["proportional"],
        "style_confusion": confusion(y, pred_style, classes),
        "colour_confusion": confusion(y, pred_colour, classes),
        "style_per_class": per_class_accuracy(y, pred_style),
        "colour_per_class": per_class_accuracy(y, pred_colour),
    }


def representative(works: Sequence[Artwork], vectors: np.ndarray,
                   prefer_full_colour: bool = True) -> int:
    """Index of the tradition's most typical work: the one nearest its centroid (the medoid
    in style space), among full-colour scans when there are any."""
    vectors = np.asarray(vectors)
    centre = vectors.mean(0)
    d = np.linalg.norm(vectors - centre, axis=1)
    if prefer_full_colour and any(not w.palette_reduced for w in works):
        d = np.where([w.palette_reduced for w in works], np.inf, d)
    return int(np.argmin(d))


def run_study(catalog: Catalog, settings: StudySettings, out_dir: str | Path = RESULTS_DIR,
              stylize: Callable[..., np.ndarray] | None = None, progress: bool = True) -> Study:
    """Lesson 07 in one call: describe every work, classify traditions in style space, test
    composition by tile shuffling and (given ``stylize``) fill the transfer matrix.

    ``stylize(content, style, steps)`` must return the stylised image (H, W, 3) in [0, 1] at
    the content's size. Writes ``works.csv``, ``classifier.csv``, ``shuffle.csv``,
    ``transfer.csv`` and ``headline.csv`` to ``out_dir`` (refuses any folder inside ``data/``).
    """
    from tqdm.auto import tqdm

    out_dir = _check_out_dir(Path(out_dir))
    s = settings
    t0 = time.perf_counter()
    works = [w for w in catalog.styles() if w.tradition_group not in EXCLUDED_TRADITIONS]
    if not works:
        raise ValueError("the catalog has no style works to study")
    for pid in s.photos:
        if pid not in catalog or catalog[pid].role != "content":
            raise ValueError(f"photos: {pid!r} is not a content photo of the catalog")
    images = [w.load(max_side=s.max_side) for w in tqdm(works, desc="loading works", disable=not progress)]

    # 1 · statistics
    stats, palettes = [], []
    for img in tqdm(images, desc="image statistics", disable=not progress):
        st = image_stats(img)
        stats.append([st[k] for k in STAT_NAMES])
        palettes.append(lab_palette(img, k=s.palette_k, seed=s.seed))
    stats_arr = np.array(stats)
    t1 = time.perf_counter()

    # 2 · style space
    style = style_vectors(images, progress=progress)
    colour = np.stack([colour_features(img) for img in images])
    labels = np.array([w.tradition_group for w in works])
    counts = Counter(labels.tolist())
    classes = [t for t in catalog.traditions() if counts.get(t, 0) >= MIN_WORKS]
    in_clf = np.isin(labels, classes)
    full_colour = np.array([not w.palette_reduced for w in works])
    clf = {"all": classifier_results(style[in_clf], colour[in_clf], labels[in_clf], classes)}
    sub = in_clf & full_colour
    clf["full-colour"] = classifier_results(style[sub], colour[sub], labels[sub], classes)
    t2 = time.perf_counter()

    # 3 · composition: classify each held-out work from its tile-shuffled version
    idx = np.flatnonzero(in_clf)
    shuffled = [tile_shuffle(images[i], s.shuffle_grid, seed=s.seed + int(i)) for i in idx]
    style_shuf = style_vectors(shuffled, progress=progress)
    y = labels[in_clf]
    pred_orig = clf["all"]["style_pred"]
    pred_shuf = loo_predict(style[in_clf], y, "style", test_features=style_shuf)
    shuffle = {}
    for t in classes:
        m = y == t
        a0, a1 = float((pred_orig[m] == t).mean()), float((pred_shuf[m] == t).mean())
        shuffle[t] = {"n": int(m.sum()), "acc_original": a0, "acc_shuffled": a1,
                      "retention": a1 / a0 if a0 > 0 else float("nan"),
                      "shift": float(np.linalg.norm(style[in_clf][m] - style_shuf[m], axis=1).mean())}
    shuffle["overall"] = {"n": int(len(y)), "acc_original": float((pred_orig == y).mean()),
                          "acc_shuffled": float((pred_shuf == y).mean()),
                          "retention": float((pred_shuf == y).mean()) / max(float((pred_orig == y).mean()), 1e-12),
                          "shift": float(np.linalg.norm(style[in_clf] - style_shuf, axis=1).mean())}
    t3 = time.perf_counter()

    study = Study(works=works, stats=stats_arr, palettes=palettes, style=style, colour=colour,
                  classes=classes, in_classifier=in_clf, classifier=clf, shuffle=shuffle,
                  out_dir=out_dir)

    # 4 · transfer matrix
    if stylize is not None and s.photos:
        _transfer_matrix(study, catalog, s, stylize, progress)
    t4 = time.perf_counter()
    study.seconds = {"statistics": t1 - t0, "style space": t2 - t1, "shuffle": t3 - t2,
                     "transfer": t4 - t3, "total": t4 - t0}
    _write_study(study, s)
    return study


def _transfer_matrix(study: Study, catalog: Catalog, s: StudySettings,
                     stylize: Callable[..., np.ndarray], progress: bool) -> None:
    from tqdm.auto import tqdm

    works, style, labels = study.works, study.style, study.labels
    full_colour = np.array([not w.palette_reduced for w in works])
    for t in s.transfer_traditions:
        if t not in study.classes:
            raise ValueError(f"transfer_traditions: {t!r} is not one of the classifier's {study.classes}")
    centroids = {t: style[labels == t].mean(0) for t in study.classes}
    # Two classifiers, fitted on every work of the classifier's traditions / on full-colour ones.
    fit_all = _fit(make_classifier("style"), style[study.in_classifier], labels[study.in_classifier])
    sub = study.in_classifier & full_colour
    fit_fc = _fit(make_classifier("style"), style[sub], labels[sub])
    for t in s.transfer_traditions:
        members = np.flatnonzero(labels == t)
        study.style_works[t] = works[members[representative([works[i] for i in members], style[members])]]
    jobs = [(p, t) for p in s.photos for t in s.transfer_traditions]
    for pid in s.photos:
        study.photo_images[pid] = catalog[pid].load(max_side=s.transfer_side)
    photo_vecs = {pid: style_vectors([img])[0] for pid, img in study.photo_images.items()}
    for pid, t in tqdm(jobs, desc="transfer matrix", disable=not progress):
        work = study.style_works[t]
        photo = study.photo_images[pid]
        style_img = load_style(work, max_side=s.transfer_side)   # shows the ethics note, if any
        start = time.perf_counter()
        out = np.asarray(stylize(photo, style_img, s.transfer_steps), dtype=np.float32)
        secs = time.perf_counter() - start
        if out.shape != photo.shape:
            raise ValueError(f"stylize returned shape {out.shape} for a photo of shape {photo.shape}")
        vec = style_vectors([out])[0]
        wi = works.index(work)
        study.transfer_images[(pid, t)] = out
        study.transfer.append({
            "photo": pid, "tradition": t, "style_work": work.id,
            "ssim": ssim(out, photo),
            "content_distance": content_distance(out, photo),
            "style_dist_work": float(np.linalg.norm(vec - style[wi])),
            "style_dist_centroid": float(np.linalg.norm(vec - centroids[t])),
            "photo_dist_work": float(np.linalg.norm(photo_vecs[pid] - style[wi])),
            "photo_dist_centroid": float(np.linalg.norm(photo_vecs[pid] - centroids[t])),
            "predicted": str(fit_all.predict(vec[None])[0]),
            "predicted_full_colour": str(fit_fc.predict(vec[None])[0]),
            "photo_predicted": str(fit_all.predict(photo_vecs[pid][None])[0]),
            "seconds": secs,
        })


def transfer_summary(study: Study) -> dict[str, dict[str, float]]:
    """Per target tradition: mean SSIM, content distance, style distances and deception rate."""
    out = {}
    for t in dict.fromkeys(r["tradition"] for r in study.transfer):
        rows = [r for r in study.transfer if r["tradition"] == t]
        out[t] = {
            "n": len(rows),
            "ssim": float(np.mean([r["ssim"] for r in rows])),
            "content_distance": float(np.mean([r["content_distance"] for r in rows])),
            "style_dist_work": float(np.mean([r["style_dist_work"] for r in rows])),
            "style_dist_centroid": float(np.mean([r["style_dist_centroid"] for r in rows])),
            "photo_dist_centroid": float(np.mean([r["photo_dist_centroid"] for r in rows])),
            "deception": float(np.mean([r["predicted"] == t for r in rows])),
            "deception_full_colour": float(np.mean([r["predicted_full_colour"] == t for r in rows])),
        }
    return out


def _write_study(study: Study, s: StudySettings) -> None:
    out = study.out_dir
    assert out is not None
    rows = []
    for w, st, (centres, shares) in zip(study.works, study.stats, study.palettes):
        rows.append([w.id, w.tradition_group, int(w.palette_reduced), int(bool(w.ethics_note.strip())),
                     *[float(v) for v in st],
                     " ".join(f"{c[0]:.0f}/{c[1]:.0f}/{c[2]:.0f}:{p:.2f}" for c, p in zip(centres, shares))])
    _write_csv(out / "works.csv", ["id", "tradition", "palette_reduced", "ethics_note", *STAT_NAMES,
                                   "lab_palette"], rows)
    rows = []
    for subset, r in study.classifier.items():
        for t in study.classes:
            rows.append([subset, t, r["style_per_class"].get(t, float("nan")),
                         r["colour_per_class"].get(t, float("nan"))])
        rows.append([subset, "overall", r["style_acc"], r["colour_acc"]])
    _write_csv(out / "classifier.csv", ["subset", "tradition", "style_accuracy", "colour_accuracy"], rows)
    _write_csv(out / "shuffle.csv", ["tradition", "n", "acc_original", "acc_shuffled", "retention",
                                     "mean_style_shift"],
               [[t, v["n"], v["acc_original"], v["acc_shuffled"], v["retention"], v["shift"]]
                for t, v in study.shuffle.items()])
    if study.transfer:
        keys = list(study.transfer[0])
        _write_csv(out / "transfer.csv", keys, [[r[k] for k in keys] for r in study.transfer])
    head = []
    for subset, r in study.classifier.items():
        head += [(f"{subset}: works in classifier", r["n"]),
                 (f"{subset}: style (Gram) LOO accuracy", r["style_acc"]),
                 (f"{subset}: colour-only LOO accuracy", r["colour_acc"]),
                 (f"{subset}: chance (majority)", r["chance_majority"]),
                 (f"{subset}: chance (proportional)", r["chance_proportional"])]
    for t, v in study.shuffle.items():
        head.append((f"shuffle retention: {t}", v["retention"]))
    for t, v in transfer_summary(study).items():
        head += [(f"transfer {t}: SSIM", v["ssim"]), (f"transfer {t}: deception", v["deception"]),
                 (f"transfer {t}: style distance to centroid", v["style_dist_centroid"]),
                 (f"transfer {t}: photo distance to centroid", v["photo_dist_centroid"])]
    head.append(("settings", repr(s)))
    _write_csv(out / "headline.csv", ["quantity", "value"], head)


# --------------------------------------------------------------------------------------
# Lesson 08: a datasheet of the dataset, made from the catalog
# --------------------------------------------------------------------------------------

_UNKNOWN_HOLDER = re.compile(r"^(not stated|unknown|impression/holder not stated|probably|n/a)",
                             re.IGNORECASE)


def approx_year(date: str) -> int | None:
    """A rough year for a catalog date string (the middle of a range or century); ``None``
    when it names no year or century (e.g. "generated", "Ming or Qing dynasty").

    >>> approx_year("c. 1830-1832"), approx_year("late 14th-15th century"), approx_year("generated")
    (1831, 1400, None)
    """
    text = date.replace("–", "-")
    if re.search(r"\bAH\b", text) and "CE" in text:
        text = text.split("/")[-1]
    years = [int(y) for y in re.findall(r"(?<!\d)(\d{3,4})(?!\d)", text)]
    if years:
        return int(round((years[0] + years[1]) / 2)) if len(years) >= 2 and re.search(
            r"\d{3,4}\s*-\s*\d{3,4}", text) else years[0]
    cents = [int(c) for c in re.findall(r"(\d{1,2})(?:st|nd|rd|th)", text)]
    if cents:
        lo, hi = min(cents), max(cents)
        return int(round(((lo - 1) * 100 + hi * 100) / 2))
    return None


def holder(artwork: Artwork) -> str:
    """The holding institution, shortened; "not stated" where the catalog does not know."""
    h = artwork.holding_museum.strip()
    if not h or _UNKNOWN_HOLDER.match(h):
        return "not stated"
    if h.lower().startswith("many impressions"):
        return "many impressions"
    return re.split(r"\s*[(;]|, MS ", h)[0].replace(" per repo", "").strip(" ,")


def licence_basis(artwork: Artwork) -> str:
    """The kind of reason the catalog gives for the work being free to use."""
    text = artwork.license_pd_reasoning
    if "generated" in text.lower():
        return "generated by a program, CC0"
    if "federal work" in text or "government work" in text:
        return "US government work (public domain)"
    if text.startswith("CC0"):
        return "CC0 from the photographer"
    if "CC0" in text and ("museum" in text.lower() or "Open Access" in text or "releases" in text):
        return "museum open-access (CC0)"
    if "Bridgeman" in text or "Faithful photo" in text:
        return "public domain by age; faithful reproduction"
    return "public domain by age"


def datasheet(catalog: Catalog) -> list[dict]:
    """One row per tradition (styles) plus one for the photos: counts, dates, holders,
    licence bases, palette-reduced and ethics-flagged counts, and confidence."""
    rows = []
    groups = catalog.traditions() + ["content"]
    for t in groups:
        works = catalog.by_tradition(t)
        years = [y for y in (approx_year(w.date) for w in works) if y is not None]
        rows.append({
            "tradition": t,
            "n": len(works),
            "earliest": min(years) if years else None,
            "latest": max(years) if years else None,
            "undated": len(works) - len(years),
            "holders": Counter(holder(w) for w in works),
            "licence": Counter(licence_basis(w) for w in works),
            "palette_reduced": sum(w.palette_reduced for w in works),
            "ethics_flagged": len(flagged(works)),
            "medium_confidence": sum(w.confidence.strip().lower() != "high" for w in works),
        })
    return rows


def ethics_categories(catalog: Catalog) -> dict[str, list[Artwork]]:
    """The catalog's ethics notes grouped by their kind."""
    kinds = {
        "devotional image of a living religion": "living religion",
        "Indigenous heritage held by a museum": "Indigenous heritage",
        "colonial or tourist gaze (photographs)": r"colonis|Imperial|tourist",
        "generated stand-in, not a historical object": "generated",
    }
    out: dict[str, list[Artwork]] = {k: [] for k in kinds}
    for w in flagged(list(catalog)):
        for k, pattern in kinds.items():
            if re.search(pattern, w.ethics_note, re.IGNORECASE):
                out[k].append(w)
                break
        else:
            out.setdefault("other", []).append(w)
    return out


__all__ = [
    "EthicsNotice", "RESULTS_DIR", "STAT_NAMES", "COLOUR_FEATURE_NAMES", "StudySettings", "Study",
    "lab_palette", "lab_to_rgb", "colourfulness", "saturation", "local_contrast", "empty_space_mask",
    "empty_space", "edge_density", "stroke_orientation", "radial_power_spectrum", "spectral_slope",
    "powerlaw_noise", "colour_features", "image_stats", "ssim", "tile_shuffle", "style_vectors",
    "content_distance", "make_classifier", "loo_predict", "chance_levels", "confusion",
    "per_class_accuracy", "distance_matrix", "tradition_distances", "embed_2d", "load_style",
    "flagged", "classifier_results", "representative", "run_study", "transfer_summary",
    "approx_year", "holder", "licence_basis", "datasheet", "ethics_categories",
]

