"""Build the whole course as a static website that works offline: ``make site``.

    python tools/make_site.py [-o results/site] [--jobs 2]

``results/site/index.html`` opens in any browser, also copied to a machine without network: an
index with the lesson table (number, title, run time from each notebook's header, links to the
lesson, its solutions and its slides); every lesson and solutions notebook as a page with its
committed outputs (nothing is executed); ``docs/*.md`` as pages; every lesson as a reveal.js
deck (``tools/make_slides.py``) in ``slides/``.

Offline: nbconvert's lab template loads require.js, MathJax and Mermaid from a CDN, and the
ipywidgets renderer from unpkg for a notebook with widget state; the site's template
(``tools/site/template/offline_lab``) drops them and renders formulas with the KaTeX vendored in
``tools/slides/vendor``. Widget views are left out (no kernel drives them): a panel becomes a
note above the static copy of its default result that the lessons display after it; a progress
bar keeps its text. Links to web pages are written out as text, as on the slides.

Links: the site mirrors the repository's folders, and a link to a notebook (``02_dcgan.ipynb``)
or document (``../docs/glossary.md``) is rewritten to its ``.html`` page; a link to another
course file copies that file into the site; a link to a missing file stops the build, naming
page and link. A code name that is a page's file name (``00_welcome``, ``docs/glossary.md``)
links to it. The build ends by checking every page for remote addresses and missing files;
``tests/browser/test_site.py`` crawls the site in a browser.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import copy
import html
import os
import posixpath
import re
import shutil
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote

import nbformat

TOOLS = Path(__file__).resolve().parent
ROOT = TOOLS.parent
sys.path.insert(0, str(TOOLS))
import make_slides  # noqa: E402  (tools/ is not a package)

SITE_FILES = TOOLS / "site"
TEMPLATES = SITE_FILES / "template"
KATEX = make_slides.VENDOR / "katex"
MARKER = ".course-site"  # marks a folder this tool made, so that a rebuild may replace it
SLIDES = "slides"
COURSE = "Style Across Cultures"
WIDGET_REPR = re.compile(r"^\s*[A-Z]\w*\(")  # ipywidgets' text form: "VBox(children=(…"
HEADING = re.compile(r"^#\s+(\S+)\s+·\s+(.+?)\s*$", re.MULTILINE)
RUN_TIME = re.compile(r"^\*\*Run time\*\*.*$", re.MULTILINE)
ATTR = re.compile(r'(\b(?:href|src)=")([^"]*)(")')
CODE = re.compile(r"<code>([A-Za-z0-9_./-]+)</code>(?!</a>)")


class SiteError(ValueError):
    """The site cannot be built as promised (a broken link, a header without a run time, ...)."""


# ----------------------------------------------------------------------------- what the site holds


@dataclass(frozen=True)
class Lesson:
    """A lesson notebook and what the index says about it."""

    path: Path
    number: str      # "04", "A1"
    title: str       # markdown, from the header's "# NN · Title"
    run_time: str    # the header's **Run time** paragraph (markdown)
    solutions: Path | None


def read(path: Path) -> nbformat.NotebookNode:
    """The notebook, without nbformat's warning about cells without an id (the site does not
    need them, and the notebook's own tests are the place to report its format)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", nbformat.validator.MissingIDFieldWarning)
        return nbformat.read(path, as_version=4)


def header(path: Path) -> tuple[str, str, str]:
    """(number, title, run-time paragraph) from a notebook's first cell."""
    nb = read(path)
    first = nb.cells[0].source if nb.cells else ""
    heading, run_time = HEADING.search(first), RUN_TIME.search(first)
    if heading is None:
        raise SiteError(f"{path}: the first cell does not start with '# NN · Title'")
    if run_time is None:
        raise SiteError(f"{path}: the header has no '**Run time**' line (CONTRIBUTING.md)")
    return heading.group(1), heading.group(2), run_time.group(0)


def short_run_time(text: str) -> str:
    """The full- and fast-mode times a header states, e.g. 'full 271 s · fast 63 s'.

    >>> short_run_time("**Run time**: full mode 5 min 41 s (load 5); fast mode (`COURSE_FAST=1`) 95 s")
    'full 5 min 41 s · fast 95 s'
    >>> short_run_time("**Run time**: see the guide")
    ''
    """
    full = re.search(r"full mode:? ((?:about )?\d+(?:\.\d+)? (?:s|min)(?: \d+ s)?)", text)
    fast = re.search(r"[Ff]ast mode(?: \(`COURSE_FAST=1`\))?:? ((?:about )?\d+(?:\.\d+)? (?:s|min))",
                     text)
    parts = [f"full {full.group(1)}" if full else "", f"fast {fast.group(1)}" if fast else ""]
    return " · ".join(p for p in parts if p)


def lessons() -> list[Lesson]:
    found = []
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        number, title, run_time = header(path)
        sol = ROOT / "notebooks" / "solutions" / f"{number}_solutions.ipynb"
        found.append(Lesson(path, number, title, run_time, sol if sol.exists() else None))
    if not found:
        raise SiteError(f"{ROOT / 'notebooks'}: no lesson notebooks")
    return found


def repo_path(path: Path) -> str:
    """A course file's path relative to the repository, with / ."""
    return path.relative_to(ROOT).as_posix()


def site_path(rel: str) -> str:
    """Where a course file's page goes in the site (the site mirrors the repository's folders).

    >>> site_path("notebooks/solutions/04_solutions.ipynb"), site_path("docs/glossary.md")
    ('notebooks/solutions/04_solutions.html', 'docs/glossary.html')
    """
    if rel == "README.md":
        return "index.html"
    return re.sub(r"\.(ipynb|md)$", ".html", rel)


def plain(markdown: str) -> str:
    """A title's text without markdown code marks and emphasis, for <title> and the nav."""
    return re.sub(r"[`*]", "", markdown)


# ----------------------------------------------------------------------------- links


def rewrite_links(page: str, source: str, target: str, pages: dict[str, str],
                  copies: set[str]) -> str:
    """Point the page's relative links at the site: notebooks and documents at their .html
    pages, other course files at copies of them (added to ``copies``). ``source``: the page's
    course file, ``target``: its site path (both relative to their roots, with / )."""
    own = set(pages.values())

    def replace(m: re.Match[str]) -> str:
        url = html.unescape(m.group(2))
        if (not url or url.startswith(("#", "data:", "mailto:", "javascript:"))
                or make_slides.REMOTE.match(url)):
            return m.group(0)
        path, _, fragment = url.partition("#")
        path = unquote(path.split("?")[0])
        rel = posixpath.normpath(posixpath.join(posixpath.dirname(source), path))
        if rel.startswith("../"):
            raise SiteError(f"{source}: the link {url!r} points outside the course")
        if rel in pages:
            dest = pages[rel]
        elif rel in own or rel.startswith(("lib/", f"{SLIDES}/")) or rel == "site.css":
            dest = rel  # one of the site's own pages or files (navigation, styles, KaTeX)
        elif (ROOT / rel).is_file():
            dest = rel
            copies.add(rel)
        else:
            raise SiteError(f"{source}: the link {url!r} names {rel}, which does not exist")
        new = posixpath.relpath(dest, posixpath.dirname(target) or ".")
        new += f"#{fragment}" if fragment else ""
        return m.group(1) + html.escape(new, quote=True) + m.group(3)

    return ATTR.sub(replace, page)


def code_names(pages: dict[str, str]) -> dict[str, str]:
    """Code names that mean a page (``00_welcome``, ``04_style_transfer.ipynb``,
    ``notebooks/04_style_transfer.ipynb``, ``docs/glossary.md``) → its site path."""
    names: dict[str, str] = {}
    for rel, dest in pages.items():
        if rel == "README.md":
            continue
        parts = rel.split("/")
        for i in range(len(parts)):
            names["/".join(parts[i:])] = dest
        if rel.endswith(".ipynb"):
            names[Path(rel).stem] = dest
    return names


def link_code_names(page: str, target: str, names: dict[str, str]) -> str:
    """Wrap ``<code>name</code>`` in a link when the name is another page's file name."""
    def replace(m: re.Match[str]) -> str:
        dest = names.get(m.group(1))
        if dest is None or dest == target:
            return m.group(0)
        href = posixpath.relpath(dest, posixpath.dirname(target) or ".")
        return f'<a href="{html.escape(href, quote=True)}">{m.group(0)}</a>'

    return CODE.sub(replace, page)


def finish(page: str, source: str, target: str, pages: dict[str, str]) -> tuple[str, set[str]]:
    """A rendered page's links made offline and site-relative; also the course files to copy."""
    copies: set[str] = set()
    page = make_slides.unlink_remote(page)
    page = rewrite_links(page, source, target, pages, copies)
    return link_code_names(page, target, code_names(pages)), copies


# ----------------------------------------------------------------------------- pages


def nav(target: str, items: list[tuple[str, str | None]]) -> str:
    """The navigation bar: (text, site path or None for the page itself)."""
    here = posixpath.dirname(target) or "."
    links = [f'<span class="site-here">{html.escape(text)}</span>' if dest is None else
             f'<a href="{html.escape(posixpath.relpath(dest, here), quote=True)}">{html.escape(text)}</a>'
             for text, dest in items]
    return '<nav class="site-nav">' + "\n".join(links) + "</nav>"


def for_site(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of ``nb`` without widget views: a panel becomes a note, a progress bar its text."""
    nb = copy.deepcopy(nb)
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        outputs = cell.get("outputs", [])
        for i, out in enumerate(outputs):
            data = out.get("data")
            if not data or make_slides.WIDGET_MIME not in data:
                continue
            del data[make_slides.WIDGET_MIME]
            text = "".join(data.get("text/plain", ""))
            if WIDGET_REPR.match(text):  # a panel of controls, not a progress bar
                later = any(k.startswith("image/") for o in outputs[i + 1:] for k in o.get("data", {}))
                shown = ("The static copy below shows its default result." if later else
                         "This page has no static copy of its result.")
                out["data"] = {"text/html": (
                    '<div class="site-widget-note">An interactive panel (ipywidgets) is here '
                    "when the notebook runs in JupyterLab (<code>make lab</code>). "
                    f"{shown}</div>"), "text/plain": "[interactive panel]"}
            else:
                data.setdefault("text/plain", "")
    return nb


@lru_cache(maxsize=1)
def _exporter():  # type: ignore[no-untyped-def]
    from nbconvert import HTMLExporter

    return HTMLExporter(template_name="offline_lab", extra_template_basedirs=[str(TEMPLATES)],
                        embed_images=True)


def write(dest: Path, text: str) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(text, encoding="utf-8")


def render_notebook(source: str, target: str, title: str, nav_html: str, out: str,
                    pages: dict[str, str]) -> set[str]:
    """Write the page of the notebook ``source``; return the course files it links to."""
    path = ROOT / source
    nb = for_site(read(path))
    resources = {"metadata": {"name": f"{title} · {COURSE}", "path": str(path.parent)},
                 "site": {"root": "../" * target.count("/"), "nav": nav_html}}
    body, _ = _exporter().from_notebook_node(nb, resources=resources)
    body, copies = finish(body, source, target, pages)
    write(Path(out) / target, body)
    return copies


def render_slides(source: str, out: str) -> set[str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", nbformat.validator.MissingIDFieldWarning)
        make_slides.convert(ROOT / source, Path(out) / SLIDES)
    return set()


def markdown_to_html(text: str) -> str:
    """Markdown (with tables; raw HTML kept) to HTML; headings get the ids GitHub gives them."""
    import mistune

    seen: dict[str, int] = {}

    class Renderer(mistune.HTMLRenderer):
        def heading(self, text: str, level: int, **attrs: object) -> str:
            slug = github_slug(html.unescape(re.sub(r"<[^>]+>", "", text)))
            n = seen.get(slug, 0)
            seen[slug] = n + 1
            slug = f"{slug}-{n}" if n else slug
            return f'<h{level} id="{html.escape(slug, quote=True)}">{text}</h{level}>\n'

    md = mistune.create_markdown(escape=False, renderer=Renderer(escape=False),
                                 plugins=["table", "strikethrough", "footnotes"])
    return str(md(text))


def github_slug(text: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens.

    >>> github_slug("1 · Before the class"), github_slug("Glossary · 术语表")
    ('1--before-the-class', 'glossary--术语表')
    """
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def document(title: str, nav_html: str, body: str, target: str) -> str:
    """A standalone page (index, docs) in the site's own style."""
    css = "../" * target.count("/") + "site.css"
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1.0">\n'
            f"<title>{html.escape(title)}</title>\n<link rel=\"icon\" href=\"data:,\">\n"
            f'<link rel="stylesheet" href="{css}">\n</head>\n<body class="site-doc">\n'
            f"{nav_html}\n<main>\n{body}\n</main>\n</body>\n</html>\n")


def render_doc(source: str, target: str, nav_html: str, out: str, pages: dict[str, str]) -> set[str]:
    text = (ROOT / source).read_text(encoding="utf-8")
    first = re.search(r"^#\s+(.+)$", text, re.MULTILINE)
    title = plain(first.group(1)) if first else Path(source).stem
    page = document(f"{title} · {COURSE}", nav_html, markdown_to_html(text), target)
    page, copies = finish(page, source, target, pages)
    write(Path(out) / target, page)
    return copies


def index_page(course: list[Lesson], docs: list[tuple[str, str]], commit: str) -> str:
    """The index: the README's opening, the lesson table, the documents."""
    import mistune

    inline = mistune.create_markdown(escape=True)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    intro = next((p for p in readme.split("\n\n")[1:] if p.strip() and not p.startswith("#")), "")
    rows = []
    for lesson in course:
        stem = lesson.path.stem
        title = str(inline(lesson.title)).strip().removeprefix("<p>").removesuffix("</p>")
        times = short_run_time(lesson.run_time) or "see the notebook"
        solutions = (f'<a href="notebooks/solutions/{lesson.solutions.stem}.html">solutions</a>'
                     if lesson.solutions else "—")
        rows.append(
            f"<tr><td>{html.escape(lesson.number)}</td>"
            f'<td><a href="notebooks/{stem}.html">{title}</a></td>'
            f'<td class="site-runtime" title="{html.escape(plain(lesson.run_time), quote=True)}">'
            f"{html.escape(times)}</td><td>{solutions}</td>"
            f'<td><a href="{SLIDES}/{stem}.slides.html">slides</a></td></tr>')
    doc_items = "\n".join(f'<li><a href="{html.escape(t, quote=True)}">{html.escape(name)}</a></li>'
                          for name, t in docs)
    built = f" Built from commit <code>{html.escape(commit)}</code>." if commit else ""
    return (f"<h1>{COURSE}</h1>\n{markdown_to_html(intro)}\n"
            "<p>This is the course as a website that works offline: every lesson and solution "
            "with the outputs of its committed full-mode run (nothing is run here), the slides, "
            "and the documents for teachers. To run the notebooks and use their interactive "
            "panels, open them in JupyterLab with <code>make lab</code>.</p>\n"
            "<h2>Lessons</h2>\n<table>\n<thead><tr><th>#</th><th>Lesson</th>"
            "<th>Run time (from the notebook's header; hover for all of it)</th>"
            "<th>Solutions</th><th>Slides</th></tr></thead>\n<tbody>\n"
            + "\n".join(rows) + "\n</tbody>\n</table>\n"
            f"<h2>For teachers</h2>\n<ul>\n{doc_items}\n</ul>\n"
            f'<p class="site-footer">Made by <code>make site</code> (tools/make_site.py).{built}</p>')


def git_commit() -> str:
    """The commit the site shows it was built from ("" outside a git checkout)."""
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True,
                              timeout=10, check=True).stdout.strip()
    try:
        head, dirty = git("rev-parse", "--short", "HEAD"), git("status", "--porcelain", "--",
                                                              "notebooks", "docs", "README.md")
    except (OSError, subprocess.SubprocessError):
        return ""
    return head + (" with uncommitted changes" if dirty else "")


# ----------------------------------------------------------------------------- the build


def prepare_out(out: Path) -> None:
    """Empty ``out`` if this tool made it (or it is empty); refuse to delete anything else."""
    if out.exists():
        if not out.is_dir() or not ((out / MARKER).exists() or not any(out.iterdir())):
            raise SiteError(f"{out} exists and was not made by make_site.py; "
                            "remove it or choose another folder with -o")
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / MARKER).write_text("made by tools/make_site.py; the next build replaces this folder\n",
                              encoding="utf-8")


def check(out: Path) -> list[str]:
    """Every page's remote addresses and missing local files (should be none)."""
    problems = []
    for page in sorted(out.rglob("*.html")):
        rel = page.relative_to(out).as_posix()
        remote = make_slides.remote_references(page.read_text(encoding="utf-8"))
        problems += [f"{rel}: references the remote address {r}" for r in remote]
        problems += [f"{rel}: references {r}, which is not in the site"
                     for r in make_slides.missing_local_files(page)]
    return problems


def build(out: Path, jobs: int = 2) -> dict[str, float]:
    """Write the site to ``out``; return its page count, size in MB and build seconds."""
    start = time.perf_counter()
    course = lessons()
    solutions = sorted((ROOT / "notebooks" / "solutions").glob("*.ipynb"))
    docs = sorted((ROOT / "docs").glob("*.md"))
    pages = {repo_path(p): site_path(repo_path(p)) for p in [l.path for l in course] + solutions + docs}
    pages["README.md"] = site_path("README.md")
    doc_titles = []
    for p in docs:
        first = re.search(r"^#\s+(.+)$", p.read_text(encoding="utf-8"), re.MULTILINE)
        doc_titles.append((plain(first.group(1)) if first else p.stem, pages[repo_path(p)]))
    prepare_out(out)
    by_number = {l.number: pages[repo_path(l.path)] for l in course}
    home: list[tuple[str, str | None]] = [("Course index", "index.html")]

    tasks: list[tuple] = []
    for i, lesson in enumerate(course):
        target, name = pages[repo_path(lesson.path)], f"{lesson.number} · {plain(lesson.title)}"
        before, after = course[i - 1] if i else None, course[i + 1] if i + 1 < len(course) else None
        items = (home + ([(f"← {before.number}", by_number[before.number])] if before else [])
                 + [(name, None)] + ([(f"{after.number} →", by_number[after.number])] if after else [])
                 + ([("Solutions", pages[repo_path(lesson.solutions)])] if lesson.solutions else [])
                 + [("Slides", f"{SLIDES}/{lesson.path.stem}.slides.html")])
        tasks.append((render_notebook, repo_path(lesson.path), target, name, nav(target, items), str(out), pages))
        tasks.append((render_slides, repo_path(lesson.path), str(out)))
    for path in solutions:
        number, title, _ = header(path)
        target, name = pages[repo_path(path)], f"{number} · {plain(title)}"
        items = home + ([(f"Lesson {number}", by_number[number])] if number in by_number else [])
        tasks.append((render_notebook, repo_path(path), target, name, nav(target, items + [(name, None)]),
                      str(out), pages))
    for path in docs:
        items = home + [(name, None if t == pages[repo_path(path)] else t) for name, t in doc_titles]
        tasks.append((render_doc, repo_path(path), pages[repo_path(path)], nav(pages[repo_path(path)], items),
                      str(out), pages))

    # The biggest notebooks first, so that two workers finish at about the same time.
    tasks.sort(key=lambda t: -(ROOT / t[1]).stat().st_size)
    index, copies = finish(document(COURSE, nav("index.html", [("Course index", None)] + doc_titles),
                                    index_page(course, doc_titles, git_commit()), "index.html"),
                           "README.md", "index.html", pages)
    write(out / "index.html", index)
    if jobs > 1:
        with concurrent.futures.ProcessPoolExecutor(max_workers=jobs) as pool:
            for done in [pool.submit(fn, *args) for fn, *args in tasks]:
                copies |= done.result()
    else:
        for fn, *args in tasks:
            copies |= fn(*args)
    shutil.copytree(KATEX, out / "lib" / "katex")
    shutil.copy2(SITE_FILES / "site.css", out / "site.css")
    for name in sorted(copies):
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, out / name)

    problems = check(out)
    if problems:
        raise SiteError("the site is not self-contained:\n  " + "\n  ".join(problems[:20]))
    files = [p for p in out.rglob("*") if p.is_file()]
    return {"pages": sum(p.suffix == ".html" for p in files),
            "mb": sum(p.stat().st_size for p in files) / 1e6,
            "seconds": time.perf_counter() - start}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-o", "--out", type=Path, default=ROOT / "results" / "site",
                        help="folder for the site (default: results/site); replaced on each build")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1),
                        help="pages rendered at once (default: 2, or 1 on a 1-core machine)")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error(f"--jobs must be at least 1, got {args.jobs}")
    try:
        made = build(args.out, args.jobs)
    except (SiteError, make_slides.SlidesError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{args.out / 'index.html'}: {made['pages']:.0f} pages, {made['mb']:.1f} MB, "
          f"built in {made['seconds']:.0f} s; open it in a browser (works offline)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
