"""DCGAN: the losses that train a GAN, the networks, a training loop with a time budget,
latent vectors and sample grids; the motif patches it learns from come from
:mod:`helpers.motifs` (re-exported here).

Lesson 02 (DCGAN); lesson 01 trains its toy GANs with :class:`GANTrainer` and these losses;
lessons 05 and 06 (CycleGAN, AdaIN / StyleGAN) reuse the losses and :func:`motif_patches`.
Images at the edges are NumPy float32 in [0, 1]; the networks work in [-1, 1] (``tanh``,
see :func:`helpers.images.to_tanh` and :func:`helpers.images.to_unit`).

    >>> import numpy as np
    >>> from helpers import gan
    >>> float(gan.discriminator_loss(np.zeros(4), np.zeros(4)))        # D(x) = 1/2: 2·log 2
    1.3862943649291992

Conventions
-----------
* Discriminators output **logits** (no sigmoid): ``D(x) = sigmoid(logit)``. Every loss takes
  logits, which is numerically safe (``softplus`` instead of ``log(sigmoid(.))``).
* ``discriminator_loss`` is the *sum* of the real and fake cross-entropies (each a batch mean),
  so an undecided discriminator (all logits 0) scores ``2 log 2``; it is minus the value
  function of :func:`helpers.minimax.value_function` (D maximises V, i.e. minimises its loss).
* Generators map latent vectors ``z ~ N(0, I)`` to samples; :class:`GANTrainer` trains any
  pair of Keras models with these losses.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from . import checkpoints
from .motifs import ISLAMIC_PATTERN_IDS, ISLAMIC_PATTERN_SIDE, islamic_motifs, motif_patches  # lesson 02 calls gan.*

__all__ = [
    "DCGAN_LATENT", "DCGAN_ADAM", "DCGAN_INIT_STDDEV", "GENERATOR_LOSSES",
    "discriminator_loss", "generator_loss",
    "build_dcgan_generator", "build_dcgan_discriminator", "dcgan_optimizer",
    "pack", "History", "GANTrainer", "batches", "latents", "interpolate", "generate",
    "image_grid", "motif_patches", "ISLAMIC_PATTERN_IDS", "ISLAMIC_PATTERN_SIDE", "islamic_motifs",
    "save_generator", "load_generator",
]

#: The latent size and widths of the course's DCGAN (lesson 02 and the shipped checkpoint).
DCGAN_LATENT = 64
#: Adam settings from the DCGAN paper (Radford, Metz & Chintala, 2015): lr 2e-4, beta_1 0.5.
DCGAN_ADAM = {"learning_rate": 2e-4, "beta_1": 0.5}
#: The DCGAN paper initialises every weight from N(0, 0.02) (batch-norm scales from N(1, 0.02)).
DCGAN_INIT_STDDEV = 0.02

GENERATOR_LOSSES = ("non_saturating", "saturating")


# --------------------------------------------------------------------------------------
# Losses (logits in, scalar tensors out)
# --------------------------------------------------------------------------------------


def _logits(x: Any) -> tf.Tensor:
    return tf.cast(tf.convert_to_tensor(x), tf.float32)


def discriminator_loss(real_logits: Any, fake_logits: Any, real_label: float = 1.0) -> tf.Tensor:
    """Binary cross-entropy of the discriminator: real samples labelled 1, fakes labelled 0.

    ``-mean log D(x) - mean log(1 - D(G(z)))`` = ``mean softplus(-real) + mean softplus(fake)``.
    ``real_label < 1`` gives *one-sided label smoothing* (Salimans et al., 2016).

    >>> round(float(discriminator_loss([0.0], [0.0])), 4)   # undecided D: 2 log 2
    1.3863
    """
    if not 0.0 < real_label <= 1.0:
        raise ValueError(f"real_label must be in (0, 1], got {real_label}")
    r, f = _logits(real_logits), _logits(fake_logits)
    # BCE(label y, logit l) = y·softplus(-l) + (1 - y)·softplus(l)
    real = real_label * tf.nn.softplus(-r) + (1.0 - real_label) * tf.nn.softplus(r)
    return tf.reduce_mean(real) + tf.reduce_mean(tf.nn.softplus(f))


def generator_loss(fake_logits: Any, kind: str = "non_saturating") -> tf.Tensor:
    """The generator's loss on the discriminator's logits for its samples.

    * ``"saturating"``: minimise ``mean log(1 - D(G(z)))`` — the minimax game as written.
      Its gradient vanishes when D confidently rejects the fakes (early in training).
    * ``"non_saturating"``: minimise ``-mean log D(G(z))`` — Goodfellow et al.'s practical fix:
      same fixed point, strong gradient exactly when the generator is losing.

    >>> round(float(generator_loss([0.0])), 4), round(float(generator_loss([0.0], "saturating")), 4)
    (0.6931, -0.6931)
    """
    f = _logits(fake_logits)
    if kind == "non_saturating":
        return tf.reduce_mean(tf.nn.softplus(-f))  # -log sigmoid(f)
    if kind == "saturating":
        return -tf.reduce_mean(tf.nn.softplus(f))  # log(1 - sigmoid(f))
    raise ValueError(f"kind must be one of {GENERATOR_LOSSES}, got {kind!r}")


# --------------------------------------------------------------------------------------
# The DCGAN (Radford, Metz & Chintala, 2015)
# --------------------------------------------------------------------------------------


def _dcgan_blocks(size: int) -> int:
    if size not in (32, 64):
        raise ValueError(f"the course's DCGAN makes 32×32 or 64×64 images, got size={size}")
    return int(math.log2(size)) - 2  # 4 → 8 → 16 → 32 (→ 64): three or four up-samplings


def build_dcgan_generator(latent_dim: int = DCGAN_LATENT, size: int = 32, width: int = 64,
                          channels: int = 3, name: str = "dcgan_generator") -> keras.Model:
    """DCGAN generator: z → 4×4×(width·2^k) → transposed convs (stride 2) → size×size×3, tanh.

    As in Radford et al. (2015): no pooling, batch norm after every layer but the last, ReLU
    inside, ``tanh`` out, every weight drawn from N(0, 0.02).

    >>> build_dcgan_generator(size=32).output_shape
    (None, 32, 32, 3)
    """
    blocks = _dcgan_blocks(size)
    init = keras.initializers.RandomNormal(0.0, DCGAN_INIT_STDDEV)
    gamma = keras.initializers.RandomNormal(1.0, DCGAN_INIT_STDDEV)
    top = width * 2 ** (blocks - 1)
    inputs = keras.Input((latent_dim,), name="z")
    x = keras.layers.Dense(4 * 4 * top, use_bias=False, kernel_initializer=init, name="project")(inputs)
    x = keras.layers.Reshape((4, 4, top), name="reshape")(x)
    x = keras.layers.BatchNormalization(gamma_initializer=gamma, name="bn0")(x)
    x = keras.layers.ReLU(name="relu0")(x)
    for i in range(1, blocks):
        x = keras.layers.Conv2DTranspose(top // 2 ** i, 4, strides=2, padding="same", use_bias=False,
                                         kernel_initializer=init, name=f"up{i}")(x)
        x = keras.layers.BatchNormalization(gamma_initializer=gamma, name=f"bn{i}")(x)
        x = keras.layers.ReLU(name=f"relu{i}")(x)
    x = keras.layers.Conv2DTranspose(channels, 4, strides=2, padding="same", kernel_initializer=init,
                                     name=f"up{blocks}")(x)
    out = keras.layers.Activation("tanh", name="tanh")(x)
    return keras.Model(inputs, out, name=name)


def build_dcgan_discriminator(size: int = 32, width: int = 64, channels: int = 3,
                              name: str = "dcgan_discriminator",
                              spectral_norm: bool = False) -> keras.Model:
    """DCGAN discriminator: strided convs (no pooling), LeakyReLU(0.2), batch norm except on the
    first layer, then one logit. Input: size×size images in [-1, 1].

    With ``spectral_norm`` (Miyato et al., 2018) every layer's weights are divided by their
    largest singular value instead, and there is no batch norm: D cannot sharpen its verdict
    without limit, so it stops winning outright and G keeps getting a useful gradient.

    >>> build_dcgan_discriminator(size=32).output_shape
    (None, 1)
    >>> build_dcgan_discriminator(size=32, spectral_norm=True).output_shape
    (None, 1)
    """
    blocks = _dcgan_blocks(size)
    init = keras.initializers.RandomNormal(0.0, DCGAN_INIT_STDDEV)
    gamma = keras.initializers.RandomNormal(1.0, DCGAN_INIT_STDDEV)

    def norm(layer: keras.layers.Layer) -> keras.layers.Layer:
        return keras.layers.SpectralNormalization(layer, name=f"sn_{layer.name}") if spectral_norm else layer

    inputs = keras.Input((size, size, channels), name="image")
    x = inputs
    for i in range(blocks):
        x = norm(keras.layers.Conv2D(width * 2 ** i, 4, strides=2, padding="same",
                                     use_bias=i == 0 or spectral_norm, kernel_initializer=init,
                                     name=f"down{i + 1}"))(x)
        if i > 0 and not spectral_norm:
            x = keras.layers.BatchNormalization(gamma_initializer=gamma, name=f"bn{i + 1}")(x)
        x = keras.layers.LeakyReLU(0.2, name=f"lrelu{i + 1}")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    out = norm(keras.layers.Dense(1, kernel_initializer=init, name="logit"))(x)
    return keras.Model(inputs, out, name=name)


def dcgan_optimizer(learning_rate: float | None = None) -> keras.optimizers.Optimizer:
    """Adam with the DCGAN paper's settings (lr 2e-4, beta_1 0.5); one per network.

    ``learning_rate`` overrides the rate: a two-time-scale update rule (TTUR, Heusel et al.,
    2017) gives D a larger one than G.
    """
    if learning_rate is not None and not learning_rate > 0:
        raise ValueError(f"learning_rate must be positive, got {learning_rate}")
    return keras.optimizers.Adam(**{**DCGAN_ADAM, **({} if learning_rate is None else
                                                     {"learning_rate": float(learning_rate)})})


# --------------------------------------------------------------------------------------
# Training: an explicit tf.function step, a loop with a time budget, progress bar, callbacks
# --------------------------------------------------------------------------------------


def pack(x: tf.Tensor, m: int) -> tf.Tensor:
    """PacGAN packing (Lin et al., 2018): join ``m`` samples into one discriminator input.

    (B, d) → (B/m, m·d); images (B, H, W, C) → (B/m, H, W, m·C). A discriminator that sees
    several samples at once can tell a collapsed generator (all alike) from the data.
    """
    if m == 1:
        return x
    shape = tf.shape(x)
    rank = x.shape.rank
    if rank == 2:
        return tf.reshape(x, [-1, m * x.shape[1]])
    if rank == 4:
        y = tf.reshape(x, [-1, m, shape[1], shape[2], x.shape[3]])
        y = tf.transpose(y, [0, 2, 3, 1, 4])
        return tf.reshape(y, [-1, shape[1], shape[2], m * x.shape[3]])
    raise ValueError(f"pack works on (B, d) or (B, H, W, C) batches, got rank {rank}")


@dataclass
class History:
    """Per-step losses and D's mean outputs recorded by :class:`GANTrainer`."""

    d_loss: list[float] = field(default_factory=list)
    g_loss: list[float] = field(default_factory=list)
    d_real: list[float] = field(default_factory=list)  #: mean D(x) on real samples
    d_fake: list[float] = field(default_factory=list)  #: mean D(G(z)) on fakes
    seconds: float = 0.0

    def as_arrays(self) -> dict[str, np.ndarray]:
        return {k: np.asarray(getattr(self, k)) for k in ("d_loss", "g_loss", "d_real", "d_fake")}


class GANTrainer:
    """Train a generator against a discriminator with an explicit ``tf.function`` step.

    Each step draws a batch of latent vectors, updates D once on real and fake samples
    (:func:`discriminator_loss`) and G once (:func:`generator_loss` of kind ``g_loss``).
    The latent noise comes from the trainer's own seeded generator, so the same seed and
    data give the same run.

    ``generator`` and ``discriminator`` are Keras models (D returns logits (B, 1) or (B,));
    optimizers default to DCGAN's Adam (:func:`dcgan_optimizer`); ``g_loss`` is
    ``"non_saturating"`` or ``"saturating"``; ``pack_m`` > 1 is PacGAN packing (D must accept
    packed inputs, see :func:`pack`); ``real_label`` 0.9 gives one-sided label smoothing;
    ``seed`` seeds the latent noise.

    >>> from helpers import minimax
    >>> t = GANTrainer(minimax.mlp_generator(2, 2), minimax.mlp_discriminator(2), latent_dim=2, seed=0)
    >>> sorted(t.step(minimax.sample_ring(64))), t.steps_done
    (['d_fake', 'd_loss', 'd_real', 'g_loss'], 1)
    """

    def __init__(self, generator: keras.Model, discriminator: keras.Model, latent_dim: int,
                 g_optimizer: Any = None, d_optimizer: Any = None, g_loss: str = "non_saturating",
                 pack_m: int = 1, real_label: float = 1.0, seed: int = 0) -> None:
        if g_loss not in GENERATOR_LOSSES:
            raise ValueError(f"g_loss must be one of {GENERATOR_LOSSES}, got {g_loss!r}")
        if pack_m < 1:
            raise ValueError(f"pack_m must be at least 1, got {pack_m}")
        if latent_dim < 1:
            raise ValueError(f"latent_dim must be at least 1, got {latent_dim}")
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = int(latent_dim)
        self.g_optimizer = g_optimizer or dcgan_optimizer()
        self.d_optimizer = d_optimizer or dcgan_optimizer()
        self.g_optimizer.build(generator.trainable_variables)
        self.d_optimizer.build(discriminator.trainable_variables)
        self.g_loss_kind = g_loss
        self.pack_m = int(pack_m)
        self.real_label = float(real_label)
        self.noise = tf.random.Generator.from_seed(seed)
        self.history = History()
        self.steps_done = 0
        self._step = tf.function(self.train_step)

    def train_step(self, real: tf.Tensor) -> dict[str, tf.Tensor]:
        """One D update, then one G update (lesson 02 prints this); :meth:`step` runs it compiled."""
        batch = tf.shape(real)[0]
        z = self.noise.normal([batch, self.latent_dim])
        with tf.GradientTape() as d_tape:
            fake = self.generator(z, training=True)
            real_logits = self.discriminator(pack(real, self.pack_m), training=True)
            fake_logits = self.discriminator(pack(fake, self.pack_m), training=True)
            d_loss = discriminator_loss(real_logits, fake_logits, self.real_label)
        d_grads = d_tape.gradient(d_loss, self.discriminator.trainable_variables)
        self.d_optimizer.apply_gradients(zip(d_grads, self.discriminator.trainable_variables))

        z = self.noise.normal([batch, self.latent_dim])
        with tf.GradientTape() as g_tape:
            fake = self.generator(z, training=True)
            fake_logits = self.discriminator(pack(fake, self.pack_m), training=True)
            g_loss = generator_loss(fake_logits, self.g_loss_kind)
        g_grads = g_tape.gradient(g_loss, self.generator.trainable_variables)
        self.g_optimizer.apply_gradients(zip(g_grads, self.generator.trainable_variables))
        return {
            "d_loss": d_loss,
            "g_loss": g_loss,
            "d_real": tf.reduce_mean(tf.sigmoid(real_logits)),
            "d_fake": tf.reduce_mean(tf.sigmoid(fake_logits)),
        }

    def step(self, real_batch: np.ndarray) -> dict[str, float]:
        """One D update and one G update on a batch of real samples; returns the losses.

        Images are given in the generator's range ([-1, 1] for DCGAN: ``images.to_tanh``).
        """
        real = tf.convert_to_tensor(real_batch, tf.float32)
        if real.shape[0] is not None and real.shape[0] % self.pack_m:
            raise ValueError(f"batch size {real.shape[0]} is not a multiple of pack_m={self.pack_m}")
        logs = {k: float(v) for k, v in self._step(real).items()}
        for k, v in logs.items():
            getattr(self.history, k).append(v)
        self.steps_done += 1
        return logs

    def train(self, batches: Iterator[np.ndarray] | Callable[[int], np.ndarray], steps: int,
              callback: Callable[[GANTrainer], None] | None = None, every: int = 100,
              progress: bool = True, desc: str = "training",
              max_seconds: float | None = None) -> History:
        """Run ``steps`` steps on batches from an iterator (or a function ``step → batch``).

        ``callback(trainer)`` runs every ``every`` steps and after the last one (for a live
        view or snapshots). A ``tqdm`` progress bar shows the losses. With ``max_seconds``,
        training stops after the first step that ends past that budget (``steps_done`` says
        how far it got; the callback still runs once at the end).
        """
        from .runtime import progress as progress_bar

        if steps < 0:
            raise ValueError(f"steps must be non-negative, got {steps}")
        if every < 1:
            raise ValueError(f"every must be at least 1, got {every}")
        if max_seconds is not None and max_seconds <= 0:
            raise ValueError(f"max_seconds must be positive, got {max_seconds}")
        start = time.perf_counter()
        bar = progress_bar(range(steps), desc=desc, disable=not progress, mininterval=1.0)
        for i in bar:
            real = batches(self.steps_done) if callable(batches) else next(batches)
            logs = self.step(real)
            if progress and (i % 20 == 0 or i == steps - 1):
                bar.set_postfix(d=f"{logs['d_loss']:.2f}", g=f"{logs['g_loss']:.2f}", refresh=False)
            out_of_time = max_seconds is not None and time.perf_counter() - start > max_seconds
            if callback is not None and ((i + 1) % every == 0 or i == steps - 1 or out_of_time):
                callback(self)
            if out_of_time:
                break
        bar.close()
        self.history.seconds += time.perf_counter() - start
        return self.history

    def sample(self, z: np.ndarray, batch_size: int = 256) -> np.ndarray:
        """Generator outputs for given latent vectors (inference mode), as NumPy."""
        return generate(self.generator, z, batch_size)


def batches(data: np.ndarray, batch_size: int, seed: int = 0) -> Iterator[np.ndarray]:
    """Endless shuffled mini-batches of ``data`` (a new permutation each epoch; drops the rest).

    >>> b = batches(np.arange(10)[:, None], 4); next(b).shape
    (4, 1)
    """
    data = np.asarray(data)
    if not 0 < batch_size <= len(data):
        raise ValueError(f"batch_size must be in 1..{len(data)}, got {batch_size}")
    rng = np.random.default_rng(seed)
    while True:
        order = rng.permutation(len(data))
        for i in range(0, len(data) - batch_size + 1, batch_size):
            yield data[order[i:i + batch_size]]


def latents(n: int, latent_dim: int = DCGAN_LATENT, seed: int = 0) -> np.ndarray:
    """Fixed latent vectors (n, latent_dim) from N(0, I): the same seed gives the same grid."""
    return np.random.default_rng(seed).standard_normal((n, latent_dim)).astype(np.float32)


def interpolate(z0: np.ndarray, z1: np.ndarray, steps: int = 8, spherical: bool = True) -> np.ndarray:
    """Latent vectors from ``z0`` to ``z1`` (steps, d); spherical ("slerp") keeps their norm
    typical of a Gaussian, which linear interpolation does not (its midpoints are too short)."""
    z0, z1 = np.asarray(z0, np.float64), np.asarray(z1, np.float64)
    if z0.shape != z1.shape or z0.ndim != 1:
        raise ValueError("z0 and z1 must be 1-D vectors of the same size")
    t = np.linspace(0.0, 1.0, steps)[:, None]
    omega = np.arccos(np.clip(np.dot(z0, z1) / (np.linalg.norm(z0) * np.linalg.norm(z1)), -1.0, 1.0))
    if not spherical or omega < 1e-6:  # (nearly) parallel vectors: slerp is a straight line
        return ((1 - t) * z0 + t * z1).astype(np.float32)
    return ((np.sin((1 - t) * omega) * z0 + np.sin(t * omega) * z1) / np.sin(omega)).astype(np.float32)


def generate(generator: keras.Model, z: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Run a generator on latent vectors in inference mode (batch norm uses its running stats)."""
    z = np.asarray(z, np.float32)
    outs = [np.asarray(generator(z[i:i + batch_size], training=False))
            for i in range(0, len(z), batch_size)]
    return np.concatenate(outs, axis=0)


# --------------------------------------------------------------------------------------
# Sample grids and the motif data set
# --------------------------------------------------------------------------------------


def image_grid(images: np.ndarray, ncols: int = 8, pad: int = 1, pad_value: float = 1.0) -> np.ndarray:
    """Tile a batch (N, H, W, 3) in [0, 1] into one image, ``ncols`` per row, ``pad`` px apart.

    All channels are kept (the seed article's sketch plotted only channel 0).

    >>> image_grid(np.zeros((10, 4, 4, 3)), ncols=5, pad=1).shape
    (11, 26, 3)
    """
    images = np.asarray(images, np.float32)
    if images.ndim != 4:
        raise ValueError(f"expected a batch (N, H, W, C), got shape {images.shape}")
    n, h, w, c = images.shape
    ncols = max(1, min(ncols, n))
    nrows = -(-n // ncols)
    grid = np.full((nrows * (h + pad) + pad, ncols * (w + pad) + pad, c), pad_value, np.float32)
    for i in range(n):
        r, col = divmod(i, ncols)
        y, x = pad + r * (h + pad), pad + col * (w + pad)
        grid[y:y + h, x:x + w] = images[i]
    return grid


# --------------------------------------------------------------------------------------
# The shipped generator (format and records: helpers.checkpoints)
# --------------------------------------------------------------------------------------


def save_generator(generator: keras.Model, path: str | Path, build: dict[str, Any]) -> Path:
    """Save a DCGAN generator (float16) with ``build``, the :func:`build_dcgan_generator`
    keyword arguments that rebuild it. Training scripts use this; lessons only load."""
    return checkpoints.save(path, {"generator": generator}, {"kind": "dcgan", "build": dict(build)})


def load_generator(path: str | Path | None = None) -> keras.Model:
    """Rebuild a DCGAN generator saved by :func:`save_generator` (default: the shipped one).

    Raises :class:`helpers.checkpoints.CheckpointError`, naming the file, if it is missing,
    not a DCGAN checkpoint, or its weights do not fit the architecture its config describes.
    """
    path = checkpoints.shipped_path("dcgan") if path is None else Path(path)
    arrays, config = checkpoints.read(path, "dcgan")
    try:
        generator = build_dcgan_generator(**config.get("build", {}))
    except (TypeError, ValueError) as exc:
        raise checkpoints.CheckpointError(
            f"{path}: config {config} does not describe a DCGAN generator ({exc})") from None
    checkpoints.assign({"generator": generator}, arrays, path, "dcgan")
    return generator
