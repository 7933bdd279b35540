"""A small StyleGAN (Karras et al., 2019): AdaIN inside a generator, styles from a latent w.

Lesson 06, part 2. A mapping network turns a latent ``z`` into ``w``; at every layer of the
synthesis network a learned affine map of ``w`` gives the per-channel mean and scale that
:func:`helpers.adain.adain_from_stats` imposes on the feature maps. Different ``w``'s for
different layers is *style mixing*; pulling ``w`` towards its running mean ``w_avg`` is the
*truncation trick*. It learns 32 px motif patches (:func:`motif_patches`: Islamic star
patterns, waves, Van Gogh's swirls) in minutes on a CPU.

    >>> from helpers import stylegan
    >>> g = stylegan.StyleGenerator(w_dim=8, channels=(8, 8), seed=0)
    >>> g.resolution, g.n_styles
    (8, 4)

The trained generator ships as ``checkpoints.shipped_path("stylegan")`` (made by
``python -m helpers.train_stylegan``; its record is ``checkpoints.read_record`` of it).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import tensorflow as tf

from . import checkpoints, data, gan
from .adain import adain_from_stats
from .images import to_tanh, to_unit

__all__ = [
    "MOTIF_IDS", "motif_patches", "build_mapping", "StyleGenerator", "minibatch_std", "build_discriminator",
    "StyleGAN", "load_stylegan",
]

#: Weight of the R1 penalty by default (the shipped generator's; StyleGAN2 used 0.01–10 by dataset).
R1_GAMMA = 1.0
#: The mapping network learns this much slower than the synthesis network (as in StyleGAN).
MAPPING_LR_MULT = 0.01

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
                  ids: Sequence[str] = MOTIF_IDS,
                  return_sources: bool = False) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """``n`` random ``size``-px patches (with flips) from the motif works, in [-1, 1], (n, size, size, 3).

    With ``return_sources``, also the index (into ``ids``) of the work each patch was cut from.

    Each work is shrunk to ``max_side`` px first, so a patch holds a whole motif (a star, a
    wave crest), not a smear of paint. Works are sampled equally often; crops come from
    :func:`helpers.gan.motif_patches` (left–right flips, no rotations: waves and skies have
    an up and a down).
    """
    if n < 1:
        raise ValueError(f"n must be positive, got {n}")
    cat = data.load_catalog()
    images = [cat[i].load(max_side=max_side) for i in ids]
    patches, sources = gan.motif_patches(images, n, patch=size, seed=seed, rotate=False, return_sources=True)
    return (to_tanh(patches), sources) if return_sources else to_tanh(patches)


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


def minibatch_std(x):  # type: ignore[no-untyped-def]
    """``x`` (N, H, W, C) with one more channel: the spread of its features across the batch.

    ProGAN's and StyleGAN's critic layer against mode collapse: the standard deviation of every
    feature over the batch, averaged to one number and appended as a constant map. A batch of
    fakes that all look alike has a small spread, which the critic can now see and punish.

    >>> same, varied = tf.ones((4, 2, 2, 3)), tf.random.stateless_normal((4, 2, 2, 3), seed=(0, 0))
    >>> tuple(minibatch_std(same).shape), round(float(minibatch_std(same)[0, 0, 0, 3]), 3)
    ((4, 2, 2, 4), 0.0)
    >>> float(minibatch_std(varied)[0, 0, 0, 3]) > 0.5
    True
    """
    std = tf.sqrt(tf.math.reduce_variance(x, axis=0) + 1e-8)
    spread = tf.reduce_mean(std) * tf.ones_like(x[..., :1])
    return tf.concat([x, spread], axis=-1)


def build_discriminator(resolution: int = 32, width: int = 32,
                        batch_spread: bool = True):  # type: ignore[no-untyped-def]
    """A small convolutional critic for ``resolution`` px images in [-1, 1] → one logit.

    With ``batch_spread``, :func:`minibatch_std` feeds the batch's spread to the last layers.
    """
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
    if batch_spread:
        x = layers.Lambda(minibatch_std, name="d_batch_spread")(x)
        x = layers.Conv2D(c, 3, padding="same", name="d_out_conv")(x)
        x = layers.LeakyReLU(0.2)(x)
    x = layers.Flatten()(x)
    out = layers.Dense(1, name="d_logit")(x)
    return keras.Model(inp, out, name="discriminator")


class StyleGAN:
    """Mapping + synthesis + discriminator, trained with lesson 02's non-saturating GAN loss.

    ``r1_gamma`` weighs the R1 penalty (the critic's squared gradient on real images, as in
    StyleGAN): on by default, as in the shipped generator's run (its record says which γ; 0
    turns it off). R1 and a slow mapping alone did not stop this generator collapsing onto one
    layout; the critic's view of the batch spread (:func:`minibatch_std`) did.
    ``mapping_lr_mult`` scales the mapping network's learning rate, 0.01 as in StyleGAN: a
    fast-moving mapping lets w, and with it every sample, drift together. ``mixing_prob`` is
    how often a training batch mixes two w's (style-mixing regularisation).
    """

    def __init__(self, z_dim: int = 64, w_dim: int = 64, channels: Sequence[int] = (32, 32, 16, 16),
                 mapping_layers: int = 4, seed: int = 0, lr: float = 2e-4, r1_gamma: float = R1_GAMMA,
                 mixing_prob: float = 0.5, mapping_lr_mult: float = MAPPING_LR_MULT):
        import keras

        self.z_dim, self.w_dim = int(z_dim), int(w_dim)
        self.config = {"z_dim": self.z_dim, "w_dim": self.w_dim, "channels": list(channels),
                       "mapping_layers": int(mapping_layers)}
        self.mapping = build_mapping(z_dim, w_dim, mapping_layers)
        self.synthesis = StyleGenerator(w_dim, channels, seed=seed)
        self.disc = build_discriminator(self.synthesis.resolution)
        if r1_gamma < 0 or mapping_lr_mult <= 0:
            raise ValueError(f"need r1_gamma >= 0 and mapping_lr_mult > 0, got {r1_gamma} and {mapping_lr_mult}")
        self.r1_gamma, self.mixing_prob = float(r1_gamma), float(mixing_prob)
        self.mapping_lr_mult = float(mapping_lr_mult)
        self.g_opt = keras.optimizers.Adam(lr, beta_1=0.5, beta_2=0.99)
        # Adam is blind to a gradient's scale, so a slower mapping needs its own optimizer
        self.m_opt = keras.optimizers.Adam(lr * self.mapping_lr_mult, beta_1=0.5, beta_2=0.99)
        self.d_opt = keras.optimizers.Adam(lr, beta_1=0.5, beta_2=0.99)
        self.w_avg = tf.Variable(tf.zeros((self.w_dim,)), trainable=False, name="w_avg",
                                 aggregation=tf.VariableAggregation.MEAN)  # mean over replicas
        self._step = tf.function(self._train_step)

    @property
    def generator_variables(self) -> list:
        return list(self.mapping.trainable_weights) + self.synthesis.trainable_variables

    @property
    def optimizers(self) -> list[tuple]:
        """Each optimizer with the variables it updates: critic, synthesis, mapping."""
        return [(self.d_opt, self.disc.trainable_weights), (self.g_opt, self.synthesis.trainable_variables),
                (self.m_opt, self.mapping.trainable_weights)]

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
            d_loss = gan.discriminator_loss(real_logits, fake_logits)  # lesson 02's BCE
            d_total = d_loss + 0.5 * self.r1_gamma * r1
        grads = tape.gradient(d_total, self.disc.trainable_weights)
        self.d_opt.apply_gradients(zip(grads, self.disc.trainable_weights))
        # generator
        with tf.GradientTape() as tape:
            ws, w1 = self._mixed_ws(batch)
            fake = self.synthesis(ws)
            g_loss = gan.generator_loss(self.disc(fake, training=True))  # non-saturating
        mapping_vars, synthesis_vars = self.mapping.trainable_weights, self.synthesis.trainable_variables
        grads = tape.gradient(g_loss, mapping_vars + synthesis_vars)
        self.m_opt.apply_gradients(zip(grads[:len(mapping_vars)], mapping_vars))
        self.g_opt.apply_gradients(zip(grads[len(mapping_vars):], synthesis_vars))
        self.w_avg.assign(0.995 * self.w_avg + 0.005 * tf.reduce_mean(w1, axis=0))
        return d_loss, g_loss, r1

    def replica_step(self, real, step=None) -> dict:  # type: ignore[no-untyped-def]
        """One critic and one generator update on ``real`` (N, R, R, 3) in [-1, 1], uncompiled: the
        step :meth:`train` compiles, for ``strategy.run`` (:class:`helpers.distribute.ReplicatedStep`).
        ``step`` is accepted for that interface and unused."""
        d_loss, g_loss, _ = self._train_step(real)
        return {"d_loss": d_loss, "g_loss": g_loss}

    def train(self, patches: np.ndarray, steps: int, batch: int = 32, seed: int = 0,
              progress: bool = True, compiled: bool = True, max_seconds: float | None = None,
              every: int = 0, callback: Callable[[list, float], None] | None = None,
              ) -> list[tuple[float, float]]:
        """Up to ``steps`` updates on random batches of ``patches`` (in [-1, 1]); returns (d, g) losses.

        Stops early once ``max_seconds`` have passed (checked after each step). Every ``every``
        steps (if > 0), ``callback(history, seconds)`` is called, e.g. to save a checkpoint.
        ``compiled=False`` runs eagerly: slower per step, but skips the ~1 min graph tracing,
        which is the better deal for a handful of steps.
        """
        from .runtime import progress as progress_bar

        if steps < 0:
            raise ValueError(f"steps must be non-negative, got {steps}")
        if len(patches) < 1:
            raise ValueError("patches is empty")
        rng = np.random.default_rng(seed)
        history: list[tuple[float, float]] = []
        start = time.perf_counter()
        bar = progress_bar(range(steps), desc="StyleGAN", disable=not progress, mininterval=10.0)
        for i in bar:
            idx = rng.integers(0, len(patches), batch)
            step = self._step if compiled else self._train_step
            d, g, _ = step(tf.constant(patches[idx]))
            history.append((float(d), float(g)))
            if progress and i % 20 == 0:
                recent = np.mean(history[-20:], axis=0)
                bar.set_postfix(d=f"{recent[0]:.3f}", g=f"{recent[1]:.3f}")
            elapsed = time.perf_counter() - start
            if callback is not None and every > 0 and (i + 1) % every == 0:
                callback(history, elapsed)
            if max_seconds is not None and elapsed > max_seconds:
                break
        return history

    def save(self, path: str | Path) -> Path:
        """Write the generator (mapping, synthesis, w_avg) in float16; the critic is not shipped."""
        return checkpoints.save(path, {"mapping": self.mapping, "synthesis": self.synthesis,
                                       "w_avg": self.w_avg},
                                {"kind": "stylegan", "build": self.config})


def load_stylegan(path: str | Path | None = None, **train_kwargs: object) -> StyleGAN:
    """A :class:`StyleGAN` whose generator holds the weights of ``path`` (default: the shipped ones).

    For sampling; training can continue from it too (``train_kwargs`` go to :class:`StyleGAN`,
    e.g. ``lr``), with a fresh discriminator, since the critic is not shipped. A missing,
    corrupt or non-StyleGAN file raises :class:`helpers.checkpoints.CheckpointError`.
    """
    path = checkpoints.shipped_path("stylegan") if path is None else Path(path)
    arrays, config = checkpoints.read(path, "stylegan")
    build = config.get("build")
    if not build:
        raise checkpoints.CheckpointError(f"{path}: no StyleGAN 'build' config in the file")
    model = StyleGAN(build["z_dim"], build["w_dim"], build["channels"], build["mapping_layers"],
                     **train_kwargs)  # type: ignore[arg-type]
    checkpoints.assign({"mapping": model.mapping, "synthesis": model.synthesis, "w_avg": model.w_avg},
                       arrays, path, "stylegan")
    return model
