"""The GAN game on toy data: the value function, the optimal discriminator, divergences,
toy mixtures and how many of their modes a generator covers.

Lesson 01 (the minimax objective). Lesson 02 and :mod:`helpers.gan` build on it: the losses
that train a GAN (``gan.discriminator_loss``, ``gan.generator_loss``) and its trainer live there.

    >>> import numpy as np
    >>> from helpers import minimax
    >>> x = np.linspace(-6, 6, 1201); dx = x[1] - x[0]
    >>> p, q = minimax.normal_pdf(x, 0, 1), minimax.normal_pdf(x, 1, 1)
    >>> d_star = minimax.optimal_discriminator(p, q)                    # p / (p + q)
    >>> v = minimax.value_numeric(d_star, p, q, dx)                     # V(D*, G) = -log 4 + 2 JSD
    >>> print(f"{v + np.log(4):.4f} {2 * minimax.jensen_shannon(p, q, dx):.4f}")
    0.2228 0.2228

Discriminators output **logits** (no sigmoid): ``D(x) = sigmoid(logit)``, so
``log D = -softplus(-logit)`` and ``log(1 - D) = -softplus(logit)``, exact and never log(0).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # keras is imported only by the functions that build networks
    import keras

__all__ = [
    "value_function", "normal_pdf", "mixture_pdf", "optimal_discriminator", "value_numeric",
    "kl_divergence", "jensen_shannon", "sample_mixture_1d", "ring_centres", "sample_ring",
    "ModeCoverage", "mode_coverage", "mlp_generator", "mlp_discriminator",
]


# --------------------------------------------------------------------------------------
# The value function, on a batch of logits and on a grid of densities
# --------------------------------------------------------------------------------------


def value_function(real_logits: Any, fake_logits: Any) -> float:
    """V(D, G) = E_x[log D(x)] + E_z[log(1 - D(G(z)))], estimated on a batch of logits.

    It is minus the discriminator's loss (``gan.discriminator_loss``): D maximises V.

    >>> round(value_function([0.0], [0.0]), 4)       # D = 1/2 everywhere: -log 4
    -1.3863
    """
    r = np.asarray(real_logits, np.float64)
    f = np.asarray(fake_logits, np.float64)
    return float(-np.mean(np.logaddexp(0.0, -r)) - np.mean(np.logaddexp(0.0, f)))  # softplus


def normal_pdf(x: np.ndarray, mean: float = 0.0, std: float = 1.0) -> np.ndarray:
    """Density of N(mean, std²) at ``x``."""
    if std <= 0:
        raise ValueError(f"std must be positive, got {std}")
    x = np.asarray(x, dtype=np.float64)
    return np.exp(-0.5 * ((x - mean) / std) ** 2) / (std * math.sqrt(2 * math.pi))


def mixture_pdf(x: np.ndarray, means: Sequence[float], stds: Sequence[float],
                weights: Sequence[float] | None = None) -> np.ndarray:
    """Density of a 1-D Gaussian mixture at ``x`` (equal weights unless given)."""
    if len(means) != len(stds) or not means:
        raise ValueError("means and stds must be non-empty and of equal length")
    w = np.full(len(means), 1 / len(means)) if weights is None else np.asarray(weights, float)
    if len(w) != len(means) or np.any(w < 0) or not np.isclose(w.sum(), 1):
        raise ValueError("weights must be non-negative, one per component, summing to 1")
    return sum(wi * normal_pdf(x, m, s) for wi, m, s in zip(w, means, stds))  # type: ignore[return-value]


def optimal_discriminator(p_data: np.ndarray, p_g: np.ndarray, eps: float = 1e-300) -> np.ndarray:
    """D*(x) = p_data(x) / (p_data(x) + p_g(x)); 1/2 where both densities vanish.

    >>> optimal_discriminator(np.array([1.0, 0.0, 3.0]), np.array([1.0, 0.0, 1.0])).tolist()
    [0.5, 0.5, 0.75]
    """
    p, q = np.asarray(p_data, np.float64), np.asarray(p_g, np.float64)
    if p.shape != q.shape:
        raise ValueError(f"densities have different shapes {p.shape} and {q.shape}")
    total = p + q
    return np.where(total > eps, p / np.maximum(total, eps), 0.5)


def _xlogy(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """x·log(y) with 0·log(0) = 0."""
    out = np.zeros_like(x, dtype=np.float64)
    mask = x > 0
    out[mask] = x[mask] * np.log(y[mask])
    return out


def value_numeric(d: np.ndarray, p_data: np.ndarray, p_g: np.ndarray, dx: float) -> float:
    """V(D, G) = ∫ p_data log D + p_g log(1 - D) dx on a uniform grid of spacing ``dx``."""
    d, p, q = (np.asarray(a, np.float64) for a in (d, p_data, p_g))
    if not (d.shape == p.shape == q.shape):
        raise ValueError("d, p_data and p_g must have the same shape")
    if np.any((d < 0) | (d > 1)):
        raise ValueError("a discriminator's output must lie in [0, 1]")
    return float(np.sum(_xlogy(p, d) + _xlogy(q, 1.0 - d)) * dx)


def kl_divergence(p: np.ndarray, q: np.ndarray, dx: float) -> float:
    """KL(p ‖ q) = ∫ p log(p / q) dx on a uniform grid (natural log, nats)."""
    p, q = np.asarray(p, np.float64), np.asarray(q, np.float64)
    mask = p > 0
    if np.any(q[mask] <= 0):
        return math.inf
    return float(np.sum(p[mask] * np.log(p[mask] / q[mask])) * dx)


def jensen_shannon(p: np.ndarray, q: np.ndarray, dx: float) -> float:
    """JSD(p ‖ q) = ½ KL(p ‖ m) + ½ KL(q ‖ m), m = (p + q)/2; between 0 and log 2.

    >>> p = np.r_[np.ones(100), np.zeros(100)]; q = p[::-1]     # disjoint, dx = 0.01
    >>> print(f"{jensen_shannon(p, q, 0.01):.4f} = log 2 = {np.log(2):.4f}")
    0.6931 = log 2 = 0.6931
    """
    p, q = np.asarray(p, np.float64), np.asarray(q, np.float64)
    m = 0.5 * (p + q)
    return 0.5 * kl_divergence(p, m, dx) + 0.5 * kl_divergence(q, m, dx)


# --------------------------------------------------------------------------------------
# Toy data: a 1-D mixture and the 2-D ring of Gaussians, and how many modes a sample covers
# --------------------------------------------------------------------------------------


def sample_mixture_1d(n: int, means: Sequence[float] = (-2.0, 2.0),
                      stds: Sequence[float] = (0.5, 0.5), seed: int | np.random.Generator = 0,
                      ) -> np.ndarray:
    """``n`` samples (n, 1) float32 from an equal-weight 1-D Gaussian mixture."""
    rng = np.random.default_rng(seed)
    k = rng.integers(len(means), size=n)
    x = np.asarray(means)[k] + np.asarray(stds)[k] * rng.standard_normal(n)
    return x[:, None].astype(np.float32)


def ring_centres(modes: int = 8, radius: float = 2.0) -> np.ndarray:
    """The centres (modes, 2) of ``modes`` Gaussians evenly spaced on a circle."""
    if modes < 1:
        raise ValueError(f"modes must be at least 1, got {modes}")
    angles = 2 * np.pi * np.arange(modes) / modes
    return (radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)).astype(np.float32)


def sample_ring(n: int, modes: int = 8, radius: float = 2.0, std: float = 0.05,
                seed: int | np.random.Generator = 0) -> np.ndarray:
    """``n`` samples (n, 2) float32 from the ring of Gaussians (the classic mode-collapse test).

    >>> sample_ring(5, seed=0).shape
    (5, 2)
    """
    rng = np.random.default_rng(seed)
    centres = ring_centres(modes, radius)
    k = rng.integers(modes, size=n)
    return (centres[k] + std * rng.standard_normal((n, 2))).astype(np.float32)


@dataclass(frozen=True)
class ModeCoverage:
    """How a set of 2-D samples covers the modes of a mixture."""

    covered: int  #: modes that received at least ``min_share`` of the samples
    modes: int  #: number of modes
    high_quality: float  #: share of samples within ``3·std`` of some mode centre
    counts: tuple[int, ...]  #: samples near each mode (within the ``within`` radius)

    def __str__(self) -> str:
        return (f"{self.covered}/{self.modes} modes covered, "
                f"{100 * self.high_quality:.0f}% of samples within 3 std of a mode")


def mode_coverage(samples: np.ndarray, centres: np.ndarray, std: float,
                  min_share: float | None = None, within: float | None = None) -> ModeCoverage:
    """Count the modes a generator covers (Metz et al., 2017, "Unrolled GANs").

    A sample is *high quality* if it lies within ``3·std`` of a centre; a mode is *covered*
    if at least ``min_share`` of all samples (default: a quarter of a fair share,
    ``1 / (4·modes)``) lie within ``within`` of it (default ``3·std``: only high-quality
    samples count). A larger ``within`` (e.g. a quarter of the distance between modes)
    separates *coverage* from *precision*: a blurry generator still covers its modes.

    >>> c = ring_centres(8); mode_coverage(np.repeat(c[:2], 50, axis=0), c, 0.05).covered
    2
    """
    samples = np.asarray(samples, np.float64)
    centres = np.asarray(centres, np.float64)
    if samples.ndim != 2 or samples.shape[1] != centres.shape[1]:
        raise ValueError(f"samples must be (n, {centres.shape[1]}), got {samples.shape}")
    k = len(centres)
    share = 1.0 / (4 * k) if min_share is None else min_share
    dist = np.linalg.norm(samples[:, None, :] - centres[None], axis=2)
    nearest = dist.argmin(axis=1)
    d_near = dist[np.arange(len(samples)), nearest]
    good = d_near <= 3 * std
    near = d_near <= (3 * std if within is None else within)
    counts = np.bincount(nearest[near], minlength=k)
    covered = int(np.sum(counts >= share * len(samples)))
    return ModeCoverage(covered, k, float(good.mean()), tuple(int(c) for c in counts))


# --------------------------------------------------------------------------------------
# Small networks for the toy data
# --------------------------------------------------------------------------------------


def mlp_generator(latent_dim: int = 2, out_dim: int = 2, hidden: int = 64, depth: int = 2,
                  name: str = "mlp_generator") -> keras.Model:
    """A small fully connected generator z (latent_dim) → x (out_dim), ReLU hidden layers."""
    import keras

    inputs = keras.Input((latent_dim,), name="z")
    x = inputs
    for i in range(depth):
        x = keras.layers.Dense(hidden, activation="relu", name=f"dense{i}")(x)
    out = keras.layers.Dense(out_dim, name="sample")(x)
    return keras.Model(inputs, out, name=name)


def mlp_discriminator(in_dim: int = 2, hidden: int = 64, depth: int = 2,
                      name: str = "mlp_discriminator") -> keras.Model:
    """A small fully connected discriminator x (in_dim) → one logit, LeakyReLU(0.2) hidden."""
    import keras

    inputs = keras.Input((in_dim,), name="x")
    x = inputs
    for i in range(depth):
        x = keras.layers.Dense(hidden, name=f"dense{i}")(x)
        x = keras.layers.LeakyReLU(0.2, name=f"lrelu{i}")(x)
    out = keras.layers.Dense(1, name="logit")(x)
    return keras.Model(inputs, out, name=name)
