"""Lesson 08's promise: every course path that uses a catalog work as a style or trains on it
shows the work's ethics note, once per work per session (issue #15).

The paths: ``Artwork.use_as_style`` (what lessons pass to ``style.stylize``) and
``study.load_style`` (lesson 07's transfer matrix); the lesson 04 and 06 panels
(``widgets.StylePanel``, ``widgets.AdaINPanel``: the note in the panel's text, and a warning
when a flagged work is rendered); CycleGAN's photo and print domains; AdaIN's training set.
tests/conftest.py makes each test a new notice session.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

from helpers import data
from helpers.data import EthicsNotice

THANGKA = "tibetan__buddha-shakyamuni-as-lord-of-the-munis__mid17c"
ZEYTUN = "armenian__toros-roslin-canon-table-page__1256"
GOYA = "european-romanticism__goya-the-third-of-may-1808__1814"
MEGH = "indian-rajasthani__ragamala-megh__18c"
STARRY = "european-postimpressionism__van-gogh-the-starry-night__1889"
EMIR = "content-photo__prokudin-gorskii-emir-of-bukhara__1911"
CAT = "content-photo__chelsea-the-cat__skimage"


def _notices(caught: list[warnings.WarningMessage]) -> list[str]:
    return [str(w.message) for w in caught if issubclass(w.category, EthicsNotice)]


def _record():  # type: ignore[no-untyped-def]
    """Catch every warning, whatever filters the test run has set."""
    ctx = warnings.catch_warnings(record=True)
    caught = ctx.__enter__()
    warnings.simplefilter("always")
    return ctx, caught


# ----------------------------------------------------------------------------- the one home


def test_use_as_style_shows_the_note_once_per_work_per_session(catalog) -> None:  # type: ignore[no-untyped-def]
    thangka, goya, starry = catalog[THANGKA], catalog[GOYA], catalog[STARRY]
    with pytest.warns(EthicsNotice, match="Buddha Shakyamuni.*living religion") as first:
        image = thangka.use_as_style(max_side=32)
    assert image.shape[2] == 3 and max(image.shape[:2]) == 32
    assert len(_notices(first.list)) == 1
    ctx, caught = _record()
    try:
        thangka.use_as_style(max_side=32)                 # the same work again: silent
        thangka.warn_if_flagged()
        goya.use_as_style(max_side=32)                    # another flagged work: its own note
        starry.use_as_style(max_side=32)                  # no note: silent
    finally:
        ctx.__exit__(None, None, None)
    assert _notices(caught) == [goya.notice]
    assert "Scene of violence or death" in goya.notice
    assert data.shown_notices() == {THANGKA, GOYA}
    data.forget_notices()                                 # a new session: shown again
    with pytest.warns(EthicsNotice, match="Buddha Shakyamuni"):
        thangka.use_as_style(max_side=32)
    with pytest.warns(EthicsNotice):
        assert thangka.warn_if_flagged(once=False) is True


def test_fresh_notices_restores_the_session_record(catalog) -> None:  # type: ignore[no-untyped-def]
    with pytest.warns(EthicsNotice):
        catalog[GOYA].warn_if_flagged()
    with data.fresh_notices():
        assert data.shown_notices() == frozenset()
        with pytest.warns(EthicsNotice):
            catalog[GOYA].warn_if_flagged()
        with pytest.warns(EthicsNotice):
            catalog[ZEYTUN].warn_if_flagged()
    assert data.shown_notices() == {GOYA}


def test_study_load_style_shows_the_note_once(catalog) -> None:  # type: ignore[no-untyped-def]
    """Lesson 07's transfer matrix loads its style works with study.load_style."""
    from helpers import study

    with pytest.warns(EthicsNotice, match="Megha|ragamala"):
        study.load_style(catalog[MEGH], max_side=32)
    ctx, caught = _record()
    try:
        study.load_style(catalog[MEGH], max_side=32)
        catalog[MEGH].use_as_style(max_side=32)
    finally:
        ctx.__exit__(None, None, None)
    assert _notices(caught) == []


# ----------------------------------------------------------------------------- the panels


def _quick(content: np.ndarray, style: np.ndarray, **kw: object) -> np.ndarray:
    return content[:32, :32]


def test_style_panel_shows_the_note_of_a_flagged_work_and_warns_once() -> None:
    from helpers import widgets

    panel = widgets.StylePanel(_quick, sizes=(32,), tradition="european-painting", work=STARRY,
                               content=CAT)
    assert panel.notice.value == ""                       # neither the work nor the photo is flagged
    panel.work.value = GOYA
    goya = panel.catalog[GOYA]
    assert panel.notice.value == f"Ethics note: {goya.notice}"
    assert panel.notice in panel.widget.children          # shown in the panel, under Run
    with pytest.warns(EthicsNotice, match="Third of May"):
        panel.run_button.click()
    ctx, caught = _record()
    try:
        panel.run()                                       # the same work again: the text stays,
    finally:                                              # the warning is not repeated
        ctx.__exit__(None, None, None)
    assert _notices(caught) == [] and goya.ethics_note in panel.notice.value
    panel.tradition.value = "medieval-manuscript"         # the first manuscript is flagged too
    assert "living religion (Christian)" in panel.notice.value
    panel.tradition.value = "european-painting"
    panel.work.value = STARRY
    assert panel.notice.value == ""


def test_style_panel_shows_the_note_of_a_flagged_photo() -> None:
    from helpers import widgets

    panel = widgets.StylePanel(_quick, sizes=(32,), tradition="european-painting", work=STARRY,
                               content=EMIR)
    assert "Emir of Bukhara" in panel.notice.value and "colonised" in panel.notice.value
    with pytest.warns(EthicsNotice, match="Emir of Bukhara"):
        panel.run()


def test_style_panel_static_copy_carries_the_note(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A viewer without a kernel sees the static copy: its credit line carries the note too."""
    from IPython import display as ipd

    from helpers import widgets

    shown: list[object] = []
    monkeypatch.setattr(ipd, "display", lambda *objs, **kw: shown.extend(objs))
    panel = widgets.StylePanel(_quick, sizes=(32,), tradition="european-painting", work=GOYA,
                               content=CAT)
    with pytest.warns(EthicsNotice):
        panel._ipython_display_()
    credits = [o.data for o in shown if isinstance(o, ipd.Markdown)]
    assert len(credits) == 1 and "Ethics note:" in credits[0] and "Third of May" in credits[0]


def test_adain_panel_shows_the_note_of_a_flagged_work_and_warns_once() -> None:
    from helpers import adain, widgets

    panel = widgets.AdaINPanel(adain.Stylizer(adain.build_decoder((8, 8, 8))), size=48,
                               content=CAT, work=STARRY)
    assert panel.notice.value == ""
    panel.work.value = ZEYTUN
    assert "Contested provenance" in panel.notice.value and "2015" in panel.notice.value
    with pytest.warns(EthicsNotice, match="Zeyt'un"):
        panel.run_button.click()
    ctx, caught = _record()
    try:
        panel.render_with(CAT, ZEYTUN, 0.5)
    finally:
        ctx.__exit__(None, None, None)
    assert _notices(caught) == [] and panel.runs == 1


# ----------------------------------------------------------------------------- training sets


def test_cyclegan_domains_show_the_notes_of_their_flagged_photos_once() -> None:
    from helpers import train_cyclegan as tc

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        photos = tc.photo_domain()
        prints = tc.art_domain()
        tc.photo_domain()                                 # again: nothing new
        tc.load_domain(photos[:4], 32)                    # loading them to train: nothing new
    flagged = [p for p in photos + prints if p.ethics_note.strip()]
    assert len(flagged) == 4                              # the four photos, none of the prints
    assert sorted(_notices(caught)) == sorted(p.notice for p in flagged)


def test_cyclegan_load_domain_shows_a_note_for_any_flagged_image(catalog) -> None:  # type: ignore[no-untyped-def]
    from helpers import train_cyclegan as tc

    with pytest.warns(EthicsNotice, match="ragamala"):
        images = tc.load_domain([catalog[MEGH]], 32)
    assert images[0].shape[2] == 3


def test_adain_training_set_shows_every_flagged_note_once(catalog) -> None:  # type: ignore[no-untyped-def]
    from helpers import train_adain

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        content, style = train_adain.training_set()
        train_adain.training_set()
    flagged = [a for a in content if a.ethics_note.strip()]
    assert THANGKA not in {a.id for a in flagged}         # display only: not trained on
    assert len(flagged) == len({a.id for a in flagged}) >= 25
    assert sorted(_notices(caught)) == sorted(a.notice for a in flagged)


# ----------------------------------------------------------------------------- the notes


def test_notes_are_written_alike_for_every_religion_and_every_violent_scene(catalog) -> None:  # type: ignore[no-untyped-def]
    """One wording per kind, so one rule finds them all (data/art/README.md, the rules)."""
    religious = re.compile(r"Religious image of a living religion \(([^)]*)\): ")
    guidance = "Frame its use in class; avoid casual stylisation."
    religions: dict[str, int] = {}
    for w in catalog:
        note = w.ethics_note
        m = religious.search(note)
        if re.search(r"Christian|Buddhis|Hindu|Daoist|Biblical|devotional|scripture", note):
            assert m, f"{w.id}: a religious note not in the common wording: {note!r}"
        if m:
            religions[m.group(1)] = religions.get(m.group(1), 0) + 1
        if m or "violence or death" in note or "Indigenous heritage" in note:
            assert note.endswith(guidance), w.id
    assert {"Buddhist", "Christian", "Daoist", "Hindu"} <= set(religions)
    violent = {w.id for w in catalog if "Scene of violence or death: " in w.ethics_note}
    assert {GOYA, "european-neoclassicism__david-the-death-of-marat__1793",
            "european-romanticism__delacroix-liberty-leading-the-people__1830"} <= violent
    zeytun = catalog[ZEYTUN].ethics_note
    assert all(s in zeytun for s in ("Armenian Genocide", "2010", "2015", "Getty", "Christian"))
