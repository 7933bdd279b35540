"""Generative adversarial networks: losses, theory, toy data, DCGAN, a training loop, evaluation.

Lessons 01 (the minimax objective) and 02 (DCGAN) use this module; lessons 05 (CycleGAN) and
06 (AdaIN / StyleGAN) build on its losses, training utilities, sample grids and motif data.
Images at the edges are NumPy float32 in [0, 1]; the networks work in [-1, 1] (``tanh``).

The pieces, in the order a lesson meets them::

    >>> import numpy as np
    >>> from helpers import gan
    >>> float(gan.discriminator_loss(np.zeros(4), np.zeros(4)))        # D(x) = 1/2: 2·log 2
    1.3862943649291992
    >>> x = np.linspace(-6, 6, 1201); dx = x[1] - x[0]
    >>> p, q = gan.normal_pdf(x, 0, 1), gan.normal_pdf(x, 1, 1)
    >>> d_star = gan.optimal_discriminator(p, q)                       # p / (p + q)
    >>> print(f"{gan.value_numeric(d_star, p, q, dx) + np.log(4):.4f} {2 * gan.jensen_shannon(p, q, dx):.4f}")
    0.2228 0.2228

Conventions
-----------
* Discriminators output **logits** (no sigmoid): ``D(x) = sigmoid(logit)``. Every loss takes
  logits, which is numerically safe (``softplus`` instead of ``log(sigmoid(.))``).
* ``discriminator_loss`` is the *sum* of the real and fake cross-entropies (each a batch mean),
  so an undecided discriminator (all logits 0) scores ``2 log 2``, and
  ``value_function = -discriminator_loss`` (the discriminator maximises V, i.e. minimises its loss).
* Generators map latent vectors ``z ~ N(0, I)`` to samples; :class:`GANTrainer` trains any
  pair of Keras models with these losses.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .checkpoints import CheckpointError  # noqa: F401  (re-exported: one error for all loaders)

LOG4 = math.log(4.0)

#: The latent size and widths of the course's DCGAN (lesson 02 and the shipped checkpoint).
DCGAN_LATENT = 64
#: Adam settings from the DCGAN paper (Radford, Metz & Chintala, 2015): lr 2e-4, beta_1 0.5.
DCGAN_ADAM = {"learning_rate": 2e-4, "beta_1": 0.5}
#: The DCGAN paper initialises every weight from N(0, 0.02) (batch-norm scales from N(1, 0.02)).
DCGAN_INIT_STDDEV = 0.02

GENERATOR_LOSSES = ("non_saturating", "saturating")




# ======================================================================================
# 1. Losses (logits in, scalar tensors out)
# ======================================================================================


def _logits(x):  # type: ignore[no-untyped-def]
    import tensorflow as tf

    return tf.cast(tf.convert_to_tensor(x), tf.float32)


def discriminator_loss(real_logits, fake_logits, real_label: float = 1.0):  # type: ignore[no-untyped-def]
    """Binary cross-entropy of the discriminator: real samples labelled 1, fakes labelled 0.

    ``-mean log D(x) - mean log(1 - D(G(z)))`` = ``mean softplus(-real) + mean softplus(fake)``.
    ``real_label < 1`` gives *one-sided label smoothing* (Salimans et al., 2016).

    >>> round(float(discriminator_loss([0.0], [0.0])), 4)   # undecided D: 2 log 2
    1.3863
    """
    import tensorflow as tf

    if not 0.0 < real_label <= 1.0:
        raise ValueError(f"real_label must be in (0, 1], got {real_label}")
    r, f = _logits(real_logits), _logits(fake_logits)
    # BCE(label y, logit l) = y·softplus(-l) + (1 - y)·softplus(l)
    real = real_label * tf.nn.softplus(-r) + (1.0 - real_label) * tf.nn.softplus(r)
    return tf.reduce_mean(real) + tf.reduce_mean(tf.nn.softplus(f))


def generator_loss(fake_logits, kind: str = "non_saturating"):  # type: ignore[no-untyped-def]
    """The generator's loss on the discriminator's logits for its samples.

    * ``"saturating"``: minimise ``mean log(1 - D(G(z)))`` — the minimax game as written.
      Its gradient vanishes when D confidently rejects the fakes (early in training).
    * ``"non_saturating"``: minimise ``-mean log D(G(z))`` — Goodfellow et al.'s practical fix:
      same fixed point, strong gradient exactly when the generator is losing.

    >>> round(float(generator_loss([0.0])), 4), round(float(generator_loss([0.0], "saturating")), 4)
    (0.6931, -0.6931)
    """
    import tensorflow as tf

    f = _logits(fake_logits)
    if kind == "non_saturating":
        return tf.reduce_mean(tf.nn.softplus(-f))  # -log sigmoid(f)
    if kind == "saturating":
        return -tf.reduce_mean(tf.nn.softplus(f))  # log(1 - sigmoid(f))
    raise ValueError(f"kind must be one of {GENERATOR_LOSSES}, got {kind!r}")


def value_function(real_logits, fake_logits):  # type: ignore[no-untyped-def]
    """V(D, G) = E_x[log D(x)] + E_z[log(1 - D(G(z)))], estimated on a batch (= -D's loss).

    >>> round(float(value_function([0.0], [0.0])), 4)       # D = 1/2 everywhere: -log 4
    -1.3863
    """
    import tensorflow as tf

    r, f = _logits(real_logits), _logits(fake_logits)
    return -tf.reduce_mean(tf.nn.softplus(-r)) - tf.reduce_mean(tf.nn.softplus(f))


# ======================================================================================
# 2. Theory on a grid: densities, D*, the value function and the Jensen–Shannon divergence
# ======================================================================================


def normal_pdf(x: np.ndarray, mean: float = 0.0, std: float = 1.0) -> np.ndarray:
    """Density of N(mean, std²) at ``x``."""
    if std <= 0:
        raise ValueError(f"std must be positive, got {std}")
    x = np.asarray(x, dtype=np.float64)
    return np.exp(-0.5 * ((x - mean) / std) ** 2) / (std * math.sqrt(2 * math.pi))


def mixture_pdf(x: np.ndarray, means: Sequence[float], stds: Sequence[float],
                weights: Sequence[float] | None = None) -> np.ndarray:
    """Density of a 1-D Gaussian mixture at ``x`` (equal weights unless given)."""
    if len(means) != len(stds) or not means:
        raise ValueError("means and stds must be non-empty and of equal length")
    w = np.full(len(means), 1 / len(means)) if weights is None else np.asarray(weights, float)
    if len(w) != len(means) or np.any(w < 0) or not np.isclose(w.sum(), 1):
        raise ValueError("weights must be non-negative, one per component, summing to 1")
    return sum(wi * normal_pdf(x, m, s) for wi, m, s in zip(w, means, stds))  # type: ignore[return-value]


def optimal_discriminator(p_data: np.ndarray, p_g: np.ndarray, eps: float = 1e-300) -> np.ndarray:
    """D*(x) = p_data(x) / (p_data(x) + p_g(x)); 1/2 where both densities vanish.

    >>> optimal_discriminator(np.array([1.0, 0.0, 3.0]), np.array([1.0, 0.0, 1.0])).tolist()
    [0.5, 0.5, 0.75]
    """
    p, q = np.asarray(p_data, np.float64), np.asarray(p_g, np.float64)
    if p.shape != q.shape:
        raise ValueError(f"densities have different shapes {p.shape} and {q.shape}")
    total = p + q
    return np.where(total > eps, p / np.maximum(total, eps), 0.5)


def _xlogy(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """x·log(y) with 0·log(0) = 0."""
    out = np.zeros_like(x, dtype=np.float64)
    mask = x > 0
    out[mask] = x[mask] * np.log(y[mask])
    return out


def value_numeric(d: np.ndarray, p_data: np.ndarray, p_g: np.ndarray, dx: float) -> float:
    """V(D, G) = ∫ p_data log D + p_g log(1 - D) dx on a uniform grid of spacing ``dx``."""
    d, p, q = (np.asarray(a, np.float64) for a in (d, p_data, p_g))
    if not (d.shape == p.shape == q.shape):
        raise ValueError("d, p_data and p_g must have the same shape")
    if np.any((d < 0) | (d > 1)):
        raise ValueError("a discriminator's output must lie in [0, 1]")
    return float(np.sum(_xlogy(p, d) + _xlogy(q, 1.0 - d)) * dx)


def kl_divergence(p: np.ndarray, q: np.ndarray, dx: float) -> float:
    """KL(p ‖ q) = ∫ p log(p / q) dx on a uniform grid (natural log, nats)."""
    p, q = np.asarray(p, np.float64), np.asarray(q, np.float64)
    mask = p > 0
    if np.any(q[mask] <= 0):
        return math.inf
    return float(np.sum(p[mask] * np.log(p[mask] / q[mask])) * dx)


def jensen_shannon(p: np.ndarray, q: np.ndarray, dx: float) -> float:
    """JSD(p ‖ q) = ½ KL(p ‖ m) + ½ KL(q ‖ m), m = (p + q)/2; between 0 and log 2.

    >>> p = np.r_[np.ones(100), np.zeros(100)]; q = p[::-1]     # disjoint, dx = 0.01
    >>> print(f"{jensen_shannon(p, q, 0.01):.4f} = log 2 = {np.log(2):.4f}")
    0.6931 = log 2 = 0.6931
    """
    p, q = np.asarray(p, np.float64), np.asarray(q, np.float64)
    m = 0.5 * (p + q)
    return 0.5 * kl_divergence(p, m, dx) + 0.5 * kl_divergence(q, m, dx)


# ======================================================================================
# 3. Toy data: a 1-D mixture and the 2-D ring of Gaussians, and how many modes a sample covers
# ======================================================================================


def sample_mixture_1d(n: int, means: Sequence[float] = (-2.0, 2.0),
                      stds: Sequence[float] = (0.5, 0.5), seed: int | np.random.Generator = 0,
                      ) -> np.ndarray:
    """``n`` samples (n, 1) float32 from an equal-weight 1-D Gaussian mixture."""
    rng = np.random.default_rng(seed)
    k = rng.integers(len(means), size=n)
    x = np.asarray(means)[k] + np.asarray(stds)[k] * rng.standard_normal(n)
    return x[:, None].astype(np.float32)


def ring_centres(modes: int = 8, radius: float = 2.0) -> np.ndarray:
    """The centres (modes, 2) of ``modes`` Gaussians evenly spaced on a circle."""
    if modes < 1:
        raise ValueError(f"modes must be at least 1, got {modes}")
    angles = 2 * np.pi * np.arange(modes) / modes
    return (radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)).astype(np.float32)


def sample_ring(n: int, modes: int = 8, radius: float = 2.0, std: float = 0.05,
                seed: int | np.random.Generator = 0) -> np.ndarray:
    """``n`` samples (n, 2) float32 from the ring of Gaussians (the classic mode-collapse test).

    >>> sample_ring(5, seed=0).shape
    (5, 2)
    """
    rng = np.random.default_rng(seed)
    centres = ring_centres(modes, radius)
    k = rng.integers(modes, size=n)
    return (centres[k] + std * rng.standard_normal((n, 2))).astype(np.float32)


@dataclass(frozen=True)
class ModeCoverage:
    """How a set of 2-D samples covers the modes of a mixture."""

    covered: int  #: modes that received at least ``min_share`` of the samples
    modes: int  #: number of modes
    high_quality: float  #: share of samples within ``3·std`` of some mode centre
    counts: tuple[int, ...]  #: samples near each mode (within the ``within`` radius)

    def __str__(self) -> str:
        return (f"{self.covered}/{self.modes} modes covered, "
                f"{100 * self.high_quality:.0f}% of samples within 3 std of a mode")


def mode_coverage(samples: np.ndarray, centres: np.ndarray, std: float,
                  min_share: float | None = None, within: float | None = None) -> ModeCoverage:
    """Count the modes a generator covers (Metz et al., 2017, "Unrolled GANs").

    A sample is *high quality* if it lies within ``3·std`` of a centre; a mode is *covered*
    if at least ``min_share`` of all samples (default: a quarter of a fair share,
    ``1 / (4·modes)``) lie within ``within`` of it (default ``3·std``: only high-quality
    samples count). A larger ``within`` (e.g. a quarter of the distance between modes)
    separates *coverage* from *precision*: a blurry generator still covers its modes.

    >>> c = ring_centres(8); mode_coverage(np.repeat(c[:2], 50, axis=0), c, 0.05).covered
    2
    """
    samples = np.asarray(samples, np.float64)
    centres = np.asarray(centres, np.float64)
    if samples.ndim != 2 or samples.shape[1] != centres.shape[1]:
        raise ValueError(f"samples must be (n, {centres.shape[1]}), got {samples.shape}")
    k = len(centres)
    share = 1.0 / (4 * k) if min_share is None else min_share
    dist = np.linalg.norm(samples[:, None, :] - centres[None], axis=2)
    nearest = dist.argmin(axis=1)
    d_near = dist[np.arange(len(samples)), nearest]
    good = d_near <= 3 * std
    near = d_near <= (3 * std if within is None else within)
    counts = np.bincount(nearest[near], minlength=k)
    covered = int(np.sum(counts >= share * len(samples)))
    return ModeCoverage(covered, k, float(good.mean()), tuple(int(c) for c in counts))


# ======================================================================================
# 4. Networks: small MLPs for toy data, and the DCGAN
# ======================================================================================


def mlp_generator(latent_dim: int = 2, out_dim: int = 2, hidden: int = 64, depth: int = 2,
                  name: str = "mlp_generator"):  # type: ignore[no-untyped-def]
    """A small fully connected generator z (latent_dim) → x (out_dim), ReLU hidden layers."""
    import keras

    inputs = keras.Input((latent_dim,), name="z")
    x = inputs
    for i in range(depth):
        x = keras.layers.Dense(hidden, activation="relu", name=f"dense{i}")(x)
    out = keras.layers.Dense(out_dim, name="sample")(x)
    return keras.Model(inputs, out, name=name)


def mlp_discriminator(in_dim: int = 2, hidden: int = 64, depth: int = 2,
                      name: str = "mlp_discriminator"):  # type: ignore[no-untyped-def]
    """A small fully connected discriminator x (in_dim) → one logit, LeakyReLU(0.2) hidden."""
    import keras

    inputs = keras.Input((in_dim,), name="x")
    x = inputs
    for i in range(depth):
        x = keras.layers.Dense(hidden, name=f"dense{i}")(x)
        x = keras.layers.LeakyReLU(0.2, name=f"lrelu{i}")(x)
    out = keras.layers.Dense(1, name="logit")(x)
    return keras.Model(inputs, out, name=name)


def _dcgan_blocks(size: int) -> int:
    if size not in (32, 64):
        raise ValueError(f"the course's DCGAN makes 32×32 or 64×64 images, got size={size}")
    return int(math.log2(size)) - 2  # 4 → 8 → 16 → 32 (→ 64): three or four up-samplings


def build_dcgan_generator(latent_dim: int = DCGAN_LATENT, size: int = 32, width: int = 64,
                          channels: int = 3, name: str = "dcgan_generator"):  # type: ignore[no-untyped-def]
    """DCGAN generator: z → 4×4×(width·2^k) → transposed convs (stride 2) → size×size×3, tanh.

    As in Radford et al. (2015): no pooling, batch norm after every layer but the last, ReLU
    inside, ``tanh`` out, every weight drawn from N(0, 0.02).

    >>> build_dcgan_generator(size=32).output_shape
    (None, 32, 32, 3)
    """
    import keras

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
                              name: str = "dcgan_discriminator"):  # type: ignore[no-untyped-def]
    """DCGAN discriminator: strided convs (no pooling), LeakyReLU(0.2), batch norm except on the
    first layer, then one logit. Input: size×size images in [-1, 1].

    >>> build_dcgan_discriminator(size=32).output_shape
    (None, 1)
    """
    import keras

    blocks = _dcgan_blocks(size)
    init = keras.initializers.RandomNormal(0.0, DCGAN_INIT_STDDEV)
    gamma = keras.initializers.RandomNormal(1.0, DCGAN_INIT_STDDEV)
    inputs = keras.Input((size, size, channels), name="image")
    x = inputs
    for i in range(blocks):
        x = keras.layers.Conv2D(width * 2 ** i, 4, strides=2, padding="same", use_bias=i == 0,
                                kernel_initializer=init, name=f"down{i + 1}")(x)
        if i > 0:
            x = keras.layers.BatchNormalization(gamma_initializer=gamma, name=f"bn{i + 1}")(x)
        x = keras.layers.LeakyReLU(0.2, name=f"lrelu{i + 1}")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    out = keras.layers.Dense(1, kernel_initializer=init, name="logit")(x)
    return keras.Model(inputs, out, name=name)


def dcgan_optimizer():  # type: ignore[no-untyped-def]
    """Adam with the DCGAN paper's settings (lr 2e-4, beta_1 0.5); one per network."""
    import keras

    return keras.optimizers.Adam(**DCGAN_ADAM)


# ======================================================================================
# 5. Training: an explicit tf.function step, a loop with progress bar and callbacks
# ======================================================================================


def pack(x, m: int):  # type: ignore[no-untyped-def]
    """PacGAN packing (Lin et al., 2018): join ``m`` samples into one discriminator input.

    (B, d) → (B/m, m·d); images (B, H, W, C) → (B/m, H, W, m·C). A discriminator that sees
    several samples at once can tell a collapsed generator (all alike) from the data.
    """
    import tensorflow as tf

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

    >>> import numpy as np
    >>> t = GANTrainer(mlp_generator(2, 2), mlp_discriminator(2), latent_dim=2, seed=0)
    >>> logs = t.step(sample_ring(64))
    >>> sorted(logs)
    ['d_fake', 'd_loss', 'd_real', 'g_loss']

    Parameters
    ----------
    generator, discriminator:
        Keras models; D returns logits of shape (B, 1) or (B,).
    latent_dim:
        Size of z.
    g_optimizer, d_optimizer:
        Keras optimizers (default: DCGAN's Adam, see :func:`dcgan_optimizer`).
    g_loss:
        ``"non_saturating"`` (default) or ``"saturating"``.
    pack_m:
        PacGAN packing degree (1 = plain GAN); the discriminator must accept packed inputs.
    real_label:
        1.0, or e.g. 0.9 for one-sided label smoothing.
    seed:
        Seed of the latent noise.
    """

    def __init__(self, generator, discriminator, latent_dim: int,  # type: ignore[no-untyped-def]
                 g_optimizer=None, d_optimizer=None, g_loss: str = "non_saturating",
                 pack_m: int = 1, real_label: float = 1.0, seed: int = 0):
        import tensorflow as tf

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
        self._step = tf.function(self._train_step)

    def _train_step(self, real):  # type: ignore[no-untyped-def]
        import tensorflow as tf

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

        Images are given in the generator's range ([-1, 1] for DCGAN, see :func:`to_tanh`).
        """
        import tensorflow as tf

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
              progress: bool = True, desc: str = "training") -> History:
        """Run ``steps`` steps on batches from an iterator (or a function ``step → batch``).

        ``callback(trainer)`` runs every ``every`` steps and after the last one (for a live
        view or snapshots). A ``tqdm`` progress bar shows the losses.
        """
        from tqdm.auto import tqdm

        if steps < 0:
            raise ValueError(f"steps must be non-negative, got {steps}")
        if every < 1:
            raise ValueError(f"every must be at least 1, got {every}")
        start = time.perf_counter()
        bar = tqdm(range(steps), desc=desc, disable=not progress, mininterval=1.0)
        for i in bar:
            real = batches(self.steps_done) if callable(batches) else next(batches)
            logs = self.step(real)
            if progress and (i % 20 == 0 or i == steps - 1):
                bar.set_postfix(d=f"{logs['d_loss']:.2f}", g=f"{logs['g_loss']:.2f}", refresh=False)
            if callback is not None and ((i + 1) % every == 0 or i == steps - 1):
                callback(self)
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
    if not spherical:
        return ((1 - t) * z0 + t * z1).astype(np.float32)
    cos = np.dot(z0, z1) / (np.linalg.norm(z0) * np.linalg.norm(z1))
    omega = np.arccos(np.clip(cos, -1.0, 1.0))
    if omega < 1e-6:
        return ((1 - t) * z0 + t * z1).astype(np.float32)
    return ((np.sin((1 - t) * omega) * z0 + np.sin(t * omega) * z1) / np.sin(omega)).astype(np.float32)


def generate(generator, z: np.ndarray, batch_size: int = 256) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Run a generator on latent vectors in inference mode (batch norm uses its running stats)."""
    z = np.asarray(z, np.float32)
    outs = [np.asarray(generator(z[i:i + batch_size], training=False))
            for i in range(0, len(z), batch_size)]
    return np.concatenate(outs, axis=0)


# ======================================================================================
# 6. Images: range conversion, sample grids, the motif data set
# ======================================================================================


def to_tanh(images01: np.ndarray) -> np.ndarray:
    """[0, 1] → [-1, 1] (the range of a ``tanh`` generator)."""
    return (np.asarray(images01, np.float32) * 2.0 - 1.0).astype(np.float32)


def to_unit(images_tanh: np.ndarray) -> np.ndarray:
    """[-1, 1] → [0, 1], clipped, for display and for VGG16 features."""
    return np.clip((np.asarray(images_tanh, np.float32) + 1.0) / 2.0, 0.0, 1.0)


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


def motif_patches(images: Sequence[np.ndarray], n: int, patch: int = 32, seed: int = 0,
                  augment: bool = True, return_sources: bool = False,
                  rotate: bool = True):  # type: ignore[no-untyped-def]
    """Random ``patch``×``patch`` crops from a list of images (H, W, 3) in [0, 1].

    Crops are spread evenly over the images (``n // len(images)`` each, the rest to the
    first ones). With ``augment``, each crop is also flipped and (with ``rotate``) rotated by
    a random multiple of 90° — symmetries the course's geometric patterns have; a painting
    with an up and a down (a wave, a sky) wants ``rotate=False``: a left–right flip only.
    Returns float32 (n, patch, patch, 3) in [0, 1], and with ``return_sources`` the index of
    each crop's image.

    >>> x = motif_patches([np.zeros((40, 50, 3))], n=3, patch=32); x.shape
    (3, 32, 32, 3)
    """
    if not images:
        raise ValueError("give at least one image")
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    for i, im in enumerate(images):
        if im.ndim != 3 or im.shape[2] != 3:
            raise ValueError(f"image {i} must be (H, W, 3), got {im.shape}")
        if min(im.shape[:2]) < patch:
            raise ValueError(f"image {i} is {im.shape[1]}×{im.shape[0]} px, smaller than the "
                             f"{patch}-px patch; load it larger")
    rng = np.random.default_rng(seed)
    sources = np.arange(n) % len(images)
    out = np.empty((n, patch, patch, 3), np.float32)
    for j, s in enumerate(sources):
        im = images[s]
        y = rng.integers(0, im.shape[0] - patch + 1)
        x = rng.integers(0, im.shape[1] - patch + 1)
        crop = im[y:y + patch, x:x + patch]
        if augment:
            if rotate:
                crop = np.rot90(crop, k=int(rng.integers(4)))
            if rng.random() < 0.5:
                crop = crop[:, ::-1]
        out[j] = crop
    return (out, sources) if return_sources else out


#: The catalog ids of the course's DCGAN data: three generated Islamic star patterns.
ISLAMIC_PATTERN_IDS: tuple[str, ...] = (
    "generated-islamic-geometric__488-star-pattern__generated",
    "generated-islamic-geometric__hex-star-pattern__generated",
    "generated-islamic-geometric__sq-star-pattern__generated",
)
#: Side (px) the patterns are shrunk to before cutting 32-px patches: a patch then holds
#: about half a repeat of the 8-fold pattern and two or three stars of the 6-fold and 4-fold
#: ones, which a small DCGAN learns within a few thousand steps on a CPU.
ISLAMIC_PATTERN_SIDE = 128


def islamic_motifs(n: int, patch: int = 32, side: int = ISLAMIC_PATTERN_SIDE, seed: int = 0,
                   return_sources: bool = False):  # type: ignore[no-untyped-def]
    """Patches of the three generated Islamic star patterns in the catalog, in [0, 1].

    These patterns were drawn by a program for the course (labelled "generated" in the
    catalog): teaching stand-ins, not historical objects.
    """
    from .data import load_catalog

    cat = load_catalog()
    images = [cat[i].load(max_side=side) for i in ISLAMIC_PATTERN_IDS]
    return motif_patches(images, n, patch=patch, seed=seed, return_sources=return_sources)


# ======================================================================================
# 7. Evaluation with VGG16 features: KID-style MMD and nearest-neighbour distances
# ======================================================================================

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
        raise ValueError(f"expected images (N, H, W, 3), got {images01.shape}")
    vgg = get_extractor(tuple(layers))
    parts = []
    for i in range(0, len(images01), batch_size):
        x = tf.image.resize(images01[i:i + batch_size], (size, size), method="bilinear")
        acts = vgg(x)
        parts.append(np.concatenate([tf.reduce_mean(acts[k], axis=(1, 2)).numpy() for k in layers],
                                    axis=1))
    return np.concatenate(parts, axis=0).astype(np.float64)


def kernel_mmd(x: np.ndarray, y: np.ndarray, scale: np.ndarray | None = None) -> float:
    """Unbiased squared MMD with the cubic polynomial kernel k(a, b) = (a·b/d + 1)³.

    This is the *kernel inception distance* (Bińkowski et al., 2018) computed on whatever
    features you give it — here VGG16 embeddings. Both sets are centred on ``x``'s mean and
    divided by ``scale`` (default: the root-mean-square spread of ``x``'s features, one number,
    so that a·b/d is of order 1 whatever the features' units; a per-feature scale would blow
    up on channels that barely vary in ``x``). 0 means "same distribution"; it can dip
    slightly below 0 by chance.
    """
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1]:
        raise ValueError(f"x and y must be (n, d) with the same d, got {x.shape} and {y.shape}")
    if len(x) < 2 or len(y) < 2:
        raise ValueError("need at least two samples on each side")
    mu = x.mean(axis=0)
    s = np.sqrt(np.mean((x - mu) ** 2)) + 1e-12 if scale is None else np.asarray(scale, np.float64)
    x, y = (x - mu) / s, (y - mu) / s
    d = x.shape[1]
    kxx = (x @ x.T / d + 1) ** 3
    kyy = (y @ y.T / d + 1) ** 3
    kxy = (x @ y.T / d + 1) ** 3
    m, n = len(x), len(y)
    return float((kxx.sum() - np.trace(kxx)) / (m * (m - 1))
                 + (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
                 - 2 * kxy.mean())


def nearest_neighbour_distances(queries: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Euclidean distance from each query vector to its nearest reference vector.

    Used on VGG embeddings: generated samples much closer to the training patches than fresh
    real patches are would be copies (memorisation).
    """
    q, r = np.asarray(queries, np.float64), np.asarray(reference, np.float64)
    if q.ndim != 2 or r.ndim != 2 or q.shape[1] != r.shape[1]:
        raise ValueError(f"queries and reference must be (n, d) with the same d, got {q.shape}, {r.shape}")
    d2 = (q ** 2).sum(1)[:, None] + (r ** 2).sum(1)[None] - 2 * q @ r.T
    return np.sqrt(np.maximum(d2.min(axis=1), 0.0))


# ======================================================================================
# 8. Checkpoints: a generator's weights in float16 plus the config that rebuilds it
# ======================================================================================


def save_generator(generator, path: str | Path, config: dict[str, Any]) -> Path:  # type: ignore[no-untyped-def]
    """Save a DCGAN generator's weights (float16) and its build ``config`` to ``path`` (.npz).

    ``config`` holds the keyword arguments of :func:`build_dcgan_generator`.
    Training scripts use this; lessons only load.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = {f"w{i:03d}": w.astype(np.float16) for i, w in enumerate(generator.get_weights())}
    arrays["config"] = np.frombuffer(json.dumps(config, sort_keys=True).encode(), dtype=np.uint8)
    np.savez_compressed(path, **arrays)
    return path


def load_generator(path: str | Path):  # type: ignore[no-untyped-def]
    """Rebuild a DCGAN generator saved by :func:`save_generator`; float32 weights.

    Raises :class:`CheckpointError`, naming the file, if it is missing, not a checkpoint,
    corrupt, or its weights do not fit the architecture its config describes.
    """
    import zipfile

    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint file (train one with "
                              "`python -m helpers.train_dcgan`)")
    try:
        with np.load(path, allow_pickle=False) as npz:
            if "config" not in npz.files:
                raise CheckpointError(f"{path}: not a generator checkpoint (no 'config' entry)")
            config = json.loads(npz["config"].tobytes().decode())
            weights = [npz[k].astype(np.float32) for k in sorted(f for f in npz.files if f.startswith("w"))]
    except CheckpointError:
        raise
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, KeyError) as exc:
        raise CheckpointError(f"{path}: corrupt or unreadable checkpoint ({exc})") from None
    try:
        generator = build_dcgan_generator(**config)
    except TypeError as exc:
        raise CheckpointError(f"{path}: config {config} does not describe a DCGAN generator ({exc})") from None
    expected = [tuple(w.shape) for w in generator.get_weights()]
    found = [tuple(w.shape) for w in weights]
    if expected != found:
        raise CheckpointError(f"{path}: weight shapes {found[:3]}… do not match the generator "
                              f"its config describes {expected[:3]}… ({len(found)} vs {len(expected)} arrays)")
    generator.set_weights(weights)
    return generator


def read_checkpoint_record(path: str | Path) -> dict[str, Any]:
    """The JSON record a training script wrote next to a checkpoint (``.npz`` → ``.json``)."""
    rec = Path(path).with_suffix(".json")
    if not rec.is_file():
        raise CheckpointError(f"{rec}: no training record next to the checkpoint")
    try:
        return json.loads(rec.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise CheckpointError(f"{rec}: not valid JSON ({exc})") from None


# ======================================================================================
# 9. A live view for notebooks: one figure, updated in place
# ======================================================================================


class LiveFigure:
    """Show a Matplotlib figure in a notebook and replace it in place as training goes on.

    ``draw(fig)`` closes the figure after rendering it (JPEG by default, PNG for line plots).
    Outside a notebook it does nothing but close the figure.
    """

    def __init__(self, fmt: str = "png", dpi: int = 80):
        if fmt not in ("jpeg", "png"):
            raise ValueError(f"fmt must be 'jpeg' or 'png', got {fmt!r}")
        self.fmt, self.dpi, self._handle = fmt, dpi, None

    def draw(self, fig) -> None:  # type: ignore[no-untyped-def]
        import io

        import matplotlib.pyplot as plt

        buf = io.BytesIO()
        kwargs = {"pil_kwargs": {"quality": 85}} if self.fmt == "jpeg" else {}
        fig.savefig(buf, format=self.fmt, dpi=self.dpi, bbox_inches="tight", facecolor="white", **kwargs)
        plt.close(fig)
        try:
            from IPython import get_ipython
            from IPython.display import Image, display
        except ImportError:  # pragma: no cover
            return
        if get_ipython() is None:
            return
        img = Image(data=buf.getvalue(), format=self.fmt)
        if self._handle is None:
            self._handle = display(img, display_id=True)
        else:
            self._handle.update(img)
