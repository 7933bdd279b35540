"""Gatys-style neural style transfer: Gram matrices, the three losses, and :func:`stylize`.

The Gram matrix of a feature map F with C channels at N = H·W positions is

    G = Fᵀ F / N        (C × C; entry (i, j) is the mean over positions of F_i · F_j)

Dividing by N makes G independent of image size, so a style measured at 512 px can be
compared with one at 256 px. (Without it, style losses grow with the image and the weights
that balanced content and style at one size are wrong at another: a classic bug.)

    >>> import numpy as np
    >>> f = np.ones((1, 4, 4, 3), np.float32)
    >>> gram_matrix(f).numpy()[0]
    array([[1., 1., 1.],
           [1., 1., 1.],
           [1., 1., 1.]], dtype=float32)

The losses (the seed article's §4.2, L_total = α·L_content + β·L_style, plus a smoothness
term γ·L_tv), each a plain function of tensors:

* :func:`content_loss` — mean over positions and channels of (F^G − F^C)² at one layer;
* :func:`style_loss` — Σ_l w_l · mean over (i, j) of (G^G_l − G^S_l)², with Σ_l w_l = 1 by default;
* :func:`tv_loss` — sum of absolute differences between neighbouring pixels
  (``tf.image.total_variation``; the TensorFlow tutorial's definition).

The default weights (α = 1e4, β = 1e-2, γ = 30) are the TensorFlow style-transfer tutorial's,
so a loss value here means the same as there.

One call stylises an image (NumPy in, NumPy out):

    >>> from helpers import data, style
    >>> cat = data.load_catalog()
    >>> photo = cat["content-photo__chelsea-the-cat__skimage"].load(max_side=256)
    >>> wave = cat["japanese-ukiyoe__hokusai-great-wave-off-kanagawa__c1831"].load(max_side=256)
    >>> out = style.stylize(photo, wave, size=128, steps=20, progress=False)
    >>> out.shape[2], out.dtype.name
    (3, 'float32')
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import tensorflow as tf

from . import features

#: The TensorFlow tutorial's weights: content α, style β, total variation γ.
DEFAULT_CONTENT_WEIGHT = 1e4
DEFAULT_STYLE_WEIGHT = 1e-2
DEFAULT_TV_WEIGHT = 30.0
OPTIMIZERS = ("lbfgs", "adam")
PRESERVE_COLOR = (None, "luminance", "match")

# RGB → YIQ (NTSC). Y is luminance; I and Q carry the colour (chrominance).
_RGB2YIQ = np.array([[0.299, 0.587, 0.114],
                     [0.595716, -0.274453, -0.321263],
                     [0.211456, -0.522591, 0.311135]], dtype=np.float64)
_YIQ2RGB = np.linalg.inv(_RGB2YIQ)


# --------------------------------------------------------------------------------------
# Gram matrices and losses
# --------------------------------------------------------------------------------------


def gram_matrix(features) -> tf.Tensor:  # type: ignore[no-untyped-def]
    """Size-normalised Gram matrices of a batch of feature maps (N, H, W, C) → (N, C, C)."""
    x = tf.convert_to_tensor(features, dtype=tf.float32)
    if x.shape.rank != 4:
        raise ValueError(f"expected feature maps of shape (N, H, W, C), got {x.shape}")
    positions = tf.cast(tf.shape(x)[1] * tf.shape(x)[2], tf.float32)
    return tf.einsum("nhwc,nhwd->ncd", x, x) / positions


def content_loss(generated, target) -> tf.Tensor:  # type: ignore[no-untyped-def]
    """L_content = mean over positions and channels of (F^G − F^C)², one layer.

    >>> float(content_loss(np.ones((1, 2, 2, 3)), np.zeros((1, 2, 2, 3))))
    1.0
    """
    g = tf.convert_to_tensor(generated, dtype=tf.float32)
    t = tf.convert_to_tensor(target, dtype=tf.float32)
    return tf.reduce_mean(tf.square(g - t))


def style_loss(generated_grams: Sequence, target_grams: Sequence,  # type: ignore[type-arg]
               layer_weights: Sequence[float] | None = None) -> tf.Tensor:
    """L_style = Σ_l w_l · mean over (i, j) of (G^G_l − G^S_l)²; equal w_l = 1/L by default.

    >>> float(style_loss([np.ones((1, 2, 2))], [np.zeros((1, 2, 2))]))
    1.0
    """
    if len(generated_grams) != len(target_grams):
        raise ValueError(f"{len(generated_grams)} generated Gram matrices but "
                         f"{len(target_grams)} targets")
    n = len(generated_grams)
    weights = _layer_weights(layer_weights, n)
    total = tf.constant(0.0)
    for w, g, t in zip(weights, generated_grams, target_grams):
        g = tf.convert_to_tensor(g, dtype=tf.float32)
        t = tf.convert_to_tensor(t, dtype=tf.float32)
        total = total + float(w) * tf.reduce_mean(tf.square(g - t))
    return total


def tv_loss(images) -> tf.Tensor:  # type: ignore[no-untyped-def]
    """Total variation: sum of |differences| between vertical and horizontal neighbours.

    Summed over the batch. A 2×2 image with one white pixel has TV 2 per channel:

    >>> img = np.zeros((2, 2, 1), np.float32); img[0, 0] = 1
    >>> float(tv_loss(img))
    2.0
    """
    x = tf.convert_to_tensor(images, dtype=tf.float32)
    return tf.reduce_sum(tf.image.total_variation(x))


def _layer_weights(layer_weights: Sequence[float] | None, n: int) -> list[float]:
    if n == 0:
        raise ValueError("at least one style layer is needed")
    if layer_weights is None:
        return [1.0 / n] * n
    w = [float(v) for v in layer_weights]
    if len(w) != n:
        raise ValueError(f"style_layer_weights has {len(w)} entries for {n} style layers")
    if any(v < 0 or not math.isfinite(v) for v in w):
        raise ValueError(f"style_layer_weights must be finite and non-negative, got {w}")
    if sum(w) == 0:
        raise ValueError("style_layer_weights are all zero")
    return w


# --------------------------------------------------------------------------------------
# Colour: luminance and colour matching
# --------------------------------------------------------------------------------------


def rgb_to_yiq(image: np.ndarray) -> np.ndarray:
    """RGB (…, 3) → YIQ (…, 3): Y luminance in [0, 1], I and Q chrominance."""
    return (np.asarray(image, np.float64) @ _RGB2YIQ.T).astype(np.float32)


def yiq_to_rgb(image: np.ndarray) -> np.ndarray:
    """YIQ (…, 3) → RGB (…, 3), not clipped."""
    return (np.asarray(image, np.float64) @ _YIQ2RGB.T).astype(np.float32)


def luminance(image: np.ndarray) -> np.ndarray:
    """The Y channel of an RGB image, as a grey RGB image (…, 3)."""
    y = rgb_to_yiq(image)[..., :1]
    return np.repeat(y, 3, axis=-1)


def match_color(source: np.ndarray, reference: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    """Recolour ``source`` so its RGB mean and covariance equal ``reference``'s.

    A linear map x ↦ A (x − μ_s) + μ_r with A = Σ_r^½ Σ_s^−½ (symmetric square roots), the
    "colour histogram matching" of Gatys et al. (2016, *Preserving colour in neural artistic
    style transfer*). Used to give a style image the content photo's colours.
    """
    src = np.asarray(source, np.float64).reshape(-1, 3)
    ref = np.asarray(reference, np.float64).reshape(-1, 3)
    mu_s, mu_r = src.mean(0), ref.mean(0)
    cov_s = np.cov(src, rowvar=False) + eps * np.eye(3)
    cov_r = np.cov(ref, rowvar=False) + eps * np.eye(3)

    def sqrtm(c: np.ndarray, inverse: bool = False) -> np.ndarray:
        vals, vecs = np.linalg.eigh(c)
        vals = np.clip(vals, eps, None)
        return (vecs * (vals ** (-0.5 if inverse else 0.5))) @ vecs.T

    a = sqrtm(cov_r) @ sqrtm(cov_s, inverse=True)
    out = (src - mu_s) @ a.T + mu_r
    return np.clip(out.reshape(np.shape(source)), 0.0, 1.0).astype(np.float32)


# --------------------------------------------------------------------------------------
# Images in and out
# --------------------------------------------------------------------------------------


def _check_image(image: np.ndarray, name: str) -> np.ndarray:
    arr = np.asarray(image, dtype=np.float32)
    if arr.ndim != 3 or arr.shape[2] != 3:
        raise ValueError(f"{name} must be an RGB image of shape (H, W, 3), got {arr.shape}")
    if min(arr.shape[:2]) < 1 or not np.isfinite(arr).all():
        raise ValueError(f"{name} is empty or has non-finite values")
    if arr.min() < -1e-3 or arr.max() > 1 + 1e-3:
        raise ValueError(f"{name} must hold values in [0, 1] (got {arr.min():.3g}…{arr.max():.3g})")
    return np.clip(arr, 0.0, 1.0)


def resize_to(image: np.ndarray, max_side: int) -> np.ndarray:
    """Resize (up or down, keeping the aspect ratio) so the longer side is ``max_side`` px."""
    h, w = image.shape[:2]
    scale = max_side / max(h, w)
    size = (max(1, round(h * scale)), max(1, round(w * scale)))
    if size == (h, w):
        return np.asarray(image, np.float32)
    out = tf.image.resize(np.asarray(image, np.float32)[None], size, method="bilinear",
                          antialias=True)[0]
    return np.clip(out.numpy(), 0.0, 1.0)


def resize_exact(image: np.ndarray, hw: tuple[int, int]) -> np.ndarray:
    """Resize to exactly (height, width) = ``hw`` (bilinear, antialiased), clipped to [0, 1]."""
    return _resize_exact(image, hw)


def _resize_exact(image: np.ndarray, hw: tuple[int, int]) -> np.ndarray:
    out = tf.image.resize(np.asarray(image, np.float32)[None], hw, method="bilinear",
                          antialias=True)[0]
    return np.clip(out.numpy(), 0.0, 1.0)


# --------------------------------------------------------------------------------------
# The loss as one compiled function of the image
# --------------------------------------------------------------------------------------


def _layers_for(style_layers: tuple[str, ...], content_layer: str) -> tuple[str, ...]:
    order = features.LAYERS
    wanted = set(style_layers) | {content_layer}
    return tuple(n for n in order if n in wanted)


@functools.lru_cache(maxsize=8)
def _loss_fn(style_layers: tuple[str, ...], content_layer: str, dtype: str):  # type: ignore[no-untyped-def]
    """A ``tf.function`` (image, targets, weights) → (total, gradient, [content, style, tv])."""
    extractor = features.get_extractor(_layers_for(style_layers, content_layer), dtype)
    model = extractor.model

    def losses(x, content_target, style_targets, layer_weights, weights):  # type: ignore[no-untyped-def]
        acts = model(features.preprocess_caffe(x), training=False)
        lc = content_loss(acts[content_layer], content_target)
        ls = tf.constant(0.0)
        for i, name in enumerate(style_layers):
            ls = ls + layer_weights[i] * tf.reduce_mean(
                tf.square(gram_matrix(acts[name]) - style_targets[i]))
        ltv = tv_loss(x)
        total = weights[0] * lc + weights[1] * ls + weights[2] * ltv
        return total, tf.stack([lc, ls, ltv])

    @tf.function(reduce_retracing=True)
    def value_and_grad(x, content_target, style_targets, layer_weights, weights):  # type: ignore[no-untyped-def]
        with tf.GradientTape() as tape:
            tape.watch(x)
            total, parts = losses(x, content_target, style_targets, layer_weights, weights)
        return total, tape.gradient(total, x), parts

    @tf.function(reduce_retracing=True)
    def value(x, content_target, style_targets, layer_weights, weights):  # type: ignore[no-untyped-def]
        return losses(x, content_target, style_targets, layer_weights, weights)

    return value_and_grad, value


@functools.lru_cache(maxsize=8)
def _target_fn(style_layers: tuple[str, ...], content_layer: str, dtype: str):  # type: ignore[no-untyped-def]
    extractor = features.get_extractor(_layers_for(style_layers, content_layer), dtype)
    return extractor


class StyleTransferLoss:
    """L_total(x) = α·L_content + β·L_style + γ·L_tv for a fixed content image and style target.

    ``styles`` is one image or a list; with several, the target Gram matrices are their
    ``blend``-weighted average. Call :meth:`value_and_grad` with an image batch (1, H, W, 3)
    (a ``tf.Tensor`` in [0, 1]) for the loss and its gradient, or :meth:`__call__` with a
    NumPy image for the loss parts as floats.

    >>> loss = StyleTransferLoss(np.full((32, 32, 3), .5, np.float32), np.random.rand(32, 32, 3))
    >>> sorted(loss(np.full((32, 32, 3), .5, np.float32)))
    ['content', 'style', 'total', 'tv']
    """

    def __init__(self, content: np.ndarray, styles, *,  # type: ignore[no-untyped-def]
                 content_weight: float = DEFAULT_CONTENT_WEIGHT,
                 style_weight: float = DEFAULT_STYLE_WEIGHT,
                 tv_weight: float = DEFAULT_TV_WEIGHT,
                 style_layers: Sequence[str] = features.STYLE_LAYERS,
                 style_layer_weights: Sequence[float] | None = None,
                 content_layer: str = features.CONTENT_LAYER,
                 blend: Sequence[float] | None = None,
                 dtype: str = "float32"):
        _check_weights(content_weight, style_weight, tv_weight)
        self.style_layers = tuple(style_layers)
        self.content_layer = content_layer
        unknown = [n for n in self.style_layers + (content_layer,) if n not in features.LAYERS]
        if unknown:
            raise ValueError(f"unknown VGG16 layers {unknown}; choose from {list(features.LAYERS)}")
        if dtype not in ("float32", "bfloat16"):
            raise ValueError(f"dtype must be 'float32' or 'bfloat16', got {dtype!r}")
        self.dtype = dtype
        content = _check_image(content, "content")
        style_list = _as_style_list(styles)
        blend_w = _blend_weights(blend, len(style_list))
        self.layer_weights = tf.constant(_layer_weights(style_layer_weights, len(self.style_layers)),
                                         tf.float32)
        self.weights = tf.constant([content_weight, style_weight, tv_weight], tf.float32)
        extractor = _target_fn(self.style_layers, content_layer, dtype)
        self.content_target = extractor(content)[content_layer]
        grams: list[tf.Tensor] = [tf.zeros(())] * len(self.style_layers)
        for w, s in zip(blend_w, style_list):
            acts = extractor(s)
            for i, name in enumerate(self.style_layers):
                grams[i] = grams[i] + w * gram_matrix(acts[name])
        self.style_targets = tuple(grams)
        self._value_and_grad, self._value = _loss_fn(self.style_layers, content_layer, dtype)

    def value_and_grad(self, x: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
        """(total loss, d total / d x, [content, style, tv] unweighted) for x of shape (1, H, W, 3)."""
        return self._value_and_grad(x, self.content_target, self.style_targets,
                                    self.layer_weights, self.weights)

    def __call__(self, image: np.ndarray) -> dict[str, float]:
        """The loss of one image (H, W, 3): total and the unweighted parts."""
        x = tf.convert_to_tensor(np.asarray(image, np.float32)[None])
        total, parts = self._value(x, self.content_target, self.style_targets,
                                   self.layer_weights, self.weights)
        c, s, t = (float(v) for v in parts.numpy())
        return {"total": float(total), "content": c, "style": s, "tv": t}


def _check_weights(content_weight: float, style_weight: float, tv_weight: float) -> None:
    for name, v in (("content_weight", content_weight), ("style_weight", style_weight),
                    ("tv_weight", tv_weight)):
        if not isinstance(v, (int, float, np.floating, np.integer)) or not math.isfinite(v) or v < 0:
            raise ValueError(f"{name} must be a finite number ≥ 0, got {v!r}")


def _as_style_list(styles) -> list[np.ndarray]:  # type: ignore[no-untyped-def]
    if isinstance(styles, np.ndarray) and styles.ndim == 3:
        styles = [styles]
    styles = list(styles)
    if not styles:
        raise ValueError("give at least one style image")
    return [_check_image(s, f"style[{i}]") for i, s in enumerate(styles)]


def _blend_weights(blend: Sequence[float] | None, n: int) -> list[float]:
    if blend is None:
        return [1.0 / n] * n
    w = [float(v) for v in blend]
    if len(w) != n:
        raise ValueError(f"blend has {len(w)} weights for {n} style images")
    if any(v < 0 or not math.isfinite(v) for v in w) or sum(w) <= 0:
        raise ValueError(f"blend weights must be non-negative with a positive sum, got {w}")
    return [v / sum(w) for v in w]


# --------------------------------------------------------------------------------------
# Optimisers
# --------------------------------------------------------------------------------------


@dataclass
class StylizeResult:
    """What :func:`run_style_transfer` returns.

    ``history`` has one row per iteration: (seconds since start, scale index, total loss),
    where the loss is that of the iterate at that scale's size.
    """

    image: np.ndarray
    loss: dict[str, float]
    seconds: float
    evaluations: int
    history: list[tuple[float, int, float]] = field(default_factory=list)


class _Progress:
    def __init__(self, total: int, enabled: bool, desc: str):
        self.bar = None
        if enabled:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, desc=desc, leave=False)

    def update(self, loss: float) -> None:
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix(loss=f"{loss:.4g}", refresh=False)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _run_lbfgs(loss: StyleTransferLoss, x0: np.ndarray, steps: int,
               on_iter: Callable[[np.ndarray, float], bool | None]) -> tuple[np.ndarray, int]:
    from scipy.optimize import minimize

    shape = (1,) + x0.shape
    count = [0]

    def fun(flat: np.ndarray) -> tuple[float, np.ndarray]:
        count[0] += 1
        x = tf.convert_to_tensor(flat.reshape(shape).astype(np.float32))
        total, grad, _ = loss.value_and_grad(x)
        return float(total), grad.numpy().astype(np.float64).ravel()

    def callback(intermediate_result) -> None:  # type: ignore[no-untyped-def]
        stop = on_iter(intermediate_result.x.reshape(x0.shape).astype(np.float32),
                       float(intermediate_result.fun))
        if stop:
            raise StopIteration  # SciPy ends the run and returns this iterate

    res = minimize(fun, x0.astype(np.float64).ravel(), jac=True, method="L-BFGS-B",
                   bounds=[(0.0, 1.0)] * x0.size, callback=callback,
                   options={"maxiter": steps, "maxfun": int(steps * 1.25) + 5, "maxcor": 20,
                            "ftol": 0.0, "gtol": 0.0})
    return res.x.reshape(x0.shape).astype(np.float32), count[0]


def _run_adam(loss: StyleTransferLoss, x0: np.ndarray, steps: int, learning_rate: float,
              on_iter: Callable[[np.ndarray, float], bool | None]) -> tuple[np.ndarray, int]:
    import keras

    var = tf.Variable(x0[None])
    opt = keras.optimizers.Adam(learning_rate=learning_rate, beta_1=0.99, epsilon=0.1)
    for step in range(steps):
        total, grad, _ = loss.value_and_grad(tf.convert_to_tensor(var))
        opt.apply_gradients([(grad, var)])
        var.assign(tf.clip_by_value(var, 0.0, 1.0))
        if on_iter(None, float(total)):  # type: ignore[arg-type]
            return var.numpy()[0], step + 1
    return var.numpy()[0], steps


# --------------------------------------------------------------------------------------
# Style transfer
# --------------------------------------------------------------------------------------


def run_style_transfer(
    content: np.ndarray,
    style,  # type: ignore[no-untyped-def]
    *,
    content_weight: float = DEFAULT_CONTENT_WEIGHT,
    style_weight: float = DEFAULT_STYLE_WEIGHT,
    tv_weight: float = DEFAULT_TV_WEIGHT,
    style_layers: Sequence[str] = features.STYLE_LAYERS,
    style_layer_weights: Sequence[float] | None = None,
    content_layer: str = features.CONTENT_LAYER,
    size: int = 256,
    style_size: int | None = None,
    steps: int | Sequence[int] = 100,
    optimizer: str = "lbfgs",
    learning_rate: float = 0.02,
    scales: int = 1,
    preserve_color: str | None = None,
    blend: Sequence[float] | None = None,
    dtype: str = "float32",
    progress: bool = True,
    callback: Callable[[int, np.ndarray, float], None] | None = None,
    callback_every: int = 10,
    stop_at_loss: float | None = None,
    time_limit: float | None = None,
) -> StylizeResult:
    """:func:`stylize`, returning a :class:`StylizeResult` (image, losses, time, history).

    Two extra stopping rules, for benchmarks and time-boxed panels: ``stop_at_loss`` ends the
    run as soon as an iterate at the final scale has a total loss at or below it;
    ``time_limit`` (seconds) ends the current scale once that much time has passed (later,
    finer scales then run one iteration each).
    """
    # ---- arguments
    _check_weights(content_weight, style_weight, tv_weight)
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {optimizer!r}")
    if preserve_color not in PRESERVE_COLOR:
        raise ValueError(f"preserve_color must be one of {PRESERVE_COLOR}, got {preserve_color!r}")
    if not isinstance(size, (int, np.integer)) or size < features_min_side():
        raise ValueError(f"size must be an integer ≥ {features_min_side()} px, got {size!r}")
    if style_size is not None and (not isinstance(style_size, (int, np.integer))
                                   or style_size < features_min_side()):
        raise ValueError(f"style_size must be an integer ≥ {features_min_side()} px, got {style_size!r}")
    if not isinstance(scales, (int, np.integer)) or scales < 1:
        raise ValueError(f"scales must be an integer ≥ 1, got {scales!r}")
    if size / 2 ** (scales - 1) < features_min_side():
        raise ValueError(f"size {size} px is too small for {scales} scales "
                         f"(the coarsest would be under {features_min_side()} px)")
    step_list = [steps] * scales if isinstance(steps, (int, np.integer)) else list(steps)
    if len(step_list) != scales or any(not isinstance(s, (int, np.integer)) or s < 1
                                       for s in step_list):
        raise ValueError(f"steps must be an integer ≥ 1 or one such integer per scale "
                         f"({scales}), got {steps!r}")
    if not (learning_rate > 0):
        raise ValueError(f"learning_rate must be > 0, got {learning_rate!r}")
    if callback_every < 1:
        raise ValueError(f"callback_every must be ≥ 1, got {callback_every!r}")
    if time_limit is not None and not time_limit > 0:
        raise ValueError(f"time_limit must be > 0 seconds, got {time_limit!r}")
    content = _check_image(content, "content")
    styles = _as_style_list(style)
    _blend_weights(blend, len(styles))

    # ---- colour handling
    chroma_source = None
    if preserve_color == "luminance":
        chroma_source = content
        y_c = luminance(content)
        mu_c, sd_c = float(y_c.mean()), float(y_c.std())
        matched = []
        for s in styles:
            y_s = luminance(s)
            y_s = (y_s - y_s.mean()) / max(float(y_s.std()), 1e-6) * sd_c + mu_c
            matched.append(np.clip(y_s, 0, 1).astype(np.float32))
        content, styles = y_c, matched
    elif preserve_color == "match":
        styles = [match_color(s, content) for s in styles]

    # ---- coarse to fine
    final = resize_to(content, size)
    hw_final = final.shape[:2]
    start = time.perf_counter()
    history: list[tuple[float, int, float]] = []
    evaluations = 0
    x = None
    total_steps = sum(step_list)
    bar = _Progress(total_steps, progress, f"stylize ({optimizer})")
    done = [0]
    loss = None
    try:
        for k in range(scales):
            factor = 2 ** (scales - 1 - k)
            hw = (max(1, round(hw_final[0] / factor)), max(1, round(hw_final[1] / factor)))
            c_k = final if factor == 1 else _resize_exact(final, hw)
            s_side = max(features_min_side(), round((style_size or size) / factor))
            s_k = [resize_to(s, s_side) for s in styles]
            loss = StyleTransferLoss(c_k, s_k, content_weight=content_weight,
                                     style_weight=style_weight, tv_weight=tv_weight,
                                     style_layers=style_layers,
                                     style_layer_weights=style_layer_weights,
                                     content_layer=content_layer, blend=blend, dtype=dtype)
            x0 = c_k.copy() if x is None else _resize_exact(x, hw)

            def on_iter(img: np.ndarray | None, value: float, k: int = k) -> bool:
                done[0] += 1
                elapsed = time.perf_counter() - start
                history.append((elapsed, k, value))
                bar.update(value)
                if callback is not None and img is not None and done[0] % callback_every == 0:
                    callback(done[0], _finish(img, chroma_source), value)
                if time_limit is not None and elapsed >= time_limit:
                    return True
                return stop_at_loss is not None and k == scales - 1 and value <= stop_at_loss

            if optimizer == "lbfgs":
                x, n = _run_lbfgs(loss, x0, step_list[k], on_iter)
            else:
                def on_iter_adam(img, value, k=k):  # type: ignore[no-untyped-def]
                    return on_iter(img, value, k)

                x, n = _run_adam(loss, x0, step_list[k], learning_rate, on_iter_adam)
            evaluations += n
    finally:
        bar.close()
    assert x is not None and loss is not None
    final_loss = loss(x)
    seconds = time.perf_counter() - start
    image = _finish(x, chroma_source)
    if callback is not None:
        callback(done[0], image, final_loss["total"])
    return StylizeResult(image=image, loss=final_loss, seconds=seconds, evaluations=evaluations,
                         history=history)


def features_min_side() -> int:
    """The smallest image side VGG16 accepts here (it pools four times before conv5_1)."""
    from .data import MIN_SIDE

    return MIN_SIDE


def _finish(x: np.ndarray, chroma_source: np.ndarray | None) -> np.ndarray:
    """Clip to [0, 1]; in luminance mode, put the content's chrominance back."""
    x = np.clip(np.asarray(x, np.float32), 0.0, 1.0)
    if chroma_source is None:
        return x
    chroma = rgb_to_yiq(_resize_exact(chroma_source, x.shape[:2]))
    yiq = np.concatenate([rgb_to_yiq(x)[..., :1], chroma[..., 1:]], axis=-1)
    return np.clip(yiq_to_rgb(yiq), 0.0, 1.0)


def stylize(
    content: np.ndarray,
    style,  # type: ignore[no-untyped-def]
    *,
    content_weight: float = DEFAULT_CONTENT_WEIGHT,
    style_weight: float = DEFAULT_STYLE_WEIGHT,
    tv_weight: float = DEFAULT_TV_WEIGHT,
    style_layers: Sequence[str] = features.STYLE_LAYERS,
    style_layer_weights: Sequence[float] | None = None,
    content_layer: str = features.CONTENT_LAYER,
    size: int = 256,
    style_size: int | None = None,
    steps: int | Sequence[int] = 100,
    optimizer: str = "lbfgs",
    learning_rate: float = 0.02,
    scales: int = 1,
    preserve_color: str | None = None,
    blend: Sequence[float] | None = None,
    dtype: str = "float32",
    progress: bool = True,
    callback: Callable[[int, np.ndarray, float], None] | None = None,
    callback_every: int = 10,
) -> np.ndarray:
    """Render ``content`` in the style of ``style`` (Gatys et al.); NumPy in, NumPy out.

    Parameters
    ----------
    content:
        RGB image (H, W, 3), float in [0, 1] (e.g. ``Artwork.load()``).
    style:
        One RGB image, or a list of them to blend (see ``blend``).
    content_weight, style_weight, tv_weight:
        α, β, γ in L_total = α·L_content + β·L_style + γ·L_tv (all ≥ 0). Defaults are the
        TensorFlow tutorial's (1e4, 1e-2, 30).
    style_layers, style_layer_weights, content_layer:
        VGG16 layers and the weight w_l of each style layer (default equal, 1/L).
    size:
        Longer side of the output in pixels (≥ 16); the content is resized to it.
    style_size:
        Longer side the style image is resized to (default: ``size``). Smaller values make
        the style's brush marks larger relative to the output.
    steps:
        Iterations at each scale (an int, or one int per scale). For ``"lbfgs"`` one
        iteration costs about 1.1 gradient evaluations on average; for ``"adam"`` exactly one.
    optimizer:
        ``"lbfgs"`` (SciPy's L-BFGS-B with the pixels bounded to [0, 1]; the default and
        much faster) or ``"adam"`` (the tutorial's Adam: lr ``learning_rate``, β1 0.99, ε 0.1).
    scales:
        Coarse-to-fine levels: with ``scales=3`` the image is first optimised at size/4,
        then upsampled to size/2 and refined, then to ``size``.
    preserve_color:
        ``None``; ``"luminance"`` (transfer on the luminance channel only, then put back the
        content's chrominance: the content's colours survive exactly); or ``"match"``
        (recolour the style image to the content's colour mean and covariance first).
    blend:
        Weights for several style images (normalised to sum 1); their Gram matrices are averaged.
    dtype:
        ``"float32"`` or ``"bfloat16"`` for the VGG pass. bfloat16 only pays off on CPUs with
        native bf16 (AVX512_BF16 / AMX); elsewhere it is several times slower.
    progress:
        Show a ``tqdm`` progress bar.
    callback, callback_every:
        ``callback(step, image, loss)`` every ``callback_every`` iterations and once at the
        end, with the current image (H, W, 3) in [0, 1].

    Returns
    -------
    The stylised image, float32 (h, w, 3) in [0, 1], with its longer side ``size``.

    Raises ``ValueError`` naming the argument for negative weights, an unknown optimiser or
    colour mode, a size under 16 px, a bad ``steps`` or a malformed image.
    """
    return run_style_transfer(
        content, style, content_weight=content_weight, style_weight=style_weight,
        tv_weight=tv_weight, style_layers=style_layers, style_layer_weights=style_layer_weights,
        content_layer=content_layer, size=size, style_size=style_size, steps=steps,
        optimizer=optimizer, learning_rate=learning_rate, scales=scales,
        preserve_color=preserve_color, blend=blend, dtype=dtype, progress=progress,
        callback=callback, callback_every=callback_every,
    ).image


# --------------------------------------------------------------------------------------
# Texture synthesis and what a Gram matrix ignores (lesson 03)
# --------------------------------------------------------------------------------------


def synthesize_texture(
    style_image: np.ndarray,
    *,
    size: int = 128,
    steps: int = 100,
    style_layers: Sequence[str] = features.STYLE_LAYERS,
    style_layer_weights: Sequence[float] | None = None,
    tv_weight: float = 0.0,
    seed: int = 0,
    progress: bool = True,
) -> np.ndarray:
    """Texture synthesis (Gatys et al. 2015): start from noise, minimise the style loss alone.

    Returns a square-ish image (the style's aspect ratio, longer side ``size``) whose Gram
    matrices at ``style_layers`` match the style image's. Where things were is not kept.

    >>> tex = synthesize_texture(np.random.rand(64, 64, 3), size=32, steps=5, progress=False)
    >>> tex.shape
    (32, 32, 3)
    """
    if not isinstance(size, (int, np.integer)) or size < features_min_side():
        raise ValueError(f"size must be an integer ≥ {features_min_side()} px, got {size!r}")
    if not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"steps must be an integer ≥ 1, got {steps!r}")
    style_image = resize_to(_check_image(style_image, "style_image"), size)
    rng = np.random.default_rng(seed)
    noise = np.clip(0.5 + 0.1 * rng.standard_normal(style_image.shape), 0, 1).astype(np.float32)
    loss = StyleTransferLoss(noise, style_image, content_weight=0.0, style_weight=1.0,
                             tv_weight=tv_weight, style_layers=style_layers,
                             style_layer_weights=style_layer_weights,
                             content_layer=tuple(style_layers)[0])
    bar = _Progress(steps, progress, "texture")
    try:
        x, _ = _run_lbfgs(loss, noise, steps, lambda img, value: bar.update(value))
    finally:
        bar.close()
    return np.clip(x, 0.0, 1.0)


def shuffle_tiles(image: np.ndarray, tile: int, seed: int = 0) -> np.ndarray:
    """Cut ``image`` into ``tile``×``tile`` squares and put them back in a random order.

    The image is first cropped to a whole number of tiles. Colours and local texture are
    untouched; the composition (what is where) is destroyed.

    >>> img = np.arange(16, dtype=np.float32).reshape(4, 4, 1).repeat(3, 2)
    >>> out = shuffle_tiles(img, 2, seed=1)
    >>> sorted(out[..., 0].ravel().tolist()) == sorted(img[..., 0].ravel().tolist())
    True
    """
    arr = np.asarray(image)
    if arr.ndim != 3:
        raise ValueError(f"image must have shape (H, W, C), got {arr.shape}")
    if not isinstance(tile, (int, np.integer)) or tile < 1:
        raise ValueError(f"tile must be a positive integer, got {tile!r}")
    rows, cols = arr.shape[0] // tile, arr.shape[1] // tile
    if rows * cols < 2:
        raise ValueError(f"tile {tile} px leaves fewer than two tiles in a {arr.shape[:2]} image")
    crop = arr[: rows * tile, : cols * tile]
    tiles = crop.reshape(rows, tile, cols, tile, -1).swapaxes(1, 2).reshape(rows * cols, tile,
                                                                            tile, -1)
    order = np.random.default_rng(seed).permutation(rows * cols)
    out = tiles[order].reshape(rows, cols, tile, tile, -1).swapaxes(1, 2)
    return out.reshape(rows * tile, cols * tile, -1)


def gram_difference(a: np.ndarray, b: np.ndarray,
                    layers: Sequence[str] = features.STYLE_LAYERS) -> dict[str, float]:
    """Relative Gram-matrix difference ‖G_a − G_b‖ / ‖G_a‖ per layer (Frobenius norms).

    0 means the two images have the same style statistics at that layer.

    >>> img = np.random.default_rng(0).random((64, 64, 3)).astype(np.float32)
    >>> gram_difference(img, img, ["block1_conv1"])
    {'block1_conv1': 0.0}
    """
    vgg = features.get_extractor(tuple(n for n in features.LAYERS if n in set(layers)))
    fa = vgg(_check_image(a, "a"))
    fb = vgg(_check_image(b, "b"))
    out = {}
    for name in layers:
        ga, gb = gram_matrix(fa[name]).numpy(), gram_matrix(fb[name]).numpy()
        out[name] = float(np.linalg.norm(ga - gb) / max(float(np.linalg.norm(ga)), 1e-12))
    return out


def make_panel(steps: int = 30, scales: int = 1, **kwargs):  # type: ignore[no-untyped-def]
    """The lesson-04 ipywidgets panel driving :func:`stylize` (see :mod:`helpers.widgets`).

    ``kwargs`` go to :class:`helpers.widgets.StylePanel` (``sizes``, ``style_weight``,
    ``tradition``, ``work``, ``content``). Display the returned panel; its Run button (or
    ``panel.run()``) renders the chosen photo in the chosen style.
    """
    from . import widgets

    return widgets.StylePanel(widgets.stylize_render(steps=steps, scales=scales), **kwargs)
