"""helpers.stats: known answers for balanced accuracy, group-bootstrap intervals, McNemar,
paired differences, bootstrap means and axial (orientation) means."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import stats

# ---------------------------------------------------------------- accuracy and confusion


def test_chance_levels() -> None:
    ch = stats.chance_levels(["a"] * 3 + ["b"])
    assert ch["majority"] == 0.75 and ch["proportional"] == pytest.approx(0.625)


def test_confusion_and_per_class_accuracy() -> None:
    y, p = ["a", "a", "b", "b"], ["a", "b", "b", "b"]
    assert stats.confusion(y, p, ["a", "b"]).tolist() == [[1, 1], [0, 2]]
    assert stats.per_class_accuracy(y, p) == {"a": 0.5, "b": 1.0}
    assert list(stats.per_class_accuracy(y, p, ["b", "a"])) == ["b", "a"]


def test_balanced_accuracy_does_not_reward_the_majority_guess() -> None:
    y = ["big"] * 9 + ["small"]
    always_big = ["big"] * 10
    assert np.mean(np.array(y) == np.array(always_big)) == 0.9
    assert stats.balanced_accuracy(y, always_big) == 0.5
    assert stats.balanced_accuracy(y, y) == 1.0
    assert stats.balanced_accuracy(y, always_big, classes=["big"]) == 1.0


def test_balanced_accuracy_refuses_bad_input() -> None:
    with pytest.raises(ValueError, match="labels has 2 entries but predicted has 3"):
        stats.balanced_accuracy(["a", "b"], ["a", "b", "b"])
    with pytest.raises(ValueError, match="classes"):
        stats.balanced_accuracy(["a", "b"], ["a", "b"], classes=["a", "c"])


# ---------------------------------------------------------------- bootstrap intervals


def test_perfect_predictions_have_a_point_interval() -> None:
    y = ["a"] * 5 + ["b"] * 5
    assert stats.bootstrap_interval(y, y, n_boot=200) == (1.0, 1.0)


def test_bootstrap_interval_is_seeded_and_brackets_the_estimate() -> None:
    rng = np.random.default_rng(0)
    y = np.repeat(["a", "b", "c"], 20)
    p = np.where(rng.random(60) < 0.6, y, "a")
    est = stats.balanced_accuracy(y, p)
    lo, hi = stats.bootstrap_interval(y, p, n_boot=500, seed=1)
    assert lo < est < hi and hi - lo < 0.5
    assert stats.bootstrap_interval(y, p, n_boot=500, seed=1) == (lo, hi)
    assert stats.bootstrap_interval(y, p, n_boot=500, seed=2) != (lo, hi)


def test_resampling_groups_is_wider_than_resampling_works_when_works_cluster() -> None:
    # 2 traditions x 6 groups x 5 works; each group is all right or all wrong together.
    y = np.repeat(["a", "b"], 30)
    groups = np.repeat(np.arange(12), 5)
    right_group = np.array([1, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0, 0], bool)
    p = np.where(right_group[groups], y, np.where(y == "a", "b", "a"))
    works = stats.bootstrap_interval(y, p, None, n_boot=2000)
    grouped = stats.bootstrap_interval(y, p, groups, n_boot=2000)
    assert grouped[1] - grouped[0] > 1.5 * (works[1] - works[0])


def test_bootstrap_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="groups has 3 entries but predicted has 4"):
        stats.bootstrap_interval(list("aabb"), list("aabb"), [0, 1, 2])
    with pytest.raises(ValueError, match="n_boot"):
        stats.bootstrap_interval(list("aabb"), list("aabb"), n_boot=0)
    with pytest.raises(ValueError, match="level"):
        stats.bootstrap_interval(list("aabb"), list("aabb"), level=95)


# ---------------------------------------------------------------- paired tests


def test_mcnemar_on_a_known_table() -> None:
    # 9 works right by A only, 1 by B only: p = 2 * P(X <= 1 | n=10, 1/2) = 2 * 11 / 1024.
    a = [True] * 9 + [False] + [True] * 5 + [False] * 3
    b = [False] * 9 + [True] + [True] * 5 + [False] * 3
    r = stats.mcnemar(a, b)
    assert (r["a_only"], r["b_only"], r["both"], r["neither"]) == (9, 1, 5, 3)
    assert r["p_value"] == pytest.approx(22 / 1024)
    assert stats.mcnemar(b, a)["p_value"] == pytest.approx(22 / 1024)
    assert stats.mcnemar([True, False], [True, False])["p_value"] == 1.0
    with pytest.raises(ValueError, match="correct_b"):
        stats.mcnemar([True, False], [True])


def test_paired_bootstrap_known_differences() -> None:
    y = np.repeat(["a", "b"], 6)
    groups = np.repeat(np.arange(6), 2)
    wrong = np.where(y == "a", "b", "a")
    same = stats.paired_bootstrap(y, y, y, groups, n_boot=200)
    assert (same["difference"], same["low"], same["high"]) == (0.0, 0.0, 0.0)
    best = stats.paired_bootstrap(y, y, wrong, groups, n_boot=200)
    assert (best["difference"], best["low"], best["high"]) == (1.0, 1.0, 1.0)
    mixed = stats.paired_bootstrap(y, np.where(groups < 4, y, wrong), wrong, groups, n_boot=500)
    assert mixed["low"] <= mixed["difference"] <= mixed["high"]
    with pytest.raises(ValueError, match="predicted_b"):
        stats.paired_bootstrap(y, y, y[:5])


# ---------------------------------------------------------------- means


def test_bootstrap_mean_of_a_constant_and_of_groups() -> None:
    r = stats.bootstrap_mean([0.3] * 8, n_boot=100)
    assert r == {"mean": pytest.approx(0.3), "low": pytest.approx(0.3), "high": pytest.approx(0.3), "n": 8}
    # Two groups, each constant: group resamples can only give 0.1, 0.5 or 0.9 (a 50/50 mix).
    r = stats.bootstrap_mean([0.1] * 4 + [0.9] * 4, groups=[0] * 4 + [1] * 4, n_boot=400)
    assert r["mean"] == pytest.approx(0.5) and r["low"] == pytest.approx(0.1) and r["high"] == pytest.approx(0.9)
    with pytest.raises(ValueError, match="NaN"):
        stats.bootstrap_mean([0.1, np.nan])
    with pytest.raises(ValueError, match="groups has 1 entries but values has 2"):
        stats.bootstrap_mean([0.1, 0.2], groups=[0])


def test_axial_mean_treats_opposite_directions_as_one() -> None:
    r = stats.axial_mean([10, 190])
    assert r["mean_deg"] == pytest.approx(10) and r["resultant"] == pytest.approx(1)
    assert r["spread_deg"] == pytest.approx(0, abs=1e-6)
    # 10° and 170° lean either way of horizontal: their axis is 0°, not the 90° of a plain mean.
    r = stats.axial_mean([10, 170])
    assert np.median([10, 170]) == 90
    assert min(r["mean_deg"], 180 - r["mean_deg"]) == pytest.approx(0, abs=1e-9)
    assert r["resultant"] == pytest.approx(np.cos(np.radians(20)))


def test_axial_mean_spread_weights_and_gaps() -> None:
    flat = stats.axial_mean([0, 90])                     # perpendicular: no preferred axis
    assert flat["resultant"] == pytest.approx(0, abs=1e-12) and np.isnan(flat["mean_deg"])
    assert flat["spread_deg"] == np.inf
    assert stats.axial_mean([0, 90], weights=[3, 1])["mean_deg"] == pytest.approx(0)
    r = stats.axial_mean([30, np.nan, 30])
    assert r["n"] == 2 and r["mean_deg"] == pytest.approx(30)
    narrow, wide = stats.axial_mean([40, 50]), stats.axial_mean([20, 70])
    assert narrow["spread_deg"] < wide["spread_deg"]
    with pytest.raises(ValueError, match="weights"):
        stats.axial_mean([1, 2], weights=[1])
    with pytest.raises(ValueError, match="angles_deg"):
        stats.axial_mean([np.nan])
