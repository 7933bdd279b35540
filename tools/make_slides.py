"""Turn lesson notebooks into reveal.js slide decks that open offline (no CDN, no network).

    python tools/make_slides.py notebooks/03_gram_matrices.ipynb [more.ipynb ...] [-o results/slides]
    python tools/make_slides.py --all            # every lesson in notebooks/

Each deck is ``<out>/<notebook>.slides.html``; the scripts, style sheets and fonts it needs
(reveal.js and KaTeX, vendored in ``tools/slides/vendor/``) are copied once to
``<out>/slides-lib/``. Copy or zip the whole ``<out>`` folder to a classroom machine and open
a deck in any browser: nothing is fetched from the internet.

The committed outputs of the notebook are used as they are (nothing is executed). Slides are
cut where the lesson's headings are: ``#`` and ``##`` start a new slide, ``###`` a sub-slide
(down arrow); a cell whose slide type was set in Jupyter (View → Cell toolbar → Slideshow)
keeps it. Long slides scroll. Links to web pages are written out as text, because a deck shown
offline cannot follow them, and so that the HTML references no remote URL at all.
"""

from __future__ import annotations

import argparse
import copy
import html
import re
import shutil
import sys
from html.parser import HTMLParser
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
SLIDES_DIR = Path(__file__).resolve().parent / "slides"
VENDOR = SLIDES_DIR / "vendor"
TEMPLATES = SLIDES_DIR / "template"
LIB_NAME = "slides-lib"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
REMOTE = re.compile(r"^\s*(?:[a-z][a-z0-9+.\-]*:)?//", re.IGNORECASE)
ANCHOR = re.compile(r'<a\b[^>]*?\bhref\s*=\s*"((?:https?:)?//[^"]*)"[^>]*>(.*?)</a>',
                    re.IGNORECASE | re.DOTALL)


class SlidesError(ValueError):
    """A notebook that cannot be turned into slides (missing, not a notebook, ...)."""


# ----------------------------------------------------------------------------- notebook → slides


def slide_type_for(cell: nbformat.NotebookNode) -> str:
    """The reveal.js slide type a cell gets: its own if set, else from its heading level."""
    own = cell.get("metadata", {}).get("slideshow", {}).get("slide_type")
    if own:
        return str(own)
    if cell.cell_type == "markdown":
        first = cell.source.lstrip().split("\n", 1)[0]
        if re.match(r"#{1,2}\s", first):
            return "slide"
        if re.match(r"###\s", first):
            return "subslide"
    return "-"


def prepare(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of ``nb`` with slide types set and interactive-widget views dropped.

    Widget views (tqdm progress bars) need a JavaScript renderer from a CDN; their plain-text
    form is kept instead.
    """
    nb = copy.deepcopy(nb)
    nb.metadata.pop("widgets", None)
    for i, cell in enumerate(nb.cells):
        kind = slide_type_for(cell)
        if i == 0 and kind in ("-", "subslide", "fragment"):
            kind = "slide"  # reveal.js needs the first cell to open a slide
        cell.setdefault("metadata", {}).setdefault("slideshow", {})["slide_type"] = kind
        for out in cell.get("outputs", []):
            data = out.get("data")
            if data and WIDGET_MIME in data:
                del data[WIDGET_MIME]
                data.setdefault("text/plain", "")
    return nb


def unlink_remote(page: str) -> str:
    """Write each link to a web page as its text followed by the address, not as a link."""
    def replace(m: re.Match[str]) -> str:
        url, text = html.unescape(m.group(1)), m.group(2)
        shown = html.escape(url, quote=True)
        if html.unescape(re.sub(r"<[^>]+>", "", text)).strip() == url:
            return f'<span class="offline-url">{shown}</span>'
        return f'{text} <span class="offline-url">({shown})</span>'

    return ANCHOR.sub(replace, page)


def convert(path: Path, out_dir: Path) -> Path:
    """Write ``out_dir/<name>.slides.html`` for the notebook at ``path``; return its path."""
    from nbconvert import SlidesExporter

    path = Path(path)
    if not path.is_file():
        raise SlidesError(f"{path}: no such notebook")
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as exc:  # nbformat raises several kinds (JSON, validation, encoding)
        raise SlidesError(f"{path}: not a readable Jupyter notebook ({exc})") from exc
    exporter = SlidesExporter(
        template_name="offline_reveal",
        extra_template_basedirs=[str(TEMPLATES)],
        reveal_theme="white",
        reveal_transition="none",
        reveal_number="c/t",
        reveal_url_prefix=f"{LIB_NAME}/reveal.js",
    )
    resources = {
        "metadata": {"name": path.stem, "path": str(path.parent)},
        "offline": {"lib": LIB_NAME},
    }
    body, _ = exporter.from_notebook_node(prepare(nb), resources=resources)
    body = unlink_remote(body)
    out_dir.mkdir(parents=True, exist_ok=True)
    copy_lib(out_dir)
    target = out_dir / f"{path.stem}.slides.html"
    target.write_text(body, encoding="utf-8")
    return target


def copy_lib(out_dir: Path) -> Path:
    """Copy the vendored reveal.js and KaTeX next to the decks (once; refreshed if changed)."""
    if not (VENDOR / "reveal.js" / "dist" / "reveal.js").is_file():
        raise SlidesError(f"{VENDOR}: the vendored reveal.js is missing (see its README.md)")
    lib = out_dir / LIB_NAME
    shutil.copytree(VENDOR, lib, dirs_exist_ok=True)
    return lib


# ----------------------------------------------------------------------------- offline check


class _References(HTMLParser):
    """Collect every address an HTML page would load or link to."""

    ATTRS = {"src", "href", "srcset", "poster", "data", "action", "formaction", "background"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.refs: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_style = tag == "style"
        for name, value in attrs:
            if value is None:
                continue
            if name in self.ATTRS:
                parts = value.split(",") if name == "srcset" else [value]
                self.refs += [p.strip().split(" ")[0] for p in parts if p.strip()]
            elif name == "style":
                self.refs += css_references(value)

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.refs += css_references(data)


def css_references(css: str) -> list[str]:
    """Addresses in ``url(...)`` and ``@import "..."`` of a style sheet."""
    refs = [m.strip("'\" ") for m in re.findall(r"url\(\s*([^)]*?)\s*\)", css)]
    refs += re.findall(r"@import\s+[\"']([^\"']+)[\"']", css)
    return refs


def remote_references(page: str) -> list[str]:
    """Every remote address (``http:``, ``https:``, ``//host``, ...) the page references."""
    parser = _References()
    parser.feed(page)
    return [r for r in parser.refs if REMOTE.match(r)]


def missing_local_files(deck: Path) -> list[str]:
    """Local files the deck references (not data: URIs or #anchors) that do not exist."""
    parser = _References()
    parser.feed(deck.read_text(encoding="utf-8"))
    missing = []
    for ref in parser.refs:
        if REMOTE.match(ref) or ref.startswith(("data:", "#", "mailto:", "javascript:")) or not ref:
            continue
        if not (deck.parent / ref.split("#")[0].split("?")[0]).exists():
            missing.append(ref)
    return missing


# ----------------------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="notebooks to turn into decks")
    parser.add_argument("--all", action="store_true", help="every lesson in notebooks/")
    parser.add_argument("-o", "--out", type=Path, default=ROOT / "results" / "slides",
                        help="folder for the decks (default: results/slides)")
    args = parser.parse_args(argv)
    paths = list(args.notebooks)
    if args.all:
        paths += sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if not paths:
        parser.error("name at least one notebook, or --all")
    for path in paths:
        try:
            deck = convert(path, args.out)
        except SlidesError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        remote = remote_references(deck.read_text(encoding="utf-8"))
        if remote:
            print(f"error: {deck} still references remote addresses: {remote[:5]}", file=sys.stderr)
            return 1
        print(f"{deck} ({deck.stat().st_size / 1e6:.1f} MB)")
    print(f"open them offline: copy {args.out} (with {LIB_NAME}/) and open a .slides.html file")
    return 0


if __name__ == "__main__":
    sys.exit(main())
