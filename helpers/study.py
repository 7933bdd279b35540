"""Lesson 07's experiment: which works it studies, its medium-matched subsets, and its tables.

Lesson 07 (and its solutions; lesson 08 uses :func:`load_style`). The measures live in
:mod:`helpers.culture`, grouped cross-validation in :mod:`helpers.evaluation`, intervals and
tests in :mod:`helpers.stats`; this module holds the choices the lesson makes with them:

* :func:`study_works`: the artworks in the study (no generated patterns, no palette-reduced
  scan);
* :func:`medium_subsets`: works compared within one medium (prints against prints, ink
  paintings against ink paintings), to see how much of "tradition" is medium;
* :func:`layer_columns`: the columns of a style vector that one VGG16 layer fills (a
  robustness check on other layers needs no second pass through the network);
* :func:`representative`: a tradition's most typical work, the style of the transfer matrix;
* :func:`load_style`: load a work to be used as a style, showing its ethics note;
* :func:`write_table`: a results table as CSV in ``results/`` (never ``data/``).

    >>> from helpers import data, study
    >>> works = study.study_works(data.load_catalog())
    >>> len(works), {k: int(m.sum()) for k, m in study.medium_subsets(works).items()}
    (95, {'prints': 26, 'ink paintings': 28})
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from .data import DATA_DIR, Artwork, Catalog
from .features import STYLE_LAYERS, VGG16_LAYOUT

__all__ = [
    "RESULTS_DIR", "EXCLUDED_TRADITIONS", "MEDIUM_SUBSETS", "load_style", "study_works",
    "is_woodblock_print", "medium_subsets", "layer_columns", "representative", "write_table",
]

#: Where lesson 07 writes its tables (git-ignored). The course never writes to ``data/``.
RESULTS_DIR: Path = DATA_DIR.parent / "results" / "07_culture_comparison"
#: Generated stand-ins are not a historical tradition; the study leaves them out (and every
#: palette-reduced row: the catalog keeps one only for display, out of every statistic).
EXCLUDED_TRADITIONS: tuple[str, ...] = ("islamic-geometric-generated",)
#: The medium-matched comparisons of lesson 07: name -> what is compared.
MEDIUM_SUBSETS: dict[str, str] = {
    "prints": "Japanese woodblock prints against the European engraved plates (prints on paper)",
    "ink paintings": "Chinese against Japanese paintings in ink (and colour) on silk or paper "
                     "(hanging scrolls, handscrolls, a screen; no prints)",
}


def load_style(work: Artwork, max_side: int | None = None) -> np.ndarray:
    """Load an artwork *to be used as a style*: shows its ethics note first, if it has one
    (an :class:`~helpers.data.EthicsNotice` warning, not an error)."""
    work.warn_if_flagged()
    return work.load(max_side=max_side)


def study_works(catalog: Catalog) -> list[Artwork]:
    """The artworks lesson 07 studies, in catalog order: every style row except the generated
    patterns (:data:`EXCLUDED_TRADITIONS`) and palette-reduced scans (display only)."""
    works = [w for w in catalog.styles()
             if w.tradition_group not in EXCLUDED_TRADITIONS and not w.palette_reduced]
    if not works:
        raise ValueError("catalog: it has no style works to study")
    return works


def is_woodblock_print(work: Artwork) -> bool:
    """True for a woodblock print (the catalog's ``medium`` says so)."""
    return "woodblock" in work.medium.lower()


def medium_subsets(works: Sequence[Artwork]) -> dict[str, np.ndarray]:
    """Masks over ``works`` for the comparisons of :data:`MEDIUM_SUBSETS`, read from the
    catalog's ``tradition_group`` and ``medium``:

    * ``"prints"``: Japanese woodblock prints and every ``european-print`` plate;
    * ``"ink paintings"``: Chinese works and the Japanese ones that are not prints, when their
      medium names ink (in v2 all of them: scrolls and a screen).

    Each tradition keeps its label; the medium is the same on both sides (up to what the
    labels hide: colour woodblock against black-and-white engraving, silk against paper).
    """
    def ink(w: Artwork) -> bool:
        return "ink" in w.medium.lower() and not is_woodblock_print(w)

    return {
        "prints": np.array([(w.tradition_group == "japanese" and is_woodblock_print(w))
                            or w.tradition_group == "european-print" for w in works], dtype=bool),
        "ink paintings": np.array([w.tradition_group in ("chinese", "japanese") and ink(w)
                                   for w in works], dtype=bool),
    }


def layer_columns(keep: Sequence[str], layers: Sequence[str] = STYLE_LAYERS) -> np.ndarray:
    """Indices of the columns of a style vector (:func:`helpers.culture.style_vectors` with
    ``layers``) that come from the layers ``keep``.

    Each layer fills C(C+1)/2 columns (the upper triangle of its C×C Gram matrix), in the order
    of ``layers``. The columns of ``keep`` are :func:`style_vectors(images, keep)
    <helpers.culture.style_vectors>` times √(len(keep)/len(layers)): the same distances up to
    one factor, so the same nearest-centroid predictions, without another pass through VGG16.

    >>> layer_columns(["block1_conv1"]).tolist()[-1], len(layer_columns(["block2_conv1"]))
    (2079, 8256)
    """
    channels = dict(VGG16_LAYOUT)
    layers, keep = list(layers), list(keep)
    unknown = [k for k in keep if k not in layers]
    if not keep or unknown:
        raise ValueError(f"keep must name some of the layers {layers}, got {keep!r}")
    bad = [name for name in layers if name not in channels or name == "pool"]
    if bad:
        raise ValueError(f"layers: {bad} are not VGG16 layers")
    sizes = [channels[name] * (channels[name] + 1) // 2 for name in layers]
    starts = np.concatenate([[0], np.cumsum(sizes)])
    return np.concatenate([np.arange(starts[i], starts[i + 1])
                           for i, name in enumerate(layers) if name in keep])


def representative(works: Sequence[Artwork], vectors: np.ndarray,
                   prefer_full_colour: bool = True) -> int:
    """Index of the tradition's most typical work: the one nearest its centroid (the medoid
    in style space), among full-colour scans when there are any."""
    vectors = np.asarray(vectors)
    if len(vectors) != len(works) or len(works) == 0:
        raise ValueError(f"vectors has {len(vectors)} rows but works has {len(works)}")
    d = np.linalg.norm(vectors - vectors.mean(0), axis=1)
    if prefer_full_colour and any(not w.palette_reduced for w in works):
        d = np.where([w.palette_reduced for w in works], np.inf, d)
    return int(np.argmin(d))


def _check_out_dir(out_dir: Path) -> Path:
    out_dir = Path(out_dir).resolve()
    data_dir = DATA_DIR.resolve()
    if out_dir == data_dir or data_dir in out_dir.parents:
        raise ValueError(f"out_dir {out_dir} is inside data/; the course never writes there")
    return out_dir


def write_table(name: str, rows: Sequence[Mapping[str, object]],
                out_dir: str | Path = RESULTS_DIR) -> Path:
    """Write ``rows`` (dicts with the same keys) as ``out_dir/name.csv``; floats to 6
    significant digits. Refuses any folder inside ``data/``. Returns the file's path."""
    out = _check_out_dir(Path(out_dir))
    if not rows:
        raise ValueError("rows is empty: nothing to write")
    keys = list(rows[0])
    if any(list(r) != keys for r in rows):
        raise ValueError(f"rows must all have the keys {keys}")
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(keys)
        for r in rows:
            w.writerow([f"{v:.6g}" if isinstance(v, float) else v for v in r.values()])
    return path
