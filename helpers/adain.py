"""AdaIN: one operation behind fast arbitrary style transfer (part 1) and StyleGAN (part 2).

Adaptive instance normalisation (Huang & Belongie, 2017) gives the feature maps ``x`` of a
content image the per-channel mean and standard deviation of the feature maps ``y`` of a
style image:

    AdaIN(x, y) = σ(y) · (x − μ(x)) / σ(x) + μ(y)

where μ and σ are taken over the spatial positions of each channel separately.

Part 1 puts it between a frozen VGG16 encoder (up to ``block4_conv1``) and a trained
decoder: ``image = decoder(adain(encoder(content), encoder(style)))``. The decoder is trained
with a *content loss* on AdaIN's output and a *style loss* on the means and standard
deviations of four VGG16 layers (:func:`adain_losses`). Part 2 uses the same operation inside
a small StyleGAN generator, whose per-layer means and scales come from a latent ``w``.

    >>> import numpy as np
    >>> from helpers import adain
    >>> x = np.random.default_rng(0).normal(size=(1, 8, 8, 4)).astype(np.float32)
    >>> y = 3.0 + 2.0 * np.random.default_rng(1).normal(size=(1, 5, 5, 4)).astype(np.float32)
    >>> out = adain.adain(x, y).numpy()
    >>> bool(np.allclose(out.mean(axis=(1, 2)), y.mean(axis=(1, 2)), atol=1e-4))
    True

The decoder and the small StyleGAN ship in ``data/checkpoints/`` as float16 ``.npz`` files,
made by ``python -m helpers.train_adain`` and ``python -m helpers.train_stylegan``
(command, seed, steps and wall time are in the ``.json`` beside each).
"""

from __future__ import annotations

import json
import time
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import tensorflow as tf

from .checkpoints import CheckpointError  # noqa: F401  (re-exported: one error for all loaders)
from . import data as _data
from . import features as _features
from . import gan as _gan
from .gan import to_unit  # noqa: F401  ([-1, 1] → [0, 1]; re-exported for lesson 06)

#: Where the course's trained weights live (read-only for the notebooks).
CHECKPOINT_DIR: Path = _data.DATA_DIR / "checkpoints"
DECODER_PATH: Path = CHECKPOINT_DIR / "adain_decoder_fp16.npz"
STYLEGAN_PATH: Path = CHECKPOINT_DIR / "stylegan_motifs_fp16.npz"

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
        self.model = _features.build_vgg16(STAT_LAYERS)

    def __call__(self, images) -> dict[str, tf.Tensor]:  # type: ignore[no-untyped-def]
        x = tf.convert_to_tensor(images, dtype=tf.float32)
        if x.shape.rank == 3:
            x = x[None]
        return self.model(_features.preprocess_caffe(x), training=False)


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
# Checkpoints (float16 .npz + a JSON record)
# --------------------------------------------------------------------------------------


def save_weights(model, path: str | Path, meta: dict) -> None:  # type: ignore[no-untyped-def]
    """Write a model's weights as float16 arrays ``w000, w001, …`` and ``meta`` as JSON in the npz."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = {f"w{i:03d}": np.asarray(w.numpy() if hasattr(w, "numpy") else w).astype(np.float16)
              for i, w in enumerate(_weights_of(model))}
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    np.savez_compressed(path, **arrays)


def _weights_of(model) -> list:  # type: ignore[no-untyped-def]
    if isinstance(model, (list, tuple)):
        out: list = []
        for m in model:
            out += _weights_of(m)
        return out
    if isinstance(model, (tf.Variable, getattr(__import__("keras"), "Variable"))):
        return [model]  # a bare variable
    return list(model.weights)


def read_checkpoint(path: str | Path) -> tuple[list[np.ndarray], dict]:
    """Arrays (float32) and metadata of a checkpoint; :class:`CheckpointError` names the file."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(
            f"{path}: checkpoint not found (it ships in data/checkpoints/; re-create it with "
            "python -m helpers.train_adain or python -m helpers.train_stylegan)")
    try:
        with np.load(path, allow_pickle=False) as npz:
            names = sorted(k for k in npz.files if k.startswith("w"))
            arrays = [npz[k].astype(np.float32) for k in names]
            meta = json.loads(npz["meta"].tobytes().decode()) if "meta" in npz.files else {}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError, KeyError) as exc:
        raise CheckpointError(f"{path}: not a readable checkpoint ({type(exc).__name__}: {exc})") from None
    if not arrays:
        raise CheckpointError(f"{path}: holds no weight arrays")
    return arrays, meta


def assign_weights(model, arrays: list[np.ndarray], path: str | Path) -> None:  # type: ignore[no-untyped-def]
    """Copy ``arrays`` into ``model`` (or a list of models), checking count and shapes."""
    weights = _weights_of(model)
    if len(weights) != len(arrays):
        raise CheckpointError(f"{path}: has {len(arrays)} arrays but the network has "
                              f"{len(weights)} weights (made for another architecture?)")
    for w, a in zip(weights, arrays):
        if tuple(w.shape) != a.shape:
            raise CheckpointError(f"{path}: weight {w.path if hasattr(w, 'path') else w.name} has "
                                  f"shape {tuple(w.shape)} but the file gives {a.shape}")
    for w, a in zip(weights, arrays):
        w.assign(a)


def load_decoder(path: str | Path = DECODER_PATH):  # type: ignore[no-untyped-def]
    """The trained decoder from ``path``; raises :class:`CheckpointError` naming a bad file."""
    arrays, meta = read_checkpoint(path)
    widths = meta.get("decoder_widths", DECODER_WIDTHS)
    decoder = build_decoder(widths)
    assign_weights(decoder, arrays, path)
    return decoder


def checkpoint_meta(path: str | Path) -> dict:
    """The JSON record written next to a checkpoint by its training script."""
    path = Path(path)
    record = path.with_suffix(".json")
    if not record.is_file():
        raise CheckpointError(f"{record}: training record not found")
    return json.loads(record.read_text(encoding="utf-8"))


def training_runs(record: dict) -> list[dict]:
    """The runs behind a checkpoint, oldest first: ``{command, steps, minutes, seed, load_average, stages}``.

    A run started with ``--init`` keeps the record of the one it continued under
    ``continued_from``; this unrolls that chain.

    >>> [r["steps"] for r in training_runs({"command": "b", "steps": 5, "wall_minutes": 1.0, "seed": 1,
    ...                                     "continued_from": {"command": "a", "steps": 3,
    ...                                                        "wall_minutes": 2.0, "seed": 0}})]
    [3, 5]
    """
    runs = []
    r: dict | None = record
    while r:
        steps = r.get("steps") or sum(s["steps"] for s in r.get("stages", {}).values())
        runs.append({"command": r.get("command", "?"), "steps": int(steps),
                     "minutes": float(r.get("wall_minutes", 0.0)), "seed": r.get("seed"),
                     "load_average": r.get("load_average"), "stages": r.get("stages", {})})
        r = r.get("continued_from")
    return runs[::-1]


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


def preserve_colour(stylised: np.ndarray, content: np.ndarray) -> np.ndarray:
    """Keep the content's colours: luminance (Y of YIQ) from the stylised image, chrominance
    (I, Q) from the content. For the other recipe, recolour the style first with
    :func:`helpers.style.match_color`."""
    from .style import rgb_to_yiq, yiq_to_rgb

    content = np.asarray(content, np.float32)[: stylised.shape[0], : stylised.shape[1]]
    yiq = np.concatenate([rgb_to_yiq(stylised)[..., :1], rgb_to_yiq(content)[..., 1:]], axis=-1)
    return np.clip(yiq_to_rgb(yiq), 0.0, 1.0).astype(np.float32)


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
# Training data: random crops
# --------------------------------------------------------------------------------------


def random_crop(image: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """A random ``size``×``size`` crop (with a random horizontal flip)."""
    h, w = image.shape[:2]
    if h < size or w < size:
        raise ValueError(f"image {image.shape} is smaller than the crop size {size}")
    y, x = rng.integers(0, h - size + 1), rng.integers(0, w - size + 1)
    crop = image[y: y + size, x: x + size]
    return crop[:, ::-1] if rng.random() < 0.5 else crop


def load_pool(artworks: Sequence[_data.Artwork], max_side: int, min_side: int) -> list[np.ndarray]:
    """Load images so that the *shorter* side is at least ``min_side`` (upscaling if needed)."""
    from PIL import Image

    out = []
    for a in artworks:
        img = a.load(max_side=max_side)
        if min(img.shape[:2]) < min_side:
            scale = min_side / min(img.shape[:2])
            size = (int(np.ceil(img.shape[1] * scale)), int(np.ceil(img.shape[0] * scale)))
            pil = Image.fromarray((img * 255).astype(np.uint8)).resize(size, Image.Resampling.BICUBIC)
            img = np.asarray(pil, np.float32) / 255.0
        out.append(img)
    return out


# --------------------------------------------------------------------------------------
# Part 2: a small StyleGAN
# --------------------------------------------------------------------------------------

#: Works whose motifs the small StyleGAN learns (32 px patches): geometric stars, waves, swirls.
MOTIF_IDS: tuple[str, ...] = (
    "generated-islamic-geometric__488-star-pattern__generated",
    "generated-islamic-geometric__hex-star-pattern__generated",
    "generated-islamic-geometric__sq-star-pattern__generated",
    "japanese-rinpa__ogata-korin-rough-waves__c1704",
    "japanese-ukiyoe__hokusai-great-wave-off-kanagawa__c1831",
    "european-postimpressionism__van-gogh-the-starry-night__1889",
)


def motif_patches(n: int, size: int = 32, seed: int = 0, max_side: int = 160,
                  ids: Sequence[str] = MOTIF_IDS) -> np.ndarray:
    """``n`` random ``size``-px patches (with flips) from the motif works, in [-1, 1], (n, size, size, 3).

    Each work is shrunk to ``max_side`` px first, so a patch holds a whole motif (a star, a
    wave crest), not a smear of paint. Works are sampled equally often; crops come from
    :func:`helpers.gan.motif_patches` (left–right flips, no rotations: waves and skies have
    an up and a down).
    """
    if n < 1:
        raise ValueError(f"n must be positive, got {n}")
    cat = _data.load_catalog()
    images = [cat[i].load(max_side=max_side) for i in ids]
    return _gan.to_tanh(_gan.motif_patches(images, n, patch=size, seed=seed, rotate=False))


def build_mapping(z_dim: int = 64, w_dim: int = 64, n_layers: int = 4):  # type: ignore[no-untyped-def]
    """Mapping network z → w: pixel-normalise z, then ``n_layers`` dense layers with leaky ReLU.

    >>> build_mapping().output_shape
    (None, 64)
    """
    import keras
    from keras import layers

    z = keras.Input(shape=(z_dim,), name="z")
    x = layers.Lambda(lambda t: t * tf.math.rsqrt(tf.reduce_mean(tf.square(t), -1, keepdims=True) + 1e-8),
                      name="pixel_norm")(z)
    for i in range(n_layers):
        x = layers.Dense(w_dim, name=f"map{i}")(x)
        x = layers.LeakyReLU(0.2, name=f"map{i}_lrelu")(x)
    return keras.Model(z, x, name="mapping")


class StyleGenerator:
    """StyleGAN's synthesis network at laptop scale (32×32 px by default).

    A learned constant 4×4 input; at each resolution (4, 8, 16, 32) two 3×3 convolutions,
    each followed by per-pixel noise (scaled per channel), a leaky ReLU and **AdaIN whose
    μ and σ come from w** through a learned affine map: ``adain_from_stats(x, b(w), s(w))``.
    It takes one w per layer, ``ws`` of shape (N, n_styles, w_dim): giving different rows
    different w's is style mixing.
    """

    def __init__(self, w_dim: int = 64, channels: Sequence[int] = (32, 32, 16, 16),
                 seed: int = 0):
        import keras
        from keras import layers

        self.w_dim = int(w_dim)
        self.channels = tuple(int(c) for c in channels)
        self.resolution = 4 * 2 ** (len(self.channels) - 1)
        self.n_styles = 2 * len(self.channels)
        init = keras.initializers.RandomNormal(stddev=1.0, seed=seed)
        self.const = keras.Variable(init((1, 4, 4, self.channels[0])), name="const")
        self.convs, self.affines, self.noise_strength = [], [], []
        c_in = self.channels[0]
        for i, c in enumerate(self.channels):
            for j in range(2):
                conv = layers.Conv2D(c, 3, padding="same", name=f"syn{i}_conv{j}")
                conv.build((None, None, None, c_in))
                aff = layers.Dense(2 * c, name=f"syn{i}_affine{j}",
                                   bias_initializer=keras.initializers.Constant(
                                       np.concatenate([np.ones(c), np.zeros(c)])))
                aff.build((None, self.w_dim))
                self.convs.append(conv)
                self.affines.append(aff)
                self.noise_strength.append(keras.Variable(np.zeros((c,), np.float32),
                                                          name=f"syn{i}_noise{j}"))
                c_in = c
        self.to_rgb = layers.Conv2D(3, 1, name="to_rgb")
        self.to_rgb.build((None, None, None, c_in))

    @property
    def weights(self) -> list:
        out = [self.const]
        for conv, aff, ns in zip(self.convs, self.affines, self.noise_strength):
            out += list(conv.weights) + list(aff.weights) + [ns]
        return out + list(self.to_rgb.weights)

    @property
    def trainable_variables(self) -> list:
        return self.weights

    def noise_shapes(self, batch: int) -> list[tuple[int, int, int, int]]:
        """Shapes of the per-layer noise inputs (N, r, r, 1)."""
        return [(batch, 4 * 2 ** (k // 2), 4 * 2 ** (k // 2), 1) for k in range(self.n_styles)]

    def __call__(self, ws, noise="random"):  # type: ignore[no-untyped-def]
        """Images in [-1, 1] (N, R, R, 3) from ``ws`` (N, n_styles, w_dim) or one w (N, w_dim).

        ``noise``: ``"random"`` (fresh Gaussian noise), ``"zero"`` (none), or a list of tensors
        of :meth:`noise_shapes`.
        """
        ws = tf.convert_to_tensor(ws, tf.float32)
        if ws.shape.rank == 2:
            ws = tf.repeat(ws[:, None], self.n_styles, axis=1)
        if ws.shape.rank != 3 or ws.shape[1] != self.n_styles or ws.shape[2] != self.w_dim:
            raise ValueError(f"ws must be (N, {self.n_styles}, {self.w_dim}) or (N, {self.w_dim}), "
                             f"got {ws.shape}")
        n = tf.shape(ws)[0]
        x = tf.tile(self.const, [n, 1, 1, 1])
        for k, (conv, aff, ns) in enumerate(zip(self.convs, self.affines, self.noise_strength)):
            if k > 0 and k % 2 == 0:
                x = tf.image.resize(x, 2 * tf.shape(x)[1:3], method="bilinear")
            x = conv(x)
            if isinstance(noise, str):
                if noise == "random":
                    shape = tf.concat([tf.shape(x)[:3], [1]], axis=0)
                    x = x + ns * tf.random.normal(shape)
                elif noise != "zero":
                    raise ValueError(f"noise must be 'random', 'zero' or a list, got {noise!r}")
            else:
                x = x + ns * tf.convert_to_tensor(noise[k], tf.float32)
            x = tf.nn.leaky_relu(x, 0.2)
            style = aff(ws[:, k])
            scale, bias = tf.split(style, 2, axis=-1)
            x = adain_from_stats(x, bias[:, None, None, :], scale[:, None, None, :])
        return tf.tanh(self.to_rgb(x))


def build_discriminator(resolution: int = 32, width: int = 32):  # type: ignore[no-untyped-def]
    """A small convolutional critic for ``resolution`` px images in [-1, 1] → one logit."""
    import keras
    from keras import layers

    inp = keras.Input(shape=(resolution, resolution, 3), name="image")
    x = layers.Conv2D(width, 3, padding="same", name="d_in")(inp)
    x = layers.LeakyReLU(0.2)(x)
    c, r, i = width, resolution, 0
    while r > 4:
        c = min(2 * c, 128)
        x = layers.Conv2D(c, 4, strides=2, padding="same", name=f"d_down{i}")(x)
        x = layers.LeakyReLU(0.2)(x)
        r //= 2
        i += 1
    x = layers.Flatten()(x)
    out = layers.Dense(1, name="d_logit")(x)
    return keras.Model(inp, out, name="discriminator")


class StyleGAN:
    """Mapping + synthesis + discriminator, with a non-saturating GAN loss and R1 penalty."""

    def __init__(self, z_dim: int = 64, w_dim: int = 64, channels: Sequence[int] = (32, 32, 16, 16),
                 mapping_layers: int = 4, seed: int = 0, lr: float = 2e-4, r1_gamma: float = 0.0,
                 mixing_prob: float = 0.5):
        import keras

        self.z_dim, self.w_dim = int(z_dim), int(w_dim)
        self.config = {"z_dim": self.z_dim, "w_dim": self.w_dim, "channels": list(channels),
                       "mapping_layers": int(mapping_layers)}
        self.mapping = build_mapping(z_dim, w_dim, mapping_layers)
        self.synthesis = StyleGenerator(w_dim, channels, seed=seed)
        self.disc = build_discriminator(self.synthesis.resolution)
        self.r1_gamma, self.mixing_prob = float(r1_gamma), float(mixing_prob)
        self.g_opt = keras.optimizers.Adam(lr, beta_1=0.5, beta_2=0.99)
        self.d_opt = keras.optimizers.Adam(lr, beta_1=0.5, beta_2=0.99)
        self.w_avg = tf.Variable(tf.zeros((self.w_dim,)), trainable=False, name="w_avg")
        self._step = tf.function(self._train_step)

    @property
    def generator_variables(self) -> list:
        return list(self.mapping.trainable_weights) + self.synthesis.trainable_variables

    def ws_from_z(self, z, truncation: float = 1.0):  # type: ignore[no-untyped-def]
        """w for every layer (N, n_styles, w_dim); ``truncation`` < 1 pulls w towards w_avg."""
        w = self.mapping(tf.convert_to_tensor(z, tf.float32), training=False)
        w = self.w_avg + truncation * (w - self.w_avg)
        return tf.repeat(w[:, None], self.synthesis.n_styles, axis=1)

    def generate(self, z, truncation: float = 1.0, noise="random") -> np.ndarray:  # type: ignore[no-untyped-def]
        """Images in [0, 1] (N, R, R, 3) from latent vectors z (N, z_dim)."""
        return to_unit(self.synthesis(self.ws_from_z(z, truncation), noise=noise))

    def _mixed_ws(self, batch: int):  # type: ignore[no-untyped-def]
        n = self.synthesis.n_styles
        w1 = self.mapping(tf.random.normal((batch, self.z_dim)), training=True)
        w2 = self.mapping(tf.random.normal((batch, self.z_dim)), training=True)
        cut = tf.random.uniform((batch, 1), 1, n, dtype=tf.int32)
        mix = tf.random.uniform((batch, 1)) < self.mixing_prob
        cut = tf.where(mix, cut, n)
        take_first = tf.range(n)[None, :] < cut                  # (batch, n)
        ws = tf.where(take_first[..., None], w1[:, None], w2[:, None])
        return ws, w1

    def _train_step(self, real):  # type: ignore[no-untyped-def]
        batch = tf.shape(real)[0]
        # discriminator
        ws, _ = self._mixed_ws(batch)
        fake = self.synthesis(ws)
        with tf.GradientTape() as tape:
            if self.r1_gamma > 0:  # R1: penalise the critic's gradient on real images
                with tf.GradientTape() as r1_tape:
                    r1_tape.watch(real)
                    real_logits = self.disc(real, training=True)
                    real_sum = tf.reduce_sum(real_logits)
                r1_grads = r1_tape.gradient(real_sum, real)
                r1 = tf.reduce_mean(tf.reduce_sum(tf.square(r1_grads), axis=[1, 2, 3]))
            else:
                real_logits = self.disc(real, training=True)
                r1 = tf.constant(0.0)
            fake_logits = self.disc(fake, training=True)
            d_loss = _gan.discriminator_loss(real_logits, fake_logits)  # lesson 02's BCE
            d_total = d_loss + 0.5 * self.r1_gamma * r1
        grads = tape.gradient(d_total, self.disc.trainable_weights)
        self.d_opt.apply_gradients(zip(grads, self.disc.trainable_weights))
        # generator
        with tf.GradientTape() as tape:
            ws, w1 = self._mixed_ws(batch)
            fake = self.synthesis(ws)
            g_loss = _gan.generator_loss(self.disc(fake, training=True))  # non-saturating
        variables = self.generator_variables
        grads = tape.gradient(g_loss, variables)
        self.g_opt.apply_gradients(zip(grads, variables))
        self.w_avg.assign(0.995 * self.w_avg + 0.005 * tf.reduce_mean(w1, axis=0))
        return d_loss, g_loss, r1

    def train(self, patches: np.ndarray, steps: int, batch: int = 32, seed: int = 0,
              progress: bool = True, compiled: bool = True) -> list[tuple[float, float]]:
        """``steps`` updates on random batches of ``patches`` (in [-1, 1]); returns (d, g) losses.

        ``compiled=False`` runs eagerly: slower per step, but skips the ~1 min graph tracing,
        which is the better deal for a handful of steps.
        """
        from tqdm.auto import tqdm

        if steps < 0:
            raise ValueError(f"steps must be non-negative, got {steps}")
        rng = np.random.default_rng(seed)
        history = []
        for _ in tqdm(range(steps), desc="StyleGAN", disable=not progress, mininterval=2.0):
            idx = rng.integers(0, len(patches), batch)
            step = self._step if compiled else self._train_step
            d, g, _ = step(tf.constant(patches[idx]))
            history.append((float(d), float(g)))
        return history

    def save(self, path: str | Path, meta: dict) -> None:
        """Generator (mapping + synthesis + w_avg) weights as float16; the critic is not shipped."""
        save_weights([self.mapping, self.synthesis, [self.w_avg]], path,
                     {**meta, "config": self.config})


def load_stylegan(path: str | Path = STYLEGAN_PATH, **train_kwargs: object) -> StyleGAN:
    """A :class:`StyleGAN` whose generator holds the shipped weights.

    For sampling; training can continue from it too (``train_kwargs`` go to :class:`StyleGAN`,
    e.g. ``lr``), with a fresh discriminator, since the critic is not shipped.
    """
    arrays, meta = read_checkpoint(path)
    cfg = meta.get("config")
    if not cfg:
        raise CheckpointError(f"{path}: no StyleGAN config in the file (not a StyleGAN checkpoint?)")
    gan = StyleGAN(cfg["z_dim"], cfg["w_dim"], cfg["channels"], cfg["mapping_layers"],
                   **train_kwargs)  # type: ignore[arg-type]
    assign_weights([gan.mapping, gan.synthesis, [gan.w_avg]], arrays, path)
    return gan


def record_training(path: Path, **fields: object) -> None:
    """Write the JSON record (command, seed, steps, wall time, …) next to a checkpoint."""
    import os
    import platform
    import sys

    script = Path(sys.argv[0])
    module = f"helpers.{script.stem}" if script.parent.name == "helpers" else str(script)
    record = {"command": " ".join(["python", "-m", module] + sys.argv[1:]),
              "finished": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
              "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
              **fields}
    path.with_suffix(".json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
