"""Statistics that a small, clustered sample can carry: balanced accuracy with bootstrap
intervals that resample groups, paired comparisons, and the mean of orientations.

Lesson 07 (and its solutions); :mod:`helpers.evaluation` builds grouped cross-validation on
these. NumPy in and out; SciPy and scikit-learn are imported inside the functions that need them.

Works by one artist, or sections of one scroll, are not independent, so every interval here
resamples **groups** (artist or series; ``groups=None``: single works) with replacement:

* :func:`balanced_accuracy` (mean of the per-tradition recalls of :func:`per_class_accuracy`;
  chance = 1/k) and :func:`bootstrap_interval`, its interval for fixed predictions;
  :func:`confusion` matrices and :func:`chance_levels` of plain accuracy;
* two classifiers on the same works: the exact McNemar test (:func:`mcnemar`) and the
  difference of balanced accuracies with a paired interval (:func:`paired_bootstrap`);
* :func:`bootstrap_mean`: any per-work measure (empty space, say) with its interval;
* :func:`axial_mean`: orientations, where 0° and 180° are the same line (doubled angles).

Every random draw comes from ``numpy.random.default_rng`` seeded by the ``seed`` argument:
the same seed gives the same numbers, whatever the global state (``runtime.setup`` seeds that).

    >>> from helpers import stats
    >>> round(stats.axial_mean([10, 190])["mean_deg"], 6)
    10.0
    >>> stats.balanced_accuracy(["a", "a", "a", "b"], ["a", "a", "a", "a"])
    0.5
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

__all__ = ["chance_levels", "confusion", "per_class_accuracy", "balanced_accuracy",
           "bootstrap_interval", "mcnemar", "paired_bootstrap", "bootstrap_mean", "axial_mean"]


def _lengths(name: str, values: Sequence, labels: Sequence | None,
             groups: Sequence | None) -> tuple[np.ndarray, np.ndarray]:
    """``labels`` and ``groups`` (``None``: one group per entry) as arrays as long as
    ``values``, or a ValueError naming the one that is not."""
    n = len(values)
    if n == 0:
        raise ValueError(f"{name} is empty")
    y = np.zeros(n) if labels is None else np.asarray(labels)
    if y.ndim != 1 or len(y) != n:
        raise ValueError(f"labels has {y.size} entries but {name} has {n}")
    g = np.arange(n) if groups is None else np.asarray(groups)
    if g.ndim != 1 or len(g) != n:
        raise ValueError(f"groups has {g.size} entries but {name} has {n}")
    return y, g


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng([int(seed), 1])


def chance_levels(labels: Sequence[str]) -> dict[str, float]:
    """Accuracy of guessing: always the largest tradition (``majority``), or at random in
    proportion to the tradition sizes (``proportional``, Σ pᵢ²)."""
    counts = np.array(list(Counter(labels).values()), dtype=float)
    p = counts / counts.sum()
    return {"majority": float(p.max()), "proportional": float((p**2).sum())}


def confusion(labels: Sequence[str], predicted: Sequence[str], classes: Sequence[str]) -> np.ndarray:
    """Confusion matrix (rows: true tradition, columns: predicted), scikit-learn's."""
    from sklearn.metrics import confusion_matrix

    return confusion_matrix(labels, predicted, labels=list(classes))


def per_class_accuracy(labels: Sequence[str], predicted: Sequence[str],
                       classes: Sequence[str] | None = None) -> dict[str, float]:
    """Share of each tradition's works predicted as that tradition (its recall), for
    ``classes`` in their order (default: every label, in order of first appearance)."""
    y, p = np.asarray(labels), np.asarray(predicted)
    order = dict.fromkeys(y.tolist()) if classes is None else classes
    return {t: float((p[y == t] == t).mean()) for t in order}


def balanced_accuracy(labels: Sequence, predicted: Sequence,
                      classes: Sequence | None = None) -> float:
    """Mean over traditions of the share of their works predicted correctly (chance: 1/k).

    ``classes``: the traditions to average over (default: every label present). Unlike plain
    accuracy it does not reward always guessing the largest tradition.

    >>> balanced_accuracy(["a", "a", "a", "b"], ["a", "a", "a", "a"])
    0.5
    """
    p = np.asarray(predicted)
    y, _ = _lengths("predicted", p, labels, None)
    classes = sorted(set(y.tolist())) if classes is None else list(classes)
    missing = [c for c in classes if not (y == c).any()]
    if missing or not classes:
        raise ValueError(f"classes {missing or classes} have no works among labels")
    recall = per_class_accuracy(y, p)
    return float(np.mean([recall[c] for c in classes]))


def _units(labels: np.ndarray, groups: np.ndarray, correct: np.ndarray) -> dict:
    """Per tradition: each group's (works, correct) counts, the units the bootstrap resamples."""
    out = {}
    for c in sorted(set(labels.tolist())):
        m = labels == c
        gs = sorted(set(groups[m].tolist()))
        n = np.array([(m & (groups == k)).sum() for k in gs], dtype=float)
        out[c] = (n, np.stack([[(correct[i][m & (groups == k)]).sum() for k in gs]
                               for i in range(len(correct))]).astype(float))
    return out


def _boot_recalls(units: dict, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """(n_predictions, n_boot) bootstrap balanced accuracies: each tradition's groups drawn
    with replacement (as many as it has), the same draw for every set of predictions."""
    total = 0.0
    for n, k in units.values():
        idx = rng.integers(0, len(n), size=(n_boot, len(n)))
        total = total + k[:, idx].sum(-1) / n[idx].sum(-1)
    return total / len(units)


def _check_boot(n_boot: int, level: float) -> None:
    if n_boot < 1:
        raise ValueError(f"n_boot must be at least 1, got {n_boot}")
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")


def _interval(samples: np.ndarray, level: float) -> tuple[float, float]:
    lo, hi = np.quantile(samples, [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)


def bootstrap_interval(labels: Sequence, predicted: Sequence, groups: Sequence | None = None,
                       n_boot: int = 2000, level: float = 0.95, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of :func:`balanced_accuracy` for fixed out-of-fold
    predictions.

    Resamples **groups** (``groups=None``: single works) with replacement within each
    tradition, so every tradition stays in every resample and works of one artist or series
    come and go together: with clustered works this is wider, and more honest, than
    resampling works.
    """
    _check_boot(n_boot, level)
    p = np.asarray(predicted)
    y, g = _lengths("predicted", p, labels, groups)
    boots = _boot_recalls(_units(y, g, (p == y)[None]), n_boot, _rng(seed))[0]
    return _interval(boots, level)


def mcnemar(correct_a: Sequence[bool], correct_b: Sequence[bool]) -> dict[str, float]:
    """Exact McNemar test of two classifiers on the same works: only the works on which they
    disagree count (``a_only`` right by A alone, ``b_only`` by B alone); under "equally good"
    each such work is a fair coin, so p is the two-sided binomial probability (SciPy).

    It treats works as independent; with clustered works prefer :func:`paired_bootstrap`'s
    interval, which resamples groups.

    >>> r = mcnemar([True] * 9 + [False], [False] * 9 + [True])
    >>> r["a_only"], r["b_only"], round(r["p_value"], 4)
    (9, 1, 0.0215)
    """
    from scipy.stats import binomtest

    a, b = np.asarray(correct_a, dtype=bool), np.asarray(correct_b, dtype=bool)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"correct_b has shape {b.shape} but correct_a has {a.shape}")
    a_only, b_only = int((a & ~b).sum()), int((~a & b).sum())
    p = binomtest(a_only, a_only + b_only, 0.5).pvalue if a_only + b_only else 1.0
    return {"a_only": a_only, "b_only": b_only, "both": int((a & b).sum()),
            "neither": int((~a & ~b).sum()), "p_value": float(p)}


def paired_bootstrap(labels: Sequence, predicted_a: Sequence, predicted_b: Sequence,
                     groups: Sequence | None = None, n_boot: int = 2000, level: float = 0.95,
                     seed: int = 0) -> dict[str, float]:
    """Difference of balanced accuracies A − B on the same works, with a paired bootstrap
    interval: each resample draws groups within each tradition (as :func:`bootstrap_interval`)
    and scores both classifiers on the same draw. An interval that contains 0 means the data
    cannot tell the two apart. Returns ``{"difference", "low", "high"}``.
    """
    _check_boot(n_boot, level)
    pa, pb = np.asarray(predicted_a), np.asarray(predicted_b)
    if len(pb) != len(pa):
        raise ValueError(f"predicted_b has {len(pb)} entries but predicted_a has {len(pa)}")
    y, g = _lengths("predicted_a", pa, labels, groups)
    boots = _boot_recalls(_units(y, g, np.stack([pa == y, pb == y])), n_boot, _rng(seed))
    low, high = _interval(boots[0] - boots[1], level)
    diff = balanced_accuracy(y, pa) - balanced_accuracy(y, pb)
    return {"difference": float(diff), "low": low, "high": high}


def bootstrap_mean(values: Sequence[float], groups: Sequence | None = None, n_boot: int = 2000,
                   level: float = 0.95, seed: int = 0) -> dict[str, float]:
    """Mean of a per-work measure (e.g. empty space) with a percentile bootstrap interval that
    resamples groups (``groups=None``: works). Returns ``{"mean", "low", "high", "n"}``.

    >>> r = bootstrap_mean([0.2, 0.4, 0.6, 0.8])
    >>> round(r["mean"], 2), r["low"] < 0.5 < r["high"]
    (0.5, True)
    """
    _check_boot(n_boot, level)
    v = np.asarray(values, dtype=float)
    if v.ndim != 1:
        raise ValueError(f"values must be one number per work, got shape {v.shape}")
    _, g = _lengths("values", v, None, groups)
    if not np.isfinite(v).all():
        raise ValueError("values contains NaN or infinite entries")
    keys = list(dict.fromkeys(g.tolist()))
    sums = np.array([v[g == k].sum() for k in keys])
    counts = np.array([(g == k).sum() for k in keys], dtype=float)
    idx = _rng(seed).integers(0, len(keys), size=(n_boot, len(keys)))
    low, high = _interval(sums[idx].sum(1) / counts[idx].sum(1), level)
    return {"mean": float(v.mean()), "low": low, "high": high, "n": len(v)}


def axial_mean(angles_deg: Sequence[float], weights: Sequence[float] | None = None) -> dict[str, float]:
    """Mean direction of *axial* data (orientations, where θ and θ + 180° are the same line)
    by doubling the angles: the mean of exp(2iθ), halved back.

    Returns ``mean_deg`` in [0, 180), ``resultant`` R in [0, 1] (1: all parallel, 0: no
    preferred direction, and then ``mean_deg`` is NaN), ``spread_deg`` = √(−2 ln R) / 2 (the
    circular standard deviation, in degrees of orientation) and ``n``. NaN angles (images
    without strokes) are left out. A plain mean or median of 10° and 170° says 90°; the
    axial mean says 0°.

    >>> r = axial_mean([10, 170]); round(r["mean_deg"], 6) % 180, round(r["resultant"], 3)
    (0.0, 0.94)
    """
    a = np.asarray(angles_deg, dtype=float).ravel()
    w = np.ones_like(a) if weights is None else np.asarray(weights, dtype=float).ravel()
    if w.shape != a.shape:
        raise ValueError(f"weights has {w.size} entries but angles_deg has {a.size}")
    if (w < 0).any():
        raise ValueError("weights must be non-negative")
    keep = np.isfinite(a) & (w > 0)
    if not keep.any():
        raise ValueError("angles_deg has no finite angle with a positive weight")
    z = (w[keep] * np.exp(2j * np.radians(a[keep]))).sum() / w[keep].sum()
    r = float(min(abs(z), 1.0))
    mean = float(np.degrees(np.angle(z)) / 2 % 180) if r > 1e-12 else float("nan")
    spread = float(np.degrees(np.sqrt(-2 * np.log(r))) / 2) if r > 1e-12 else float("inf")
    return {"mean_deg": mean, "resultant": r, "spread_deg": spread, "n": int(keep.sum())}
