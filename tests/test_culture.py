"""helpers.culture: every metric on synthetic images with known answers, style vectors, the
leave-one-out classifier (with the default and with a classifier passed in) and
TraditionClassifier (fit/predict on tiny sets, errors that name the argument)."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import culture, images


def flat(colour=(0.5, 0.5, 0.5), size=64) -> np.ndarray:
    return np.tile(np.asarray(colour, np.float64)[None, None], (size, size, 1))


def stripes(size=64, period=8.0, vertical=True) -> np.ndarray:
    wave = 0.5 + 0.5 * np.sin(2 * np.pi * np.arange(size) / period)
    grey = np.tile(wave[None, :], (size, 1)) if vertical else np.tile(wave[:, None], (1, size))
    return np.repeat(grey[..., None], 3, axis=2)


# ---------------------------------------------------------------- colour


def test_flat_grey_has_zero_colourfulness_and_saturation() -> None:
    assert culture.colourfulness(flat()) == pytest.approx(0.0, abs=1e-9)
    assert culture.saturation(flat()) == pytest.approx(0.0, abs=1e-9)


def test_colourfulness_of_a_flat_colour_is_its_mean_term() -> None:
    # Pure red: rg = 255, yb = 127.5, no spread → M = 0.3·√(255² + 127.5²).
    expected = 0.3 * np.hypot(255.0, 127.5)
    assert culture.colourfulness(flat((1, 0, 0))) == pytest.approx(expected, rel=1e-9)
    assert culture.saturation(flat((1, 0, 0))) == pytest.approx(1.0)


def test_colourfulness_grows_with_colour_spread() -> None:
    rng = np.random.default_rng(0)
    noisy = rng.random((64, 64, 3))
    assert culture.colourfulness(noisy) > 30 > culture.colourfulness(0.5 + 0.05 * (noisy - 0.5))


def test_lab_palette_finds_two_colours_and_their_shares() -> None:
    img = flat((0, 0, 1))
    img[:16] = (1, 1, 1)  # a quarter white
    centres, shares = culture.lab_palette(img, k=2)
    assert shares.tolist() == pytest.approx([0.75, 0.25], abs=1e-6)
    assert centres[1][0] == pytest.approx(100.0, abs=0.5)          # white: L* = 100
    assert np.allclose(culture.lab_to_rgb(centres[0]), (0, 0, 1), atol=0.01)


def test_lab_palette_pads_when_there_are_fewer_colours_than_k() -> None:
    centres, shares = culture.lab_palette(flat(), k=3)
    assert centres.shape == (3, 3) and shares.tolist() == pytest.approx([1, 0, 0])


# ---------------------------------------------------------------- texture


def test_flat_image_has_no_edges_and_is_all_empty_space() -> None:
    assert culture.edge_density(flat()) == 0.0
    assert culture.empty_space(flat()) == 1.0


def test_half_blank_image_is_about_half_empty_space() -> None:
    img = flat((0.9, 0.9, 0.85), size=128)
    img[:, :64] = np.random.default_rng(0).random((128, 64, 3))
    assert culture.empty_space(img) == pytest.approx(0.5, abs=0.03)
    mask = culture.empty_space_mask(img)
    assert mask[:, 70:].all() and not mask[:, :60].any()


def test_edge_density_counts_edges() -> None:
    img = flat(size=64)
    img[:, 32:] = 1.0  # one vertical edge: one or two pixel columns out of 64
    assert 1 / 64 * 0.9 <= culture.edge_density(img) <= 2 / 64 * 1.1
    assert culture.edge_density(stripes(period=8)) > culture.edge_density(img)


@pytest.mark.parametrize("vertical, angle", [(True, 90), (False, 0)])
def test_stroke_orientation_of_stripes(vertical: bool, angle: float) -> None:
    s = culture.stroke_orientation(stripes(vertical=vertical))
    assert s["coherence"] == pytest.approx(1.0, abs=1e-3)
    assert min(abs(s["dominant_deg"] - angle), 180 - abs(s["dominant_deg"] - angle)) < 1
    assert s["entropy"] < 0.2


def test_stroke_orientation_of_a_diagonal() -> None:
    n = 64
    y, x = np.mgrid[:n, :n]
    img = np.repeat((0.5 + 0.5 * np.sin((x + y) / 3.0))[..., None], 3, axis=2)
    # Stripes of constant x + y run from bottom-left to top-right: 45° counter-clockwise.
    assert culture.stroke_orientation(img)["dominant_deg"] == pytest.approx(45, abs=1)


def test_noise_has_no_dominant_orientation() -> None:
    s = culture.stroke_orientation(np.random.default_rng(0).random((128, 128, 3)))
    assert s["coherence"] < 0.1 and s["entropy"] > 0.95


def test_flat_image_orientation_is_undefined_not_an_error() -> None:
    s = culture.stroke_orientation(flat())
    assert s["coherence"] == 0.0 and np.isnan(s["dominant_deg"])


@pytest.mark.parametrize("exponent", [0.0, 1.0, 1.5])
def test_spectral_slope_of_power_law_noise(exponent: float) -> None:
    # Amplitude ∝ 1/f^e → power ∝ f^(−2e): 1/f noise has slope −2, white noise 0.
    img = culture.powerlaw_noise((256, 256), exponent=exponent, seed=1)
    assert culture.spectral_slope(img) == pytest.approx(-2 * exponent, abs=0.2)


def test_image_stats_has_every_statistic() -> None:
    st = culture.image_stats(np.random.default_rng(0).random((48, 64, 3)))
    assert list(st) == list(culture.STAT_NAMES)
    assert all(np.isfinite(v) for v in st.values())


@pytest.mark.parametrize("bad, match", [
    (np.zeros((8, 8, 4)), r"\(H, W, 3\)"),
    (np.full((16, 16, 3), 2.0), r"\[0, 1\]"),
    (np.full((16, 16, 3), np.nan), "NaN"),
    (np.zeros((4, 4, 3)), "too small"),
])
def test_bad_images_are_refused_clearly(bad: np.ndarray, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        culture.colourfulness(bad)


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="threshold"):
        culture.empty_space(flat(), threshold=0)
    with pytest.raises(ValueError, match="k must"):
        culture.lab_palette(flat(), k=0)
    with pytest.raises(ValueError, match="kind must"):
        culture.make_classifier("texture")


# ---------------------------------------------------------------- shuffle and classifier


def test_tile_shuffle_keeps_the_tiles_and_moves_them() -> None:
    # helpers.images.tile_shuffle is the one lesson 07 uses (it was a copy in culture).
    img = np.random.default_rng(0).random((66, 64, 3))
    out = images.tile_shuffle(img, grid=4, seed=3)
    assert out.shape == (64, 64, 3)
    assert not np.array_equal(out, img[:64, :64])
    tiles = lambda a: sorted(a[r:r + 16, c:c + 16].tobytes() for r in range(0, 64, 16) for c in range(0, 64, 16))  # noqa: E731
    assert tiles(out) == tiles(img[:64, :64])
    assert np.array_equal(out, images.tile_shuffle(img, grid=4, seed=3))  # seeded
    with pytest.raises(ValueError, match="too small"):
        images.tile_shuffle(np.zeros((3, 3, 3)), grid=4)


def test_tile_rotate_keeps_every_tile_in_place_turned_half_a_turn() -> None:
    # The seam-only control of lesson 07: the shuffle's cut and seams, nothing moved.
    img = np.random.default_rng(0).random((66, 64, 3))
    out = images.tile_rotate(img, grid=4)
    assert out.shape == images.tile_shuffle(img, grid=4).shape == (64, 64, 3)
    for r in range(0, 64, 16):
        for c in range(0, 64, 16):
            assert np.array_equal(out[r:r + 16, c:c + 16], img[r:r + 16, c:c + 16][::-1, ::-1])
    assert np.array_equal(images.tile_rotate(out, grid=4), img[:64, :64])   # twice: the original
    # Stroke orientation is axial: a tile turned 180° keeps its strokes' direction.
    stripes = np.tile(np.sin(np.arange(64) / 2.0)[None, :, None], (64, 1, 3)) * 0.5 + 0.5
    turned = culture.stroke_orientation(images.tile_rotate(stripes, 4))
    assert round(turned["dominant_deg"]) == 90
    with pytest.raises(ValueError, match="grid must be a positive integer"):
        images.tile_rotate(img, grid=0)


def test_loo_classifier_is_perfect_on_separable_colour_traditions() -> None:
    rng = np.random.default_rng(0)
    reds = [np.clip(flat((0.8, 0.1, 0.1), 32) + rng.normal(0, 0.05, (32, 32, 3)), 0, 1) for _ in range(5)]
    blues = [np.clip(flat((0.1, 0.1, 0.8), 32) + rng.normal(0, 0.05, (32, 32, 3)), 0, 1) for _ in range(5)]
    x = np.stack([culture.colour_features(im) for im in reds + blues])
    y = ["red"] * 5 + ["blue"] * 5
    assert (culture.loo_predict(x, y, "colour") == np.array(y)).all()


def test_loo_classifier_is_perfect_on_separable_textures_in_style_space() -> None:
    # Two synthetic "traditions": fine vertical stripes vs smooth blotches, random phases.
    rng = np.random.default_rng(0)
    a = [np.roll(stripes(48, period=4), rng.integers(8), axis=1) for _ in range(4)]
    b = [culture.powerlaw_noise((48, 48), exponent=2.0, seed=s) for s in range(4)]
    vec = culture.style_vectors(a + b)
    assert vec.shape[0] == 8 and np.allclose(np.linalg.norm(vec, axis=1), 1.0, atol=1e-4)
    y = ["stripes"] * 4 + ["blotches"] * 4
    assert (culture.loo_predict(vec, y) == np.array(y)).all()
    d = culture.tradition_distances(vec, y, ["stripes", "blotches"])
    assert d[0, 1] > max(d[0, 0], d[1, 1])


def test_loo_with_shuffled_test_rows_uses_them() -> None:
    x = np.array([[0.0], [0.1], [0.2], [1.0], [1.1], [1.2]])
    y = ["a", "a", "a", "b", "b", "b"]
    swapped = x[::-1]  # every held-out row replaced by one from the other class
    assert (culture.loo_predict(x, y, "style", test_features=swapped) != np.array(y)).all()


def test_loo_needs_two_works_per_tradition() -> None:
    with pytest.raises(ValueError, match="at least 2 works"):
        culture.loo_predict(np.zeros((3, 2)), ["a", "a", "b"])
    with pytest.raises(ValueError, match="labels"):
        culture.loo_predict(np.zeros((3, 2)), ["a", "a"])



def test_greyscale_and_uint8_images_are_accepted_like_everywhere_else() -> None:
    # helpers.images.check_image is the one validator: uint8 is 0-255, greyscale is repeated.
    rgb = flat((0.2, 0.2, 0.2))
    assert culture.colourfulness((rgb * 255).astype(np.uint8)) == pytest.approx(0.0, abs=1e-9)
    assert culture.edge_density(rgb[..., 0]) == culture.edge_density(rgb)


def test_loo_takes_any_scikit_learn_classifier_and_clones_it_per_fold() -> None:
    from sklearn.neighbors import KNeighborsClassifier

    # Class "a" is two tight pairs far apart; its centroid lies nearer "b" than its members do.
    x = np.array([[0.0], [0.1], [10.0], [10.1], [4.0], [4.2], [4.4]])
    y = np.array(["a", "a", "a", "a", "b", "b", "b"])
    one_nn = KNeighborsClassifier(1)
    assert (culture.loo_predict(x, y, classifier=one_nn) == y).all()
    assert (culture.loo_predict(x, y) != y).any()           # the nearest centroid is fooled
    assert not hasattr(one_nn, "classes_")                    # the estimator passed in is untouched
    fitted = culture.fit_classifier(x, y, classifier=one_nn)
    assert fitted is not one_nn and fitted.predict([[9.0]]).tolist() == ["a"]
    with pytest.raises(ValueError, match="classifier must be a scikit-learn estimator"):
        culture.loo_predict(x, y, classifier="1-NN")


# ---------------------------------------------------------------- TraditionClassifier


def tinted(rgb, n, seed=0, shape=(24, 32)) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [np.clip(np.asarray(rgb) + rng.normal(0, 0.05, shape + (3,)), 0, 1) for _ in range(n)]


def test_tradition_classifier_fits_and_predicts_colours() -> None:
    works = tinted((0.8, 0.2, 0.1), 3) + tinted((0.1, 0.2, 0.8), 3, seed=1, shape=(40, 20))
    labels = ["red"] * 3 + ["blue"] * 3
    clf = culture.TraditionClassifier(features="colour", size=None).fit(works, labels)
    assert clf.classes_.tolist() == ["blue", "red"]
    new = tinted((0.8, 0.2, 0.1), 1, seed=2, shape=(9, 70)) + tinted((0.1, 0.2, 0.8), 1, seed=3, shape=(40, 20))
    assert clf.predict(new).tolist() == ["red", "blue"]
    proba = clf.predict_proba(new)
    assert proba.shape == (2, 2) and np.allclose(proba.sum(1), 1) and proba[0, 1] > 0.5 > proba[1, 1]
    as_uint8 = [(im * 255).round().astype(np.uint8) for im in new]      # what scikit-image users pass
    assert clf.predict(as_uint8).tolist() == ["red", "blue"]
    assert clf.transform(new).shape == (2, len(culture.COLOUR_FEATURE_NAMES))


def test_tradition_classifier_on_gram_features_with_chosen_layers() -> None:
    a = [np.roll(stripes(48, period=4), s, axis=1) for s in range(3)]
    b = [culture.powerlaw_noise((40, 56), exponent=2.0, seed=s) for s in range(3)]
    clf = culture.TraditionClassifier(layers=("block1_conv1", "block2_conv1"), size=48)
    clf.fit(a + b, ["stripes"] * 3 + ["blotches"] * 3)
    assert clf.transform(a[:1]).shape == (1, 64 * 65 // 2 + 128 * 129 // 2)
    test = [np.roll(stripes(64, period=4), 2, axis=0), culture.powerlaw_noise((64, 64), 2.0, seed=9)]
    assert clf.predict(test).tolist() == ["stripes", "blotches"]


def test_cached_features_cross_validate_like_the_images() -> None:
    from sklearn.base import clone

    from helpers import evaluation

    works = tinted((0.8, 0.2, 0.1), 4) + tinted((0.1, 0.2, 0.8), 4, seed=1) + tinted((0.2, 0.7, 0.2), 4, seed=2)
    labels = np.repeat(["red", "blue", "green"], 4)
    groups = np.repeat(np.arange(6), 2)
    clf = culture.TraditionClassifier(features="colour", size=None)
    assert clone(clf).get_params() == clf.get_params()
    on_images = evaluation.grouped_predict(works, labels, groups, clf)      # fits on images per fold
    on_rows = evaluation.grouped_predict(clf.transform(works), labels, groups, clf.feature_classifier())
    assert on_images.tolist() == on_rows.tolist() == labels.tolist()


@pytest.mark.parametrize("kwargs, images, labels, match", [
    ({}, [], [], "images must be a non-empty list"),
    ({}, np.zeros((24, 24, 3)), ["a"], r"one image: \[image\]"),
    ({}, tinted((0.5, 0.5, 0.5), 2), ["a"], "labels must give each of the 2 images"),
    ({}, tinted((0.5, 0.5, 0.5), 2), ["a", "a"], "at least 2 different"),
    ({}, tinted((0.5, 0.5, 0.5), 1) + [np.zeros((24, 24, 4))], ["a", "b"], r"images\[1\] must be an RGB image"),
    ({"features": "texture"}, tinted((0.5, 0.5, 0.5), 2), ["a", "b"], "features must be one of"),
    ({"layers": ["block9_conv9"]}, tinted((0.5, 0.5, 0.5), 2), ["a", "b"], "layers must be"),
    ({"size": 4}, tinted((0.5, 0.5, 0.5), 2), ["a", "b"], "size must be"),
])
def test_tradition_classifier_refuses_bad_input(kwargs, images, labels, match) -> None:
    with pytest.raises(ValueError, match=match):
        culture.TraditionClassifier(**{"features": "colour", **kwargs}).fit(images, labels)


def test_tradition_classifier_must_be_fitted_first() -> None:
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError, match=r"fit\(images, labels\)"):
        culture.TraditionClassifier(features="colour").predict(tinted((0.5, 0.5, 0.5), 1))
