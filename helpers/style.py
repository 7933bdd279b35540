"""Gatys-style losses: Gram matrices of VGG16 features, and the style and content losses.

The Gram matrix of a feature map F with C channels at N = H·W positions is

    G = Fᵀ F / N        (C × C; entry (i, j) is the mean over positions of F_i · F_j)

Dividing by N makes G independent of image size, so a style measured at 512 px can be
compared with one at 256 px. (Without it, style losses grow with the image and the weights
that balanced content and style at one size are wrong at another: a classic bug.)

    >>> import numpy as np
    >>> f = np.ones((1, 4, 4, 3), np.float32)
    >>> gram_matrix(f).numpy()[0]
    array([[1., 1., 1.],
           [1., 1., 1.],
           [1., 1., 1.]], dtype=float32)
"""

from __future__ import annotations

import tensorflow as tf


def gram_matrix(features) -> tf.Tensor:  # type: ignore[no-untyped-def]
    """Size-normalised Gram matrices of a batch of feature maps (N, H, W, C) → (N, C, C)."""
    x = tf.convert_to_tensor(features, dtype=tf.float32)
    if x.shape.rank != 4:
        raise ValueError(f"expected feature maps of shape (N, H, W, C), got {x.shape}")
    positions = tf.cast(tf.shape(x)[1] * tf.shape(x)[2], tf.float32)
    return tf.einsum("nhwc,nhwd->ncd", x, x) / positions
