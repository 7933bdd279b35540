"""CycleGAN (Zhu et al., 2017): unpaired translation between photographs and a painting tradition.

Lesson 05. Two generators and two discriminators learn together:

* ``G``: photo → painting, judged by ``D_Y`` (is this a real painting?);
* ``F``: painting → photo, judged by ``D_X`` (is this a real photo?);
* cycle consistency ties them: ``F(G(x)) ≈ x`` and ``G(F(y)) ≈ y``;
* identity: ``G(y) ≈ y`` for a painting already in the target domain (keeps colours honest).

Images inside the networks are in [-1, 1] (tanh output); the edges of this module take and
return NumPy arrays in [0, 1] like the rest of the course. Crops come from
:class:`helpers.images.CropSampler`; the measures (cycle errors, style distance) from
:mod:`helpers.metrics`; the shipped weights from :mod:`helpers.checkpoints`.

    >>> from helpers import cyclegan
    >>> G = cyclegan.build_generator(filters=8, n_blocks=1)
    >>> G(np.zeros((1, 32, 32, 3), np.float32)).shape
    TensorShape([1, 32, 32, 3])
    >>> D = cyclegan.build_discriminator(filters=8)
    >>> tuple(D(np.zeros((1, 64, 64, 3), np.float32)).shape)
    (1, 13, 13, 1)
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from . import checkpoints, plot
from .images import CropSampler, to_unit

__all__ = [
    "UPSAMPLING", "ReflectionPadding2D", "instance_norm", "build_generator", "build_discriminator",
    "lsgan_discriminator_loss", "lsgan_generator_loss", "cycle_loss", "identity_loss",
    "ImagePool", "linear_decay", "CycleGANConfig", "History", "CycleGAN",
    "translate", "save_checkpoint", "load_checkpoint", "timed", "LiveSamples",
]

#: How the generator doubles its feature maps: a stride-2 transposed convolution (the paper's),
#: or resize (nearest-neighbour or bilinear) then convolve (Odena et al. 2016, checkerboard artifacts).
UPSAMPLING: tuple[str, ...] = ("transpose", "resize", "bilinear")


# ---- Architecture --------------------------------------------------------------------------

class ReflectionPadding2D(keras.layers.Layer):
    """Pads height and width by ``pad`` pixels, mirroring the border (no dark frame at the
    edges, unlike zero padding). The generator's padding layer; reuse it in your own builder.

    >>> tuple(ReflectionPadding2D(2)(np.zeros((1, 5, 6, 3), np.float32)).shape)
    (1, 9, 10, 3)
    """

    def __init__(self, pad: int = 1, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(**kwargs)
        if int(pad) < 0:
            raise ValueError(f"pad must be ≥ 0, got {pad}")
        self.pad = int(pad)

    def call(self, x):  # type: ignore[no-untyped-def]
        p = self.pad
        return tf.pad(x, [[0, 0], [p, p], [p, p], [0, 0]], mode="REFLECT")

    def compute_output_shape(self, s):  # type: ignore[no-untyped-def]
        grow = lambda n: None if n is None else n + 2 * self.pad  # noqa: E731
        return (s[0], grow(s[1]), grow(s[2]), s[3])

    def get_config(self) -> dict:
        return {**super().get_config(), "pad": self.pad}


def instance_norm(name: str) -> keras.layers.Layer:
    """Instance normalisation: one group per channel (``groups=-1``), learned scale and shift."""
    return keras.layers.GroupNormalization(groups=-1, epsilon=1e-5, name=name)


def build_generator(filters: int = 32, n_blocks: int = 6, name: str = "generator",
                    upsample: str = "transpose") -> keras.Model:
    """The CycleGAN ResNet generator, scaled by ``filters`` and ``n_blocks``.

    c7s1-f → d2f → d4f → ``n_blocks`` × R4f → u2f → uf → c7s1-3 (tanh), where ``ck`` is a
    convolution with instance norm and ReLU, ``d``/``u`` halve/double the size with stride 2
    and ``R`` is a residual block of two 3×3 convolutions. The paper uses f=64 and 9 blocks at
    256 px; any input whose sides are multiples of 4 works. ``upsample`` (one of
    :data:`UPSAMPLING`) chooses how ``u`` doubles the size: ``"transpose"`` (a stride-2
    transposed convolution, the paper's), ``"resize"`` (nearest-neighbour ×2, mirror padding,
    a 3×3 convolution: the same number of parameters, no built-in grid) or ``"bilinear"``
    (the same with bilinear ×2, which leaves even and odd pixels least distinguishable).
    """
    if filters < 1 or n_blocks < 0:
        raise ValueError(f"need filters ≥ 1 and n_blocks ≥ 0, got {filters}, {n_blocks}")
    if upsample not in UPSAMPLING:
        raise ValueError(f"upsample must be one of {UPSAMPLING}, got {upsample!r}")
    L = keras.layers
    Pad = ReflectionPadding2D
    init = keras.initializers.RandomNormal(0.0, 0.02)

    def conv(x, f, k, s, n):  # type: ignore[no-untyped-def]
        return L.Conv2D(f, k, strides=s, padding="same" if s > 1 else "valid",
                        kernel_initializer=init, name=n)(x)

    inp = keras.Input((None, None, 3), name="image")
    x = Pad(3, name="pad_in")(inp)
    x = conv(x, filters, 7, 1, "c7s1")
    x = L.ReLU(name="c7s1_relu")(instance_norm("c7s1_in")(x))
    for i, mult in enumerate((2, 4)):
        x = conv(x, filters * mult, 3, 2, f"down{i + 1}")
        x = L.ReLU(name=f"down{i + 1}_relu")(instance_norm(f"down{i + 1}_in")(x))
    for b in range(n_blocks):
        y = Pad(1, name=f"res{b + 1}_pad1")(x)
        y = conv(y, filters * 4, 3, 1, f"res{b + 1}_conv1")
        y = L.ReLU(name=f"res{b + 1}_relu")(instance_norm(f"res{b + 1}_in1")(y))
        y = Pad(1, name=f"res{b + 1}_pad2")(y)
        y = instance_norm(f"res{b + 1}_in2")(conv(y, filters * 4, 3, 1, f"res{b + 1}_conv2"))
        x = L.Add(name=f"res{b + 1}_add")([x, y])
    for i, mult in enumerate((2, 1)):
        if upsample == "transpose":
            x = L.Conv2DTranspose(filters * mult, 3, strides=2, padding="same",
                                  kernel_initializer=init, name=f"up{i + 1}")(x)
        else:
            x = L.UpSampling2D(2, interpolation="nearest" if upsample == "resize" else "bilinear",
                               name=f"up{i + 1}_resize")(x)
            x = conv(Pad(1, name=f"up{i + 1}_pad")(x), filters * mult, 3, 1, f"up{i + 1}")
        x = L.ReLU(name=f"up{i + 1}_relu")(instance_norm(f"up{i + 1}_in")(x))
    x = Pad(3, name="pad_out")(x)
    out = L.Activation("tanh", name="tanh")(conv(x, 3, 7, 1, "c7s1_out"))
    return keras.Model(inp, out, name=name)


_default_generator = build_generator  # CycleGAN's parameter of the same name hides it

def build_discriminator(filters: int = 32, n_layers: int = 2, name: str = "discriminator"
                        ) -> keras.Model:
    """A PatchGAN: one real/fake score per overlapping patch, no sigmoid (least-squares loss).

    C(f) → C(2f) … with 4×4 stride-2 convolutions and leaky ReLU (instance norm after the
    first), then one stride-1 C and a 1-channel output. The paper's 70×70 PatchGAN is
    ``n_layers=3`` with f=64; ``n_layers=2`` sees 34×34 patches, which suits 64-px crops.
    """
    if filters < 1 or n_layers < 1:
        raise ValueError(f"need filters ≥ 1 and n_layers ≥ 1, got {filters}, {n_layers}")
    L = keras.layers
    init = keras.initializers.RandomNormal(0.0, 0.02)
    inp = keras.Input((None, None, 3), name="image")
    x = L.LeakyReLU(0.2, name="c1_lrelu")(
        L.Conv2D(filters, 4, strides=2, padding="same", kernel_initializer=init, name="c1")(inp))
    f = filters
    for i in range(2, n_layers + 1):
        f = min(filters * 2 ** (i - 1), filters * 8)
        x = L.Conv2D(f, 4, strides=2, padding="same", kernel_initializer=init, name=f"c{i}")(x)
        x = L.LeakyReLU(0.2, name=f"c{i}_lrelu")(instance_norm(f"c{i}_in")(x))
    x = L.Conv2D(min(f * 2, filters * 8), 4, padding="same", kernel_initializer=init,
                 name="c_last")(x)
    x = L.LeakyReLU(0.2, name="c_last_lrelu")(instance_norm("c_last_in")(x))
    # "valid" 4×4 output conv, as in the paper's PatchGAN: each score sees a whole patch.
    out = L.Conv2D(1, 4, padding="valid", kernel_initializer=init, name="score")(x)
    return keras.Model(inp, out, name=name)


# ---- Losses (names as in the lesson's formulas) --------------------------------------------

def _t(x) -> tf.Tensor:  # type: ignore[no-untyped-def]
    return tf.convert_to_tensor(x, tf.float32)


def lsgan_discriminator_loss(real_scores, fake_scores):  # type: ignore[no-untyped-def]
    """L_D = ½·E[(D(real) − 1)²] + ½·E[D(fake)²]  (least-squares GAN, Mao et al. 2017)."""
    real_scores, fake_scores = _t(real_scores), _t(fake_scores)
    return 0.5 * (tf.reduce_mean(tf.square(real_scores - 1.0)) + tf.reduce_mean(tf.square(fake_scores)))


def lsgan_generator_loss(fake_scores):  # type: ignore[no-untyped-def]
    """L_GAN = E[(D(G(x)) − 1)²]: the generator wants its fakes scored as real (1)."""
    return tf.reduce_mean(tf.square(_t(fake_scores) - 1.0))


def cycle_loss(real, reconstructed):  # type: ignore[no-untyped-def]
    """L_cyc = E[‖F(G(x)) − x‖₁]: the mean absolute difference after a round trip."""
    return tf.reduce_mean(tf.abs(_t(real) - _t(reconstructed)))


def identity_loss(real, same):  # type: ignore[no-untyped-def]
    """L_id = E[‖G(y) − y‖₁]: a painting fed to photo → painting should come out unchanged."""
    return tf.reduce_mean(tf.abs(_t(real) - _t(same)))


# ---- Training pieces -----------------------------------------------------------------------

class ImagePool:
    """The history of generated images (Shrivastava et al. 2017) that the discriminators see.

    Until ``size`` images are stored, each new image is stored and returned. After that,
    with probability ½ a stored image is returned (and replaced by the new one), else the new
    image itself. Training the discriminator on older fakes too keeps it from chasing only
    the generator's latest move. ``size=0`` turns the pool off.

    >>> pool = ImagePool(size=2, seed=0)
    >>> [float(pool.query(np.full((1, 1, 1, 1), v))[0, 0, 0, 0]) for v in (1, 2)]
    [1.0, 2.0]
    """

    def __init__(self, size: int = 50, seed: int = 0):
        if size < 0:
            raise ValueError(f"pool size must be ≥ 0, got {size}")
        self.size = size
        self.images: list[np.ndarray] = []
        self.rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        return len(self.images)

    def query(self, images) -> np.ndarray:  # type: ignore[no-untyped-def]
        """Take a batch (N, H, W, C); return a batch of the same shape for the discriminator."""
        images = np.asarray(images, np.float32)
        if self.size == 0:
            return images
        out = []
        for img in images:
            if len(self.images) < self.size:
                self.images.append(img.copy())
                out.append(img)
            elif self.rng.random() < 0.5:
                i = int(self.rng.integers(self.size))
                out.append(self.images[i])
                self.images[i] = img.copy()
            else:
                out.append(img)
        return np.stack(out)


def linear_decay(step: int, total_steps: int, base_lr: float = 2e-4,
                 decay_start: float = 0.5) -> float:
    """Constant ``base_lr`` for the first ``decay_start`` of training, then linearly to 0.

    >>> [round(linear_decay(s, 100), 6) for s in (0, 50, 75, 100)]
    [0.0002, 0.0002, 0.0001, 0.0]
    """
    if total_steps <= 0:
        raise ValueError(f"total_steps must be positive, got {total_steps}")
    if not 0.0 <= decay_start <= 1.0:
        raise ValueError(f"decay_start must be in [0, 1], got {decay_start}")
    start = decay_start * total_steps
    if step <= start:
        return base_lr
    return base_lr * max(0.0, (total_steps - step) / max(total_steps - start, 1e-9))


@dataclass
class CycleGANConfig:
    """Sizes and loss weights. ``lambda_cycle`` = 10 and ``lambda_identity`` = 0.5 as in the
    paper (the identity weight is relative to ``lambda_cycle``); ``upsample`` is the
    generators' up-sampling (one of :data:`UPSAMPLING`)."""

    gen_filters: int = 32
    gen_blocks: int = 4
    disc_filters: int = 32
    disc_layers: int = 2
    lambda_cycle: float = 10.0
    lambda_identity: float = 0.5
    base_lr: float = 2e-4
    beta_1: float = 0.5
    pool_size: int = 50
    upsample: str = "transpose"  # checkpoints saved before this option existed are "transpose"

    def __post_init__(self) -> None:
        if self.upsample not in UPSAMPLING:
            raise ValueError(f"upsample must be one of {UPSAMPLING}, got {self.upsample!r}")


@dataclass
class History:
    """Losses per step, for plotting, and the seconds spent in :meth:`CycleGAN.train`."""

    g_total: list[float] = field(default_factory=list)
    g_gan: list[float] = field(default_factory=list)
    cycle: list[float] = field(default_factory=list)
    identity: list[float] = field(default_factory=list)
    d_x: list[float] = field(default_factory=list)
    d_y: list[float] = field(default_factory=list)
    seconds: float = 0.0

    def append(self, losses: dict[str, float]) -> None:
        for k, v in losses.items():
            getattr(self, k).append(float(v))


#: ``(filters, n_blocks, name=...) → keras.Model``, (N, H, W, 3) → same, like build_generator.
GeneratorBuilder = Callable[..., keras.Model]


class CycleGAN:
    """The four networks, their optimisers and one training step.

    ``G``: photo (X) → painting (Y); ``F``: painting → photo; ``D_X`` judges photos, ``D_Y``
    paintings. Inputs to :meth:`train_step` are batches in [-1, 1].

    ``build_generator`` replaces the generators' architecture: a callable like
    :func:`build_generator`, called as ``build_generator(config.gen_filters, config.gen_blocks,
    name=...)`` for ``G`` and ``F`` (default: :func:`build_generator` with ``config.upsample``).
    """

    def __init__(self, config: CycleGANConfig | None = None, seed: int = 0,
                 build_generator: GeneratorBuilder | None = None):
        self.config = c = config or CycleGANConfig()
        if build_generator is not None and c.upsample != "transpose":
            raise ValueError("config.upsample chooses the default generator's up-sampling; with "
                             "your own build_generator, leave it 'transpose'")
        build = build_generator or functools.partial(_default_generator, upsample=c.upsample)
        keras.utils.set_random_seed(seed)
        self.G = build(c.gen_filters, c.gen_blocks, name="G_photo_to_art")
        self.F = build(c.gen_filters, c.gen_blocks, name="F_art_to_photo")
        self.D_X = build_discriminator(c.disc_filters, c.disc_layers, name="D_photo")
        self.D_Y = build_discriminator(c.disc_filters, c.disc_layers, name="D_art")
        self.opt_g = keras.optimizers.Adam(c.base_lr, beta_1=c.beta_1)
        self.opt_d = keras.optimizers.Adam(c.base_lr, beta_1=c.beta_1)
        self.pool_x = ImagePool(c.pool_size, seed=seed + 1)
        self.pool_y = ImagePool(c.pool_size, seed=seed + 2)
        self.steps_done = 0
        self.history = History()
        self._gen_step = None
        self._disc_step = None

    def generator_update(self, real_x, real_y):  # type: ignore[no-untyped-def]
        """One update of G and F, uncompiled (:meth:`train_step` compiles it; ``strategy.run`` runs it
        in ``train_cyclegan --strategy``); returns (fake_x, fake_y, losses)."""
        c, G, F, D_X, D_Y = self.config, self.G, self.F, self.D_X, self.D_Y
        with tf.GradientTape() as tape:
            fake_y = G(real_x, training=True)
            fake_x = F(real_y, training=True)
            cycled_x = F(fake_y, training=True)
            cycled_y = G(fake_x, training=True)
            g_gan = (lsgan_generator_loss(D_Y(fake_y, training=True))
                     + lsgan_generator_loss(D_X(fake_x, training=True)))
            cyc = cycle_loss(real_x, cycled_x) + cycle_loss(real_y, cycled_y)
            idt = (identity_loss(real_y, G(real_y, training=True))
                   + identity_loss(real_x, F(real_x, training=True)))
            total = g_gan + c.lambda_cycle * cyc + c.lambda_cycle * c.lambda_identity * idt
        g_vars = G.trainable_variables + F.trainable_variables
        self.opt_g.apply_gradients(zip(tape.gradient(total, g_vars), g_vars))
        return fake_x, fake_y, {"g_total": total, "g_gan": g_gan, "cycle": cyc, "identity": idt}

    def discriminator_update(self, real_x, real_y, pooled_x, pooled_y):  # type: ignore[no-untyped-def]
        """One update of D_X and D_Y on real images and (pooled) fakes, uncompiled, as above."""
        D_X, D_Y = self.D_X, self.D_Y
        with tf.GradientTape() as tape:
            d_x = lsgan_discriminator_loss(D_X(real_x, training=True), D_X(pooled_x, training=True))
            d_y = lsgan_discriminator_loss(D_Y(real_y, training=True), D_Y(pooled_y, training=True))
            total = d_x + d_y
        d_vars = D_X.trainable_variables + D_Y.trainable_variables
        self.opt_d.apply_gradients(zip(tape.gradient(total, d_vars), d_vars))
        return {"d_x": d_x, "d_y": d_y}

    def train_step(self, real_x: np.ndarray, real_y: np.ndarray, lr: float | None = None
                   ) -> dict[str, float]:
        """One generator update, then one discriminator update on pooled fakes."""
        if self._gen_step is None:
            self._gen_step = tf.function(self.generator_update, reduce_retracing=True)
            self._disc_step = tf.function(self.discriminator_update, reduce_retracing=True)
        if lr is not None:
            self.opt_g.learning_rate.assign(lr)
            self.opt_d.learning_rate.assign(lr)
        fake_x, fake_y, g_losses = self._gen_step(real_x, real_y)
        pooled_x = self.pool_x.query(fake_x.numpy())
        pooled_y = self.pool_y.query(fake_y.numpy())
        d_losses = self._disc_step(real_x, real_y, pooled_x, pooled_y)
        losses = {k: float(v) for k, v in {**g_losses, **d_losses}.items()}
        self.history.append(losses)
        self.steps_done += 1
        return losses

    def train(self, photos: CropSampler, paintings: CropSampler, steps: int,
              decay_start: float = 0.5, batch: int = 1,
              callback: Callable[[int, dict[str, float]], None] | None = None,
              progress: bool = True, max_seconds: float | None = None) -> History:
        """``steps`` training steps with the linear learning-rate decay; returns the history.

        ``callback(step, losses)`` runs after every step (e.g. to refresh a sample view).
        ``max_seconds``: a time budget; training stops after the first step that ends past
        it (the learning-rate schedule stays the one of ``steps``, so a cut run ends with a
        higher rate). ``history.seconds`` adds up the time spent here.
        """
        from .runtime import progress as progress_bar

        if steps <= 0:
            raise ValueError(f"steps must be positive, got {steps}")
        if max_seconds is not None and max_seconds <= 0:
            raise ValueError(f"max_seconds must be positive, got {max_seconds}")
        start = time.perf_counter()
        bar = progress_bar(range(steps), desc="CycleGAN", disable=not progress, mininterval=2.0)
        for step in bar:
            lr = linear_decay(step, steps, self.config.base_lr, decay_start)
            losses = self.train_step(photos.sample(batch), paintings.sample(batch), lr)
            if step % 25 == 0:
                bar.set_postfix(cyc=f"{losses['cycle']:.3f}", d=f"{losses['d_y']:.3f}")
            if callback is not None:
                callback(step, losses)
            if max_seconds is not None and time.perf_counter() - start > max_seconds:
                break
        bar.close()
        self.history.seconds += time.perf_counter() - start
        return self.history


# ---- Using, saving and loading trained generators (the format: helpers.checkpoints) --------

def translate(generator: keras.Model, image: np.ndarray) -> np.ndarray:
    """Run a generator on one image (H, W, 3) in [0, 1]; returns the same shape in [0, 1].

    The image is mirror-padded to multiples of 4 (two stride-2 stages) and cropped back.
    """
    img = np.asarray(image, np.float32)
    if img.ndim != 3 or img.shape[2] != 3:
        raise ValueError(f"image must have shape (H, W, 3), got {img.shape}")
    h, w = img.shape[:2]
    x = np.pad(img, ((0, -h % 4), (0, -w % 4), (0, 0)), mode="reflect") * 2.0 - 1.0
    y = np.asarray(generator(x[None], training=False))[0, :h, :w]
    return np.clip((y + 1.0) / 2.0, 0.0, 1.0)


def save_checkpoint(model: CycleGAN, path: str | Path) -> Path:
    """Save both generators (float16; the discriminators are not needed to translate) and
    the config. The training record is written beside it by
    :func:`helpers.checkpoints.write_record`."""
    return checkpoints.save(path, {"G": model.G, "F": model.F},
                            {"kind": "cyclegan", "build": asdict(model.config)})


def load_checkpoint(path: str | Path | None = None, build_generator: GeneratorBuilder | None = None
                    ) -> tuple[keras.Model, keras.Model, CycleGANConfig]:
    """``(G, F, config)`` from a checkpoint saved by :func:`save_checkpoint` (default: the
    shipped one, :func:`helpers.checkpoints.shipped_path` ``("cyclegan")``). A model trained
    with its own ``build_generator`` loads with the same builder.

    Raises :class:`helpers.checkpoints.CheckpointError` naming the file if it is missing,
    unreadable, made for another network or holds weights of the wrong shapes.
    """
    path = checkpoints.shipped_path("cyclegan") if path is None else Path(path)
    arrays, saved = checkpoints.read(path, "cyclegan")
    try:  # files saved before "upsample" existed lack it: the default, "transpose", is right
        config = CycleGANConfig(**saved["build"])
    except (KeyError, TypeError, ValueError) as exc:
        raise checkpoints.CheckpointError(f"{path}: its config is not a CycleGANConfig ({exc})") from None
    build = build_generator or functools.partial(_default_generator, upsample=config.upsample)
    G = build(config.gen_filters, config.gen_blocks, name="G_photo_to_art")
    F = build(config.gen_filters, config.gen_blocks, name="F_art_to_photo")
    checkpoints.assign({"G": G, "F": F}, arrays, path, "cyclegan")
    return G, F, config


def timed(fn: Callable[[], object], repeats: int = 3) -> float:
    """Median wall time of ``fn()`` over ``repeats`` runs (after one warm-up call), seconds."""
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


class LiveSamples:
    """A sample view that refreshes in place during training (one figure, updated): fixed photo
    crops, G(x), fixed print crops and F(y) (crops in [-1, 1], as from a CropSampler). Call
    :meth:`update` from the training callback; it redraws every ``every`` steps.
    """

    def __init__(self, photos: np.ndarray, prints: np.ndarray, every: int = 50):
        if every < 1:
            raise ValueError(f"every must be at least 1, got {every}")
        self.photos, self.prints, self.every = photos, prints, every
        self.live = plot.LiveFigure(fmt="jpeg", dpi=80)

    def figure(self, model: CycleGAN, step: int):  # type: ignore[no-untyped-def]
        """The current samples as a Matplotlib figure."""
        fake_y = to_unit(model.G(self.photos, training=False))
        fake_x = to_unit(model.F(self.prints, training=False))
        images = [*to_unit(self.photos), *fake_y, *to_unit(self.prints), *fake_x]
        n, m = len(self.photos), len(self.prints)
        captions = (["photo crop"] * n + ["G(photo) → ukiyo-e"] * n
                    + ["print crop"] * m + ["F(print) → photo"] * m)
        return plot.show_images(images, captions, ncols=n, size=1.4,
                           title=f"step {step}: fixed crops and their translations")

    def update(self, model: CycleGAN, step: int, force: bool = False) -> None:
        """Redraw if ``step`` is a multiple of ``every`` (or ``force``)."""
        if force or step % self.every == 0:
            self.live.draw(self.figure(model, step))
