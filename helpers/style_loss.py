"""The Gatys losses: Gram matrices (plain and guided by region masks), L_content, L_style, L_tv.

Lessons 03 and 04 (through :mod:`helpers.style`, which re-exports every public name here) and
lesson 09 (guided Gram matrices: :func:`guided_gram_matrix`, ``StyleTransferLoss(regions=...)``).

G = FᵀF / N is the Gram matrix of a feature map F (N = H·W positions, C channels): dividing
by N makes it independent of image size (Gatys et al. divide the loss by 4C²N² instead; any
such constant is a different β in disguise). L_total = α·L_content + β·L_style + γ·L_tv with
:func:`content_loss` (mean squared feature difference at one layer), :func:`style_loss` (Gram
errors over layers; ``style_norm="relative"`` divides each layer's by the target's mean square,
so β means the same for a pale ink painting and a saturated print) and :func:`tv_loss`.

**Guided Gram matrices** (Gatys et al. 2017, *Controlling perceptual factors in neural style
transfer*): a region mask T (values in [0, 1], one per position) weights each position's
features before the Gram matrix is taken, G_T = Σ_p T(p)² F(p)F(p)ᵀ / Σ_p T(p)², the feature
statistics *of that region only*. An all-ones mask gives the plain Gram matrix. With regions
(photo mask, painting mask) pairs, the output's region r must match the painting's region r:
mass to mass, void to void.

    >>> import numpy as np
    >>> f = np.random.default_rng(0).random((1, 4, 4, 3))
    >>> bool(np.allclose(guided_gram_matrix(f, np.ones((1, 4, 4)))[:, 0], gram_matrix(f)))
    True
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import numpy as np
import tensorflow as tf

from . import features
from .data import MIN_SIDE
from .images import check_image, resize_exact

__all__ = [
    "DEFAULT_CONTENT_WEIGHT", "DEFAULT_TV_WEIGHT", "DEFAULT_STYLE_WEIGHTS", "STYLE_NORMS",
    "DEFAULT_STYLE_NORM", "gram_matrix", "guided_gram_matrix", "check_mask", "check_regions",
    "resize_mask", "content_loss", "style_loss", "tv_loss", "StyleTransferLoss",
]

#: Default weights α, γ, and β per style normalisation: "raw" is the TensorFlow tutorial's loss
#: and β; "relative" (the default) was tuned so that one β stylises every work (lesson 04).
DEFAULT_CONTENT_WEIGHT = 1e4
DEFAULT_TV_WEIGHT = 30.0
DEFAULT_STYLE_WEIGHTS = {"relative": 1e9, "raw": 1e-2}
STYLE_NORMS = tuple(DEFAULT_STYLE_WEIGHTS)
DEFAULT_STYLE_NORM = "relative"


def gram_matrix(features) -> tf.Tensor:  # type: ignore[no-untyped-def]
    """Size-normalised Gram matrices of a batch of feature maps (N, H, W, C) → (N, C, C)."""
    x = tf.convert_to_tensor(features, dtype=tf.float32)
    if x.shape.rank != 4:
        raise ValueError(f"expected feature maps of shape (N, H, W, C), got {x.shape}")
    positions = tf.cast(tf.shape(x)[1] * tf.shape(x)[2], tf.float32)
    return tf.einsum("nhwc,nhwd->ncd", x, x) / positions


def guided_gram_matrix(features, masks) -> tf.Tensor:  # type: ignore[no-untyped-def]
    """Gram matrices of the regions ``masks`` (R, H, W) of feature maps (N, H, W, C) → (N, R, C, C).

    Region r's matrix is Σ_p T_r(p)² F(p)F(p)ᵀ / Σ_p T_r(p)²: the features weighted by the
    mask (Gatys et al. 2017), normalised by the region's (squared) area, so a region's
    statistics do not depend on its size, and an all-ones mask gives :func:`gram_matrix`.
    The masks must already have the feature map's H×W (:func:`resize_mask`).

    >>> f = np.zeros((1, 2, 2, 1), np.float32); f[0, 0, :, 0] = 2.0   # top row 2, bottom row 0
    >>> top = np.array([[[1.0, 1.0], [0.0, 0.0]]])
    >>> guided_gram_matrix(f, top).numpy().ravel().tolist(), float(gram_matrix(f)[0, 0, 0])
    ([4.0], 2.0)
    """
    x = tf.convert_to_tensor(features, dtype=tf.float32)
    m = tf.convert_to_tensor(masks, dtype=tf.float32)
    if x.shape.rank != 4:
        raise ValueError(f"expected feature maps of shape (N, H, W, C), got {x.shape}")
    if m.shape.rank != 3 or not m.shape[1:].is_compatible_with(x.shape[1:3]):
        raise ValueError(f"masks must be (R, H, W) with the feature maps' H, W = "
                         f"{tuple(x.shape[1:3])}, got {tuple(m.shape)}")
    area = tf.maximum(tf.reduce_sum(tf.square(m), axis=(1, 2)), 1e-12)  # (R,)
    xm = x[:, None] * m[None, :, :, :, None]  # (N, R, H, W, C): T_r ∘ F
    return tf.einsum("nrhwc,nrhwd->nrcd", xm, xm) / area[None, :, None, None]


def check_mask(mask, name: str, shape: tuple[int, int] | None = None) -> np.ndarray:  # type: ignore[no-untyped-def]
    """``mask`` as float32 (H, W) in [0, 1], or a ``ValueError`` that names ``name``.

    Accepts booleans, (H, W) or (H, W, 1) arrays. ``shape``: the (H, W) it must have (the image
    it belongs to). Refuses a wrong shape, values outside [0, 1] or not finite, and an all-zero
    mask (a region with no pixel has no statistics).

    >>> check_mask(np.zeros((4, 4)), "regions[0][0]")
    Traceback (most recent call last):
    ...
    ValueError: regions[0][0] is all zeros: a region needs at least one pixel with weight > 0
    """
    arr = np.asarray(mask)
    if arr.dtype == bool:
        arr = arr.astype(np.float32)
    if not np.issubdtype(arr.dtype, np.number):
        raise ValueError(f"{name} must be a numeric or boolean array, got dtype {arr.dtype}")
    arr = arr.astype(np.float32)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[..., 0]
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D mask (H, W), got shape {np.shape(mask)}")
    if shape is not None and arr.shape != tuple(shape):
        raise ValueError(f"{name} has shape {arr.shape}, but its image is {tuple(shape)} (H, W)")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must hold finite values, got NaN or inf")
    if arr.min() < 0 or arr.max() > 1:
        raise ValueError(f"{name} must hold values in [0, 1], got {arr.min():.3g}…{arr.max():.3g}")
    if not arr.max() > 0:
        raise ValueError(f"{name} is all zeros: a region needs at least one pixel with weight > 0")
    return arr


def check_regions(regions, content_hw: tuple[int, int],  # type: ignore[no-untyped-def]
                  style_hw: tuple[int, int]) -> list[tuple[np.ndarray, np.ndarray]]:
    """``regions``, a list of (content/photo mask, style/painting mask) pairs, checked: each
    photo mask has the content's (H, W), each painting mask the style image's."""
    if isinstance(regions, np.ndarray) or not isinstance(regions, Sequence) or not regions:
        raise ValueError("regions must be a non-empty list of (photo_mask, painting_mask) pairs")
    out = []
    for r, pair in enumerate(regions):
        if isinstance(pair, np.ndarray) or not isinstance(pair, Sequence) or len(pair) != 2:
            raise ValueError(f"regions[{r}] must be a (photo_mask, painting_mask) pair")
        out.append((check_mask(pair[0], f"regions[{r}][0] (photo mask)", content_hw),
                    check_mask(pair[1], f"regions[{r}][1] (painting mask)", style_hw)))
    return out


def resize_mask(mask: np.ndarray, hw: tuple[int, int]) -> np.ndarray:
    """A mask (H, W) resized to ``hw``, values in [0, 1]. Shrinking averages each cell's area
    (a cell then holds its share of the region, as a pooled feature map sees it: a mask that is
    zero somewhere stays exactly zero there); enlarging is bilinear.

    >>> m = np.zeros((4, 4)); m[:, :2] = 1
    >>> resize_mask(m, (2, 2)).tolist()
    [[1.0, 0.0], [1.0, 0.0]]
    """
    m = np.asarray(mask, np.float32)
    hw = (int(hw[0]), int(hw[1]))
    if m.shape == hw:
        return m
    if hw[0] <= m.shape[0] and hw[1] <= m.shape[1]:
        out = tf.image.resize(m[None, ..., None], hw, method="area")[0, ..., 0].numpy()
        return np.clip(out, 0.0, 1.0)
    return resize_exact(m[..., None], hw)[..., 0]


def content_loss(generated, target) -> tf.Tensor:  # type: ignore[no-untyped-def]
    """L_content = mean over positions and channels of (F^G − F^C)², one layer.

    >>> float(content_loss(np.ones((1, 2, 2, 3)), np.zeros((1, 2, 2, 3))))
    1.0
    """
    g = tf.convert_to_tensor(generated, dtype=tf.float32)
    t = tf.convert_to_tensor(target, dtype=tf.float32)
    return tf.reduce_mean(tf.square(g - t))


def _gram_scale(target, style_norm: str, axis=None) -> tf.Tensor:  # type: ignore[no-untyped-def]
    """1 (raw) or 1 / mean(G_S²) (relative) for one layer's target Gram matrix; with ``axis``
    (the C×C axes of guided targets (R, C, C)), one scale per region."""
    if style_norm not in STYLE_NORMS:
        raise ValueError(f"style_norm must be one of {STYLE_NORMS}, got {style_norm!r}")
    t = tf.convert_to_tensor(target, dtype=tf.float32)
    if style_norm == "raw":
        return tf.ones(t.shape[:1]) if axis is not None else tf.constant(1.0)
    # the floor only keeps an all-zero target (a black image) finite
    return 1.0 / tf.maximum(tf.reduce_mean(tf.square(t), axis=axis), 1e-12)


def style_loss(generated_grams: Sequence, target_grams: Sequence,  # type: ignore[type-arg]
               layer_weights: Sequence[float] | None = None,
               style_norm: str = DEFAULT_STYLE_NORM) -> tf.Tensor:
    """L_style = Σ_l w_l · mean over (i, j) of (G^G_l − G^S_l)² [/ mean((G^S_l)²) if relative].

    Equal layer weights w_l = 1/L by default. ``style_norm="raw"`` is the TensorFlow
    tutorial's loss; ``"relative"`` divides each layer's term by its target's mean square.

    >>> float(style_loss([np.ones((1, 2, 2))], [np.zeros((1, 2, 2))], style_norm="raw"))
    1.0
    >>> float(style_loss([np.ones((1, 2, 2))], [np.full((1, 2, 2), 2.0)], style_norm="relative"))
    0.25
    """
    if len(generated_grams) != len(target_grams):
        raise ValueError(f"{len(generated_grams)} generated Gram matrices but "
                         f"{len(target_grams)} targets")
    weights = _weights(layer_weights, len(generated_grams), "style_layer_weights", "style layer")
    total = tf.constant(0.0)
    for w, g, t in zip(weights, generated_grams, target_grams):
        g = tf.convert_to_tensor(g, dtype=tf.float32)
        t = tf.convert_to_tensor(t, dtype=tf.float32)
        total = total + float(w) * _gram_scale(t, style_norm) * tf.reduce_mean(tf.square(g - t))
    return total


def tv_loss(images) -> tf.Tensor:  # type: ignore[no-untyped-def]
    """Total variation, summed over the batch: Σ |differences| between vertical and horizontal
    neighbours (``tf.image.total_variation``, the tutorial's). One white pixel of 2×2: 2.

    >>> img = np.zeros((2, 2, 1), np.float32); img[0, 0] = 1
    >>> float(tv_loss(img))
    2.0
    """
    x = tf.convert_to_tensor(images, dtype=tf.float32)
    return tf.reduce_sum(tf.image.total_variation(x))


def _weights(values: Sequence[float] | None, n: int, name: str, what: str) -> list[float]:
    """Non-negative weights, one per ``what``; equal (1/n) when ``values`` is None."""
    if n == 0:
        raise ValueError(f"at least one {what} is needed")
    w = [1.0 / n] * n if values is None else [float(v) for v in values]
    if len(w) != n:
        raise ValueError(f"{name} has {len(w)} entries for {n} {what}s")
    if any(v < 0 or not math.isfinite(v) for v in w) or sum(w) <= 0:
        raise ValueError(f"{name} must be finite and non-negative with a positive sum, got {w}")
    return w


def _layers_for(style_layers: tuple[str, ...], content_layer: str) -> tuple[str, ...]:
    return tuple(n for n in features.LAYERS if n in set(style_layers) | {content_layer})


@functools.lru_cache(maxsize=8)
def _loss_fn(style_layers: tuple[str, ...], content_layer: str, dtype: str,  # type: ignore[no-untyped-def]
             guided: bool = False):
    """``tf.function``s (image, *targets) → (total, gradient, parts) and → (total, parts).

    Guided (``regions``): each style layer's target is (R, C, C), its scale (R,) and its
    photo masks (R, h, w); the layer's term is Σ_r scale_r · mean((G_r − G^S_r)²)."""
    model = features.get_extractor(_layers_for(style_layers, content_layer), dtype).model

    def losses(x, content_target, style_targets, layer_scales, weights, masks):  # type: ignore[no-untyped-def]
        acts = model(features.preprocess_caffe(x), training=False)
        lc = content_loss(acts[content_layer], content_target)
        ls = tf.constant(0.0)
        for i, name in enumerate(style_layers):
            if guided:
                err = tf.reduce_mean(tf.square(guided_gram_matrix(acts[name], masks[i])[0]
                                               - style_targets[i]), axis=(1, 2))
                ls = ls + tf.reduce_sum(layer_scales[i] * err)
            else:
                ls = ls + layer_scales[i] * tf.reduce_mean(
                    tf.square(gram_matrix(acts[name]) - style_targets[i]))
        ltv = tv_loss(x)
        total = weights[0] * lc + weights[1] * ls + weights[2] * ltv
        return total, tf.stack([lc, ls, ltv])

    @tf.function(reduce_retracing=True)
    def value_and_grad(x, *targets):  # type: ignore[no-untyped-def]
        with tf.GradientTape() as tape:
            tape.watch(x)
            total, parts = losses(x, *targets)
        return total, tape.gradient(total, x), parts

    return value_and_grad, tf.function(losses, reduce_retracing=True)


class StyleTransferLoss:
    """L_total(x) = α·L_content + β·L_style + γ·L_tv for a fixed content image and style target.

    ``styles`` is one image or a list; with several, the target Gram matrices are their
    ``blend``-weighted average. Call :meth:`value_and_grad` with an image batch (1, H, W, 3)
    (a ``tf.Tensor`` in [0, 1]) for the loss and its gradient, or :meth:`__call__` with a
    NumPy image for the loss parts as floats. Images may be float in [0, 1] or uint8.

    ``regions`` (one style image only): a list of (photo mask, painting mask) pairs, masks
    (H, W) in [0, 1] at the content's and the style image's size (:func:`check_regions`). Each
    layer's style term is then Σ_r a_r · error_r, with error_r region r's Gram error (relative:
    divided by the mean square of the painting's region-r Gram, so each region is normalised as
    the plain loss normalises the image) and a_r the photo mask's share of the total mask area
    (Σ a_r = 1), so that each pixel's pull towards the style, and so β, means what it means
    without regions. Pixels outside every photo mask get no style term, only content and TV.

    >>> loss = StyleTransferLoss(np.full((32, 32, 3), .5, np.float32), np.random.rand(32, 32, 3))
    >>> sorted(loss(np.full((32, 32, 3), .5, np.float32)))
    ['content', 'style', 'total', 'tv']
    """

    def __init__(self, content: np.ndarray, styles, *,  # type: ignore[no-untyped-def]
                 content_weight: float = DEFAULT_CONTENT_WEIGHT, style_weight: float | None = None,
                 tv_weight: float = DEFAULT_TV_WEIGHT, style_norm: str = DEFAULT_STYLE_NORM,
                 style_layers: Sequence[str] = features.STYLE_LAYERS,
                 style_layer_weights: Sequence[float] | None = None,
                 content_layer: str = features.CONTENT_LAYER,
                 blend: Sequence[float] | None = None, dtype: str = "float32",
                 regions: Sequence[tuple[np.ndarray, np.ndarray]] | None = None):
        _gram_scale(tf.ones(()), style_norm)  # checks the name before any work
        style_weight = DEFAULT_STYLE_WEIGHTS[style_norm] if style_weight is None else style_weight
        _check_weights(content_weight, style_weight, tv_weight)
        self.style_layers = tuple(style_layers)
        self.content_layer = content_layer
        unknown = [n for n in self.style_layers + (content_layer,) if n not in features.LAYERS]
        if unknown:
            raise ValueError(f"unknown VGG16 layers {unknown}; choose from {list(features.LAYERS)}")
        if dtype not in ("float32", "bfloat16"):
            raise ValueError(f"dtype must be 'float32' or 'bfloat16', got {dtype!r}")
        self.dtype, self.style_norm = dtype, style_norm
        content = check_image(content, "content")
        style_list = _as_style_list(styles)
        if regions is not None and len(style_list) != 1:
            raise ValueError(f"regions works with one style image, got {len(style_list)}")
        pairs = None if regions is None else check_regions(regions, content.shape[:2],
                                                           style_list[0].shape[:2])
        blend_w = _weights(blend, len(style_list), "blend", "style image")
        blend_w = [v / sum(blend_w) for v in blend_w]
        layer_w = _weights(style_layer_weights, len(self.style_layers), "style_layer_weights",
                           "style layer")
        self.weights = tf.constant([content_weight, style_weight, tv_weight], tf.float32)
        extractor = features.get_extractor(_layers_for(self.style_layers, content_layer), dtype)
        content_acts = extractor(content)
        self.content_target = content_acts[content_layer]
        self.masks: tuple | None = None  # type: ignore[type-arg]
        if pairs is None:
            grams: list[tf.Tensor] = [tf.zeros(())] * len(self.style_layers)
            for w, s in zip(blend_w, style_list):
                acts = extractor(s)
                for i, name in enumerate(self.style_layers):
                    grams[i] = grams[i] + w * gram_matrix(acts[name])
            # layer weight × normalisation, folded into one number per layer
            scales = [w * _gram_scale(g, style_norm) for w, g in zip(layer_w, grams)]
        else:
            acts = extractor(style_list[0])
            area = np.array([p.mean() for p, _ in pairs])
            share = tf.constant(area / area.sum(), tf.float32)

            def at(name: str, masks: list[np.ndarray], feats) -> tf.Tensor:  # type: ignore[no-untyped-def]
                hw = tuple(feats[name].shape[1:3])
                return tf.constant(np.stack([resize_mask(m, hw) for m in masks]))

            self.masks = tuple(at(n, [p for p, _ in pairs], content_acts) for n in self.style_layers)
            grams = [guided_gram_matrix(acts[n], at(n, [q for _, q in pairs], acts))[0]
                     for n in self.style_layers]
            scales = [w * share * _gram_scale(g, style_norm, axis=(1, 2))
                      for w, g in zip(layer_w, grams)]
        self.style_targets = tuple(grams)
        self.layer_scales = tuple(scales) if pairs is not None else tf.stack(scales)
        self._value_and_grad, self._value = _loss_fn(self.style_layers, content_layer, dtype,
                                                     pairs is not None)

    def _targets(self) -> tuple:  # type: ignore[type-arg]
        return (self.content_target, self.style_targets, self.layer_scales, self.weights,
                self.masks)

    def value_and_grad(self, x: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
        """(total loss, d total / d x, [content, style, tv] unweighted) for x of shape (1, H, W, 3)."""
        return self._value_and_grad(x, *self._targets())

    def __call__(self, image: np.ndarray) -> dict[str, float]:
        """The loss of one image (H, W, 3): total and the unweighted parts."""
        x = tf.convert_to_tensor(check_image(image, "image")[None])
        total, parts = self._value(x, *self._targets())
        c, s, t = (float(v) for v in parts.numpy())
        return {"total": float(total), "content": c, "style": s, "tv": t}


def _check_weights(content_weight: float, style_weight: float, tv_weight: float) -> None:
    for name, v in (("content_weight", content_weight), ("style_weight", style_weight),
                    ("tv_weight", tv_weight)):
        if not isinstance(v, (int, float, np.floating, np.integer)) or not math.isfinite(v) or v < 0:
            raise ValueError(f"{name} must be a finite number ≥ 0, got {v!r}")


def _as_style_list(styles) -> list[np.ndarray]:  # type: ignore[no-untyped-def]
    styles = [styles] if isinstance(styles, np.ndarray) and styles.ndim in (2, 3) else list(styles)
    if not styles:
        raise ValueError("give at least one style image")
    return [check_image(s, f"style[{i}]", MIN_SIDE) for i, s in enumerate(styles)]
