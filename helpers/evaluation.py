"""Grouped cross-validation of a tradition classifier, with an interval and a p-value for
every accuracy, and paired comparisons of feature sets.

Lesson 07 (and its solutions). NumPy in and out; scikit-learn is imported inside the
functions that need it; the intervals and tests themselves live in :mod:`helpers.stats`.
Nothing here knows about images: features are rows (or any list the classifier accepts).

Works by one artist, or sections of one scroll, are not independent: a classifier that has
seen a work's siblings recognises the hand, not the tradition. So:

* :func:`grouped_predict`: leave one ``group`` (artist or series) out at a time;
* :func:`split_classes`: a tradition with fewer than two groups cannot be tested that way
  (holding out its one group leaves nothing of it to learn from); it is reported apart,
  never folded into a total;
* :func:`permutation_test`: a p-value from re-running the whole grouped cross-validation on
  labels shuffled between groups;
* :func:`evaluate` does all of it for one feature set (balanced accuracy, group-bootstrap
  interval, p-value, per-tradition recall and confusion) and :func:`compare` pairs two;
* :func:`row_space`: an exact, much smaller copy of long feature rows (Gram vectors) for
  classifiers that only see distances.

The default classifiers of :func:`helpers.culture.make_classifier` (nearest centroid, alone or
after a ``StandardScaler``) are cross-validated in NumPy, giving scikit-learn's predictions
many times faster; any other estimator is cloned and fitted fold by fold.

    >>> import numpy as np
    >>> from sklearn.neighbors import NearestCentroid
    >>> x = np.array([[0.0], [0.1], [0.2], [0.3], [1.0], [1.1], [1.2], [1.3]])
    >>> y = ["a"] * 4 + ["b"] * 4
    >>> groups = ["a1", "a1", "a2", "a2", "b1", "b1", "b2", "b2"]
    >>> grouped_predict(x, y, groups, NearestCentroid()).tolist()
    ['a', 'a', 'a', 'a', 'b', 'b', 'b', 'b']
    >>> r = permutation_test(x, y, groups, NearestCentroid(), n_permutations=99)
    >>> r["score"], r["p_value"]        # 2 groups a side: 1 in 3 shuffles is as good
    (1.0, 0.37)
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .stats import (balanced_accuracy, bootstrap_interval, confusion, mcnemar, paired_bootstrap,
                    per_class_accuracy)

__all__ = [
    "fit_clone", "split_classes", "grouped_predict", "permutation_test", "row_space",
    "Evaluation", "evaluate", "compare",
]


def _n_rows(features: Any, name: str = "features") -> int:
    try:
        n = len(features)
    except TypeError:
        raise ValueError(f"{name} must be an array of rows or a list, got "
                         f"{type(features).__name__}") from None
    if n == 0:
        raise ValueError(f"{name} is empty")
    return n


def _take(features: Any, index: np.ndarray) -> Any:
    """Rows ``index`` of an array, or the items of a list (e.g. images of different sizes)."""
    if isinstance(features, np.ndarray):
        return features[index]
    return [features[int(i)] for i in index]


def _columns(features: Any, labels: Sequence,
             groups: Sequence | None) -> tuple[int, np.ndarray, np.ndarray]:
    """Row count, labels and groups (``None``: one group per work), or a ValueError naming
    the argument whose length differs."""
    n = _n_rows(features)
    y = np.asarray(labels)
    if y.ndim != 1 or len(y) != n:
        raise ValueError(f"labels has {y.size} entries but features has {n} rows")
    g = np.arange(n) if groups is None else np.asarray(groups)
    if g.ndim != 1 or len(g) != n:
        raise ValueError(f"groups has {g.size} entries but features has {n} rows")
    return n, y, g


def fit_clone(classifier: Any, features: Any, labels: Sequence) -> Any:
    """A fresh copy of ``classifier`` (scikit-learn's ``clone``) fitted on ``features``,
    ``labels``; the estimator passed in is never changed.

    scikit-learn's notice that a feature is constant within a class is silenced: it is true of
    many Gram entries and does not change nearest-centroid predictions.
    """
    from sklearn.base import clone

    if not (hasattr(classifier, "fit") and hasattr(classifier, "predict")):
        raise ValueError(f"classifier must be a scikit-learn estimator (with fit and predict), "
                         f"got {type(classifier).__name__}")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*within_class_std_dev_.*", category=UserWarning)
        return clone(classifier).fit(features, np.asarray(labels))


def split_classes(labels: Sequence, groups: Sequence,
                     min_groups: int = 2) -> tuple[list, dict[str, dict[str, int]]]:
    """Split the traditions into those grouped cross-validation can test and the rest.

    A tradition whose works all come from fewer than ``min_groups`` groups (e.g. six pages of
    one series) has nothing left to learn from when its group is held out: every one of its
    works is misclassified by construction. Returns ``(testable, untestable)``: the testable
    labels (sorted) and ``{label: {"works": n, "groups": k}}`` for the others.

    >>> split_classes(["a", "a", "b", "b", "c"], ["a1", "a2", "b1", "b2", "c1"])
    (['a', 'b'], {'c': {'works': 1, 'groups': 1}})
    """
    y, g = np.asarray(labels), np.asarray(groups)
    if len(y) != len(g):
        raise ValueError(f"groups has {len(g)} entries but labels has {len(y)}")
    if min_groups < 1:
        raise ValueError(f"min_groups must be at least 1, got {min_groups}")
    testable, untestable = [], {}
    for c in sorted(set(y.tolist())):
        k = len(set(g[y == c].tolist()))
        if k >= min_groups:
            testable.append(c)
        else:
            untestable[c] = {"works": int((y == c).sum()), "groups": k}
    return testable, untestable


def _centroid_rule(classifier: Any) -> bool | None:
    """``False`` for scikit-learn's default ``NearestCentroid()``, ``True`` for a pipeline of a
    default ``StandardScaler()`` and it (what :func:`grouped_predict` computes in NumPy);
    ``None`` for any other estimator."""
    from sklearn.neighbors import NearestCentroid
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    def default(est: Any, kind: type) -> bool:
        return type(est) is kind and est.get_params() == kind().get_params()

    if default(classifier, NearestCentroid):
        return False
    if type(classifier) is Pipeline and len(classifier.steps) == 2:
        first, last = (step for _, step in classifier.steps)
        if default(first, StandardScaler) and default(last, NearestCentroid):
            return True
    return None


def _centroid_folds(x: np.ndarray, y: np.ndarray, g: np.ndarray, xt: np.ndarray,
                    scale: bool) -> np.ndarray:
    """Leave-one-group-out nearest-centroid predictions (Euclidean; per-fold standardised
    columns when ``scale``), as scikit-learn fits them fold by fold, for every fold at once:
    a fold's class sums are the totals less its own group's."""
    classes, yi = np.unique(y, return_inverse=True)
    keys, gi = np.unique(g, return_inverse=True)
    x, xt = np.asarray(x, np.float64), np.asarray(xt, np.float64)
    if not scale and x.shape[1] > 2 * len(x):      # distances only: the short exact copy
        z = row_space(np.vstack([x, xt]))
        x, xt = z[:len(x)], z[len(x):]
    n, k = len(x), len(classes)
    cell = np.zeros((n, len(keys) * k))
    cell[np.arange(n), gi * k + yi] = 1.0
    counts = cell.sum(0).reshape(-1, k)                          # (groups, classes)
    train_counts = counts.sum(0)[None] - counts
    single = np.flatnonzero((train_counts > 0).sum(1) < 2)
    if len(single):
        raise ValueError(f"groups: leaving out group {keys[single[0]]!r} leaves a single "
                         "tradition to train on")
    sums = (cell.T @ x).reshape(len(keys), k, -1)
    centres = (sums.sum(0)[None] - sums) / np.maximum(train_counts, 1)[..., None]
    q = xt
    if scale:                    # each fold's column spread, from sums less the group's own
        mu = x.mean(0)
        member = cell.reshape(n, -1, k).sum(2)                    # (n, groups)
        s1, s2 = member.T @ (x - mu), member.T @ (x - mu) ** 2
        rest = (n - member.sum(0))[:, None]
        m1 = (s1.sum(0)[None] - s1) / rest
        sd = np.sqrt(np.maximum((s2.sum(0)[None] - s2) / rest - m1 ** 2, 0.0))
        sd = np.where(sd > 1e-12 * np.maximum(1.0, np.abs(m1 + mu)), sd, 1.0)
        q, centres = xt / sd[gi], centres / sd[:, None, :]
    c = centres[gi]                                               # each row's fold: (n, k, d)
    d = (q * q).sum(1)[:, None] - 2 * np.einsum("nd,nkd->nk", q, c) + (c * c).sum(2)
    d[train_counts[gi] == 0] = np.inf
    return classes[d.argmin(1)]


def grouped_predict(features: Any, labels: Sequence, groups: Sequence | None, classifier: Any,
                    test_features: Any = None) -> np.ndarray:
    """Out-of-fold predictions of leave-one-group-out cross-validation (scikit-learn's
    ``LeaveOneGroupOut``): each work is classified by a copy of ``classifier`` fitted on
    every work *outside its group*. ``groups=None`` makes every work its own group
    (leave-one-out).

    ``features``: an array of rows, or a list (e.g. of images, for an estimator that takes
    images). With ``test_features`` (same rows), held-out works are classified from their
    row there (e.g. a tile-shuffled version); training always uses ``features``.
    """
    from sklearn.model_selection import LeaveOneGroupOut
    from threadpoolctl import threadpool_limits

    n, y, g = _columns(features, labels, groups)
    xt = features if test_features is None else test_features
    if _n_rows(xt, "test_features") != n:
        raise ValueError(f"test_features has {len(xt)} rows but features has {n}")
    if len(set(g.tolist())) < 2:
        raise ValueError("groups: grouped cross-validation needs at least 2 groups")
    rule = _centroid_rule(classifier)
    # One native thread: folds are small, and starting threads costs more than they save
    # (a whole cross-validation 12x faster on two busy cores).
    if rule is not None and isinstance(features, np.ndarray) and isinstance(xt, np.ndarray) \
            and features.ndim == 2 and xt.shape == features.shape:
        with threadpool_limits(1):
            return _centroid_folds(features, y, g, xt, rule)
    out = np.empty(n, dtype=y.dtype if y.dtype.kind in "US" else object)
    with threadpool_limits(1):
        for train, test in LeaveOneGroupOut().split(np.zeros(n), y, g):
            if len(set(y[train].tolist())) < 2:
                raise ValueError(f"groups: leaving out group {g[test[0]]!r} leaves a single "
                                 "tradition to train on")
            fit = fit_clone(classifier, _take(features, train), y[train])
            out[test] = fit.predict(_take(xt, test))
    return out


def _permuted(y: np.ndarray, g: np.ndarray, unit: str, rng: np.random.Generator) -> np.ndarray:
    if unit == "works":
        return rng.permutation(y)
    _, first, inverse = np.unique(g, return_index=True, return_inverse=True)
    order = np.argsort(first)                # the groups in order of first appearance
    moved = rng.permutation(y[first[order]])
    return moved[np.argsort(order)[inverse.ravel()]]


def permutation_test(features: Any, labels: Sequence, groups: Sequence | None, classifier: Any,
                     n_permutations: int = 1000, seed: int = 0, unit: str = "groups",
                     progress: bool = False, test_features: Any = None) -> dict[str, Any]:
    """Label-permutation p-value of the grouped cross-validated balanced accuracy.

    The labels are shuffled ``n_permutations`` times and the whole grouped cross-validation
    re-run on each shuffle (same folds). ``unit="groups"`` (default) shuffles the labels *of
    groups*, so each artist or series keeps one label and each tradition keeps its number of
    groups; it needs every group to hold one tradition. ``unit="works"`` shuffles single works.
    p = (1 + #{null ≥ observed}) / (1 + n_permutations), never below 1 / (1 + n_permutations).
    Shuffles come from ``numpy.random.default_rng([seed, 2])``. ``test_features``: as for
    :func:`grouped_predict` (held-out works classified from their row there). Returns
    ``{"score", "p_value", "null", "predicted"}`` (the observed out-of-fold predictions).
    """
    from threadpoolctl import threadpool_limits
    from .runtime import progress as tqdm  # a bar a saved notebook shows in its final state

    if n_permutations < 1:
        raise ValueError(f"n_permutations must be at least 1, got {n_permutations}")
    if unit not in ("groups", "works"):
        raise ValueError(f"unit must be 'groups' or 'works', got {unit!r}")
    n, y, g = _columns(features, labels, groups)
    if unit == "groups":
        mixed = [k for k in dict.fromkeys(g.tolist()) if len(set(y[g == k].tolist())) > 1]
        if mixed:
            raise ValueError(f"groups {mixed[:3]} hold works of several traditions: permute "
                             "with unit='works'")
    xt = features if test_features is None else test_features
    rule = _centroid_rule(classifier)
    if rule is not None and isinstance(features, np.ndarray) and isinstance(xt, np.ndarray) \
            and features.ndim == 2 and xt.shape == features.shape:
        if rule is False and features.shape[1] > n:  # once, not once per shuffle
            z = row_space(features if test_features is None else np.vstack([features, xt]))
            features, xt = z[:n], z[-n:]

        def predict(labels_now: np.ndarray) -> np.ndarray:
            return _centroid_folds(features, labels_now, g, xt, rule)
    else:
        def predict(labels_now: np.ndarray) -> np.ndarray:
            return grouped_predict(features, labels_now, g, classifier, test_features=xt)
    predicted = predict(y)
    score = balanced_accuracy(y, predicted)
    rng = np.random.default_rng([int(seed), 2])
    null = np.empty(n_permutations)
    with threadpool_limits(1):   # small matrices: one native thread is fastest (see above)
        for i in tqdm(range(n_permutations), desc="permutations", leave=False, disable=not progress):
            yp = _permuted(y, g, unit, rng)
            null[i] = balanced_accuracy(yp, predict(yp))
    p = (1 + int((null >= score - 1e-12).sum())) / (1 + n_permutations)
    return {"score": score, "p_value": float(p), "null": null, "predicted": predicted}


def row_space(features: np.ndarray, test_features: np.ndarray | None = None) -> Any:
    """The rows in an orthonormal basis of their own span: (n, r), r ≤ n, with the same
    pairwise distances and dot products as ``features`` (to float64 rounding).

    A classifier that sees only distances or dot products (nearest centroid, k-NN; *not* a
    per-column ``StandardScaler``) predicts the same on it, far faster: 100 Gram vectors of
    300 000 numbers become 100 × 100. No label is used, so no fold learns from another.

    With ``test_features`` (m, D), returns ``(z, zt)``: ``zt`` holds those rows projected
    onto the same span. A test row's squared distance to any point of the span (every
    centroid or training row) changes by one constant, its squared distance to the span, so
    nearest-centroid and k-NN predictions from :func:`grouped_predict` with ``test_features``
    stay the same; only n × (n + m) dot products are computed, not (n + m)².

    >>> x = np.random.default_rng(0).random((5, 1000))
    >>> z = row_space(x); z.shape, np.allclose(z @ z.T, x @ x.T)
    ((5, 5), True)
    """
    x = np.asarray(features)
    if x.ndim != 2 or len(x) == 0:
        raise ValueError(f"features must be a non-empty 2-D array of rows, got shape {x.shape}")
    t = np.zeros((0, x.shape[1])) if test_features is None else np.asarray(test_features)
    if t.ndim != 2 or t.shape[1] != x.shape[1]:
        raise ValueError(f"test_features must have {x.shape[1]} columns like features, "
                         f"got shape {t.shape}")
    k = np.zeros((len(x), len(x)))
    kt = np.zeros((len(t), len(x)))
    for j in range(0, x.shape[1], 32768):  # float64 dot products without a float64 copy of x
        block = x[:, j:j + 32768].astype(np.float64)
        k += block @ block.T
        if len(t):
            kt += t[:, j:j + 32768].astype(np.float64) @ block.T
    vals, vecs = np.linalg.eigh(k)
    keep = vals > max(vals.max(), 0.0) * 1e-12
    z = (vecs[:, keep] * np.sqrt(vals[keep]))[:, ::-1]
    if test_features is None:
        return z
    return z, (kt @ vecs[:, keep] / np.sqrt(vals[keep]))[:, ::-1]


@dataclass
class Evaluation:
    """What :func:`evaluate` measured for one feature set on one set of works."""

    labels: np.ndarray          # every work's tradition (n,)
    groups: np.ndarray          # every work's group (n,)
    tested: np.ndarray          # bool (n,): in a tradition grouped CV can test
    predicted: np.ndarray       # (n,) out-of-fold for tested works; for the others, the
                                # prediction of a classifier fitted on every tested work
    classes: list               # the tested traditions, sorted (rows of ``confusion``)
    balanced_accuracy: float
    accuracy: float             # plain share of tested works right (for comparison only)
    low: float                  # bootstrap interval of the balanced accuracy
    high: float
    p_value: float              # group-label permutation, see permutation_test
    chance: float               # 1 / len(classes)
    per_class: dict             # tradition -> recall
    confusion: np.ndarray       # rows: true tradition, columns: predicted (``classes``)
    untestable: dict            # tradition -> {"works", "groups", "predicted": {label: count}}
    null: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0))
    settings: dict = field(default_factory=dict)

    def row(self) -> dict[str, Any]:
        """One line of a results table (rounded to 3 decimals, p to 4)."""
        t = self.tested
        return {"works": int(t.sum()), "groups": len(set(self.groups[t].tolist())),
                "traditions": len(self.classes), "balanced_accuracy": round(self.balanced_accuracy, 3),
                "low": round(self.low, 3), "high": round(self.high, 3),
                "chance": round(self.chance, 3), "p_value": round(self.p_value, 4)}


def evaluate(features: Any, labels: Sequence, groups: Sequence, classifier: Any,
             n_boot: int = 2000, n_permutations: int = 1000, level: float = 0.95, seed: int = 0,
             min_groups: int = 2, progress: bool = False, test_features: Any = None) -> Evaluation:
    """Everything lesson 07 reports for one feature set: leave-one-group-out predictions,
    balanced accuracy with a group-bootstrap interval (:func:`helpers.stats.bootstrap_interval`)
    and a group-permutation p-value (:func:`permutation_test`), per-tradition recall, confusion.

    Traditions with fewer than ``min_groups`` groups are left out of training and of every
    number (:func:`split_classes`) and reported in ``untestable``, with what a classifier
    fitted on all the tested works calls their works (a resemblance, not a test).
    ``test_features`` (same rows as ``features``): every work is classified from its row there
    (e.g. a tile-shuffled copy; several copies per work: repeat the work's row, label and
    group once per copy), the classifiers are trained on ``features``.
    """
    n, y, g = _columns(features, labels, groups)
    xt = features if test_features is None else test_features
    if _n_rows(xt, "test_features") != n:
        raise ValueError(f"test_features has {len(xt)} rows but features has {n}")
    testable, untestable = split_classes(y, g, min_groups)
    if len(testable) < 2:
        raise ValueError(f"labels: grouped CV needs 2 traditions with {min_groups}+ groups each, "
                         f"found {testable}")
    tested = np.isin(y, testable)
    x, yt, gt = _take(features, np.flatnonzero(tested)), y[tested], g[tested]
    perm = permutation_test(x, yt, gt, classifier, n_permutations, seed, "groups", progress,
                            test_features=None if test_features is None
                            else _take(xt, np.flatnonzero(tested)))
    pred = np.empty(n, dtype=object)
    pred[tested] = perm["predicted"]
    if untestable:
        pred[~tested] = fit_clone(classifier, x, yt).predict(_take(xt, np.flatnonzero(~tested)))
        for c, info in untestable.items():
            info["predicted"] = dict(Counter(pred[y == c].tolist()).most_common())
    pred = pred.astype(str) if y.dtype.kind in "US" else pred
    low, high = bootstrap_interval(yt, pred[tested], gt, n_boot, level, seed)
    return Evaluation(
        labels=y, groups=g, tested=tested, predicted=pred, classes=testable,
        balanced_accuracy=perm["score"], accuracy=float((pred[tested] == yt).mean()),
        low=low, high=high, p_value=perm["p_value"], chance=1.0 / len(testable),
        per_class=per_class_accuracy(yt, pred[tested], testable),
        confusion=confusion(yt, pred[tested], testable), untestable=untestable,
        null=perm["null"], settings={"n_boot": n_boot, "n_permutations": n_permutations,
                                     "level": level, "seed": seed, "min_groups": min_groups})


def compare(a: Evaluation, b: Evaluation, n_boot: int = 2000, level: float = 0.95,
            seed: int = 0) -> dict[str, float]:
    """Paired comparison of two :class:`Evaluation` of the same works (e.g. Gram against
    colour): the difference of balanced accuracies A − B with a paired group-bootstrap
    interval (:func:`helpers.stats.paired_bootstrap`) and the exact McNemar p-value
    (:func:`helpers.stats.mcnemar`, which treats works as independent). Returns
    ``{"difference", "low", "high", "mcnemar_p", "a_only", "b_only"}``."""
    same = (np.array_equal(a.labels, b.labels) and np.array_equal(a.groups, b.groups)
            and np.array_equal(a.tested, b.tested))
    if not same:
        raise ValueError("b was evaluated on other works than a (labels, groups or tested differ)")
    t, y = a.tested, a.labels[a.tested]
    diff = paired_bootstrap(y, a.predicted[t], b.predicted[t], a.groups[t], n_boot, level, seed)
    mc = mcnemar(a.predicted[t] == y, b.predicted[t] == y)
    return {**diff, "mcnemar_p": mc["p_value"], "a_only": mc["a_only"], "b_only": mc["b_only"]}
