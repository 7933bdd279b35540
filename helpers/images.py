"""Image utilities every lesson shares: checking, resizing, value ranges, crops, tiles, colour.

Lessons 02–08 (each function has one home here; the lessons' modules import it).
NumPy in and out; TensorFlow is imported only inside :func:`resize_to` / :func:`resize_exact`.

    >>> import numpy as np
    >>> from helpers import images
    >>> img = images.check_image(np.full((4, 6, 3), 255, np.uint8))   # uint8 is 0–255
    >>> img.dtype, float(img.max())
    (dtype('float32'), 1.0)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = [
    "check_image", "resize_to", "resize_exact", "to_unit", "to_tanh",
    "random_crop", "CropSampler", "tile_shuffle", "tile_rotate",
    "rgb_to_yiq", "yiq_to_rgb", "luminance", "preserve_color", "match_color",
]

_RGB2YIQ = np.array([[0.299, 0.587, 0.114],
                     [0.595716, -0.274453, -0.321263],
                     [0.211456, -0.522591, 0.311135]])
_YIQ2RGB = np.linalg.inv(_RGB2YIQ)


# --------------------------------------------------------------------------------------
# Checking what comes in
# --------------------------------------------------------------------------------------


def check_image(image: np.ndarray, name: str = "image", min_side: int = 1) -> np.ndarray:
    """``image`` as float32 RGB (H, W, 3) in [0, 1], or a ``ValueError`` naming ``name``.

    Accepts what scikit-image users pass: uint8 (0–255) and uint16 (0–65535) images are
    scaled to [0, 1]; floats must already lie in [0, 1] (a rounding slack of 1e-3 is
    clipped). Greyscale (H, W) or (H, W, 1) images are repeated to three channels.

    >>> check_image(np.zeros((2, 3)), "photo").shape
    (2, 3, 3)
    >>> check_image(np.full((8, 8, 3), 2.0), "photo")
    Traceback (most recent call last):
    ...
    ValueError: photo must hold values in [0, 1] (got 2…2); pass uint8 for 0–255 images
    """
    arr = np.asarray(image)
    if arr.dtype == np.uint8:
        arr = arr.astype(np.float32) / 255.0
    elif arr.dtype == np.uint16:
        arr = arr.astype(np.float32) / 65535.0
    elif arr.dtype == bool or not np.issubdtype(arr.dtype, np.number):
        raise ValueError(f"{name} must be a numeric image array, got dtype {arr.dtype}")
    arr = arr.astype(np.float32, copy=False)
    if arr.ndim == 2:
        arr = arr[..., None]
    if arr.ndim != 3 or arr.shape[2] not in (1, 3):
        raise ValueError(f"{name} must be an RGB image of shape (H, W, 3), got {np.shape(image)}")
    if arr.shape[2] == 1:
        arr = np.repeat(arr, 3, axis=2)
    if min(arr.shape[:2]) < max(1, min_side):
        raise ValueError(f"{name} is too small: {arr.shape[0]}×{arr.shape[1]} px, "
                         f"need at least {max(1, min_side)} px a side")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    lo, hi = float(arr.min()), float(arr.max())
    if lo < -1e-3 or hi > 1 + 1e-3:
        raise ValueError(f"{name} must hold values in [0, 1] (got {lo:.3g}…{hi:.3g}); "
                         "pass uint8 for 0–255 images")
    return np.clip(arr, 0.0, 1.0)


# --------------------------------------------------------------------------------------
# Sizes
# --------------------------------------------------------------------------------------


def resize_exact(image: np.ndarray, hw: tuple[int, int]) -> np.ndarray:
    """Resize to exactly (height, width) = ``hw`` (bilinear, antialiased), clipped to [0, 1]."""
    import tensorflow as tf  # lazy: the rest of this module needs no TensorFlow

    out = tf.image.resize(np.asarray(image, np.float32)[None], tuple(int(v) for v in hw),
                          method="bilinear", antialias=True)[0]
    return np.clip(out.numpy(), 0.0, 1.0)


def resize_to(image: np.ndarray, size: int) -> np.ndarray:
    """Resize (up or down, keeping the aspect ratio) so the longer side is ``size`` px."""
    if int(size) < 1:
        raise ValueError(f"size must be a positive number of pixels, got {size!r}")
    h, w = np.shape(image)[:2]
    scale = int(size) / max(h, w)
    hw = (max(1, round(h * scale)), max(1, round(w * scale)))
    if hw == (h, w):
        return np.asarray(image, np.float32)
    return resize_exact(image, hw)


# --------------------------------------------------------------------------------------
# Value ranges: GANs work in [-1, 1] (tanh), everything else in [0, 1]
# --------------------------------------------------------------------------------------


def to_tanh(images01: np.ndarray) -> np.ndarray:
    """[0, 1] → [-1, 1] (a generator's tanh range).

    >>> to_tanh(np.array([0.0, 0.5, 1.0])).tolist()
    [-1.0, 0.0, 1.0]
    """
    return (np.asarray(images01, np.float32) * 2.0 - 1.0).astype(np.float32)


def to_unit(images_tanh: np.ndarray) -> np.ndarray:
    """[-1, 1] → [0, 1], clipped: what a tanh generator outputs, ready to show.

    >>> to_unit(np.array([-1.0, 0.0, 1.0, 3.0])).tolist()
    [0.0, 0.5, 1.0, 1.0]
    """
    return np.clip((np.asarray(images_tanh, np.float32) + 1.0) / 2.0, 0.0, 1.0)


# --------------------------------------------------------------------------------------
# Crops and tiles
# --------------------------------------------------------------------------------------


def random_crop(image: np.ndarray, crop: int, rng: np.random.Generator, flip: bool = True) -> np.ndarray:
    """A random ``crop``×``crop`` square of ``image`` (mirrored left–right half the time if ``flip``).

    >>> random_crop(np.zeros((40, 50, 3)), 32, np.random.default_rng(0)).shape
    (32, 32, 3)
    """
    h, w = np.shape(image)[:2]
    if h < crop or w < crop:
        raise ValueError(f"image {np.shape(image)} is smaller than crop={crop}")
    y, x = int(rng.integers(0, h - crop + 1)), int(rng.integers(0, w - crop + 1))
    out = image[y: y + crop, x: x + crop]
    return out[:, ::-1] if flip and rng.random() < 0.5 else out


class CropSampler:
    """Random square crops (with random left–right flips) from a list of images, in [-1, 1].

    The course's one crop sampler: CycleGAN and AdaIN/StyleGAN training draw batches from it.

    >>> s = CropSampler([np.zeros((40, 50, 3), np.float32)], crop=32, seed=0)
    >>> s.sample(2).shape
    (2, 32, 32, 3)
    """

    def __init__(self, images: Sequence[np.ndarray], crop: int, seed: int = 0, flip: bool = True):
        if crop < 8:
            raise ValueError(f"crop must be at least 8 px, got {crop}")
        if not len(images):
            raise ValueError("images is empty: no images to sample from")
        checked = []
        for i, img in enumerate(images):
            arr = check_image(img, f"images[{i}]")
            if min(arr.shape[:2]) < crop:
                raise ValueError(f"images[{i}] has shape {arr.shape}; both sides must be ≥ crop={crop}")
            checked.append(to_tanh(arr))
        self.images, self.crop, self.flip = checked, int(crop), flip
        self.rng = np.random.default_rng(seed)

    def sample(self, batch: int = 1) -> np.ndarray:
        """``batch`` crops, (batch, crop, crop, 3), float32 in [-1, 1]."""
        out = np.empty((batch, self.crop, self.crop, 3), np.float32)
        for b in range(batch):
            img = self.images[self.rng.integers(len(self.images))]
            out[b] = random_crop(img, self.crop, self.rng, self.flip)
        return out


def _tiles(image: np.ndarray, grid: int) -> list[np.ndarray]:
    """The ``grid``×``grid`` tiles of ``image`` (cropped to a multiple of ``grid``), row by row."""
    img = np.asarray(image)
    if img.ndim != 3:
        raise ValueError(f"image must have shape (H, W, C), got {img.shape}")
    if not isinstance(grid, (int, np.integer)) or grid < 1:
        raise ValueError(f"grid must be a positive integer, got {grid!r}")
    th, tw = img.shape[0] // grid, img.shape[1] // grid
    if th < 1 or tw < 1:
        raise ValueError(f"image {img.shape[:2]} is too small for a {grid}×{grid} grid")
    return [img[r * th:(r + 1) * th, c * tw:(c + 1) * tw] for r in range(grid) for c in range(grid)]


def _assemble(tiles: Sequence[np.ndarray], grid: int) -> np.ndarray:
    rows = [np.concatenate(tiles[r * grid:(r + 1) * grid], axis=1) for r in range(grid)]
    return np.concatenate(rows, axis=0)


def tile_shuffle(image: np.ndarray, grid: int = 4, seed: int = 0) -> np.ndarray:
    """Cut ``image`` into ``grid``×``grid`` tiles and put them back in a random order.

    Texture inside each tile survives; the composition (what is where) does not. The image
    is cropped to a multiple of ``grid`` first. Never returns the original order (for
    ``grid`` ≥ 2). The course's one tile shuffler (lessons 03 and 07); :func:`tile_rotate`
    is its seam-only control.

    >>> img = np.arange(16, dtype=np.float32).reshape(4, 4, 1).repeat(3, 2)
    >>> out = tile_shuffle(img, 2, seed=1)
    >>> sorted(out[..., 0].ravel().tolist()) == sorted(img[..., 0].ravel().tolist())
    True
    """
    tiles = _tiles(image, grid)
    rng = np.random.default_rng(seed)
    order = np.arange(len(tiles))
    while grid > 1 and np.array_equal(order, np.arange(len(tiles))):
        order = rng.permutation(len(tiles))
    return _assemble([tiles[i] for i in order], grid)


def tile_rotate(image: np.ndarray, grid: int = 4) -> np.ndarray:
    """Turn every tile of a ``grid``×``grid`` cut half a turn (180°) in its own place.

    The seam-only control of :func:`tile_shuffle`: the same cut, so the same hard seams
    between tiles, and the same stroke orientations (a line turned 180° is the same line),
    but every tile stays where it was, so the composition at the scale of the grid is kept.
    Cropped to a multiple of ``grid`` as :func:`tile_shuffle` is.

    >>> img = np.arange(16, dtype=np.float32).reshape(4, 4, 1)
    >>> tile_rotate(img, 2)[..., 0].astype(int).tolist()
    [[5, 4, 7, 6], [1, 0, 3, 2], [13, 12, 15, 14], [9, 8, 11, 10]]
    """
    return _assemble([t[::-1, ::-1] for t in _tiles(image, grid)], grid)


# --------------------------------------------------------------------------------------
# Colour: luminance transfer and colour matching (Gatys et al. 2016, preserving colour)
# --------------------------------------------------------------------------------------


def rgb_to_yiq(image: np.ndarray) -> np.ndarray:
    """RGB (…, 3) → YIQ (…, 3): Y luminance in [0, 1], I and Q chrominance."""
    return (np.asarray(image, np.float64) @ _RGB2YIQ.T).astype(np.float32)


def yiq_to_rgb(image: np.ndarray) -> np.ndarray:
    """YIQ (…, 3) → RGB (…, 3), not clipped."""
    return (np.asarray(image, np.float64) @ _YIQ2RGB.T).astype(np.float32)


def luminance(image: np.ndarray) -> np.ndarray:
    """The Y channel of an RGB image, as a grey RGB image (…, 3)."""
    y = rgb_to_yiq(image)[..., :1]
    return np.repeat(y, 3, axis=-1)


def preserve_color(stylised: np.ndarray, content: np.ndarray) -> np.ndarray:
    """Keep the content's colours: luminance (Y of YIQ) from ``stylised``, chrominance (I, Q)
    from ``content`` (resized to ``stylised``'s shape if it differs).

    The "luminance-only transfer" of Gatys et al. (2016); the other recipe recolours the
    style image first with :func:`match_color`.

    >>> grey = np.full((4, 4, 3), 0.5, np.float32); red = np.zeros((4, 4, 3), np.float32)
    >>> red[..., 0] = 1.0
    >>> out = preserve_color(grey, red)
    >>> bool(out[0, 0, 0] > out[0, 0, 1])     # the red hue comes back
    True
    """
    stylised = np.asarray(stylised, np.float32)
    content = np.asarray(content, np.float32)
    if content.shape[:2] != stylised.shape[:2]:
        content = resize_exact(content, stylised.shape[:2])
    yiq = np.concatenate([rgb_to_yiq(stylised)[..., :1], rgb_to_yiq(content)[..., 1:]], axis=-1)
    return np.clip(yiq_to_rgb(yiq), 0.0, 1.0).astype(np.float32)


def match_color(source: np.ndarray, reference: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    """Recolour ``source`` so its RGB mean and covariance equal ``reference``'s.

    A linear map x ↦ A (x − μ_s) + μ_r with A = Σ_r^½ Σ_s^−½ (symmetric square roots), the
    "colour histogram matching" of Gatys et al. (2016, *Preserving colour in neural artistic
    style transfer*). Used to give a style image the content photo's colours, and as the
    colour-only baseline of lesson 05.
    """
    src = np.asarray(source, np.float64).reshape(-1, 3)
    ref = np.asarray(reference, np.float64).reshape(-1, 3)
    mu_s, mu_r = src.mean(0), ref.mean(0)
    cov_s = np.cov(src, rowvar=False) + eps * np.eye(3)
    cov_r = np.cov(ref, rowvar=False) + eps * np.eye(3)

    def sqrtm(c: np.ndarray, inverse: bool = False) -> np.ndarray:
        vals, vecs = np.linalg.eigh(c)
        vals = np.clip(vals, eps, None)
        return (vecs * (vals ** (-0.5 if inverse else 0.5))) @ vecs.T

    a = sqrtm(cov_r) @ sqrtm(cov_s, inverse=True)
    out = (src - mu_s) @ a.T + mu_r
    return np.clip(out.reshape(np.shape(source)), 0.0, 1.0).astype(np.float32)
