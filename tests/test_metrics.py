"""helpers.metrics, the measures of generated samples lesson 02 uses: VGG embeddings, KID,
nearest-neighbour distances, precision and recall."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import metrics


def test_kid_is_near_zero_for_the_same_distribution() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(300, 10)), rng.normal(size=(300, 10))
    shifted = rng.normal(0.5, 1, size=(300, 10))
    same, diff = metrics.kid(a, b), metrics.kid(a, shifted)
    assert abs(same) < 0.02 and diff > 10 * abs(same) and diff > 0.05
    with pytest.raises(ValueError, match="same d"):
        metrics.kid(a, rng.normal(size=(5, 3)))
    with pytest.raises(ValueError, match="two samples"):
        metrics.kid(a[:1], b)


def test_nearest_neighbour_distances() -> None:
    ref = np.array([[0.0, 0.0], [3.0, 4.0]])
    d = metrics.nearest_neighbour_distances(np.array([[0.0, 0.0], [3.0, 0.0]]), ref)
    assert np.allclose(d, [0.0, 3.0])


def test_precision_recall_sees_collapse_and_blur() -> None:
    rng = np.random.default_rng(0)
    real = rng.normal(size=(300, 4))
    collapsed = real[:5].repeat(60, axis=0) + 0.01 * rng.normal(size=(300, 4))
    blurred = 4 * rng.normal(size=(300, 4))
    pr_c, pr_b = metrics.precision_recall(real, collapsed), metrics.precision_recall(real, blurred)
    assert pr_c["precision"] > 0.9 and pr_c["recall"] < 0.2
    assert pr_b["precision"] < 0.5
    with pytest.raises(ValueError, match="k=3"):
        metrics.precision_recall(real[:3], collapsed)


def test_vgg_embedding_shape() -> None:
    emb = metrics.vgg_embedding(np.random.default_rng(0).random((3, 32, 32, 3)), size=32)
    assert emb.shape == (3, 128 + 256 + 512)
    with pytest.raises(ValueError, match="images01"):
        metrics.vgg_embedding(np.zeros((32, 32, 3)))


def test_nearest_labels_counts_the_modes_a_sample_covers() -> None:
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    reference = np.concatenate([c + rng.normal(size=(20, 2)) for c in centres])
    labels = np.repeat([0, 1, 2], 20)
    spread = np.concatenate([c + rng.normal(size=(5, 2)) for c in centres])
    collapsed = centres[1] + rng.normal(size=(15, 2))
    assert sorted(set(metrics.nearest_labels(spread, reference, labels))) == [0, 1, 2]
    assert set(metrics.nearest_labels(collapsed, reference, labels)) == {1}
    with pytest.raises(ValueError, match="one label per reference"):
        metrics.nearest_labels(spread, reference, labels[:-1])


def test_checkerboard_sees_a_grid_tied_to_the_pixels_not_content() -> None:
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:256, :256]
    content = 0.5 + 0.3 * np.sin(xx / 5.0)[..., None] * np.ones(3)  # smooth, not periodic in 4 px
    grid = content.copy()
    grid[::4, ::4] += 0.05                                            # one pixel in 16 brighter
    noisy = np.clip(content + rng.normal(0, 0.05, content.shape), 0, 1)
    plain, gridded, noise = (metrics.checkerboard(im) for im in (content, grid, noisy))
    assert plain < 1.0 and gridded > 10 * plain and noise < gridded / 2
    assert metrics.checkerboard((grid * 255).astype(np.uint8)) == pytest.approx(gridded, rel=0.05)
    with pytest.raises(ValueError, match="period"):
        metrics.checkerboard(content, period=1)
