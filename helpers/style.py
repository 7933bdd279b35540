"""Gatys-style neural style transfer: Gram matrices, the three losses, and :func:`stylize`.

Lessons 03 and 04 (and lesson 06's comparison with AdaIN).

G = FᵀF / N is the Gram matrix of a feature map F (N = H·W positions, C channels): dividing
by N makes it independent of image size (Gatys et al. divide the loss by 4C²N² instead; any
such constant is a different β in disguise). L_total = α·L_content + β·L_style + γ·L_tv with
:func:`content_loss` (mean squared feature difference at one layer), :func:`style_loss` (Gram
errors over layers; ``style_norm="relative"`` divides each layer's by the target's mean square,
so β means the same for a pale ink painting and a saturated print) and :func:`tv_loss`.

One call stylises an image (NumPy in, NumPy out):

    >>> import numpy as np
    >>> photo, art = np.random.rand(48, 64, 3), np.random.rand(64, 64, 3)
    >>> out = stylize(photo, art, size=32, steps=5, progress=False)
    >>> out.shape, out.dtype.name, float(gram_matrix(np.ones((1, 2, 2, 3)))[0, 0, 0])
    ((24, 32, 3), 'float32', 1.0)
"""

from __future__ import annotations

import functools
import inspect
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import tensorflow as tf

from . import features
from .data import MIN_SIDE
from .images import check_image, luminance, match_color, preserve_color as keep_colours
from .images import resize_exact, resize_to

__all__ = [
    "DEFAULT_CONTENT_WEIGHT", "DEFAULT_TV_WEIGHT", "DEFAULT_STYLE_WEIGHTS", "STYLE_NORMS",
    "DEFAULT_STYLE_NORM", "OPTIMIZERS", "PRESERVE_COLOR",
    "gram_matrix", "content_loss", "style_loss", "tv_loss", "StyleTransferLoss",
    "StylizeResult", "stylize", "run_style_transfer", "synthesize_texture",
]

#: Default weights α, γ, and β per style normalisation: "raw" is the TensorFlow tutorial's loss
#: and β; "relative" (the default) was tuned so that one β stylises every work (lesson 04).
DEFAULT_CONTENT_WEIGHT = 1e4
DEFAULT_TV_WEIGHT = 30.0
DEFAULT_STYLE_WEIGHTS = {"relative": 1e9, "raw": 1e-2}
STYLE_NORMS = tuple(DEFAULT_STYLE_WEIGHTS)
DEFAULT_STYLE_NORM = "relative"
OPTIMIZERS = ("lbfgs", "adam")
PRESERVE_COLOR = (None, "luminance", "match")


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


def _gram_scale(target, style_norm: str) -> tf.Tensor:  # type: ignore[no-untyped-def]
    """1 (raw) or 1 / mean(G_S²) (relative) for one layer's target Gram matrix."""
    if style_norm not in STYLE_NORMS:
        raise ValueError(f"style_norm must be one of {STYLE_NORMS}, got {style_norm!r}")
    if style_norm == "raw":
        return tf.constant(1.0)
    t = tf.convert_to_tensor(target, dtype=tf.float32)
    # the floor only keeps an all-zero target (a black image) finite
    return 1.0 / tf.maximum(tf.reduce_mean(tf.square(t)), 1e-12)


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
def _loss_fn(style_layers: tuple[str, ...], content_layer: str, dtype: str):  # type: ignore[no-untyped-def]
    """``tf.function``s (image, *targets) → (total, gradient, parts) and → (total, parts)."""
    model = features.get_extractor(_layers_for(style_layers, content_layer), dtype).model

    def losses(x, content_target, style_targets, layer_scales, weights):  # type: ignore[no-untyped-def]
        acts = model(features.preprocess_caffe(x), training=False)
        lc = content_loss(acts[content_layer], content_target)
        ls = tf.constant(0.0)
        for i, name in enumerate(style_layers):
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
                 blend: Sequence[float] | None = None, dtype: str = "float32"):
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
        blend_w = _weights(blend, len(style_list), "blend", "style image")
        blend_w = [v / sum(blend_w) for v in blend_w]
        layer_w = _weights(style_layer_weights, len(self.style_layers), "style_layer_weights",
                           "style layer")
        self.weights = tf.constant([content_weight, style_weight, tv_weight], tf.float32)
        extractor = features.get_extractor(_layers_for(self.style_layers, content_layer), dtype)
        self.content_target = extractor(content)[content_layer]
        grams: list[tf.Tensor] = [tf.zeros(())] * len(self.style_layers)
        for w, s in zip(blend_w, style_list):
            acts = extractor(s)
            for i, name in enumerate(self.style_layers):
                grams[i] = grams[i] + w * gram_matrix(acts[name])
        self.style_targets = tuple(grams)
        # layer weight × normalisation, folded into one number per layer
        self.layer_scales = tf.stack([w * _gram_scale(g, style_norm)
                                      for w, g in zip(layer_w, grams)])
        self._value_and_grad, self._value = _loss_fn(self.style_layers, content_layer, dtype)

    def value_and_grad(self, x: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
        """(total loss, d total / d x, [content, style, tv] unweighted) for x of shape (1, H, W, 3)."""
        return self._value_and_grad(x, self.content_target, self.style_targets,
                                    self.layer_scales, self.weights)

    def __call__(self, image: np.ndarray) -> dict[str, float]:
        """The loss of one image (H, W, 3): total and the unweighted parts."""
        x = tf.convert_to_tensor(check_image(image, "image")[None])
        total, parts = self._value(x, self.content_target, self.style_targets,
                                   self.layer_scales, self.weights)
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


@dataclass
class StylizeResult:
    """What :func:`run_style_transfer` returns; ``history`` has one row per iteration:
    (seconds since start, scale index, total loss of the iterate at that scale's size)."""

    image: np.ndarray
    loss: dict[str, float]
    seconds: float
    evaluations: int
    history: list[tuple[float, int, float]] = field(default_factory=list)


def _progress(total: int, enabled: bool, desc: str):  # type: ignore[no-untyped-def]
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, leave=False, disable=not enabled)


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
        if on_iter(intermediate_result.x.reshape(x0.shape).astype(np.float32),
                   float(intermediate_result.fun)):
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
        if on_iter(var.numpy()[0], float(total)):
            return var.numpy()[0], step + 1
    return var.numpy()[0], steps


def stylize(
    content: np.ndarray, style, *,  # type: ignore[no-untyped-def]
    content_weight: float = DEFAULT_CONTENT_WEIGHT, style_weight: float | None = None,
    tv_weight: float = DEFAULT_TV_WEIGHT, style_norm: str = DEFAULT_STYLE_NORM,
    style_layers: Sequence[str] = features.STYLE_LAYERS,
    style_layer_weights: Sequence[float] | None = None,
    content_layer: str = features.CONTENT_LAYER,
    size: int = 256, style_size: int | None = None, steps: int | Sequence[int] = 100,
    optimizer: str = "lbfgs", learning_rate: float = 0.02, scales: int = 1, init: Any = None,
    preserve_color: str | None = None, blend: Sequence[float] | None = None,
    dtype: str = "float32", max_seconds: float | None = None, progress: bool = True,
    callback: Callable[[int, np.ndarray, float], None] | None = None, callback_every: int = 10,
) -> np.ndarray:
    """Render ``content`` in the style of ``style`` (Gatys et al.); NumPy in, NumPy out.

    - ``content``: RGB image (H, W, 3), float in [0, 1] (e.g. ``Artwork.load()``) or uint8.
      ``style``: one such image, or a list of them mixed by ``blend`` (weights, normalised;
      their Gram matrices are averaged).
    - ``content_weight``, ``style_weight``, ``tv_weight``: α, β, γ in L_total = α·L_content +
      β·L_style + γ·L_tv (all ≥ 0); ``style_weight=None`` is ``DEFAULT_STYLE_WEIGHTS[style_norm]``.
    - ``style_norm``: ``"relative"`` divides each layer's Gram error by the target's mean
      square, so β means the same for every artwork; ``"raw"`` is the TensorFlow tutorial's.
    - ``style_layers``, ``style_layer_weights`` (default 1/L each), ``content_layer``: VGG16 layers.
    - ``size``: the output's longer side (px); both sides, at every scale, must be ≥ 16 px.
      ``style_size``: the style image's longer side (default ``size``; smaller = larger marks).
    - ``steps``: iterations per scale (an int, or one per scale). ``optimizer``: ``"lbfgs"``
      (SciPy's L-BFGS-B, pixels bounded to [0, 1]; about 1.1 gradient evaluations per
      iteration) or ``"adam"`` (the tutorial's: ``learning_rate``, β1 0.99, ε 0.1).
    - ``scales``: coarse to fine; with 3, optimise at size/4, upsample, refine at size/2, then size.
    - ``preserve_color``: ``None``; ``"luminance"`` (transfer the luminance only, then put the
      content's chrominance back) or ``"match"`` (recolour the style to the content's colour
      mean and covariance first).
    - ``dtype``: ``"float32"`` or ``"bfloat16"`` (pays off only on CPUs with native bf16).
    - ``max_seconds``: time budget; each scale stops once it has passed (later ones run 1 step).
      ``init``: the starting image (default the content), e.g. a decoder's output to refine.
    - ``progress``: a tqdm bar. ``callback(step, image, loss)``: at step 0 (the start), every
      ``callback_every`` iterations and at the end (never twice for one step).

    Returns the stylised image, float32 (h, w, 3) in [0, 1], longer side ``size``. Raises
    ``ValueError`` naming the argument for a bad weight, optimiser, colour mode, normalisation,
    ``steps``, image, or a size whose result would be under 16 px a side.
    """
    return _transfer(dict(locals())).image  # every argument by name, to the one implementation


def run_style_transfer(content: np.ndarray, style, *,  # type: ignore[no-untyped-def]
                       stop_at_loss: float | None = None, **settings: Any) -> StylizeResult:
    """:func:`stylize` with the same arguments, returning a :class:`StylizeResult` (image,
    final losses, seconds, gradient evaluations, history); ``stop_at_loss`` (for benchmarks)
    ends the run once an iterate at the final scale has a total loss at or below it."""
    bound = inspect.signature(stylize).bind(content, style, **settings)  # TypeError if unknown
    bound.apply_defaults()
    return _transfer(dict(bound.arguments), stop_at_loss)


def _check_int(value: Any, name: str, low: int, unit: str = "") -> None:
    if not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name} must be an integer ≥ {low}{unit}, got {value!r}")


def _validate(s: dict[str, Any]) -> list[int]:
    """Check stylize's settings (the loss checks its own); return the steps per scale."""
    for name, allowed in (("optimizer", OPTIMIZERS), ("preserve_color", PRESERVE_COLOR),
                          ("style_norm", STYLE_NORMS)):
        if s[name] not in allowed:
            raise ValueError(f"{name} must be one of {allowed}, got {s[name]!r}")
    _check_int(s["size"], "size", MIN_SIDE, " px")
    if s["style_size"] is not None:
        _check_int(s["style_size"], "style_size", MIN_SIDE, " px")
    _check_int(s["scales"], "scales", 1)
    _check_int(s["callback_every"], "callback_every", 1)
    steps = s["steps"]
    step_list = [steps] * s["scales"] if isinstance(steps, (int, np.integer)) else list(steps)
    if len(step_list) != s["scales"] or not all(isinstance(v, (int, np.integer)) and v >= 1
                                                for v in step_list):
        raise ValueError(f"steps must be an integer ≥ 1 or one per scale, got {steps!r}")
    for name in ("learning_rate", "max_seconds"):
        if s[name] is not None and not s[name] > 0:
            raise ValueError(f"{name} must be > 0, got {s[name]!r}")
    return step_list


def _scale_shapes(hw: tuple[int, int], size: int, scales: int) -> list[tuple[int, int]]:
    """(height, width) at each scale, coarsest first; a clear error where one is too small."""
    h, w = hw
    final = (h * size / max(h, w), w * size / max(h, w))
    shapes = [(max(1, round(round(final[0]) / 2 ** k)), max(1, round(round(final[1]) / 2 ** k)))
              for k in reversed(range(scales))]
    if min(shapes[0]) < MIN_SIDE:
        what = f"size {size} px" if scales == 1 else f"size {size} px with {scales} scales"
        raise ValueError(f"{what} would give a {shapes[0][0]}×{shapes[0][1]} px image from a "
                         f"{h}×{w} content; VGG16 needs ≥ {MIN_SIDE} px a side: raise size or "
                         f"scales=1, or crop the content to a less extreme shape")
    return shapes


def _transfer(s: dict[str, Any], stop_at_loss: float | None = None) -> StylizeResult:
    """The one implementation behind :func:`stylize` and :func:`run_style_transfer`."""
    step_list = _validate(s)
    _check_weights(s["content_weight"], s["style_weight"] or 0.0, s["tv_weight"])
    content = check_image(s["content"], "content")
    styles = _as_style_list(s["style"])
    scales, callback, every = s["scales"], s["callback"], s["callback_every"]
    shapes = _scale_shapes(content.shape[:2], s["size"], scales)

    chroma_source = None
    if s["preserve_color"] == "luminance":
        chroma_source, y_c = content, luminance(content)
        # each style's luminance, given the content's mean and spread
        styles = [np.clip((y - y.mean()) / max(float(y.std()), 1e-6) * y_c.std() + y_c.mean(),
                          0, 1).astype(np.float32) for y in map(luminance, styles)]
        content = y_c
    elif s["preserve_color"] == "match":
        styles = [match_color(st, content) for st in styles]

    def finish(x: np.ndarray) -> np.ndarray:
        x = np.clip(np.asarray(x, np.float32), 0.0, 1.0)
        return x if chroma_source is None else keep_colours(x, chroma_source)

    final, start = resize_exact(content, shapes[-1]), time.perf_counter()
    history: list[tuple[float, int, float]] = []
    evaluations, done, last_reported, x, loss = 0, [0], [-1], s["init"], None
    bar = _progress(sum(step_list), s["progress"], f"stylize ({s['optimizer']})")

    def report(img: np.ndarray, value: float) -> None:
        if callback is not None and last_reported[0] != done[0]:
            last_reported[0] = done[0]
            callback(done[0], finish(img), value)

    try:
        for k, hw in enumerate(shapes):
            factor = 2 ** (scales - 1 - k)
            c_k = resize_exact(final, hw) if factor > 1 else final
            s_side = max(MIN_SIDE, round((s["style_size"] or s["size"]) / factor))
            loss = StyleTransferLoss(
                c_k, [resize_to(st, s_side) for st in styles],
                content_weight=s["content_weight"], style_weight=s["style_weight"],
                tv_weight=s["tv_weight"], style_norm=s["style_norm"],
                style_layers=s["style_layers"], style_layer_weights=s["style_layer_weights"],
                content_layer=s["content_layer"], blend=s["blend"], dtype=s["dtype"])
            x0 = c_k.copy() if x is None else resize_exact(check_image(x, "init") if k == 0 else x, hw)
            if k == 0 and callback is not None:
                report(x0, loss(x0)["total"])

            def on_iter(img: np.ndarray, value: float, k: int = k) -> bool:
                done[0] += 1
                elapsed = time.perf_counter() - start
                history.append((elapsed, k, value))
                bar.update(1)
                if done[0] % every == 0:
                    report(img, value)
                if s["max_seconds"] is not None and elapsed >= s["max_seconds"]:
                    return True
                return stop_at_loss is not None and k == scales - 1 and value <= stop_at_loss

            if s["optimizer"] == "lbfgs":
                x, n = _run_lbfgs(loss, x0, step_list[k], on_iter)
            else:
                x, n = _run_adam(loss, x0, step_list[k], s["learning_rate"], on_iter)
            evaluations += n
    finally:
        bar.close()
    assert x is not None and loss is not None
    final_loss, image = loss(np.clip(x, 0.0, 1.0)), finish(x)
    seconds = time.perf_counter() - start
    report(x, final_loss["total"])
    return StylizeResult(image, final_loss, seconds, evaluations, history)


def synthesize_texture(style_image: np.ndarray, *, size: int = 128, steps: int = 100,
                       style_layers: Sequence[str] = features.STYLE_LAYERS,
                       style_layer_weights: Sequence[float] | None = None,
                       tv_weight: float = 0.0, seed: int = 0, progress: bool = True) -> np.ndarray:
    """Texture synthesis (Gatys et al. 2015): start from noise, minimise the style loss alone.

    Returns an image with the style's aspect ratio (longer side ``size``) whose Gram
    matrices at ``style_layers`` match the style image's. Where things were is not kept.

    >>> tex = synthesize_texture(np.random.rand(64, 64, 3), size=32, steps=5, progress=False)
    >>> tex.shape
    (32, 32, 3)
    """
    _check_int(size, "size", MIN_SIDE, " px")
    _check_int(steps, "steps", 1)
    style_image = resize_to(check_image(style_image, "style_image"), size)
    rng = np.random.default_rng(seed)
    noise = np.clip(0.5 + 0.1 * rng.standard_normal(style_image.shape), 0, 1).astype(np.float32)
    loss = StyleTransferLoss(noise, style_image, content_weight=0.0, style_weight=1.0,
                             tv_weight=tv_weight, style_norm="raw", style_layers=style_layers,
                             style_layer_weights=style_layer_weights,
                             content_layer=tuple(style_layers)[0])
    bar = _progress(steps, progress, "texture")
    try:
        x, _ = _run_lbfgs(loss, noise, steps, lambda img, value: bar.update(1) and False)
    finally:
        bar.close()
    return np.clip(x, 0.0, 1.0)
