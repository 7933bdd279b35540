"""Lesson 07's experiment: measure every work, classify traditions, shuffle tiles, stylise.

Lesson 07 (and its solutions; lesson 08 uses :func:`load_style`). :func:`run_study` computes
every number of the lesson in one call from :mod:`helpers.culture`'s measures and writes them
as CSV files to a results folder (``results/``, never ``data/``):

1. image statistics and a CIELAB palette of every work;
2. style vectors and colour features, classified leave-one-out (all works, and full-colour
   scans only) against chance;
3. the same classifier on tile-shuffled works: how much of a tradition lives in composition;
4. given a ``stylize`` function, the transfer matrix (:func:`transfer_matrix`): photos
   stylised after each tradition's most typical work, measured for structure kept (SSIM,
   VGG content distance) and style reached (distance to the work and to the tradition's
   centroid, and which tradition the classifier assigns).

    >>> from helpers import study
    >>> study.StudySettings(max_side=64).transfer_side
    192
"""

from __future__ import annotations

import csv
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .culture import (STAT_NAMES, colour_features, fit_classifier, image_stats, lab_palette,
                      loo_predict, style_vectors)
from .data import DATA_DIR, Artwork, Catalog
from .images import tile_shuffle
from .metrics import content_distance, ssim
from .stats import chance_levels, confusion, per_class_accuracy

__all__ = [
    "RESULTS_DIR", "MIN_WORKS", "EXCLUDED_TRADITIONS", "StudySettings", "Study", "load_style",
    "classifier_results", "representative", "run_study", "transfer_matrix", "transfer_summary",
    "write_study",
]

#: Where lesson 07 writes its tables (git-ignored). The course never writes to ``data/``.
RESULTS_DIR: Path = DATA_DIR.parent / "results" / "07_culture_comparison"
#: Traditions with at least this many works take part in the classifier (smaller ones cannot
#: be left out one at a time and still have a centroid).
MIN_WORKS: int = 4
#: Generated stand-ins are not a historical tradition; the study leaves them out (and every
#: palette-reduced row: the catalog keeps one only for display, out of every statistic).
EXCLUDED_TRADITIONS: tuple[str, ...] = ("islamic-geometric-generated",)


def load_style(work: Artwork, max_side: int | None = None) -> np.ndarray:
    """Load an artwork *to be used as a style*: shows its ethics note first, if it has one
    (an :class:`~helpers.data.EthicsNotice` warning, not an error)."""
    work.warn_if_flagged()
    return work.load(max_side=max_side)



@dataclass
class StudySettings:
    """What :func:`run_study` computes, and how much of it."""

    max_side: int = 256            # size at which works are measured
    transfer_side: int = 192       # size of the stylised images
    transfer_steps: int = 40       # L-BFGS iterations per stylised image
    photos: tuple[str, ...] = ()   # content photo ids
    transfer_traditions: tuple[str, ...] = ("chinese", "japanese", "south-asian", "european-painting")
    shuffle_grid: int = 4
    seed: int = 0
    palette_k: int = 5


@dataclass
class Study:
    """Everything :func:`run_study` measured (also written as CSV files to ``out_dir``)."""

    works: list[Artwork]
    stats: np.ndarray                      # (n_works, len(STAT_NAMES))
    palettes: list[tuple[np.ndarray, np.ndarray]]
    style: np.ndarray                      # style vectors (n_works, D)
    colour: np.ndarray                     # colour features (n_works, 8)
    classes: list[str]                     # traditions in the classifier
    in_classifier: np.ndarray              # bool (n_works,)
    classifier: dict[str, dict]            # per subset ("all", "full-colour"): results
    shuffle: dict[str, dict]               # per tradition: accuracy original / shuffled / retention
    transfer: list[dict] = field(default_factory=list)
    transfer_images: dict = field(default_factory=dict)   # (photo_id, tradition) -> image
    photo_images: dict = field(default_factory=dict)
    style_works: dict = field(default_factory=dict)       # tradition -> Artwork used as style
    out_dir: Path | None = None
    seconds: dict = field(default_factory=dict)

    @property
    def labels(self) -> np.ndarray:
        """Each work's tradition (its ``tradition_group``), in the order of ``works``."""
        return np.array([w.tradition_group for w in self.works])


def _write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for row in rows:
            w.writerow([f"{v:.6g}" if isinstance(v, float) else v for v in row])


def _check_out_dir(out_dir: Path) -> Path:
    out_dir = Path(out_dir).resolve()
    data_dir = DATA_DIR.resolve()
    if out_dir == data_dir or data_dir in out_dir.parents:
        raise ValueError(f"out_dir {out_dir} is inside data/; the course never writes there")
    return out_dir


def classifier_results(style: np.ndarray, colour: np.ndarray, labels: Sequence[str],
                       classes: Sequence[str]) -> dict:
    """Leave-one-out accuracy of the style and colour classifiers, with chance levels."""
    y = np.asarray(labels)
    pred_style = loo_predict(style, y, "style")
    pred_colour = loo_predict(colour, y, "colour")
    chance = chance_levels(y)
    return {
        "n": len(y),
        "style_pred": pred_style,
        "colour_pred": pred_colour,
        "style_acc": float((pred_style == y).mean()),
        "colour_acc": float((pred_colour == y).mean()),
        "chance_majority": chance["majority"],
        "chance_proportional": chance["proportional"],
        "style_confusion": confusion(y, pred_style, classes),
        "colour_confusion": confusion(y, pred_colour, classes),
        "style_per_class": per_class_accuracy(y, pred_style),
        "colour_per_class": per_class_accuracy(y, pred_colour),
    }


def representative(works: Sequence[Artwork], vectors: np.ndarray,
                   prefer_full_colour: bool = True) -> int:
    """Index of the tradition's most typical work: the one nearest its centroid (the medoid
    in style space), among full-colour scans when there are any."""
    vectors = np.asarray(vectors)
    centre = vectors.mean(0)
    d = np.linalg.norm(vectors - centre, axis=1)
    if prefer_full_colour and any(not w.palette_reduced for w in works):
        d = np.where([w.palette_reduced for w in works], np.inf, d)
    return int(np.argmin(d))


def run_study(catalog: Catalog, settings: StudySettings, out_dir: str | Path = RESULTS_DIR,
              stylize: Callable[..., np.ndarray] | None = None, progress: bool = True) -> Study:
    """Lesson 07 in one call: describe every work, classify traditions in style space, test
    composition by tile shuffling and (given ``stylize``) fill the transfer matrix.

    ``stylize(content, style, steps)`` must return the stylised image (H, W, 3) in [0, 1] at
    the content's size. Writes ``works.csv``, ``classifier.csv``, ``shuffle.csv``,
    ``transfer.csv`` and ``headline.csv`` to ``out_dir`` (refuses any folder inside ``data/``).
    """
    from tqdm.auto import tqdm

    out_dir = _check_out_dir(Path(out_dir))
    s = settings
    t0 = time.perf_counter()
    works = [w for w in catalog.styles()
             if w.tradition_group not in EXCLUDED_TRADITIONS and not w.palette_reduced]
    if not works:
        raise ValueError("the catalog has no style works to study")
    for pid in s.photos:
        if pid not in catalog or catalog[pid].role != "content":
            raise ValueError(f"photos: {pid!r} is not a content photo of the catalog")
    images = [w.load(max_side=s.max_side) for w in tqdm(works, desc="loading works", disable=not progress)]

    # 1 · statistics
    stats, palettes = [], []
    for img in tqdm(images, desc="image statistics", disable=not progress):
        st = image_stats(img)
        stats.append([st[k] for k in STAT_NAMES])
        palettes.append(lab_palette(img, k=s.palette_k, seed=s.seed))
    stats_arr = np.array(stats)
    t1 = time.perf_counter()

    # 2 · style space
    style = style_vectors(images, progress=progress)
    colour = np.stack([colour_features(img) for img in images])
    labels = np.array([w.tradition_group for w in works])
    counts = Counter(labels.tolist())
    classes = [t for t in catalog.traditions() if counts.get(t, 0) >= MIN_WORKS]
    in_clf = np.isin(labels, classes)
    full_colour = np.array([not w.palette_reduced for w in works])
    clf = {"all": classifier_results(style[in_clf], colour[in_clf], labels[in_clf], classes)}
    sub = in_clf & full_colour
    clf["full-colour"] = classifier_results(style[sub], colour[sub], labels[sub], classes)
    t2 = time.perf_counter()

    # 3 · composition: classify each held-out work from its tile-shuffled version
    idx = np.flatnonzero(in_clf)
    shuffled = [tile_shuffle(images[i], s.shuffle_grid, seed=s.seed + int(i)) for i in idx]
    style_shuf = style_vectors(shuffled, progress=progress)
    y = labels[in_clf]
    pred_orig = clf["all"]["style_pred"]
    pred_shuf = loo_predict(style[in_clf], y, "style", test_features=style_shuf)
    shuffle = {}
    for t in classes:
        m = y == t
        a0, a1 = float((pred_orig[m] == t).mean()), float((pred_shuf[m] == t).mean())
        shuffle[t] = {"n": int(m.sum()), "acc_original": a0, "acc_shuffled": a1,
                      "retention": a1 / a0 if a0 > 0 else float("nan"),
                      "shift": float(np.linalg.norm(style[in_clf][m] - style_shuf[m], axis=1).mean())}
    shuffle["overall"] = {"n": int(len(y)), "acc_original": float((pred_orig == y).mean()),
                          "acc_shuffled": float((pred_shuf == y).mean()),
                          "retention": float((pred_shuf == y).mean()) / max(float((pred_orig == y).mean()), 1e-12),
                          "shift": float(np.linalg.norm(style[in_clf] - style_shuf, axis=1).mean())}
    t3 = time.perf_counter()

    study = Study(works=works, stats=stats_arr, palettes=palettes, style=style, colour=colour,
                  classes=classes, in_classifier=in_clf, classifier=clf, shuffle=shuffle,
                  out_dir=out_dir)

    # 4 · transfer matrix
    if stylize is not None and s.photos:
        transfer_matrix(study, catalog, s, stylize, progress)
    t4 = time.perf_counter()
    study.seconds = {"statistics": t1 - t0, "style space": t2 - t1, "shuffle": t3 - t2,
                     "transfer": t4 - t3, "total": t4 - t0}
    write_study(study, s)
    return study


def transfer_matrix(study: Study, catalog: Catalog, settings: StudySettings,
                    stylize: Callable[..., np.ndarray], progress: bool = False) -> None:
    """Stylise every photo of ``s.photos`` after the most typical work of each of
    ``s.transfer_traditions`` and measure the result; appends one row per (photo, tradition)
    to ``study.transfer`` and keeps the images in ``study.transfer_images``.

    ``stylize(content, style, steps)`` returns the stylised image at the content's shape.
    """
    from tqdm.auto import tqdm

    s = settings
    works, style, labels = study.works, study.style, study.labels
    full_colour = np.array([not w.palette_reduced for w in works])
    for t in s.transfer_traditions:
        if t not in study.classes:
            raise ValueError(f"transfer_traditions: {t!r} is not one of the classifier's {study.classes}")
    centroids = {t: style[labels == t].mean(0) for t in study.classes}
    # Two classifiers, fitted on every work of the classifier's traditions / on full-colour ones.
    fit_all = fit_classifier(style[study.in_classifier], labels[study.in_classifier])
    sub = study.in_classifier & full_colour
    fit_fc = fit_classifier(style[sub], labels[sub])
    for t in s.transfer_traditions:
        members = np.flatnonzero(labels == t)
        study.style_works[t] = works[members[representative([works[i] for i in members], style[members])]]
    jobs = [(p, t) for p in s.photos for t in s.transfer_traditions]
    for pid in s.photos:
        study.photo_images[pid] = catalog[pid].load(max_side=s.transfer_side)
    photo_vecs = {pid: style_vectors([img])[0] for pid, img in study.photo_images.items()}
    for pid, t in tqdm(jobs, desc="transfer matrix", disable=not progress):
        work = study.style_works[t]
        photo = study.photo_images[pid]
        style_img = load_style(work, max_side=s.transfer_side)   # shows the ethics note, if any
        start = time.perf_counter()
        out = np.asarray(stylize(photo, style_img, s.transfer_steps), dtype=np.float32)
        secs = time.perf_counter() - start
        if out.shape != photo.shape:
            raise ValueError(f"stylize returned shape {out.shape} for a photo of shape {photo.shape}")
        vec = style_vectors([out])[0]
        wi = works.index(work)
        study.transfer_images[(pid, t)] = out
        study.transfer.append({
            "photo": pid, "tradition": t, "style_work": work.id,
            "ssim": ssim(out, photo),
            "content_distance": content_distance(out, photo),
            "style_dist_work": float(np.linalg.norm(vec - style[wi])),
            "style_dist_centroid": float(np.linalg.norm(vec - centroids[t])),
            "photo_dist_work": float(np.linalg.norm(photo_vecs[pid] - style[wi])),
            "photo_dist_centroid": float(np.linalg.norm(photo_vecs[pid] - centroids[t])),
            "predicted": str(fit_all.predict(vec[None])[0]),
            "predicted_full_colour": str(fit_fc.predict(vec[None])[0]),
            "photo_predicted": str(fit_all.predict(photo_vecs[pid][None])[0]),
            "seconds": secs,
        })


def transfer_summary(study: Study) -> dict[str, dict[str, float]]:
    """Per target tradition: mean SSIM, content distance, style distances and deception rate."""
    out = {}
    for t in dict.fromkeys(r["tradition"] for r in study.transfer):
        rows = [r for r in study.transfer if r["tradition"] == t]
        out[t] = {
            "n": len(rows),
            "ssim": float(np.mean([r["ssim"] for r in rows])),
            "content_distance": float(np.mean([r["content_distance"] for r in rows])),
            "style_dist_work": float(np.mean([r["style_dist_work"] for r in rows])),
            "style_dist_centroid": float(np.mean([r["style_dist_centroid"] for r in rows])),
            "photo_dist_centroid": float(np.mean([r["photo_dist_centroid"] for r in rows])),
            "deception": float(np.mean([r["predicted"] == t for r in rows])),
            "deception_full_colour": float(np.mean([r["predicted_full_colour"] == t for r in rows])),
        }
    return out


def write_study(study: Study, settings: StudySettings) -> None:
    """Write ``study`` as ``works.csv``, ``classifier.csv``, ``shuffle.csv``, ``transfer.csv``
    (when there is a transfer matrix) and ``headline.csv`` to ``study.out_dir``."""
    if study.out_dir is None:
        raise ValueError("study.out_dir is None: set the folder to write to")
    out = _check_out_dir(study.out_dir)
    rows = []
    for w, st, (centres, shares) in zip(study.works, study.stats, study.palettes):
        rows.append([w.id, w.tradition_group, int(w.palette_reduced), int(bool(w.ethics_note.strip())),
                     *[float(v) for v in st],
                     " ".join(f"{c[0]:.0f}/{c[1]:.0f}/{c[2]:.0f}:{p:.2f}" for c, p in zip(centres, shares))])
    _write_csv(out / "works.csv", ["id", "tradition", "palette_reduced", "ethics_note", *STAT_NAMES,
                                   "lab_palette"], rows)
    rows = []
    for subset, r in study.classifier.items():
        for t in study.classes:
            rows.append([subset, t, r["style_per_class"].get(t, float("nan")),
                         r["colour_per_class"].get(t, float("nan"))])
        rows.append([subset, "overall", r["style_acc"], r["colour_acc"]])
    _write_csv(out / "classifier.csv", ["subset", "tradition", "style_accuracy", "colour_accuracy"], rows)
    _write_csv(out / "shuffle.csv", ["tradition", "n", "acc_original", "acc_shuffled", "retention",
                                     "mean_style_shift"],
               [[t, v["n"], v["acc_original"], v["acc_shuffled"], v["retention"], v["shift"]]
                for t, v in study.shuffle.items()])
    if study.transfer:
        keys = list(study.transfer[0])
        _write_csv(out / "transfer.csv", keys, [[r[k] for k in keys] for r in study.transfer])
    head = []
    for subset, r in study.classifier.items():
        head += [(f"{subset}: works in classifier", r["n"]),
                 (f"{subset}: style (Gram) LOO accuracy", r["style_acc"]),
                 (f"{subset}: colour-only LOO accuracy", r["colour_acc"]),
                 (f"{subset}: chance (majority)", r["chance_majority"]),
                 (f"{subset}: chance (proportional)", r["chance_proportional"])]
    for t, v in study.shuffle.items():
        head.append((f"shuffle retention: {t}", v["retention"]))
    for t, v in transfer_summary(study).items():
        head += [(f"transfer {t}: SSIM", v["ssim"]), (f"transfer {t}: deception", v["deception"]),
                 (f"transfer {t}: style distance to centroid", v["style_dist_centroid"]),
                 (f"transfer {t}: photo distance to centroid", v["photo_dist_centroid"])]
    head.append(("settings", repr(settings)))
    _write_csv(out / "headline.csv", ["quantity", "value"], head)

