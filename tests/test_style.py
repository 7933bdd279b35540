"""helpers.style: Gram matrices and the Gatys losses."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import style


def test_gram_matrix_matches_numpy_reference() -> None:
    rng = np.random.default_rng(0)
    f = rng.standard_normal((2, 5, 7, 4)).astype(np.float32)
    flat = f.reshape(2, 35, 4)
    expected = np.einsum("npc,npd->ncd", flat, flat) / 35
    assert np.allclose(style.gram_matrix(f).numpy(), expected, atol=1e-5)


def test_gram_matrix_is_size_independent_for_a_repeated_texture() -> None:
    tile = np.random.default_rng(1).random((1, 4, 4, 3)).astype(np.float32)
    big = np.tile(tile, (1, 3, 3, 1))
    assert np.allclose(style.gram_matrix(tile).numpy(), style.gram_matrix(big).numpy(), atol=1e-5)


def test_gram_matrix_rejects_wrong_rank() -> None:
    with pytest.raises(ValueError, match=r"\(N, H, W, C\)"):
        style.gram_matrix(np.zeros((4, 4, 3)))
