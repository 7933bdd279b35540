"""helpers.study: lesson 07's experiment refuses data/, writes its tables, and announces the
ethics notes of the works it uses as styles."""

from __future__ import annotations

import csv
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


def test_study_refuses_to_write_into_data(catalog, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from helpers.data import DATA_DIR

    with pytest.raises(ValueError, match="inside data/"):
        st.run_study(catalog, st.StudySettings(), out_dir=DATA_DIR / "results")
    with pytest.raises(ValueError, match="not a content photo"):
        st.run_study(catalog, st.StudySettings(photos=("no-such-photo",)), out_dir=tmp_path)


def test_small_study_writes_its_tables(catalog, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from helpers.data import Catalog

    def blur(content, style, steps):  # a stand-in stylizer: mixes in the style's mean colour
        return np.clip(0.5 * content + 0.5 * style.mean(axis=(0, 1)), 0, 1)

    # A small catalog: 4 Chinese and 4 South Asian works (all with ethics notes), one Andean
    # work (too few to classify), the display-only palette-reduced thangka and one photo.
    thangka = catalog["tibetan__buddha-shakyamuni-as-lord-of-the-munis__mid17c"]
    works = (catalog.by_tradition("chinese")[:4] + catalog.by_tradition("south-asian")[:4]
             + catalog.by_tradition("andean") + [thangka, catalog["content-photo__chelsea-the-cat__skimage"]])
    small = Catalog(works)
    settings = st.StudySettings(max_side=64, transfer_side=48, transfer_steps=1,
                                     photos=("content-photo__chelsea-the-cat__skimage",),
                                     transfer_traditions=("chinese", "south-asian"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = st.run_study(small, settings, out_dir=tmp_path, stylize=blur, progress=False)
    for name in ("works", "classifier", "shuffle", "transfer", "headline"):
        assert (tmp_path / f"{name}.csv").is_file()
    with (tmp_path / "works.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(result.works) == 9          # the thangka is out of every statistic
    assert thangka not in result.works and thangka.palette_reduced
    assert result.classes == ["chinese", "south-asian"]
    assert result.classifier["all"]["n"] == result.classifier["full-colour"]["n"] == 8
    assert set(result.shuffle) == {"chinese", "south-asian", "overall"}
    assert len(result.transfer) == 2
    assert all(0 <= r["ssim"] <= 1 and r["content_distance"] >= 0 for r in result.transfer)
    # Each work used as a style announces its ethics note.
    used_flagged = [w for w in result.style_works.values() if w.ethics_note]
    notices = [w for w in caught if issubclass(w.category, EthicsNotice)]
    assert used_flagged and len(notices) == len(used_flagged)


def test_representative_prefers_full_colour_works(catalog) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    works = catalog.by_tradition("south-asian")[:4]
    works[:2] = [dataclasses.replace(w, notes="16-colour posterised copy") for w in works[:2]]
    assert [w.palette_reduced for w in works] == [True, True, False, False]
    vectors = np.array([[0.0], [0.1], [1.0], [3.0]])   # centroid 1.025: work 0 is far, work 2 near
    assert st.representative(works, vectors) == 2
    vectors = np.array([[1.0], [1.1], [0.0], [3.0]])   # nearest is palette-reduced work 0 or 1
    assert st.representative(works, vectors, prefer_full_colour=False) in (0, 1)
    assert st.representative(works, vectors) == 2
