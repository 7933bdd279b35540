"""AdaIN: the operation behind fast arbitrary style transfer, its encoder, decoder and losses.

Lesson 06, part 1 (part 2, a small StyleGAN built on the same operation, is
:mod:`helpers.stylegan`). Adaptive instance normalisation (Huang & Belongie, 2017) gives the
feature maps ``x`` of a content image the per-channel mean and standard deviation of the
feature maps ``y`` of a style image:

    AdaIN(x, y) = σ(y) · (x − μ(x)) / σ(x) + μ(y)

where μ and σ are taken over the spatial positions of each channel separately.

It sits between a frozen VGG16 encoder (up to ``block4_conv1``) and a trained decoder:
``image = decoder(adain(encoder(content), encoder(style)))``. The decoder is trained with a
*content loss* on AdaIN's output and a *style loss* on the means and standard deviations of
four VGG16 layers (:func:`adain_losses`), after a cheaper first stage that teaches it to invert
VGG16 (:func:`train_reconstruction`, then :func:`train_decoder`).

    >>> import numpy as np
    >>> from helpers import adain
    >>> x = np.random.default_rng(0).normal(size=(1, 8, 8, 4)).astype(np.float32)
    >>> y = 3.0 + 2.0 * np.random.default_rng(1).normal(size=(1, 5, 5, 4)).astype(np.float32)
    >>> out = adain.adain(x, y).numpy()
    >>> bool(np.allclose(out.mean(axis=(1, 2)), y.mean(axis=(1, 2)), atol=1e-4))
    True

The trained decoder ships as ``checkpoints.shipped_path("adain")`` (float16), made by
``python -m helpers.train_adain``; its training record is ``checkpoints.read_record`` of it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import tensorflow as tf

from . import checkpoints, data, features, images

__all__ = [
    "ENCODER_LAYER", "STAT_LAYERS", "DECODER_WIDTHS", "EPS", "FEATURE_SCALE",
    "mean_std", "adain_from_stats", "adain", "Encoder", "get_encoder", "build_decoder",
    "decoder_widths", "style_stats", "adain_losses", "load_decoder", "save_decoder",
    "Stylizer", "crop8", "LossJudge",
    "load_pool", "decoder_step", "reconstruction_data", "train_reconstruction", "style_statistics", "train_decoder",
]

#: The encoder stops at block4_conv1; AdaIN acts there.
ENCODER_LAYER: str = "block4_conv1"
#: Layers whose channel means and standard deviations make the style loss.
STAT_LAYERS: tuple[str, ...] = ("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1")
#: Channel widths of the light decoder (the VGG encoder has 512, 256, 128, 64; the paper's decoder
#: 256, 128, 64). A checkpoint records its own widths, which :func:`load_decoder` uses.
DECODER_WIDTHS: tuple[int, int, int] = (128, 64, 32)
EPS: float = 1e-5
#: block4_conv1 features are divided by this before the decoder (their std is a few hundred).
FEATURE_SCALE: float = 256.0


# --------------------------------------------------------------------------------------
# The operation
# --------------------------------------------------------------------------------------


def mean_std(features, eps: float = EPS) -> tuple[tf.Tensor, tf.Tensor]:  # type: ignore[no-untyped-def]
    """Per-image, per-channel mean μ and standard deviation σ over positions: (N, 1, 1, C) each.

    σ = sqrt(variance + eps), so it is never zero.
    """
    x = tf.convert_to_tensor(features, dtype=tf.float32)
    if x.shape.rank != 4:
        raise ValueError(f"expected feature maps of shape (N, H, W, C), got {x.shape}")
    mu, var = tf.nn.moments(x, axes=[1, 2], keepdims=True)
    return mu, tf.sqrt(var + eps)


def adain_from_stats(x, mu_y, sigma_y, eps: float = EPS) -> tf.Tensor:  # type: ignore[no-untyped-def]
    """σ(y) · (x − μ(x)) / σ(x) + μ(y), with μ(y) and σ(y) given (broadcast to (N, 1, 1, C))."""
    mu_x, sigma_x = mean_std(x, eps)
    x = tf.convert_to_tensor(x, dtype=tf.float32)
    return sigma_y * (x - mu_x) / sigma_x + mu_y


def adain(x, y, eps: float = EPS) -> tf.Tensor:  # type: ignore[no-untyped-def]
    """AdaIN(x, y) = σ(y) · (x − μ(x)) / σ(x) + μ(y) for feature maps (N, H, W, C).

    ``x`` and ``y`` may differ in height and width but not in batch size or channels.
    """
    x = tf.convert_to_tensor(x, dtype=tf.float32)
    y = tf.convert_to_tensor(y, dtype=tf.float32)
    if x.shape.rank != 4 or y.shape.rank != 4:
        raise ValueError(f"expected (N, H, W, C) feature maps, got {x.shape} and {y.shape}")
    if x.shape[-1] != y.shape[-1]:
        raise ValueError(f"content has {x.shape[-1]} channels but style has {y.shape[-1]}")
    mu_y, sigma_y = mean_std(y, eps)
    return adain_from_stats(x, mu_y, sigma_y, eps)


# --------------------------------------------------------------------------------------
# Encoder, decoder, losses
# --------------------------------------------------------------------------------------


class Encoder:
    """Frozen VGG16 up to ``block4_conv1``: RGB images in [0, 1] → dict of the STAT_LAYERS."""

    def __init__(self) -> None:
        self.model = features.build_vgg16(STAT_LAYERS)

    def __call__(self, images) -> dict[str, tf.Tensor]:  # type: ignore[no-untyped-def]
        x = tf.convert_to_tensor(images, dtype=tf.float32)
        if x.shape.rank == 3:
            x = x[None]
        return self.model(features.preprocess_caffe(x), training=False)


_ENCODER: Encoder | None = None


def get_encoder() -> Encoder:
    """A shared encoder (building VGG16 takes a second)."""
    global _ENCODER
    if _ENCODER is None:
        _ENCODER = Encoder()
    return _ENCODER


def build_decoder(widths: Sequence[int] = DECODER_WIDTHS):  # type: ignore[no-untyped-def]
    """The decoder: ``block4_conv1`` features (N, h, w, 512) → RGB image (N, 8h, 8w, 3).

    It mirrors the encoder (a conv where VGG has one, an upsampling where VGG pools), with
    fewer channels so that it trains on a laptop CPU. Output is RGB, roughly in [0, 1].

    >>> build_decoder().output_shape
    (None, None, None, 3)
    """
    import keras
    from keras import layers

    w0, w1, w2 = (int(w) for w in widths)
    if min(w0, w1, w2) < 1:
        raise ValueError(f"decoder widths must be positive, got {tuple(widths)}")
    inp = keras.Input(shape=(None, None, 512), name="adain_features")
    # block4_conv1 activations are in the hundreds (Caffe pixel scale): bring them near 1.
    scaled = layers.Rescaling(1.0 / FEATURE_SCALE, name="scale")(inp)

    def conv(c: int, name: str, act: str | None = "relu"):  # type: ignore[no-untyped-def]
        return layers.Conv2D(c, 3, padding="same", activation=act, name=name)

    x = conv(w0, "dec4_conv1")(scaled)                      # mirrors block4_conv1
    x = layers.UpSampling2D(2, name="up3")(x)            # mirrors block3_pool
    x = conv(w0, "dec3_conv2")(x)
    x = conv(w1, "dec3_conv1")(x)                        # mirrors block3_conv1
    x = layers.UpSampling2D(2, name="up2")(x)
    x = conv(w1, "dec2_conv2")(x)
    x = conv(w2, "dec2_conv1")(x)                        # mirrors block2_conv1
    x = layers.UpSampling2D(2, name="up1")(x)
    x = conv(w2, "dec1_conv2")(x)
    out = conv(3, "dec1_conv1", act=None)(x)             # mirrors block1_conv1 → RGB
    return keras.Model(inp, out, name="adain_decoder")


def style_stats(feats: dict[str, tf.Tensor]) -> dict[str, tuple[tf.Tensor, tf.Tensor]]:
    """``{layer: (μ, σ)}`` of encoder features."""
    return {k: mean_std(feats[k]) for k in STAT_LAYERS}


def adain_losses(out_feats: dict[str, tf.Tensor], target: tf.Tensor,
                 style: dict[str, tuple[tf.Tensor, tf.Tensor]]) -> tuple[tf.Tensor, tf.Tensor]:
    """Content and style losses of a decoded image, as in Huang & Belongie (2017).

    content_loss = mean‖f(g(t)) − t‖²  at block4_conv1, with t = AdaIN's output;
    style_loss   = Σ_layers mean‖μ(φ(g(t))) − μ(φ(s))‖² + mean‖σ(φ(g(t))) − σ(φ(s))‖².
    """
    content_loss = tf.reduce_mean(tf.square(out_feats[ENCODER_LAYER] - target))
    style_loss = tf.constant(0.0)
    for name in STAT_LAYERS:
        mu, sigma = mean_std(out_feats[name])
        mu_s, sigma_s = style[name]
        style_loss += tf.reduce_mean(tf.square(mu - mu_s)) + tf.reduce_mean(tf.square(sigma - sigma_s))
    return content_loss, style_loss


# --------------------------------------------------------------------------------------
# The shipped decoder (helpers.checkpoints: one part, "decoder"; the build config holds the widths)
# --------------------------------------------------------------------------------------


def decoder_widths(decoder) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    """The three channel widths of a decoder made by :func:`build_decoder`."""
    return tuple(int(decoder.get_layer(n).filters)  # type: ignore[return-value]
                 for n in ("dec4_conv1", "dec3_conv1", "dec2_conv1"))


def save_decoder(decoder, path: str | Path) -> Path:  # type: ignore[no-untyped-def]
    """Write a decoder's weights (float16) and widths to ``path`` with :func:`helpers.checkpoints.save`."""
    return checkpoints.save(path, {"decoder": decoder},
                            {"kind": "adain", "build": {"widths": list(decoder_widths(decoder))}})


def load_decoder(path: str | Path | None = None):  # type: ignore[no-untyped-def]
    """The trained decoder from ``path`` (default: the shipped one), built with the widths it
    was saved with; a missing, corrupt or mismatched file raises
    :class:`helpers.checkpoints.CheckpointError` naming it."""
    path = checkpoints.shipped_path("adain") if path is None else Path(path)
    arrays, config = checkpoints.read(path, "adain")
    decoder = build_decoder(config.get("build", {}).get("widths", DECODER_WIDTHS))
    checkpoints.assign({"decoder": decoder}, arrays, path, "adain")
    return decoder


# --------------------------------------------------------------------------------------
# Stylising with a trained decoder
# --------------------------------------------------------------------------------------


class Stylizer:
    """Encoder + AdaIN + decoder in one ``tf.function``: instant arbitrary style transfer.

    ``stylize(content, style, alpha)`` takes RGB images in [0, 1]; ``alpha`` interpolates
    the features between the content's own (0) and AdaIN's output (1).
    """

    def __init__(self, decoder=None):  # type: ignore[no-untyped-def]
        self.encoder = get_encoder()
        self.decoder = decoder if decoder is not None else load_decoder()
        self._encode = tf.function(lambda x: self.encoder(x), reduce_retracing=True)
        self._decode = tf.function(lambda t: self.decoder(t, training=False), reduce_retracing=True)

    def encode(self, images) -> dict[str, tf.Tensor]:  # type: ignore[no-untyped-def]
        x = tf.convert_to_tensor(images, dtype=tf.float32)
        return self._encode(x[None] if x.shape.rank == 3 else x)

    def stats(self, style_image) -> tuple[tf.Tensor, tf.Tensor]:  # type: ignore[no-untyped-def]
        """μ and σ of a style image at block4_conv1 (all AdaIN needs of a style)."""
        return mean_std(self.encode(style_image)[ENCODER_LAYER])

    def decode(self, t) -> np.ndarray:  # type: ignore[no-untyped-def]
        return np.clip(self._decode(tf.convert_to_tensor(t, tf.float32)).numpy(), 0.0, 1.0)

    def features_for(self, content, mu_s, sigma_s, alpha: float = 1.0) -> tf.Tensor:  # type: ignore[no-untyped-def]
        """α · AdaIN(f(c), s) + (1 − α) · f(c): the features the decoder turns into an image."""
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f"alpha must be in [0, 1], got {alpha}")
        fc = self.encode(content)[ENCODER_LAYER]
        t = adain_from_stats(fc, mu_s, sigma_s)
        return alpha * t + (1.0 - alpha) * fc

    def stylize(self, content, style, alpha: float = 1.0) -> np.ndarray:  # type: ignore[no-untyped-def]
        """One stylised image (H, W, 3) in [0, 1]; H and W are cropped to multiples of 8."""
        content = crop8(np.asarray(content, np.float32))
        mu_s, sigma_s = self.stats(style)
        return self.decode(self.features_for(content, mu_s, sigma_s, alpha))[0]

    def interpolate_styles(self, content, styles: Sequence[np.ndarray],  # type: ignore[no-untyped-def]
                           weights: Sequence[float]) -> np.ndarray:
        """Mix several styles: AdaIN with the weighted mean of their μ and σ."""
        if len(styles) != len(weights) or not styles:
            raise ValueError("give one weight per style (and at least one style)")
        wsum = float(sum(weights))
        if wsum <= 0:
            raise ValueError(f"weights must sum to a positive number, got {list(weights)}")
        stats = [self.stats(s) for s in styles]
        mu = sum(w * m for w, (m, _) in zip(weights, stats)) / wsum
        sigma = sum(w * s for w, (_, s) in zip(weights, stats)) / wsum
        content = crop8(np.asarray(content, np.float32))
        return self.decode(self.features_for(content, mu, sigma, 1.0))[0]


def crop8(image: np.ndarray) -> np.ndarray:
    """Crop an (H, W, 3) image so both sides are multiples of 8 (the encoder pools 3 times)."""
    h, w = image.shape[0] // 8 * 8, image.shape[1] // 8 * 8
    if h < 16 or w < 16:
        raise ValueError(f"image of shape {image.shape} is too small (need at least 16×16 px)")
    return image[:h, :w]


class LossJudge:
    """Scores stylised images against one content and one style, whichever method made them.

    Calling the judge on an image (H, W, 3) in [0, 1] (the content's shape) returns lesson 04's
    losses, from :class:`helpers.style.StyleTransferLoss` at its default weights —
    ``content`` (``block4_conv2``), ``style`` (Gram matrices of five layers), ``tv`` and their
    weighted ``total`` — and AdaIN's own style loss ``meanstd`` (means and standard deviations
    of the four STAT_LAYERS). The targets are computed once.
    """

    def __init__(self, content: np.ndarray, style: np.ndarray):
        from .style import StyleTransferLoss

        self.content = np.asarray(content, np.float32)
        self.gatys = StyleTransferLoss(self.content, np.asarray(style, np.float32))
        self.encoder = get_encoder()
        self.stats = style_stats(self.encoder(np.asarray(style, np.float32)))

    def __call__(self, image: np.ndarray) -> dict[str, float]:
        image = np.asarray(image, np.float32)
        if image.shape != self.content.shape:
            raise ValueError(f"image shape {image.shape} differs from the content's {self.content.shape}")
        out = self.gatys(image)
        fi = self.encoder(image)
        meanstd = 0.0
        for k in STAT_LAYERS:
            (mi, si), (ms, ss) = mean_std(fi[k]), self.stats[k]
            meanstd += float(tf.reduce_mean(tf.square(mi - ms)) + tf.reduce_mean(tf.square(si - ss)))
        out["meanstd"] = meanstd
        return out


# --------------------------------------------------------------------------------------
# Training the decoder (python -m helpers.train_adain runs these with a time budget each)
# --------------------------------------------------------------------------------------


def load_pool(artworks: Sequence[data.Artwork], max_side: int, min_side: int) -> list[np.ndarray]:
    """Load images so that the *shorter* side is at least ``min_side`` (upscaling if needed),
    so that every image yields crops of that size."""
    out = []
    for a in artworks:
        img = a.load(max_side=max_side)
        if min(img.shape[:2]) < min_side:
            scale = min_side / min(img.shape[:2])
            img = images.resize_exact(img, (int(np.ceil(img.shape[0] * scale)),
                                            int(np.ceil(img.shape[1] * scale))))
        out.append(img)
    return out


def _encode_fn(encoder: Encoder | None):  # type: ignore[no-untyped-def]
    enc = encoder or get_encoder()
    return tf.function(lambda x: enc(x), reduce_retracing=True)


def reconstruction_data(pool: Sequence[np.ndarray], crop: int, per_image: int, rng: np.random.Generator,
                        encoder: Encoder | None = None,
                        progress: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Stage 1's data: ``per_image`` random crops of each image and their block4_conv1 features
    (float16, to fit in memory), computed once: stage 1 never runs VGG again."""
    from .runtime import progress as progress_bar

    encode = _encode_fn(encoder)
    crops = np.stack([images.random_crop(img, crop, rng) for img in pool for _ in range(per_image)])
    feats = np.concatenate([encode(tf.constant(crops[i:i + 16]))[ENCODER_LAYER].numpy().astype(np.float16)
                            for i in progress_bar(range(0, len(crops), 16), desc="stage 1 features",
                                          disable=not progress)])
    return crops, feats


def train_reconstruction(decoder, crops: np.ndarray, feats: np.ndarray, *, steps: int,  # type: ignore[no-untyped-def]
                         rng: np.random.Generator, batch: int = 8, lr: float = 1e-3,
                         max_seconds: float | None = None, progress: bool = True) -> list[list[float]]:
    """Stage 1: teach ``decoder`` to invert VGG16 (pixel MSE between g(f(crop)) and the crop).

    Needs no backward pass through VGG, so it is cheap on a CPU, and it gives clean images.
    Up to ``steps`` Adam steps, stopping once ``max_seconds`` have passed; returns the losses.
    """
    import keras
    from .runtime import progress as progress_bar

    opt = keras.optimizers.Adam(lr)

    @tf.function
    def step(f, target):  # type: ignore[no-untyped-def]
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(decoder(f, training=True) - target))
        grads = tape.gradient(loss, decoder.trainable_weights)
        opt.apply_gradients(zip(grads, decoder.trainable_weights))
        return loss

    losses: list[list[float]] = []
    start = time.perf_counter()
    for _ in progress_bar(range(steps), desc="stage 1 (reconstruction)", mininterval=10.0, disable=not progress):
        idx = rng.integers(0, len(crops), batch)
        f, target = feats[idx].astype(np.float32), crops[idx]
        if rng.random() < 0.5:  # flipping features and image together is a (nearly) free augmentation
            f, target = f[:, :, ::-1], target[:, :, ::-1]
        losses.append([float(step(tf.constant(f), tf.constant(target)))])
        if max_seconds is not None and time.perf_counter() - start > max_seconds:
            break
    return losses


def style_statistics(style_pool: Sequence[np.ndarray], crop: int, per_image: int,
                     rng: np.random.Generator, encoder: Encoder | None = None,
                     progress: bool = True) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """μ and σ of the STAT_LAYERS for ``per_image`` random crops and the whole of each style
    image: ``({layer: (n, 1, 1, C)}, {layer: (n, 1, 1, C)})``. A style enters AdaIN only
    through them, so stage 2 computes them once."""
    from .runtime import progress as progress_bar

    encode = _encode_fn(encoder)
    stats: dict[str, list[list[np.ndarray]]] = {k: [[], []] for k in STAT_LAYERS}
    for img in progress_bar(style_pool, desc="style statistics", disable=not progress):
        batch = np.stack([images.random_crop(img, crop, rng) for _ in range(per_image)])
        for b in (batch, crop8(img)[None]):
            fs = encode(tf.constant(b))
            for k in STAT_LAYERS:
                mu, sigma = mean_std(fs[k])
                stats[k][0].append(mu.numpy())
                stats[k][1].append(sigma.numpy())
    return ({k: np.concatenate(v[0]) for k, v in stats.items()},
            {k: np.concatenate(v[1]) for k, v in stats.items()})


def decoder_step(decoder, optimizer, style_weight: float = 10.0, recon_weight: float = 0.0,  # type: ignore[no-untyped-def]
                 encoder: Encoder | None = None):
    """Stage 2's update, uncompiled: ``step(content, mus, sigmas)`` → (content loss, style loss),
    ``content`` in [0, 1], ``mus``/``sigmas`` lists over :data:`STAT_LAYERS` of (N, 1, 1, C).
    :func:`train_decoder` compiles it; ``strategy.run`` runs it on replicas (``train_adain --strategy``)."""
    enc = encoder or get_encoder()

    def step(content, mus, sigmas):  # type: ignore[no-untyped-def]
        style = {k: (mus[i], sigmas[i]) for i, k in enumerate(STAT_LAYERS)}
        fc = enc(content)[ENCODER_LAYER]
        t = adain_from_stats(fc, *style[ENCODER_LAYER])
        with tf.GradientTape() as tape:
            content_loss, style_loss = adain_losses(enc(decoder(t, training=True)), t, style)
            loss = content_loss + style_weight * style_loss
            if recon_weight > 0:
                loss += recon_weight * tf.reduce_mean(tf.square(decoder(fc, training=True) - content))
        grads = tape.gradient(loss, decoder.trainable_weights)
        optimizer.apply_gradients(zip(grads, decoder.trainable_weights))
        return content_loss, style_loss

    return step


def train_decoder(decoder, content_pool: Sequence[np.ndarray],  # type: ignore[no-untyped-def]
                  style_mu: dict[str, np.ndarray], style_sigma: dict[str, np.ndarray], *, steps: int,
                  rng: np.random.Generator, batch: int = 8, crop: int = 64, lr: float = 5e-4,
                  style_weight: float = 10.0, recon_weight: float = 0.0,
                  max_seconds: float | None = None, every: int = 0,
                  callback: Callable[[list, float], None] | None = None,
                  progress: bool = True) -> list[list[float]]:
    """Stage 2: train ``decoder`` with AdaIN's losses, content + ``style_weight`` · style.

    Each step pairs random content crops with random style statistics (from
    :func:`style_statistics`). ``recon_weight`` > 0 adds a pixel loss ‖g(f(c)) − c‖² that
    keeps the decoder an inverse of VGG (without it a small decoder drifts to the artworks'
    average palette). Up to ``steps`` steps, stopping once ``max_seconds`` have passed; every
    ``every`` steps (if > 0) ``callback(losses, seconds)`` is called, e.g. to save. Returns
    the (content, style) losses.
    """
    import keras
    from .runtime import progress as progress_bar

    n_styles = len(style_mu[ENCODER_LAYER])
    step = tf.function(decoder_step(decoder, keras.optimizers.Adam(lr), style_weight, recon_weight))

    losses: list[list[float]] = []
    start = time.perf_counter()
    bar = progress_bar(range(steps), desc="stage 2 (AdaIN losses)", mininterval=10.0, disable=not progress)
    for i in bar:
        cidx = rng.integers(0, len(content_pool), batch)
        sidx = rng.integers(0, n_styles, batch)
        content = np.stack([images.random_crop(content_pool[j], crop, rng) for j in cidx])
        mus = [tf.constant(style_mu[k][sidx]) for k in STAT_LAYERS]
        sigmas = [tf.constant(style_sigma[k][sidx]) for k in STAT_LAYERS]
        lc, ls = step(tf.constant(content), mus, sigmas)
        losses.append([float(lc), float(ls)])
        if progress and i % 20 == 0:
            recent = np.mean(losses[-20:], axis=0)
            bar.set_postfix(content=f"{recent[0]:.0f}", style=f"{recent[1]:.0f}")
        elapsed = time.perf_counter() - start
        if callback is not None and every > 0 and (i + 1) % every == 0:
            callback(losses, elapsed)
        if max_seconds is not None and elapsed > max_seconds:
            break
    return losses
