"""The course's images: the catalog, the extra photos, and a careful image loader.

Lessons 00–08 (every lesson that shows or loads an image). Everything here reads from
``data/`` and never writes to it. Artworks and photos are the same record type,
:class:`Artwork`, so every image the course shows carries its full credit.

    >>> from helpers import data
    >>> cat = data.load_catalog()
    >>> wave = cat["japanese-ukiyoe__hokusai-great-wave-off-kanagawa__c1831"]
    >>> wave.artist
    'Katsushika Hokusai (1760-1849)'
    >>> img = data.load_image(wave.path, max_side=256)   # float32, (H, W, 3), in [0, 1]
"""

from __future__ import annotations

import contextlib
import csv
import functools
import re
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

__all__ = [
    "DATA_DIR", "ART_DIR", "CATALOG_PATH", "PHOTOS_DIR", "PHOTOS_CSV", "MAX_PIXELS", "MIN_SIDE",
    "ImageError", "EthicsNotice", "load_image", "Artwork", "COLUMNS", "Catalog", "load_catalog",
    "load_photos", "shown_notices", "forget_notices", "fresh_notices",
]

#: The project's ``data/`` folder (read-only for the course).
DATA_DIR: Path = Path(__file__).resolve().parent.parent / "data"
ART_DIR: Path = DATA_DIR / "art"
CATALOG_PATH: Path = ART_DIR / "CATALOG.csv"
#: Extra public-domain photos (lesson 05's photo domain), listed with their credits.
PHOTOS_DIR: Path = DATA_DIR / "photos"
PHOTOS_CSV: Path = PHOTOS_DIR / "PHOTOS.csv"

#: Largest image the loader will decode (pixels). A 30000×30000 header is refused before
#: any pixel is read: decoding it would need gigabytes (a "decompression bomb").
MAX_PIXELS: int = 60_000_000
#: Smallest side accepted: VGG16 pools four times before conv5_1, so 16 px is its floor.
MIN_SIDE: int = 16


class ImageError(ValueError):
    """An image file that cannot be used; the message names the file and the problem."""


class EthicsNotice(UserWarning):
    """Shown when a work whose catalog entry carries an ethics note is used as a style or
    trained on (:meth:`Artwork.use_as_style`), once per work per session."""


# --------------------------------------------------------------------------------------
# Loading images
# --------------------------------------------------------------------------------------


def _to_rgb_float(im: Image.Image, path: Path) -> np.ndarray:
    """Convert any Pillow mode to float32 RGB in [0, 1]; transparency is laid on white."""
    mode = im.mode
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        # 16-bit (or 32-bit int) greyscale: keep the precision, scale by the mode's range.
        arr = np.asarray(im, dtype=np.float64)
        top = 65535.0 if mode.startswith("I;16") or arr.max() <= 65535 else float(arr.max())
        grey = np.clip(arr / top, 0.0, 1.0).astype(np.float32)
        return np.repeat(grey[..., None], 3, axis=2)
    if mode == "F":
        arr = np.asarray(im, dtype=np.float32)
        lo, hi = float(np.nanmin(arr)), float(np.nanmax(arr))
        grey = (arr - lo) / (hi - lo) if hi > lo else np.zeros_like(arr)
        return np.repeat(grey[..., None], 3, axis=2).astype(np.float32)
    if mode == "P" and "transparency" in im.info:
        im = im.convert("RGBA")
        mode = "RGBA"
    if mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        im = Image.alpha_composite(white, rgba)
    # CMYK, YCbCr, LAB, HSV, P, L, 1, RGB: Pillow's own conversions are the right ones.
    rgb = im.convert("RGB")
    return np.asarray(rgb, dtype=np.float32) / 255.0


def load_image(
    path: str | Path,
    max_side: int | None = None,
    *,
    max_pixels: int = MAX_PIXELS,
    min_side: int = MIN_SIDE,
) -> np.ndarray:
    """Read an image file as float32 RGB in [0, 1] with shape (H, W, 3).

    Handles EXIF orientation, palette, alpha (laid on white), greyscale, 16-bit and CMYK
    files. With ``max_side``, the image is shrunk (never enlarged) so that its longer side
    is at most ``max_side`` pixels, keeping the aspect ratio.

    Raises :class:`ImageError`, naming the file, for a missing, unreadable, corrupt,
    truncated, too small (under ``min_side`` px) or too large (over ``max_pixels``) file.

    >>> img = load_image(ART_DIR / "content-photo__chelsea-the-cat__skimage.jpg", max_side=128)
    >>> img.shape[2], img.dtype.name, max(img.shape[:2])
    (3, 'float32', 128)
    """
    path = Path(path)
    if max_side is not None and max_side < min_side:
        raise ValueError(f"max_side must be at least {min_side} px, got {max_side}")
    if not path.exists():
        raise ImageError(f"{path}: no such file")
    if not path.is_file():
        raise ImageError(f"{path}: not a file")
    try:
        with Image.open(path) as im:
            width, height = im.size
            if width * height > max_pixels:
                raise ImageError(
                    f"{path}: {width}×{height} px is too large to load "
                    f"(limit {max_pixels:,} pixels; is it a decompression bomb?)"
                )
            if min(width, height) < min_side:
                raise ImageError(
                    f"{path}: {width}×{height} px is too small "
                    f"(each side must be at least {min_side} px)"
                )
            im.load()  # decode now, so a truncated file fails here, inside this try
            im = ImageOps.exif_transpose(im)
            if max_side is not None and max(im.size) > max_side:
                scale = max_side / max(im.size)
                size = (max(1, round(im.size[0] * scale)), max(1, round(im.size[1] * scale)))
                if im.mode not in ("RGB", "RGBA", "L", "LA"):
                    im = im.convert("RGBA" if "A" in im.mode or "transparency" in im.info else "RGB")
                im = im.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
            return _to_rgb_float(im, path)
    except ImageError:
        raise
    except Image.DecompressionBombError as exc:
        raise ImageError(f"{path}: too large to load safely ({exc})") from None
    except UnidentifiedImageError:
        raise ImageError(f"{path}: not an image file Pillow can read") from None
    except (OSError, SyntaxError, ValueError) as exc:
        # Pillow raises OSError for truncated data ("image file is truncated").
        raise ImageError(f"{path}: corrupt or truncated image ({exc})") from None


# --------------------------------------------------------------------------------------
# The catalog
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Artwork:
    """One row of ``data/art/CATALOG.csv``: an artwork (role ``style``) or a photo (``content``).

    Every provenance column of the catalog is kept as a field of the same name; ``folder``
    (not a column) is where the file lies: ``data/art`` for the catalog, ``data/photos`` for
    :func:`load_photos`. ``group`` is the artist or series a row belongs to (for grouped
    cross-validation: leave one group out). A long scroll cut into sections is several rows
    with one group, and counts as one *work* (:attr:`work_title`).

    >>> sec = load_catalog()["chinese-ink-landscape__mi-youren-cloudy-mountains-section-2__12c"]
    >>> sec.title, sec.work_title, sec.group
    ('Cloudy Mountains (Yunshan tu), section 2', 'Cloudy Mountains (Yunshan tu)', 'mi-youren')
    """

    file: str
    role: str
    tradition_group: str
    culture_tradition: str
    title: str
    artist: str
    date: str
    medium: str
    holding_museum: str
    source: str
    license_pd_reasoning: str
    confidence: str
    notes: str
    ethics_note: str
    group: str
    folder: Path = field(default=ART_DIR, repr=False, metadata={"column": False})

    @property
    def id(self) -> str:
        """The file name without its extension; unique within the catalog."""
        return Path(self.file).stem

    @property
    def path(self) -> Path:
        return self.folder / self.file

    @property
    def palette_reduced(self) -> bool:
        """True for scans reduced to a small palette: their colour statistics are not faithful.

        The catalog's one such row (a v1 image kept for display in lesson 08) stays out of
        every statistic and training set."""
        return "16-colour" in self.notes

    @property
    def work_title(self) -> str:
        """The title without a ", section k …" suffix: the sections of one scroll are one
        work. Count works with ``len({a.work_title for a in artworks})``."""
        return _SECTION.sub("", self.title)

    @property
    def caption(self) -> str:
        """"Title — Artist, date": the credit shown under every image of this work."""
        return f"{self.title} — {self.artist}{self._date_suffix}"

    @property
    def short_caption(self) -> str:
        """A shorter credit for small figures: title, artist without life dates, date.

        Nothing is cut: a long title is wrapped by the figure (``plot.wrap``), never truncated
        mid-word, so every image keeps its full credit.
        """
        artist = self.artist.split(" (")[0]
        return f"{self.title}\n{artist}{self._date_suffix}"

    @property
    def _date_suffix(self) -> str:
        # the course's own generated patterns have no date ("Generated for this course, generated")
        return "" if self.date.strip().lower() == "generated" else f", {self.date}"

    def load(self, max_side: int | None = None) -> np.ndarray:
        """The image as float32 RGB in [0, 1] (see :func:`load_image`)."""
        return load_image(self.path, max_side=max_side)

    @property
    def notice(self) -> str:
        """The text of this work's ethics notice ("Title (tradition): note"); "" when unflagged."""
        note = self.ethics_note.strip()
        return f"{self.title} ({self.culture_tradition}): {note}" if note else ""

    def warn_if_flagged(self, *, once: bool = True) -> bool:
        """Show the catalog's ethics note, if any, as an :class:`EthicsNotice` warning.

        Once per work per session: a work already shown (:func:`shown_notices`) is not shown
        again unless ``once=False``. Returns whether a notice was shown.

        >>> thangka = load_catalog()["tibetan__buddha-shakyamuni-as-lord-of-the-munis__mid17c"]
        >>> with fresh_notices(), warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     first, again = thangka.warn_if_flagged(), thangka.warn_if_flagged()
        >>> first, again, len(caught), caught[0].category.__name__
        (True, False, 1, 'EthicsNotice')
        """
        if not self.notice or (once and self.id in _SHOWN):
            return False
        _SHOWN.add(self.id)
        warnings.warn(self.notice, EthicsNotice, stacklevel=2)
        return True

    def use_as_style(self, max_side: int | None = None) -> np.ndarray:
        """Load the image *to use it as a style or to train on it*: shows the work's ethics
        note first (once per session, :meth:`warn_if_flagged`), then :meth:`load`.

        Every course path that stylises with a catalog work or trains on it goes through here:
        the lesson panels (:mod:`helpers.widgets`), CycleGAN's domains, AdaIN's training set,
        :func:`helpers.study.load_style`. Showing a work (figures) uses :meth:`load`.
        """
        self.warn_if_flagged()
        return self.load(max_side=max_side)


#: Ids of the works whose ethics notice this session has already shown (see
#: :meth:`Artwork.warn_if_flagged`).
_SHOWN: set[str] = set()


def shown_notices() -> frozenset[str]:
    """The ids of the works whose ethics notice has been shown in this session."""
    return frozenset(_SHOWN)


def forget_notices() -> None:
    """Start a new notice session: every flagged work will show its note again once."""
    _SHOWN.clear()


@contextlib.contextmanager
def fresh_notices() -> Iterator[None]:
    """A new notice session inside the block; the session's record is restored after it
    (for tests and examples, which must not change what a notebook has been shown)."""
    saved = set(_SHOWN)
    _SHOWN.clear()
    try:
        yield
    finally:
        _SHOWN.clear()
        _SHOWN.update(saved)


#: The catalog's columns, in order (every field of :class:`Artwork` but ``folder``).
COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(Artwork) if f.metadata.get("column", True))
#: The suffix that marks one section of a long handscroll cut into several rows.
_SECTION = re.compile(r",\s*section \d+\b.*$")


class Catalog:
    """The course's images, queryable by id, role and tradition.

    >>> cat = load_catalog()
    >>> len(cat), len(cat.styles()), len(cat.contents())
    (109, 99, 10)
    >>> [a.id for a in cat.by_tradition("tibetan")]
    ['tibetan__buddha-shakyamuni-as-lord-of-the-munis__mid17c']
    >>> chinese = cat.by_tradition("chinese")
    >>> len(chinese), len({a.work_title for a in chinese}), len(cat.groups(chinese))
    (21, 12, 12)
    """

    def __init__(self, artworks: Iterable[Artwork]):
        self._items: tuple[Artwork, ...] = tuple(artworks)
        self._by_id = {a.id: a for a in self._items}
        if len(self._by_id) != len(self._items):
            raise ValueError("catalog has duplicate file names")

    @classmethod
    def from_csv(cls, path: str | Path = CATALOG_PATH) -> Catalog:
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"{path}: catalog not found")
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise ValueError(f"{path}: missing columns {missing}")
            rows = []
            for line, row in enumerate(reader, start=2):
                for c in ("file", "role", "tradition_group", "title", "group"):
                    if not (row[c] or "").strip():
                        raise ValueError(f"{path}, line {line}: empty {c!r} "
                                         f"(file {row['file'] or '?'!r})")
                if row["role"] not in ("style", "content"):
                    raise ValueError(f"{path}, line {line}: role must be 'style' or 'content', "
                                     f"got {row['role']!r}")
                rows.append(Artwork(**{c: row[c] or "" for c in COLUMNS}))
            return cls(rows)

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Artwork]:
        return iter(self._items)

    def __getitem__(self, key: str) -> Artwork:
        """Look up by id (file stem) or file name."""
        key = Path(key).stem
        try:
            return self._by_id[key]
        except KeyError:
            close = [i for i in self._by_id if key.split("__")[0] in i][:5]
            hint = f"; similar ids: {close}" if close else ""
            raise KeyError(f"no artwork with id {key!r} in the catalog{hint}") from None

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and Path(key).stem in self._by_id

    def styles(self) -> list[Artwork]:
        """The artworks (role ``style``)."""
        return [a for a in self._items if a.role == "style"]

    def contents(self) -> list[Artwork]:
        """The content photographs (role ``content``)."""
        return [a for a in self._items if a.role == "content"]

    def traditions(self) -> list[str]:
        """The style traditions (``tradition_group``), largest first, ties alphabetically."""
        counts: dict[str, int] = {}
        for a in self.styles():
            counts[a.tradition_group] = counts.get(a.tradition_group, 0) + 1
        return sorted(counts, key=lambda t: (-counts[t], t))

    def by_tradition(self, tradition: str) -> list[Artwork]:
        """Works of one ``tradition_group`` (e.g. ``"japanese"``)."""
        found = [a for a in self._items if a.tradition_group == tradition]
        if not found:
            raise KeyError(f"no tradition {tradition!r}; the catalog has {self.traditions()}")
        return found

    def groups(self, artworks: Iterable[Artwork] | None = None) -> dict[str, list[Artwork]]:
        """The rows of ``artworks`` (default: the whole catalog) by ``group``, in catalog order."""
        out: dict[str, list[Artwork]] = {}
        for a in self._items if artworks is None else artworks:
            out.setdefault(a.group, []).append(a)
        return out

    def filter(self, **conditions: str | bool) -> list[Artwork]:
        """Works whose attributes equal every given value, e.g. ``filter(role="style",
        palette_reduced=False)``."""
        for name in conditions:
            if not hasattr(Artwork, name) and name not in COLUMNS:
                raise AttributeError(f"artworks have no attribute {name!r}")
        return [a for a in self._items
                if all(getattr(a, k) == v for k, v in conditions.items())]


@functools.lru_cache(maxsize=1)
def load_catalog() -> Catalog:
    """The catalog of ``data/art`` (read once, then cached)."""
    return Catalog.from_csv(CATALOG_PATH)


@functools.lru_cache(maxsize=4)
def load_photos(csv_path: str | Path = PHOTOS_CSV) -> tuple[Artwork, ...]:
    """The extra photos of ``data/photos`` (listed in ``PHOTOS.csv``) as content records.

    ``PHOTOS.csv`` has the columns ``file, title, artist, date, source, license``; the
    catalog columns it lacks are filled as for the catalog's own content photos (role and
    tradition ``content``, medium "Photograph", ``license`` as the licence reasoning); each
    photo is its own ``group`` (``content-`` and its id).

    >>> [(p.id, p.role) for p in load_photos()]
    [('skimage-coffee', 'content'), ('skimage-rocket', 'content')]
    >>> load_photos()[1].caption
    'Launch of DSCOVR on Falcon 9 — SpaceX, 2015'
    """
    csv_path = Path(csv_path)
    if not csv_path.is_file():
        raise FileNotFoundError(f"{csv_path}: photo list not found")
    with csv_path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        needed = ("file", "title", "artist", "date", "source", "license")
        missing = [c for c in needed if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{csv_path}: missing columns {missing}")
        return tuple(
            Artwork(file=row["file"], role="content", tradition_group="content",
                    culture_tradition="Content photo (extra, data/photos)", title=row["title"],
                    artist=row["artist"], date=row["date"], medium="Photograph",
                    holding_museum="n/a", source=row["source"],
                    license_pd_reasoning=row["license"], confidence="high", notes="",
                    ethics_note="", group=f"content-{Path(row['file']).stem}",
                    folder=csv_path.parent)
            for row in reader)
