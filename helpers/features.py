"""VGG16 features from the course's own copy of the ImageNet weights.

Lessons 00, 03 and 06 (and, through helpers.style, helpers.metrics and helpers.culture,
lessons 02, 04, 05 and 07).

The weights (``data/weights/vgg16_to_conv5_1_fp16.npz``, VGG authors, CC BY 4.0) hold the
11 convolution layers up to ``block5_conv1``; nothing is downloaded.

    >>> from helpers import features
    >>> vgg = features.FeatureExtractor(["block1_conv1", "block4_conv2"])
    >>> acts = vgg(np.zeros((64, 64, 3), np.float32))        # one image, values in [0, 1]
    >>> {k: tuple(v.shape) for k, v in acts.items()}
    {'block1_conv1': (1, 64, 64, 64), 'block4_conv2': (1, 8, 8, 512)}
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .data import DATA_DIR

__all__ = [
    "WEIGHTS_PATH", "WEIGHTS_SHA256", "VGG16_LAYOUT", "LAYERS", "STYLE_LAYERS", "CONTENT_LAYER",
    "CAFFE_MEAN_BGR", "WeightsError", "sha256_of", "load_vgg16_weights", "preprocess_caffe",
    "deprocess_caffe", "build_vgg16", "FeatureExtractor", "get_extractor",
]

WEIGHTS_PATH: Path = DATA_DIR / "weights" / "vgg16_to_conv5_1_fp16.npz"
WEIGHTS_SHA256 = "95b54218ed675ceec9f045520bd82152923bf95225c3cbb9d7eb5f230aa7156e"

#: (layer name, output channels) in order; "pool" marks a 2×2 max-pool.
VGG16_LAYOUT: tuple[tuple[str, int], ...] = (
    ("block1_conv1", 64), ("block1_conv2", 64), ("pool", 0),
    ("block2_conv1", 128), ("block2_conv2", 128), ("pool", 0),
    ("block3_conv1", 256), ("block3_conv2", 256), ("block3_conv3", 256), ("pool", 0),
    ("block4_conv1", 512), ("block4_conv2", 512), ("block4_conv3", 512), ("pool", 0),
    ("block5_conv1", 512),
)
LAYERS: tuple[str, ...] = tuple(n for n, _ in VGG16_LAYOUT if n != "pool")
#: Gatys et al.'s choice: style from the first conv of each block, content from conv4_2.
STYLE_LAYERS: tuple[str, ...] = (
    "block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1",
)
CONTENT_LAYER: str = "block4_conv2"

#: ImageNet channel means in BGR order, pixel range 0-255 (the Caffe convention).
CAFFE_MEAN_BGR = np.array([103.939, 116.779, 123.68], dtype=np.float32)


class WeightsError(RuntimeError):
    """The VGG16 weight file is missing or is not the file the course ships."""


def sha256_of(path: str | Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@functools.lru_cache(maxsize=2)
def load_vgg16_weights(path: str | Path = WEIGHTS_PATH,
                       sha256: str = WEIGHTS_SHA256) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Read and verify the VGG16 weights: ``{layer: (kernel HWIO float32, bias float32)}``.

    Raises :class:`WeightsError` if the file is missing or its sha256 differs from the
    published one (a corrupted copy, or a different file).
    """
    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"{path}: VGG16 weight file not found (it ships in data/weights/)")
    actual = sha256_of(path)
    if actual != sha256:
        raise WeightsError(
            f"{path}: sha256 is {actual}, expected {sha256}. The file is corrupted or not the "
            "course's VGG16 weights; restore it from the repository (git checkout data/)."
        )
    with np.load(path) as npz:
        return {
            name: (npz[f"{name}/kernel"].astype(np.float32), npz[f"{name}/bias"].astype(np.float32))
            for name in LAYERS
        }


def preprocess_caffe(images):  # type: ignore[no-untyped-def]
    """RGB in [0, 1] → the Caffe input VGG16 was trained on: BGR, 0-255, mean subtracted.

    Works on NumPy arrays and TensorFlow tensors of shape (..., 3).

    >>> np.round(preprocess_caffe(np.ones((1, 1, 3), np.float32)).astype(float), 3).tolist()
    [[[151.061, 138.221, 131.32]]]
    """
    bgr = images[..., ::-1] * 255.0
    return bgr - CAFFE_MEAN_BGR


def deprocess_caffe(x: np.ndarray) -> np.ndarray:
    """Inverse of :func:`preprocess_caffe`, clipped to [0, 1]."""
    rgb = (np.asarray(x, dtype=np.float32) + CAFFE_MEAN_BGR)[..., ::-1] / 255.0
    return np.clip(rgb, 0.0, 1.0)


def build_vgg16(
    outputs: Sequence[str] = STYLE_LAYERS + (CONTENT_LAYER,),
    dtype: str = "float32",
    pooling: str = "max",
):  # type: ignore[no-untyped-def]
    """A Keras model: Caffe-preprocessed images (N, H, W, 3) → a dict of named activations.

    Only the layers up to the deepest requested one are built (the rest would be wasted
    work). ``dtype="bfloat16"`` computes in bfloat16 with float32 weights and float32
    outputs (Keras' ``mixed_bfloat16`` policy); ``pooling="avg"`` swaps max-pooling for
    average pooling, which Gatys et al. found gives smoother syntheses.
    """
    import keras

    unknown = [n for n in outputs if n not in LAYERS]
    if unknown:
        raise ValueError(f"unknown VGG16 layers {unknown}; choose from {list(LAYERS)}")
    if not outputs:
        raise ValueError("ask for at least one layer")
    if dtype not in ("float32", "bfloat16"):
        raise ValueError(f"dtype must be 'float32' or 'bfloat16', got {dtype!r}")
    if pooling not in ("max", "avg"):
        raise ValueError(f"pooling must be 'max' or 'avg', got {pooling!r}")
    policy = "mixed_bfloat16" if dtype == "bfloat16" else "float32"
    weights = load_vgg16_weights()
    deepest = max(LAYERS.index(n) for n in outputs)

    inputs = keras.Input(shape=(None, None, 3), name="caffe_bgr")
    x = inputs
    acts = {}
    n_pool = 0
    for name, channels in VGG16_LAYOUT:
        if name == "pool":
            n_pool += 1
            pool = keras.layers.MaxPooling2D if pooling == "max" else keras.layers.AveragePooling2D
            x = pool(2, name=f"block{n_pool}_pool", dtype=policy)(x)
            continue
        layer = keras.layers.Conv2D(channels, 3, padding="same", activation="relu",
                                    name=name, dtype=policy)
        x = layer(x)
        layer.set_weights(list(weights[name]))
        if name in outputs:
            acts[name] = keras.layers.Activation("linear", dtype="float32", name=f"{name}_out")(x)
        if LAYERS.index(name) == deepest:
            break
    model = keras.Model(inputs, {n: acts[n] for n in outputs}, name=f"vgg16_{dtype}")
    model.trainable = False
    return model


class FeatureExtractor:
    """Named VGG16 activations of images given as RGB in [0, 1].

    Calling it with a NumPy array (H, W, 3) or a batch (N, H, W, 3) returns a dict
    ``{layer: tf.Tensor (N, h, w, c)}`` in float32; inside a ``tf.GradientTape`` the
    gradient flows back to the input image. The forward pass runs in a ``tf.function``
    (about 2× faster than eager on a CPU).
    """

    def __init__(self, layers: Sequence[str] = STYLE_LAYERS + (CONTENT_LAYER,),
                 dtype: str = "float32", pooling: str = "max"):
        import tensorflow as tf

        self.layers = tuple(layers)
        self.dtype = dtype
        self.model = build_vgg16(self.layers, dtype=dtype, pooling=pooling)
        self._forward = tf.function(self._call, reduce_retracing=True)

    def _call(self, images):  # type: ignore[no-untyped-def]
        return self.model(preprocess_caffe(images), training=False)

    def __call__(self, images):  # type: ignore[no-untyped-def]
        import tensorflow as tf

        x = tf.convert_to_tensor(images, dtype=tf.float32)
        if x.shape.rank == 3:
            x = x[None]
        if x.shape.rank != 4 or x.shape[-1] != 3:
            raise ValueError(f"expected images of shape (H, W, 3) or (N, H, W, 3), got {x.shape}")
        return self._forward(x)

    def numpy(self, images) -> dict[str, np.ndarray]:  # type: ignore[no-untyped-def]
        """Like calling the extractor, but returns NumPy arrays."""
        return {k: v.numpy() for k, v in self(images).items()}


@functools.lru_cache(maxsize=4)
def get_extractor(layers: tuple[str, ...] = STYLE_LAYERS + (CONTENT_LAYER,),
                  dtype: str = "float32", pooling: str = "max") -> FeatureExtractor:
    """A shared, cached :class:`FeatureExtractor` (building one takes a second or two)."""
    return FeatureExtractor(layers, dtype=dtype, pooling=pooling)
