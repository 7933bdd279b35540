"""helpers.minimax: the value function, D* and the JSD identity, toy data, mode coverage, MLPs."""

from __future__ import annotations

import math

import numpy as np
import pytest

from helpers import minimax


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def test_value_function_matches_the_formula_with_probabilities() -> None:
    assert minimax.value_function(np.zeros(5), np.zeros(5)) == pytest.approx(-math.log(4), abs=1e-12)
    rng = np.random.default_rng(0)
    r, f = rng.normal(1, 2, 7), rng.normal(-1, 2, 7)
    expected = np.mean(np.log(_sigmoid(r))) + np.mean(np.log(1 - _sigmoid(f)))
    assert minimax.value_function(r, f) == pytest.approx(expected, rel=1e-9)
    assert np.isfinite(minimax.value_function([800.0], [-800.0]))  # no log(0) for extreme logits


def test_value_function_is_minus_the_discriminator_loss() -> None:
    from helpers import gan

    rng = np.random.default_rng(1)
    r, f = rng.normal(size=9).astype(np.float32), rng.normal(size=9).astype(np.float32)
    assert minimax.value_function(r, f) == pytest.approx(-float(gan.discriminator_loss(r, f)), rel=1e-5)


def test_optimal_discriminator_and_the_jsd_identity() -> None:
    x = np.linspace(-10, 10, 4001)
    dx = x[1] - x[0]
    p = minimax.mixture_pdf(x, [-2, 2], [0.5, 0.5])
    q = minimax.normal_pdf(x, 0.5, 1.5)
    d = minimax.optimal_discriminator(p, q)
    v_star = minimax.value_numeric(d, p, q, dx)
    assert v_star == pytest.approx(-math.log(4) + 2 * minimax.jensen_shannon(p, q, dx), abs=1e-9)
    # D* is the best discriminator: any other does worse
    for other in (np.full_like(d, 0.5), np.clip(d + 0.05, 0, 1), _sigmoid(x)):
        assert minimax.value_numeric(other, p, q, dx) < v_star
    # identical densities: D* = 1/2, V = -log 4, JSD = 0
    assert np.allclose(minimax.optimal_discriminator(p, p), 0.5)
    assert minimax.jensen_shannon(p, p, dx) == pytest.approx(0.0, abs=1e-12)


def test_jsd_bounds_and_validation() -> None:
    p = np.r_[np.ones(100), np.zeros(100)]
    assert minimax.jensen_shannon(p, p[::-1], 0.01) == pytest.approx(math.log(2), abs=1e-9)
    assert minimax.kl_divergence(p, p[::-1], 0.01) == math.inf
    with pytest.raises(ValueError, match="same shape"):
        minimax.value_numeric(np.zeros(3), np.zeros(3), np.zeros(4), 0.1)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        minimax.value_numeric(np.full(3, 1.5), np.zeros(3), np.zeros(3), 0.1)
    with pytest.raises(ValueError, match="std must be positive"):
        minimax.normal_pdf(np.zeros(2), 0, 0)
    with pytest.raises(ValueError, match="weights"):
        minimax.mixture_pdf(np.zeros(2), [0, 1], [1, 1], weights=[0.9, 0.9])


def test_ring_and_mode_coverage() -> None:
    centres = minimax.ring_centres(8, radius=2.0)
    assert centres.shape == (8, 2)
    assert np.allclose(np.linalg.norm(centres, axis=1), 2.0)
    data = minimax.sample_ring(4000, std=0.05, seed=1)
    cov = minimax.mode_coverage(data, centres, std=0.05)
    assert cov.covered == 8 and cov.high_quality > 0.98
    collapsed = np.repeat(centres[:3], 100, axis=0)
    assert minimax.mode_coverage(collapsed, centres, 0.05).covered == 3
    noise = np.random.default_rng(0).uniform(-3, 3, (1000, 2))
    assert minimax.mode_coverage(noise, centres, 0.05).high_quality < 0.1
    with pytest.raises(ValueError, match="samples must be"):
        minimax.mode_coverage(np.zeros((5, 3)), centres, 0.05)


def test_mixture_sampler_is_seeded() -> None:
    a, b = minimax.sample_mixture_1d(100, seed=3), minimax.sample_mixture_1d(100, seed=3)
    assert a.shape == (100, 1) and np.array_equal(a, b)


def test_mlp_shapes() -> None:
    g = minimax.mlp_generator(latent_dim=3, out_dim=2, hidden=8, depth=2)
    d = minimax.mlp_discriminator(in_dim=2, hidden=8, depth=3)
    x = np.asarray(g(np.zeros((5, 3), np.float32)))
    assert x.shape == (5, 2) and tuple(d(x).shape) == (5, 1)
