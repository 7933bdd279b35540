"""helpers.evaluation on synthetic feature rows (no VGG): grouped cross-validation, the NumPy
nearest-centroid path against scikit-learn's, permutation p-values, one-group traditions
reported apart, and paired comparisons."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.neighbors import KNeighborsClassifier, NearestCentroid
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from helpers import evaluation


def corpus(n_groups=(4, 4, 4), per_group=3, separation=3.0, dim=5, seed=0):
    """Traditions a, b, c... with ``n_groups[i]`` groups of ``per_group`` works each; each
    group has its own centre around its tradition's centre (``separation`` apart)."""
    rng = np.random.default_rng(seed)
    x, y, g = [], [], []
    for t, k in enumerate(n_groups):
        label = "abcdefgh"[t]
        centre = np.zeros(dim)
        centre[t % dim] = separation
        for j in range(k):
            group_centre = centre + rng.normal(0, 0.3, dim)
            for _ in range(per_group):
                x.append(group_centre + rng.normal(0, 0.1, dim))
                y.append(label)
                g.append(f"{label}{j}")
    return np.array(x), np.array(y), np.array(g)


# ---------------------------------------------------------------- grouped cross-validation


def test_separable_traditions_are_all_predicted() -> None:
    x, y, g = corpus()
    assert (evaluation.grouped_predict(x, y, g, NearestCentroid()) == y).all()


def test_grouped_cv_does_not_reward_recognising_the_hand() -> None:
    # No tradition signal at all, but works of one group are near-copies: leave-one-out with
    # 1-NN finds a sibling every time; leaving the whole group out is back to chance.
    rng = np.random.default_rng(1)
    centres = rng.normal(0, 1, (16, 6))
    g = np.repeat(np.arange(16), 4)
    y = np.repeat(rng.permutation(np.repeat(["a", "b"], 8)), 4)
    x = centres[g] + rng.normal(0, 0.01, (64, 6))
    knn = KNeighborsClassifier(1)
    assert (evaluation.grouped_predict(x, y, None, knn) == y).mean() == 1.0
    assert (evaluation.grouped_predict(x, y, g, knn) == y).mean() < 0.75


@pytest.mark.parametrize("scaled", [False, True])
@pytest.mark.parametrize("dim", [4, 300])      # 300 > 2 x 60 rows: the row-space shortcut
def test_numpy_nearest_centroid_matches_scikit_learn(scaled: bool, dim: int) -> None:
    rng = np.random.default_rng(dim + scaled)
    x = rng.normal(0, 1, (60, dim)) * rng.uniform(0.1, 10, dim)
    y = rng.choice(["a", "b", "c"], 60)
    g = rng.integers(0, 15, 60)
    test_rows = x + rng.normal(0, 0.5, x.shape)
    fast = make_pipeline(StandardScaler(), NearestCentroid()) if scaled else NearestCentroid()
    # An identity step hides the pattern, so these go through scikit-learn, fold by fold.
    slow = make_pipeline(*([StandardScaler()] if scaled else []), FunctionTransformer(), NearestCentroid())
    assert evaluation._centroid_rule(fast) is scaled and evaluation._centroid_rule(slow) is None
    for t in (None, test_rows):
        a = evaluation.grouped_predict(x, y, g, fast, test_features=t)
        b = evaluation.grouped_predict(x, y, g, slow, test_features=t)
        assert a.tolist() == b.tolist()


def test_held_out_works_can_be_replaced_by_other_rows() -> None:
    x, y, g = corpus(n_groups=(3, 3))
    swapped = x[::-1]                   # every held-out row replaced by one of the other class
    assert (evaluation.grouped_predict(x, y, g, NearestCentroid(), test_features=swapped) != y).all()


def test_grouped_predict_refuses_bad_input() -> None:
    x, y, g = corpus(n_groups=(2, 2))
    with pytest.raises(ValueError, match="labels has 11 entries but features has 12"):
        evaluation.grouped_predict(x, y[:-1], g, NearestCentroid())
    with pytest.raises(ValueError, match="groups has 11 entries"):
        evaluation.grouped_predict(x, y, g[:-1], NearestCentroid())
    with pytest.raises(ValueError, match="features is empty"):
        evaluation.grouped_predict([], [], [], NearestCentroid())
    with pytest.raises(ValueError, match="groups: .* at least 2 groups"):
        evaluation.grouped_predict(x, y, ["one"] * 12, NearestCentroid())
    with pytest.raises(ValueError, match="groups: leaving out group"):   # a is one group
        evaluation.grouped_predict(x, y, np.where(y == "a", "a", g), KNeighborsClassifier(1))
    with pytest.raises(ValueError, match="classifier must be"):
        evaluation.grouped_predict(x, y, g, "nearest")
    with pytest.raises(ValueError, match="test_features has 3 rows"):
        evaluation.grouped_predict(x, y, g, NearestCentroid(), test_features=x[:3])


def test_split_classes_reports_a_one_group_tradition_apart() -> None:
    y = ["a"] * 4 + ["b"] * 4 + ["south-asian"] * 6
    g = ["a1", "a1", "a2", "a2", "b1", "b2", "b3", "b4"] + ["ragamala"] * 6
    testable, untestable = evaluation.split_classes(y, g)
    assert testable == ["a", "b"]
    assert untestable == {"south-asian": {"works": 6, "groups": 1}}
    assert evaluation.split_classes(y, g, min_groups=3)[0] == ["b"]


# ---------------------------------------------------------------- permutation p-values


def test_separable_problem_has_the_smallest_possible_p() -> None:
    x, y, g = corpus()
    r = evaluation.permutation_test(x, y, g, NearestCentroid(), n_permutations=199, seed=0)
    assert r["score"] == 1.0 and r["p_value"] == pytest.approx(1 / 200)
    assert r["null"].shape == (199,) and r["null"].max() < 1.0
    again = evaluation.permutation_test(x, y, g, NearestCentroid(), n_permutations=199, seed=0)
    assert np.array_equal(again["null"], r["null"])             # seeded


def test_shuffled_labels_give_a_large_p() -> None:
    x, y, g = corpus()
    rng = np.random.default_rng(5)
    keys = np.unique(g)
    random_label = dict(zip(keys, rng.permutation(np.repeat(["a", "b", "c"], 4)), strict=True))
    y_random = np.array([random_label[k] for k in g])             # labels unrelated to x
    r = evaluation.permutation_test(x, y_random, g, NearestCentroid(), n_permutations=199, seed=0)
    assert r["p_value"] > 0.2


def test_permutations_move_whole_groups() -> None:
    x, y, g = corpus(n_groups=(3, 3))
    rng = np.random.default_rng(0)
    for _ in range(20):
        yp = evaluation._permuted(y, g, "groups", rng)
        assert all(len(set(yp[g == k])) == 1 for k in np.unique(g))
        assert sorted(yp.tolist()) == sorted(y.tolist())   # equal group sizes: same counts


def test_permutation_arguments_are_checked() -> None:
    x, y, g = corpus(n_groups=(2, 2))
    mixed = np.arange(12) % 4                      # groups that mix a and b
    with pytest.raises(ValueError, match="unit='works'"):
        evaluation.permutation_test(x, y, mixed, NearestCentroid(), n_permutations=5)
    r = evaluation.permutation_test(x, y, mixed, NearestCentroid(), n_permutations=5, unit="works")
    assert 1 / 6 <= r["p_value"] <= 1
    with pytest.raises(ValueError, match="n_permutations"):
        evaluation.permutation_test(x, y, g, NearestCentroid(), n_permutations=0)
    with pytest.raises(ValueError, match="unit"):
        evaluation.permutation_test(x, y, g, NearestCentroid(), unit="artists")


# ---------------------------------------------------------------- evaluate, compare, row_space


def test_evaluate_reports_a_one_group_tradition_separately() -> None:
    x, y, g = corpus(n_groups=(4, 4, 1), per_group=3)      # c: one series of 3 pages
    ev = evaluation.evaluate(x, y, g, NearestCentroid(), n_boot=300, n_permutations=99)
    assert ev.classes == ["a", "b"] and ev.chance == 0.5
    assert ev.tested.tolist() == (y != "c").tolist()
    # 8 groups, 4 a side: 2 of the C(8, 4) = 70 ways to hand out the labels score 1 too.
    assert ev.balanced_accuracy == 1.0 and 0.01 <= ev.p_value < 0.1
    assert ev.untestable["c"]["works"] == 3 and ev.untestable["c"]["groups"] == 1
    assert sum(ev.untestable["c"]["predicted"].values()) == 3
    assert set(ev.predicted[y == "c"]) <= {"a", "b"}         # a resemblance, never "c"
    assert ev.confusion.tolist() == [[12, 0], [0, 12]] and ev.per_class == {"a": 1.0, "b": 1.0}
    assert ev.row() == {"works": 24, "groups": 8, "traditions": 2, "balanced_accuracy": 1.0,
                        "low": 1.0, "high": 1.0, "chance": 0.5, "p_value": round(ev.p_value, 4)}


def test_evaluate_is_deterministic_and_its_interval_brackets_the_estimate() -> None:
    x, y, g = corpus(separation=0.4, seed=3)
    a = evaluation.evaluate(x, y, g, NearestCentroid(), n_boot=500, n_permutations=50, seed=7)
    b = evaluation.evaluate(x, y, g, NearestCentroid(), n_boot=500, n_permutations=50, seed=7)
    assert a.row() == b.row() and np.array_equal(a.null, b.null)
    assert a.low <= a.balanced_accuracy <= a.high
    with pytest.raises(ValueError, match="labels: grouped CV needs 2 traditions"):
        evaluation.evaluate(x, y, np.where(y == "a", g, "one"), NearestCentroid(), n_permutations=5)


def test_compare_two_feature_sets_on_the_same_works() -> None:
    x, y, g = corpus()
    noise = np.random.default_rng(0).normal(0, 1, x.shape)
    good = evaluation.evaluate(x, y, g, NearestCentroid(), n_boot=300, n_permutations=20)
    bad = evaluation.evaluate(noise, y, g, NearestCentroid(), n_boot=300, n_permutations=20)
    c = evaluation.compare(good, bad, n_boot=300)
    assert c["difference"] == pytest.approx(good.balanced_accuracy - bad.balanced_accuracy)
    assert c["low"] <= c["difference"] <= c["high"] and c["low"] > 0
    assert c["b_only"] == 0 and c["a_only"] == int((bad.predicted != y).sum())
    assert c["mcnemar_p"] < 0.01
    other = evaluation.evaluate(x[:-3], y[:-3], g[:-3], NearestCentroid(), n_boot=10, n_permutations=5)
    with pytest.raises(ValueError, match="other works"):
        evaluation.compare(good, other)


def test_row_space_keeps_distances_and_nearest_centroid_predictions() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(0, 1, (30, 2000)).astype(np.float32)
    z = evaluation.row_space(x)
    assert z.shape == (30, 30)
    d = lambda a: np.linalg.norm(a[:, None] - a[None], axis=-1)   # noqa: E731
    assert np.allclose(d(z), d(x.astype(np.float64)), atol=1e-4)
    y, g = rng.choice(["a", "b"], 30), np.arange(30) % 10
    slow = make_pipeline(FunctionTransformer(), NearestCentroid())
    assert (evaluation.grouped_predict(z, y, g, slow) == evaluation.grouped_predict(x, y, g, slow)).all()
    with pytest.raises(ValueError, match="2-D"):
        evaluation.row_space(np.zeros(5))


def test_evaluate_classifies_held_out_works_from_their_test_rows() -> None:
    x, y, g = corpus(n_groups=(3, 3))
    swapped = evaluation.evaluate(x, y, g, NearestCentroid(), n_boot=100, n_permutations=20,
                                  test_features=x[::-1])       # each row is now the other class's
    assert swapped.balanced_accuracy == 0.0 and swapped.p_value == 1.0
    # Several test copies per work: repeat its training row, label and group once per copy.
    noisy = x + np.random.default_rng(2).normal(0, 3.0, x.shape)
    both = evaluation.evaluate(np.vstack([x, x]), np.tile(y, 2), np.tile(g, 2), NearestCentroid(),
                               n_boot=100, n_permutations=20, test_features=np.vstack([x, noisy]))
    alone = [evaluation.evaluate(x, y, g, NearestCentroid(), n_boot=100, n_permutations=20,
                                 test_features=t).balanced_accuracy for t in (x, noisy)]
    assert both.balanced_accuracy == pytest.approx(np.mean(alone)) and alone[1] < 1.0
    with pytest.raises(ValueError, match="test_features has 3 rows but features has 18"):
        evaluation.evaluate(x, y, g, NearestCentroid(), n_permutations=5, test_features=x[:3])


def test_permutation_test_with_test_rows_matches_grouped_predict() -> None:
    x, y, g = corpus(n_groups=(3, 3), dim=40, per_group=2)     # 40 > 12 rows: row space
    t = x + np.random.default_rng(4).normal(0, 2.0, x.shape)
    r = evaluation.permutation_test(x, y, g, NearestCentroid(), n_permutations=10, test_features=t)
    assert r["predicted"].tolist() == evaluation.grouped_predict(x, y, g, NearestCentroid(),
                                                                 test_features=t).tolist()


def test_row_space_projects_test_rows_without_changing_predictions() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(0, 1, (24, 500))
    y, g = np.repeat(["a", "b", "c"], 8), np.repeat(np.arange(12), 2)
    x[y == "b"] += 0.3
    t = x + rng.normal(0, 1.0, x.shape)                      # rows outside the span of x
    z, zt = evaluation.row_space(x, t)
    assert z.shape == (24, 24) and zt.shape == (24, 24)
    assert np.allclose(z, evaluation.row_space(x))
    # distances to every training row change by one constant per test row
    d = lambda a, b: ((a[:, None] - b[None]) ** 2).sum(-1)   # noqa: E731
    gap = d(t, x) - d(zt, z)
    assert np.allclose(gap, gap[:, :1]) and (gap > 0).all()
    for clf in (NearestCentroid(), KNeighborsClassifier(1)):
        full = evaluation.grouped_predict(x, y, g, clf, test_features=t)
        assert evaluation.grouped_predict(z, y, g, clf, test_features=zt).tolist() == full.tolist()
    with pytest.raises(ValueError, match="test_features must have 500 columns"):
        evaluation.row_space(x, t[:, :10])
