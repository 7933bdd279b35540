"""helpers.study: lesson 07's works and medium-matched subsets, layer columns of a style vector,
tables that never go into data/, and the ethics notes of works used as styles."""

from __future__ import annotations

import csv
import dataclasses
import warnings

import numpy as np
import pytest

from helpers import study as st
from helpers.data import EthicsNotice


def test_load_style_shows_the_ethics_note(catalog) -> None:  # type: ignore[no-untyped-def]
    thangka = catalog["tibetan__buddha-shakyamuni-as-lord-of-the-munis__mid17c"]
    with pytest.warns(EthicsNotice, match="living religion"):
        img = st.load_style(thangka, max_side=32)
    assert img.shape[2] == 3
    plain = catalog["european-postimpressionism__van-gogh-the-starry-night__1889"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        st.load_style(plain, max_side=32)


def test_study_works_leave_out_generated_and_palette_reduced_rows(catalog) -> None:  # type: ignore[no-untyped-def]
    works = st.study_works(catalog)
    assert len(works) == 95
    assert all(w.role == "style" and not w.palette_reduced for w in works)
    assert not {w.tradition_group for w in works} & {"islamic-geometric-generated", "tibetan"}
    from helpers.data import Catalog

    with pytest.raises(ValueError, match="no style works"):
        st.study_works(Catalog(catalog.contents()))


def test_medium_subsets_match_medium_on_both_sides(catalog) -> None:  # type: ignore[no-untyped-def]
    works = st.study_works(catalog)
    subsets = st.medium_subsets(works)
    assert set(subsets) == set(st.MEDIUM_SUBSETS)
    prints = [w for w, m in zip(works, subsets["prints"]) if m]
    assert {w.tradition_group for w in prints} == {"japanese", "european-print"}
    assert all(st.is_woodblock_print(w) for w in prints if w.tradition_group == "japanese")
    assert sum(w.tradition_group == "european-print" for w in prints) == 6
    ink = [w for w, m in zip(works, subsets["ink paintings"]) if m]
    assert {w.tradition_group for w in ink} == {"chinese", "japanese"}
    assert all("ink" in w.medium.lower() and not st.is_woodblock_print(w) for w in ink)
    assert len({w.group for w in ink if w.tradition_group == "japanese"}) >= 2   # testable
    assert not (subsets["prints"] & subsets["ink paintings"]).any()


def test_layer_columns_slice_a_style_vector_into_its_layers() -> None:
    from helpers import culture
    from helpers.features import STYLE_LAYERS

    rng = np.random.default_rng(0)
    imgs = [rng.random((32, 40, 3)).astype(np.float32) for _ in range(3)]
    full = culture.style_vectors(imgs)
    keep = ("block1_conv1", "block3_conv1")
    cols = st.layer_columns(keep)
    part = culture.style_vectors(imgs, layers=keep)
    assert len(cols) == part.shape[1] == 64 * 65 // 2 + 256 * 257 // 2
    assert np.allclose(full[:, cols] * np.sqrt(len(STYLE_LAYERS) / len(keep)), part, atol=1e-6)
    assert len(st.layer_columns(STYLE_LAYERS)) == full.shape[1]
    with pytest.raises(ValueError, match="keep must name"):
        st.layer_columns(["block4_conv2"])
    with pytest.raises(ValueError, match="not VGG16 layers"):
        st.layer_columns(["conv9"], layers=["conv9"])


def test_write_table_writes_csv_and_never_into_data(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from helpers.data import DATA_DIR

    rows = [{"subset": "all", "balanced_accuracy": 0.66419751}, {"subset": "prints", "balanced_accuracy": 1.0}]
    path = st.write_table("main", rows, out_dir=tmp_path)
    with path.open() as fh:
        assert list(csv.DictReader(fh)) == [{"subset": "all", "balanced_accuracy": "0.664198"},
                                            {"subset": "prints", "balanced_accuracy": "1"}]
    with pytest.raises(ValueError, match="inside data/"):
        st.write_table("main", rows, out_dir=DATA_DIR / "results")
    with pytest.raises(ValueError, match="same keys|keys"):
        st.write_table("main", rows + [{"subset": "x"}], out_dir=tmp_path)
    with pytest.raises(ValueError, match="rows is empty"):
        st.write_table("main", [], out_dir=tmp_path)


def test_representative_prefers_full_colour_works(catalog) -> None:  # type: ignore[no-untyped-def]
    works = catalog.by_tradition("south-asian")[:4]
    works[:2] = [dataclasses.replace(w, notes="16-colour posterised copy") for w in works[:2]]
    assert [w.palette_reduced for w in works] == [True, True, False, False]
    vectors = np.array([[0.0], [0.1], [1.0], [3.0]])   # centroid 1.025: work 0 is far, work 2 near
    assert st.representative(works, vectors) == 2
    vectors = np.array([[1.0], [1.1], [0.0], [3.0]])   # nearest is palette-reduced work 0 or 1
    assert st.representative(works, vectors, prefer_full_colour=False) in (0, 1)
    assert st.representative(works, vectors) == 2
    with pytest.raises(ValueError, match="vectors has 3 rows but works has 4"):
        st.representative(works, vectors[:3])
