"""CycleGAN (Zhu et al., 2017): unpaired translation between photographs and a painting tradition.

Two generators and two discriminators learn together:

* ``G``: photo → painting, judged by ``D_Y`` (is this a real painting?);
* ``F``: painting → photo, judged by ``D_X`` (is this a real photo?);
* cycle consistency ties them: ``F(G(x)) ≈ x`` and ``G(F(y)) ≈ y``;
* identity: ``G(y) ≈ y`` for a painting already in the target domain (keeps colours honest).

Images inside the networks are in [-1, 1] (tanh output); the edges of this module take and
return NumPy arrays in [0, 1] like the rest of the course.

    >>> from helpers import cyclegan
    >>> G = cyclegan.build_generator(filters=8, n_blocks=1)
    >>> G(np.zeros((1, 32, 32, 3), np.float32)).shape
    TensorShape([1, 32, 32, 3])
    >>> D = cyclegan.build_discriminator(filters=8)
    >>> tuple(D(np.zeros((1, 64, 64, 3), np.float32)).shape)
    (1, 13, 13, 1)
"""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from .checkpoints import CheckpointError  # noqa: F401  (re-exported: one error for all loaders)
from .data import DATA_DIR, Artwork, load_catalog, load_image

PHOTOS_DIR: Path = DATA_DIR / "photos"
PHOTOS_CSV: Path = PHOTOS_DIR / "PHOTOS.csv"
CHECKPOINT_DIR: Path = DATA_DIR / "checkpoints"
#: The checkpoint shipped with the course (trained by ``python -m helpers.train_cyclegan``).
SHIPPED_CHECKPOINT: Path = CHECKPOINT_DIR / "cyclegan_ukiyoe.npz"

#: Content photos kept out of training, to measure the models on photos they never saw.
HELD_OUT_PHOTOS: tuple[str, ...] = (
    "content-photo__prokudin-gorskii-church-across-a-lake__c1910",
    "content-photo__prokudin-gorskii-self-portrait-on-the-karolitskhali-river__1912",
    "content-photo__chelsea-the-cat__skimage",
)
#: The painting domain: ukiyo-e prints whose scans keep their colours (not palette-reduced).
TRADITION_PREFIX: str = "japanese-ukiyoe"
#: One print kept out of training, to test the painting → photo direction.
HELD_OUT_PRINT: str = "japanese-ukiyoe__hiroshige-shono-driving-rain-tokaido__c1833"


# --------------------------------------------------------------------------------------
# The two domains
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Photo:
    """A photograph from ``data/photos`` (credited like an artwork)."""

    file: str
    title: str
    artist: str
    date: str
    source: str
    license: str

    @property
    def id(self) -> str:
        return Path(self.file).stem

    @property
    def path(self) -> Path:
        return PHOTOS_DIR / self.file

    @property
    def caption(self) -> str:
        return f"{self.title} — {self.artist}, {self.date}"

    @property
    def short_caption(self) -> str:
        return f"{self.title}\n{self.artist.split(' (')[0]}, {self.date}"

    def load(self, max_side: int | None = None) -> np.ndarray:
        return load_image(self.path, max_side=max_side)


def extra_photos(csv_path: str | Path = PHOTOS_CSV) -> list[Photo]:
    """The public-domain photos copied from scikit-image's sample data (see ``PHOTOS.csv``)."""
    csv_path = Path(csv_path)
    if not csv_path.is_file():
        raise FileNotFoundError(f"{csv_path}: photo list not found")
    with csv_path.open(newline="", encoding="utf-8") as fh:
        return [Photo(**row) for row in csv.DictReader(fh)]


def photo_domain(held_out: bool = False) -> list[Artwork | Photo]:
    """Domain X. ``held_out=False``: the training photos (course photos not held out, plus the
    extra photos); ``held_out=True``: the photos in :data:`HELD_OUT_PHOTOS`, in that order."""
    cat = load_catalog()
    if held_out:
        return [cat[i] for i in HELD_OUT_PHOTOS]
    return [a for a in cat.contents() if a.id not in HELD_OUT_PHOTOS] + list(extra_photos())


def art_domain(held_out: bool = False) -> list[Artwork]:
    """Domain Y: ukiyo-e prints with faithful colours; :data:`HELD_OUT_PRINT` is kept apart."""
    works = [a for a in load_catalog().styles()
             if a.id.startswith(TRADITION_PREFIX) and not a.palette_reduced]
    if held_out:
        return [a for a in works if a.id == HELD_OUT_PRINT]
    return [a for a in works if a.id != HELD_OUT_PRINT]


class CropSampler:
    """Random square crops with random horizontal flips, in [-1, 1], from a list of images.

    >>> s = CropSampler([np.zeros((40, 50, 3), np.float32)], crop=32, seed=0)
    >>> s.sample(2).shape
    (2, 32, 32, 3)
    """

    def __init__(self, images: Sequence[np.ndarray], crop: int, seed: int = 0):
        if crop < 16:
            raise ValueError(f"crop must be at least 16 px, got {crop}")
        if not images:
            raise ValueError("no images to sample from")
        for i, img in enumerate(images):
            if img.ndim != 3 or img.shape[2] != 3 or min(img.shape[:2]) < crop:
                raise ValueError(f"image {i} has shape {img.shape}; need (H, W, 3) with "
                                 f"both sides ≥ crop={crop}")
        self.images = [np.asarray(im, np.float32) * 2.0 - 1.0 for im in images]
        self.crop = crop
        self.rng = np.random.default_rng(seed)

    def sample(self, batch: int = 1) -> np.ndarray:
        out = np.empty((batch, self.crop, self.crop, 3), np.float32)
        for b in range(batch):
            img = self.images[self.rng.integers(len(self.images))]
            y = self.rng.integers(img.shape[0] - self.crop + 1)
            x = self.rng.integers(img.shape[1] - self.crop + 1)
            patch = img[y:y + self.crop, x:x + self.crop]
            out[b] = patch[:, ::-1] if self.rng.random() < 0.5 else patch
        return out


# --------------------------------------------------------------------------------------
# Architecture
# --------------------------------------------------------------------------------------


def _reflect_pad_layer():  # type: ignore[no-untyped-def]
    import keras
    import tensorflow as tf

    class ReflectionPadding2D(keras.layers.Layer):
        """Pads height and width by mirroring the border (no dark frame at the edges)."""

        def __init__(self, pad: int = 1, **kwargs):  # type: ignore[no-untyped-def]
            super().__init__(**kwargs)
            self.pad = int(pad)

        def call(self, x):  # type: ignore[no-untyped-def]
            p = self.pad
            return tf.pad(x, [[0, 0], [p, p], [p, p], [0, 0]], mode="REFLECT")

        def compute_output_shape(self, s):  # type: ignore[no-untyped-def]
            grow = lambda n: None if n is None else n + 2 * self.pad  # noqa: E731
            return (s[0], grow(s[1]), grow(s[2]), s[3])

        def get_config(self):  # type: ignore[no-untyped-def]
            return {**super().get_config(), "pad": self.pad}

    return ReflectionPadding2D


def instance_norm(name: str):  # type: ignore[no-untyped-def]
    """Instance normalisation: one group per channel (``groups=-1``), learned scale and shift."""
    import keras

    return keras.layers.GroupNormalization(groups=-1, epsilon=1e-5, name=name)


def build_generator(filters: int = 32, n_blocks: int = 6, name: str = "generator"):  # type: ignore[no-untyped-def]
    """The CycleGAN ResNet generator, scaled by ``filters`` and ``n_blocks``.

    c7s1-f → d2f → d4f → ``n_blocks`` × R4f → u2f → uf → c7s1-3 (tanh), where ``ck`` is a
    convolution with instance norm and ReLU, ``d``/``u`` halve/double the size with stride 2
    and ``R`` is a residual block of two 3×3 convolutions. The paper uses f=64 and 9 blocks at
    256 px; any input whose sides are multiples of 4 works.
    """
    import keras

    if filters < 1 or n_blocks < 0:
        raise ValueError(f"need filters ≥ 1 and n_blocks ≥ 0, got {filters}, {n_blocks}")
    L = keras.layers
    Pad = _reflect_pad_layer()
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
        x = L.Conv2DTranspose(filters * mult, 3, strides=2, padding="same",
                              kernel_initializer=init, name=f"up{i + 1}")(x)
        x = L.ReLU(name=f"up{i + 1}_relu")(instance_norm(f"up{i + 1}_in")(x))
    x = Pad(3, name="pad_out")(x)
    out = L.Activation("tanh", name="tanh")(conv(x, 3, 7, 1, "c7s1_out"))
    return keras.Model(inp, out, name=name)


def build_discriminator(filters: int = 32, n_layers: int = 2, name: str = "discriminator"):  # type: ignore[no-untyped-def]
    """A PatchGAN: one real/fake score per overlapping patch, no sigmoid (least-squares loss).

    C(f) → C(2f) … with 4×4 stride-2 convolutions and leaky ReLU (instance norm after the
    first), then one stride-1 C and a 1-channel output. The paper's 70×70 PatchGAN is
    ``n_layers=3`` with f=64; ``n_layers=2`` sees 34×34 patches, which suits 64-px crops.
    """
    import keras

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


# --------------------------------------------------------------------------------------
# Losses (names as in the lesson's formulas)
# --------------------------------------------------------------------------------------


def _t(x):  # type: ignore[no-untyped-def]
    import tensorflow as tf

    return tf.convert_to_tensor(x, tf.float32)


def lsgan_discriminator_loss(real_scores, fake_scores):  # type: ignore[no-untyped-def]
    """L_D = ½·E[(D(real) − 1)²] + ½·E[D(fake)²]  (least-squares GAN, Mao et al. 2017)."""
    import tensorflow as tf

    real_scores, fake_scores = _t(real_scores), _t(fake_scores)
    return 0.5 * (tf.reduce_mean(tf.square(real_scores - 1.0)) + tf.reduce_mean(tf.square(fake_scores)))


def lsgan_generator_loss(fake_scores):  # type: ignore[no-untyped-def]
    """L_GAN = E[(D(G(x)) − 1)²]: the generator wants its fakes scored as real (1)."""
    import tensorflow as tf

    return tf.reduce_mean(tf.square(_t(fake_scores) - 1.0))


def cycle_loss(real, reconstructed):  # type: ignore[no-untyped-def]
    """L_cyc = E[‖F(G(x)) − x‖₁]: the mean absolute difference after a round trip."""
    import tensorflow as tf

    return tf.reduce_mean(tf.abs(_t(real) - _t(reconstructed)))


def identity_loss(real, same):  # type: ignore[no-untyped-def]
    """L_id = E[‖G(y) − y‖₁]: a painting fed to photo → painting should come out unchanged."""
    import tensorflow as tf

    return tf.reduce_mean(tf.abs(_t(real) - _t(same)))


# --------------------------------------------------------------------------------------
# Training pieces
# --------------------------------------------------------------------------------------


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
    paper (the identity weight is relative to ``lambda_cycle``)."""

    gen_filters: int = 32
    gen_blocks: int = 4
    disc_filters: int = 32
    disc_layers: int = 2
    lambda_cycle: float = 10.0
    lambda_identity: float = 0.5
    base_lr: float = 2e-4
    beta_1: float = 0.5
    pool_size: int = 50


@dataclass
class History:
    """Losses per step, for plotting."""

    g_total: list[float] = field(default_factory=list)
    g_gan: list[float] = field(default_factory=list)
    cycle: list[float] = field(default_factory=list)
    identity: list[float] = field(default_factory=list)
    d_x: list[float] = field(default_factory=list)
    d_y: list[float] = field(default_factory=list)

    def append(self, losses: dict[str, float]) -> None:
        for k, v in losses.items():
            getattr(self, k).append(float(v))


class CycleGAN:
    """The four networks, their optimisers and one training step.

    ``G``: photo (X) → painting (Y); ``F``: painting → photo; ``D_X`` judges photos, ``D_Y``
    paintings. Inputs to :meth:`train_step` are batches in [-1, 1].
    """

    def __init__(self, config: CycleGANConfig | None = None, seed: int = 0):
        import keras

        self.config = c = config or CycleGANConfig()
        keras.utils.set_random_seed(seed)
        self.G = build_generator(c.gen_filters, c.gen_blocks, name="G_photo_to_art")
        self.F = build_generator(c.gen_filters, c.gen_blocks, name="F_art_to_photo")
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

    def _build_steps(self) -> None:
        import tensorflow as tf

        c = self.config
        G, F, D_X, D_Y = self.G, self.F, self.D_X, self.D_Y
        g_vars = G.trainable_variables + F.trainable_variables
        d_vars = D_X.trainable_variables + D_Y.trainable_variables

        @tf.function(reduce_retracing=True)
        def gen_step(real_x, real_y):  # type: ignore[no-untyped-def]
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
            grads = tape.gradient(total, g_vars)
            self.opt_g.apply_gradients(zip(grads, g_vars))
            return fake_x, fake_y, {"g_total": total, "g_gan": g_gan, "cycle": cyc,
                                    "identity": idt}

        @tf.function(reduce_retracing=True)
        def disc_step(real_x, real_y, pooled_x, pooled_y):  # type: ignore[no-untyped-def]
            with tf.GradientTape() as tape:
                d_x = lsgan_discriminator_loss(D_X(real_x, training=True),
                                               D_X(pooled_x, training=True))
                d_y = lsgan_discriminator_loss(D_Y(real_y, training=True),
                                               D_Y(pooled_y, training=True))
                total = d_x + d_y
            grads = tape.gradient(total, d_vars)
            self.opt_d.apply_gradients(zip(grads, d_vars))
            return {"d_x": d_x, "d_y": d_y}

        self._gen_step, self._disc_step = gen_step, disc_step

    def train_step(self, real_x: np.ndarray, real_y: np.ndarray, lr: float | None = None
                   ) -> dict[str, float]:
        """One generator update, then one discriminator update on pooled fakes."""
        if self._gen_step is None:
            self._build_steps()
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
              progress: bool = True) -> History:
        """``steps`` training steps with the linear learning-rate decay; returns the history.

        ``callback(step, losses)`` runs after every step (e.g. to refresh a sample view).
        """
        from tqdm.auto import tqdm

        if steps <= 0:
            raise ValueError(f"steps must be positive, got {steps}")
        bar = tqdm(range(steps), desc="CycleGAN", disable=not progress, mininterval=2.0)
        for step in bar:
            lr = linear_decay(step, steps, self.config.base_lr, decay_start)
            losses = self.train_step(photos.sample(batch), paintings.sample(batch), lr)
            if step % 25 == 0:
                bar.set_postfix(cyc=f"{losses['cycle']:.3f}", d=f"{losses['d_y']:.3f}")
            if callback is not None:
                callback(step, losses)
        return self.history


# --------------------------------------------------------------------------------------
# Using trained generators
# --------------------------------------------------------------------------------------


def translate(generator, image: np.ndarray) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Run a generator on one image (H, W, 3) in [0, 1]; returns the same shape in [0, 1].

    The image is mirror-padded to multiples of 4 (two stride-2 stages) and cropped back.
    """
    img = np.asarray(image, np.float32)
    if img.ndim != 3 or img.shape[2] != 3:
        raise ValueError(f"expected an image of shape (H, W, 3), got {img.shape}")
    h, w = img.shape[:2]
    ph, pw = -h % 4, -w % 4
    x = np.pad(img, ((0, ph), (0, pw), (0, 0)), mode="reflect") * 2.0 - 1.0
    y = generator(x[None], training=False)
    y = np.asarray(y)[0, :h, :w]
    return np.clip((y + 1.0) / 2.0, 0.0, 1.0)


def cycle_errors(original: np.ndarray, reconstructed: np.ndarray) -> dict[str, float]:
    """L1 (mean absolute difference, images in [0, 1]) and SSIM of a round trip."""
    from skimage.metrics import structural_similarity

    a, b = np.asarray(original, np.float32), np.asarray(reconstructed, np.float32)
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} vs {b.shape}")
    return {"l1": float(np.mean(np.abs(a - b))),
            "ssim": float(structural_similarity(a, b, channel_axis=2, data_range=1.0))}


def _grams(images: Sequence[np.ndarray]) -> list[dict[str, np.ndarray]]:
    from .features import STYLE_LAYERS, get_extractor
    from .style import gram_matrix

    vgg = get_extractor(tuple(STYLE_LAYERS))
    return [{k: gram_matrix(v).numpy()[0] for k, v in vgg(img).items()} for img in images]


def tradition_grams(images: Sequence[np.ndarray]) -> dict[str, np.ndarray]:
    """The mean Gram matrix per VGG16 style layer over a tradition's images."""
    grams = _grams(images)
    return {k: np.mean([g[k] for g in grams], axis=0) for k in grams[0]}


def style_distance(images: Sequence[np.ndarray], reference: dict[str, np.ndarray]) -> list[float]:
    """Gram distance of each image to a reference (e.g. :func:`tradition_grams`).

    Per layer: the mean squared difference of the Gram matrices divided by the mean squared
    entry of the reference Gram (so each layer weighs about the same); then averaged over
    layers. 0 means the same feature statistics as the tradition; lower is closer.
    """
    out = []
    for g in _grams(images):
        per_layer = [np.mean((g[k] - reference[k]) ** 2) / np.mean(reference[k] ** 2)
                     for k in reference]
        out.append(float(np.mean(per_layer)))
    return out


# --------------------------------------------------------------------------------------
# Checkpoints
# --------------------------------------------------------------------------------------




def save_checkpoint(model: CycleGAN, path: str | Path, meta: dict | None = None) -> Path:
    """Save both generators' weights as float16 (the discriminators are not needed to
    translate) plus the config and ``meta`` as JSON inside the ``.npz``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = {}
    for tag, net in (("G", model.G), ("F", model.F)):
        for i, w in enumerate(net.get_weights()):
            arrays[f"{tag}/{i:03d}"] = w.astype(np.float16)
    info = {"config": asdict(model.config), "steps": model.steps_done, "meta": meta or {}}
    arrays["info"] = np.frombuffer(json.dumps(info).encode(), dtype=np.uint8)
    np.savez_compressed(path, **arrays)
    return path


def load_checkpoint(path: str | Path = SHIPPED_CHECKPOINT):  # type: ignore[no-untyped-def]
    """Load generators saved by :func:`save_checkpoint`: returns ``(G, F, info)``.

    Raises :class:`CheckpointError` naming the file if it is missing, is not a readable
    ``.npz``, lacks the expected entries, or holds weights of the wrong shapes.
    """
    import zipfile

    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: checkpoint not found (train one with "
                              "`python -m helpers.train_cyclegan`)")
    try:
        with np.load(path, allow_pickle=False) as npz:
            files = dict(npz.items())
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise CheckpointError(f"{path}: not a readable CycleGAN checkpoint ({exc})") from None
    if "info" not in files:
        raise CheckpointError(f"{path}: no 'info' entry; not a CycleGAN checkpoint from this course")
    try:
        info = json.loads(files["info"].tobytes().decode())
        config = CycleGANConfig(**info["config"])
    except (ValueError, KeyError, TypeError) as exc:
        raise CheckpointError(f"{path}: unreadable 'info' entry ({exc})") from None
    nets = []
    for tag, name in (("G", "G_photo_to_art"), ("F", "F_art_to_photo")):
        net = build_generator(config.gen_filters, config.gen_blocks, name=name)
        expected = net.get_weights()
        keys = sorted(k for k in files if k.startswith(f"{tag}/"))
        if len(keys) != len(expected):
            raise CheckpointError(f"{path}: generator {tag} has {len(keys)} weight arrays, "
                                  f"expected {len(expected)}")
        for k, e in zip(keys, expected):
            if files[k].shape != e.shape:
                raise CheckpointError(f"{path}: weight {k} has shape {files[k].shape}, "
                                      f"expected {e.shape}")
        net.set_weights([files[k].astype(np.float32) for k in keys])
        nets.append(net)
    return nets[0], nets[1], info


def load_domain(items: Sequence[Artwork | Photo], max_side: int) -> list[np.ndarray]:
    """Load every image of a domain at ``max_side``."""
    return [a.load(max_side=max_side) for a in items]


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
    """A sample view that refreshes in place during training (one figure, updated).

    Shows fixed photo crops, their translations G(x), fixed print crops and F(y). In a
    notebook, call :meth:`update` from the training callback every few steps.
    """

    def __init__(self, photos: np.ndarray, prints: np.ndarray, every: int = 50):
        from IPython.display import display

        if every < 1:
            raise ValueError(f"every must be at least 1, got {every}")
        self.photos, self.prints, self.every = photos, prints, every
        self.handle = display(None, display_id=True)

    def render(self, model: CycleGAN, step: int) -> bytes:
        """The current samples as JPEG bytes."""
        import io

        import matplotlib.pyplot as plt

        from .plot import show_images

        to01 = lambda a: (np.asarray(a) + 1.0) / 2.0  # noqa: E731
        fake_y = to01(model.G(self.photos, training=False))
        fake_x = to01(model.F(self.prints, training=False))
        images = [*to01(self.photos), *fake_y, *to01(self.prints), *fake_x]
        n = len(self.photos)
        captions = (["photo crop"] * n + ["G(photo) → ukiyo-e"] * n
                    + ["print crop"] * len(self.prints) + ["F(print) → photo"] * len(self.prints))
        fig = show_images(images, captions, ncols=n, size=1.4,
                          title=f"step {step}: training crops and their translations")
        buf = io.BytesIO()
        fig.savefig(buf, format="jpeg", dpi=80, bbox_inches="tight", facecolor="white",
                    pil_kwargs={"quality": 80})
        plt.close(fig)
        return buf.getvalue()

    def update(self, model: CycleGAN, step: int, force: bool = False) -> None:
        from IPython.display import Image as IPyImage

        if force or step % self.every == 0:
            self.handle.update(IPyImage(data=self.render(model, step), format="jpeg"))
