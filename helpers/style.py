"""Gatys-style neural style transfer: :func:`stylize` and its options (NumPy in, NumPy out).

Lessons 03, 04 and 09 (and lesson 06's comparison with AdaIN).

The losses live in :mod:`helpers.style_loss` and are re-exported here under the same names
(:func:`gram_matrix`, :func:`content_loss`, :func:`style_loss`, :func:`tv_loss`,
:class:`StyleTransferLoss`, the default weights): L_total = α·L_content + β·L_style + γ·L_tv,
with ``style_norm="relative"`` dividing each layer's Gram error by the painting's mean square,
so β means the same for a pale ink painting and a saturated print. Lesson 09's spatial control
is ``stylize(..., regions=[(photo_mask, painting_mask), ...])``: guided Gram matrices, region
by region (:func:`guided_gram_matrix`).

One call stylises an image (NumPy in, NumPy out):

    >>> import numpy as np
    >>> photo, art = np.random.rand(48, 64, 3), np.random.rand(64, 64, 3)
    >>> out = stylize(photo, art, size=32, steps=5, progress=False)
    >>> out.shape, out.dtype.name, float(gram_matrix(np.ones((1, 2, 2, 3)))[0, 0, 0])
    ((24, 32, 3), 'float32', 1.0)
"""

from __future__ import annotations

import inspect
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
from .style_loss import (DEFAULT_CONTENT_WEIGHT, DEFAULT_STYLE_NORM, DEFAULT_STYLE_WEIGHTS,
                         DEFAULT_TV_WEIGHT, STYLE_NORMS, StyleTransferLoss, content_loss,
                         gram_matrix, guided_gram_matrix, style_loss, tv_loss)
from .style_loss import _as_style_list, _check_weights, check_regions, resize_mask

__all__ = [
    "DEFAULT_CONTENT_WEIGHT", "DEFAULT_TV_WEIGHT", "DEFAULT_STYLE_WEIGHTS", "STYLE_NORMS",
    "DEFAULT_STYLE_NORM", "OPTIMIZERS", "PRESERVE_COLOR",
    "gram_matrix", "guided_gram_matrix", "content_loss", "style_loss", "tv_loss",
    "StyleTransferLoss", "StylizeResult", "stylize", "run_style_transfer", "synthesize_texture",
]

OPTIMIZERS = ("lbfgs", "adam")
PRESERVE_COLOR = (None, "luminance", "match")


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
    from .runtime import progress as tqdm  # a bar a saved notebook shows in its final state

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
    regions: Sequence[tuple[np.ndarray, np.ndarray]] | None = None,
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
      ``style_size``: the style image's longer side (default ``size``). VGG16's filters see
      patterns of a fixed size in pixels, so the marks keep the painting's pixel scale: a
      smaller style image gives smaller marks, a larger one larger marks (lesson 09).
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
    - ``regions`` (lesson 09; one style image): spatial control by guided Gram matrices (Gatys
      et al. 2017). A list of (photo mask, painting mask) pairs, each mask (H, W) in [0, 1] at
      the size of ``content`` and of ``style`` as given; they are resized with the images. Region
      r of the output is pushed towards the Gram statistics of region r of the painting, each
      region normalised on its own; pixels outside every photo mask get no style term.
      Weighting and normalisation: :class:`StyleTransferLoss`.

    Returns the stylised image, float32 (h, w, 3) in [0, 1], longer side ``size``. Raises
    ``ValueError`` naming the argument for a bad weight, optimiser, colour mode, normalisation,
    ``steps``, image, mask (``regions[r][0]``/``[1]``: shape, values, all zeros), or a size
    whose result would be under 16 px a side.
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
    regions = None
    if s["regions"] is not None:
        if len(styles) != 1:
            raise ValueError(f"regions works with one style image, got {len(styles)}")
        regions = check_regions(s["regions"], content.shape[:2], styles[0].shape[:2])
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
            s_k = [resize_to(st, s_side) for st in styles]
            regions_k = None if regions is None else [
                (resize_mask(p, hw), resize_mask(q, s_k[0].shape[:2])) for p, q in regions]
            loss = StyleTransferLoss(
                c_k, s_k, regions=regions_k,
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
