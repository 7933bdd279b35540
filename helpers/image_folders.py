"""Any folder of images as a ``tf.data`` pipeline for training at scale: checked once, sharded
across workers, and resumable to the batch.

Lessons 02, 05 and 06 (the training scripts' ``--data DIR``) and appendix A1; re-exported by
:mod:`helpers.distribute`, which feeds these batches to ``strategy.run``.

* :func:`scan_images` opens every file under a folder with :func:`helpers.data.load_image`, so a
  corrupt, truncated, tiny or non-image file is reported now (:class:`FolderScan`), not mid-run;
* :func:`image_folder_dataset` makes endless batches of random crops whose batch ``k`` depends
  only on ``(seed, k)``: a resumed run sees the batches it would have seen;
* :func:`distribute_images` gives one such pipeline to every worker of a strategy.

    >>> global_index(step=2, i=1, batch=8, pipeline=1, pipelines=2)   # element 16 + 4 + 1
    21
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import data

__all__ = ["FolderScan", "scan_images", "global_index", "image_folder_dataset", "distribute_images"]




@dataclass(frozen=True)
class FolderScan:
    """The images of a folder that :func:`helpers.data.load_image` reads, and the files it refused."""

    root: Path
    good: tuple[Path, ...]
    bad: tuple[tuple[Path, str], ...]  #: (file, the loader's reason)

    def report(self, show: int = 3) -> str:
        """One line: how many images are used, how many files were skipped and the first few."""
        line = f"{self.root}: {len(self.good)} images"
        if self.bad:
            first = "; ".join(str(reason) for _, reason in self.bad[:show])
            more = f" (and {len(self.bad) - show} more)" if len(self.bad) > show else ""
            line += f", {len(self.bad)} files skipped: {first}{more}"
        return line


def scan_images(path: str | Path, min_side: int = data.MIN_SIDE, workers: int = 4) -> FolderScan:
    """Every file under ``path`` (recursively; hidden ones ignored) that loads as an image.

    Each file is decoded once by :func:`helpers.data.load_image`, so corrupt, truncated, tiny and
    non-image files are found now, with the loader's message, rather than mid-training.
    """
    root = Path(path)
    if not root.is_dir():
        raise ValueError(f"path must be a folder of images, got {root}")
    files = sorted(p for p in root.rglob("*")
                   if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts))

    def check(p: Path) -> str | None:
        try:
            data.load_image(p, max_side=max(min_side, 64), min_side=min_side)
            return None
        except data.ImageError as exc:
            return str(exc)

    with ThreadPoolExecutor(max(1, workers)) as pool:  # Pillow decodes outside the GIL
        reasons = list(pool.map(check, files))
    good = tuple(p for p, r in zip(files, reasons) if r is None)
    bad = tuple((p, r) for p, r in zip(files, reasons) if r is not None)
    if not good:
        raise ValueError(f"path holds no readable image: {FolderScan(root, good, bad).report()}")
    return FolderScan(root, good, bad)


def global_index(step: int, i: int, batch: int, pipeline: int, pipelines: int) -> int:
    """Which element of the endless stream is element ``i`` of input pipeline ``pipeline``'s share of
    global batch ``step`` (``batch`` = global batch): workers take consecutive slices of each batch."""
    share = batch // pipelines
    return step * batch + pipeline * share + i


def image_folder_dataset(images: FolderScan | str | Path, crop: int, batch: int, *, seed: int = 0,
                         start_step: int = 0, flip: bool = True, max_side: int | None = None,
                         tanh: bool = True, cache: int = 0, input_context: Any = None):  # type: ignore[no-untyped-def]
    """Endless batches of random ``crop``×``crop`` crops from a folder (or a :class:`FolderScan`).

    Epoch ``e`` visits the files in a permutation drawn from ``(seed, e)``; the crop and flip of
    stream element ``g`` are drawn from ``(seed, g)``. Batch ``k`` is elements ``k·batch …``, so
    ``start_step`` resumes exactly. Images are read by :func:`helpers.data.load_image` (EXIF,
    alpha, 16-bit handled), shrunk to ``max_side``, enlarged if a side is under ``crop``; values
    in [-1, 1] (``tanh``) or [0, 1]. ``cache`` keeps that many decoded images in memory.
    With ``input_context`` (from ``strategy.distribute_datasets_from_function``) this pipeline
    yields its per-replica batches of its worker's slice of each global batch.
    """
    import tensorflow as tf

    scan = images if isinstance(images, FolderScan) else scan_images(images, min_side=min(crop, data.MIN_SIDE))
    if crop < 1 or batch < 1 or start_step < 0:
        raise ValueError(f"crop and batch must be positive and start_step >= 0, got {crop}, {batch}, {start_step}")
    if max_side is not None and max_side < crop:
        raise ValueError(f"max_side must be at least crop={crop}, got {max_side}")
    pipelines, pipeline, per_replica = 1, 0, batch
    if input_context is not None:
        pipelines, pipeline = input_context.num_input_pipelines, input_context.input_pipeline_id
        per_replica = input_context.get_per_replica_batch_size(batch)
    if batch % pipelines:
        raise ValueError(f"batch={batch} must split evenly over {pipelines} workers")
    share = batch // pipelines
    paths = tf.constant([str(p) for p in scan.good])
    n = len(scan.good)

    @functools.lru_cache(maxsize=cache or None)
    def load(path: bytes) -> np.ndarray:
        return data.load_image(path.decode(), max_side=max_side, min_side=1)

    read = load if cache else load.__wrapped__

    def element(j):  # type: ignore[no-untyped-def]
        g = (j // share) * batch + pipeline * share + j % share  # global_index, in tensors
        perm = tf.random.experimental.stateless_shuffle(tf.range(n, dtype=tf.int64), seed=[seed, g // n])
        img = tf.numpy_function(read, [paths[perm[g % n]]], tf.float32, stateful=False)
        img = tf.ensure_shape(img, [None, None, 3])
        hw = tf.cast(tf.shape(img)[:2], tf.float32)
        scale = tf.maximum(1.0, crop / tf.reduce_min(hw))  # too small for the crop: enlarge
        img = tf.cond(scale > 1.0, lambda: tf.image.resize(img, tf.cast(tf.math.ceil(hw * scale), tf.int32)),
                      lambda: img)
        key = tf.stack([tf.cast(seed, tf.int64), g])
        img = tf.image.stateless_random_crop(img, [crop, crop, 3], seed=key)
        if flip:
            img = tf.image.stateless_random_flip_left_right(img, seed=key + 1)
        return img * 2.0 - 1.0 if tanh else img

    ds = tf.data.Dataset.range(start_step * share, 2**62)
    ds = ds.map(element, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return ds.batch(per_replica, drop_remainder=True).prefetch(tf.data.AUTOTUNE)


def distribute_images(strategy: Any, images: FolderScan | str | Path | Sequence[FolderScan | str | Path],
                      crop: int, batch: int, *, seed: int = 0, **kwargs: Any) -> Iterator[Any]:
    """An iterator of distributed global batches: :func:`image_folder_dataset` on every worker.

    A list of folders gives tuples of batches, one per folder, folder ``i`` seeded ``seed + 100·i``
    (CycleGAN's two domains)."""
    import tensorflow as tf

    many = isinstance(images, (list, tuple))
    scans = [s if isinstance(s, FolderScan) else scan_images(s, min_side=min(crop, data.MIN_SIDE))
             for s in (images if many else [images])]

    def pipelines(ctx):  # type: ignore[no-untyped-def]
        sets = tuple(image_folder_dataset(s, crop, batch, seed=seed + 100 * i, input_context=ctx, **kwargs)
                     for i, s in enumerate(scans))
        return tf.data.Dataset.zip(sets) if many else sets[0]

    return iter(strategy.distribute_datasets_from_function(pipelines))
