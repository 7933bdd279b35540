"""helpers.culture: every metric on synthetic images with known answers, the classifier,
the tile shuffle, the study's file output and the datasheet."""

from __future__ import annotations

import csv
import warnings

import numpy as np
import pytest

from helpers import culture
from helpers.data import EthicsNotice


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


def test_ssim_is_one_for_identical_images_and_lower_for_noise() -> None:
    img = culture.powerlaw_noise((64, 64), seed=0)
    noisy = np.clip(img + np.random.default_rng(1).normal(0, 0.2, img.shape), 0, 1)
    assert culture.ssim(img, img) == pytest.approx(1.0)
    assert culture.ssim(img, noisy) < 0.8


@pytest.mark.parametrize("bad, match", [
    (np.zeros((8, 8)), r"\(H, W, 3\)"),
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
    with pytest.raises(ValueError, match="differ in shape"):
        culture.ssim(flat(size=32), flat(size=64))


# ---------------------------------------------------------------- shuffle and classifier


def test_tile_shuffle_keeps_the_tiles_and_moves_them() -> None:
    img = np.random.default_rng(0).random((66, 64, 3))
    out = culture.tile_shuffle(img, grid=4, seed=3)
    assert out.shape == (64, 64, 3)
    assert not np.array_equal(out, img[:64, :64])
    tiles = lambda a: sorted(a[r:r + 16, c:c + 16].tobytes() for r in range(0, 64, 16) for c in range(0, 64, 16))  # noqa: E731
    assert tiles(out) == tiles(img[:64, :64])
    assert np.array_equal(out, culture.tile_shuffle(img, grid=4, seed=3))  # seeded
    with pytest.raises(ValueError, match="too small"):
        culture.tile_shuffle(np.zeros((3, 3, 3)), grid=4)


def test_chance_levels() -> None:
    ch = culture.chance_levels(["a"] * 3 + ["b"])
    assert ch["majority"] == 0.75 and ch["proportional"] == pytest.approx(0.625)


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


def test_confusion_and_per_class_accuracy() -> None:
    y, p = ["a", "a", "b", "b"], ["a", "b", "b", "b"]
    assert culture.confusion(y, p, ["a", "b"]).tolist() == [[1, 1], [0, 2]]
    assert culture.per_class_accuracy(y, p) == {"a": 0.5, "b": 1.0}


# ---------------------------------------------------------------- ethics, study, datasheet


def test_load_style_shows_the_ethics_note(catalog) -> None:  # type: ignore[no-untyped-def]
    thangka = catalog["tibetan__buddha-shakyamuni-as-lord-of-the-munis__mid17c"]
    with pytest.warns(EthicsNotice, match="living religion"):
        img = culture.load_style(thangka, max_side=32)
    assert img.shape[2] == 3
    plain = catalog["european-postimpressionism__van-gogh-the-starry-night__1889"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        culture.load_style(plain, max_side=32)


def test_study_refuses_to_write_into_data(catalog, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from helpers.data import DATA_DIR

    with pytest.raises(ValueError, match="inside data/"):
        culture.run_study(catalog, culture.StudySettings(), out_dir=DATA_DIR / "results")
    with pytest.raises(ValueError, match="not a content photo"):
        culture.run_study(catalog, culture.StudySettings(photos=("no-such-photo",)), out_dir=tmp_path)


def test_small_study_writes_its_tables(catalog, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from helpers.data import Catalog

    def blur(content, style, steps):  # a stand-in stylizer: mixes in the style's mean colour
        return np.clip(0.5 * content + 0.5 * style.mean(axis=(0, 1)), 0, 1)

    # A small catalog: 4 Chinese and 4 South Asian works (2 of them palette-reduced, one with an
    # ethics note), one Korean work (too few to classify) and one photo.
    works = (catalog.by_tradition("chinese")[:4] + catalog.by_tradition("south-asian")[:4]
             + catalog.by_tradition("korean") + [catalog["content-photo__chelsea-the-cat__skimage"]])
    small = Catalog(works)
    settings = culture.StudySettings(max_side=64, transfer_side=48, transfer_steps=1,
                                     photos=("content-photo__chelsea-the-cat__skimage",),
                                     transfer_traditions=("chinese", "south-asian"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        study = culture.run_study(small, settings, out_dir=tmp_path, stylize=blur, progress=False)
    for name in ("works", "classifier", "shuffle", "transfer", "headline"):
        assert (tmp_path / f"{name}.csv").is_file()
    with (tmp_path / "works.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(study.works) == 9
    assert study.classes == ["chinese", "south-asian"]
    n_reduced = sum(w.palette_reduced for w in works[:8])
    assert study.classifier["all"]["n"] == 8
    assert study.classifier["full-colour"]["n"] == 8 - n_reduced
    assert set(study.shuffle) == {"chinese", "south-asian", "overall"}
    assert len(study.transfer) == 2
    assert all(0 <= r["ssim"] <= 1 and r["content_distance"] >= 0 for r in study.transfer)
    # The representative work is a full-colour one; a flagged one would have been announced.
    assert not any(study.style_works[t].palette_reduced for t in study.style_works)
    used_flagged = [w for w in study.style_works.values() if w.ethics_note]
    notices = [w for w in caught if issubclass(w.category, EthicsNotice)]
    assert len(notices) == len(used_flagged)


def test_approx_year() -> None:
    assert culture.approx_year("1256") == 1256
    assert culture.approx_year("dated 1039 AH / 1630 CE") == 1630
    assert culture.approx_year("7th-9th century") == 750
    assert culture.approx_year("generated") is None


def test_datasheet_counts_match_the_catalog(catalog) -> None:  # type: ignore[no-untyped-def]
    sheet = culture.datasheet(catalog)
    assert sum(r["n"] for r in sheet) == len(catalog)
    by = {r["tradition"]: r for r in sheet}
    assert by["chinese"]["n"] == 12 and by["persian"]["n"] == 1
    assert by["islamic-geometric-generated"]["licence"] == {"generated by a program, CC0": 3}
    assert sum(r["ethics_flagged"] for r in sheet) == len(culture.flagged(list(catalog)))
    cats = culture.ethics_categories(catalog)
    assert "other" not in cats
    assert sum(len(v) for v in cats.values()) == len(culture.flagged(list(catalog)))
