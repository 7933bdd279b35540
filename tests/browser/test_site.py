"""The course's offline website (`make site`, tools/make_site.py) in a real browser (Debian's chromium).

- The site is built once per session, into a temporary folder (COURSE_SITE=<folder> uses a site
  built before instead), and served from 127.0.0.1 by Python's http.server, so that a missing
  file answers 404 as it would on any web server.
- From index.html, every page reachable through the site's links is opened (a crawl), and every
  page of the site must be reachable. The crawl fails on a link to a file that does not exist,
  a link to an anchor (#id) that its page lacks, an image the browser could not load
  (naturalWidth 0), a JavaScript error (an uncaught exception or a console error), and any
  request to an address outside the site (every request is routed; others are aborted and
  recorded), so a page that needs the network cannot pass.
- The same crawl, on a small site broken on purpose in each of those ways, reports every fault.
- Opened as files (file://, a double click): the index, a lesson, a document and a deck run
  without errors and render their formulas with the site's own KaTeX.
- The build's link rewriting (no browser): notebook and document links to .html pages, other
  course files copied, web links as text, a missing file an error naming it.
Screenshots of the index and of lesson 09's page: test-artifacts/browser/site-*.png.
"""

from __future__ import annotations

import functools
import http.server
import os
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlsplit

import pytest
from labpage import ConsoleLog
from playwright.sync_api import BrowserContext, Error, Route

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import make_site  # noqa: E402  (tools/ is not a package)

PAGE_TIMEOUT_MS = 60_000
IMAGES_JS = """() => Array.from(document.images).map(i => ({
  src: (i.currentSrc || i.src).slice(0, 80), ok: i.complete && i.naturalWidth > 0}))"""
LINKS_JS = "() => Array.from(document.querySelectorAll('a[href]')).map(a => a.href)"
IDS_JS = """() => Array.from(document.querySelectorAll('[id], a[name]'))
  .map(e => e.id || e.getAttribute('name'))"""


@dataclass
class CrawlReport:
    """What the crawl saw: pages opened (site paths), links and images checked, problems."""

    pages: list[str] = field(default_factory=list)
    links: int = 0
    images: int = 0
    external_links: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


class SiteServer:
    """http.server on 127.0.0.1 (a free port) serving one folder, in a thread."""

    def __init__(self, folder: Path) -> None:
        handler = functools.partial(_QuietHandler, directory=str(folder))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> "SiteServer":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=30) as r:
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code


def crawl(context: BrowserContext, base: str, start: str = "index.html") -> CrawlReport:
    """Open ``base + start`` and every page reachable from it through links under ``base``."""
    report = CrawlReport()
    page = context.new_page()
    log = ConsoleLog().attach(page)
    here = {"page": start}
    failed: list[str] = []

    def route(r: Route) -> None:
        url = r.request.url
        if url.startswith(base) or url.startswith("data:"):
            r.continue_()
        else:
            report.problems.append(f"{here['page']}: requested a non-local address: {url}")
            r.abort()

    page.route("**/*", route)
    page.on("response", lambda resp: failed.append(f"{resp.status} {resp.url}")
            if resp.status >= 400 else None)
    queue, seen = [base + start], {base + start}
    anchors: list[tuple[str, str, str]] = []  # (page url, fragment, linked from)
    ids: dict[str, set[str]] = {}
    try:
        while queue:
            url = queue.pop(0)
            name = url[len(base):]
            here["page"] = name
            n_errors, n_failed = len(log.errors), len(failed)
            try:
                response = page.goto(url, wait_until="load", timeout=PAGE_TIMEOUT_MS)
            except Error as exc:
                report.problems.append(f"{name}: could not be opened: {exc}")
                continue
            report.pages.append(name)
            if response is None or response.status >= 400:
                report.problems.append(f"{name}: HTTP {response.status if response else '?'} "
                                       "(a link to a file that does not exist)")
                continue
            page.wait_for_timeout(100)  # scripts run on DOMContentLoaded (KaTeX, reveal.js)
            images = page.evaluate(IMAGES_JS)
            report.images += len(images)
            report.problems += [f"{name}: an image did not load: {i['src']}"
                                for i in images if not i["ok"]]
            ids[url] = set(page.evaluate(IDS_JS))
            for href in page.evaluate(LINKS_JS):
                report.links += 1
                target, fragment = urldefrag(href)
                if not target.startswith(base):
                    if urlsplit(target).scheme not in ("", "about"):
                        report.external_links.add(href)
                    continue
                if fragment and not fragment.startswith("/"):  # "#/3": reveal.js's slide routes
                    anchors.append((target, fragment, name))
                if target in seen:
                    continue
                seen.add(target)
                if target.endswith((".html", "/")):
                    queue.append(target)
                elif (status := _status(target)) >= 400:
                    report.problems.append(f"{name}: links to {target[len(base):]}: HTTP {status}")
            report.problems += [f"{name}: JavaScript error: {e}" for e in log.errors[n_errors:]]
            report.problems += [f"{name}: a request failed: {f}" for f in failed[n_failed:]]
        for target, fragment, source in anchors:
            # As browsers do: the fragment as written (nbconvert's ids are percent-encoded
            # text), else percent-decoded.
            if target in ids and not {fragment, unquote(fragment)} & ids[target]:
                report.problems.append(f"{source}: links to {target[len(base):]}#{fragment}, "
                                       "which has no such anchor")
    finally:
        page.close()
    return report


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built once (about a minute on 2 cores), or COURSE_SITE's folder."""
    if os.environ.get("COURSE_SITE"):
        return Path(os.environ["COURSE_SITE"])
    out = tmp_path_factory.mktemp("site") / "site"
    made = make_site.build(out, jobs=2)
    print(f"\nsite built: {made['pages']:.0f} pages, {made['mb']:.1f} MB in {made['seconds']:.0f} s")
    return out


def test_site_crawl(site: Path, browser_context: BrowserContext, artifacts: Path) -> None:
    """Every page reachable from the index, every link, image and anchor works, offline."""
    start = time.monotonic()
    with SiteServer(site) as server:
        report = crawl(browser_context, server.base)
        shot = browser_context.new_page()
        try:
            shot.goto(server.base + "index.html")
            shot.screenshot(path=str(artifacts / "site-index.png"), full_page=True)
            shot.goto(server.base + "notebooks/09_culture_aware_transfer.html")
            shot.screenshot(path=str(artifacts / "site-09.png"))
        finally:
            shot.close()
    print(f"crawl: {len(report.pages)} pages, {report.links} links, {report.images} images in "
          f"{time.monotonic() - start:.1f} s; {len(report.external_links)} links to other sites")
    assert not report.problems, f"{len(report.problems)} problems:\n" + "\n".join(report.problems)
    assert not report.external_links, f"links to other sites: {sorted(report.external_links)[:10]}"
    on_disk = {p.relative_to(site).as_posix() for p in site.rglob("*.html")}
    unreached = on_disk - set(report.pages)
    assert not unreached, f"pages no link leads to: {sorted(unreached)}"
    lessons = sorted((ROOT / "notebooks").glob("*.ipynb"))
    assert {f"notebooks/{p.stem}.html" for p in lessons} <= set(report.pages)
    assert report.images >= 50, f"only {report.images} images on the whole site"


BROKEN_INDEX = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>broken</title>
<link rel="icon" href="data:,"></head><body>
<a href="good.html">a page that exists</a>
<a href="missing.html">a page that does not</a>
<a href="good.html#no-such-heading">an anchor that does not exist</a>
<img src="missing.png" alt="a missing image">
<img src="https://example.invalid/remote.png" alt="a remote image">
<script>throw new Error("broken on purpose");</script>
</body></html>"""
GOOD_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>good</title>
<link rel="icon" href="data:,"></head><body><h1 id="here">Here</h1>
<script>console.error("an error logged on purpose");</script></body></html>"""


def test_crawl_catches_a_broken_site(tmp_path: Path, browser_context: BrowserContext) -> None:
    """The crawl reports each kind of fault it is there to catch."""
    (tmp_path / "index.html").write_text(BROKEN_INDEX, encoding="utf-8")
    (tmp_path / "good.html").write_text(GOOD_PAGE, encoding="utf-8")
    with SiteServer(tmp_path) as server:
        report = crawl(browser_context, server.base)
    found = "\n".join(report.problems)
    print(found)
    for symptom in ["missing.html: HTTP 404",
                    "links to good.html#no-such-heading, which has no such anchor",
                    "an image did not load: " + server.base + "missing.png",
                    "requested a non-local address: https://example.invalid/remote.png",
                    "index.html: JavaScript error: [pageerror] broken on purpose",
                    "good.html: JavaScript error: [error] an error logged on purpose"]:
        assert symptom in found, f"the crawl did not report {symptom!r}; it reported:\n{found}"


def test_site_opens_from_files(site: Path, browser_context: BrowserContext) -> None:
    """Opened as files (a double click, no server): the index, a lesson with formulas, a
    document and a slide deck run their scripts without errors and show their images."""
    page = browser_context.new_page()
    log = ConsoleLog().attach(page)
    remote: list[str] = []
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:"))
               else (remote.append(r.request.url), r.abort()))
    try:
        for name in ("index.html", "notebooks/01_minimax_objective.html", "docs/glossary.html",
                     "slides/04_style_transfer.slides.html"):
            page.goto((site / name).as_uri(), wait_until="load", timeout=PAGE_TIMEOUT_MS)
            page.wait_for_timeout(100)
            broken = [i["src"] for i in page.evaluate(IMAGES_JS) if not i["ok"]]
            assert not broken, f"{name}: images that did not load from file://: {broken}"
            if name.startswith("notebooks/"):
                formulas = page.locator(".katex").count()
                assert formulas > 0, f"{name}: no formula was rendered by KaTeX"
                print(f"{name}: {formulas} formulas rendered by the site's KaTeX")
        log.assert_no_errors("opening the site from file://")
        assert not remote, f"requests to addresses outside the site: {remote}"
    finally:
        page.close()


def test_links_are_rewritten_to_the_site() -> None:
    """Links to notebooks and documents go to their pages, other course files are copied, code
    names of pages become links, web links become text, and a missing file stops the build."""
    pages = {make_site.repo_path(p): make_site.site_path(make_site.repo_path(p))
             for p in [*(ROOT / "notebooks").glob("*.ipynb"), *(ROOT / "docs").glob("*.md")]}
    source, target = "notebooks/01_minimax_objective.ipynb", "notebooks/01_minimax_objective.html"
    page = ('<a href="02_dcgan.ipynb#2-·-Set-up">next</a> <a href="../docs/glossary.md">terms</a> '
            '<a href="../data/photos/PHOTOS.csv">photos</a> <code>00_welcome</code> '
            '<a href="https://example.org/paper">a paper</a>')
    html, copies = make_site.finish(page, source, target, pages)
    assert 'href="02_dcgan.html#2-·-Set-up"' in html and 'href="../docs/glossary.html"' in html
    assert 'href="../data/photos/PHOTOS.csv"' in html and copies == {"data/photos/PHOTOS.csv"}
    assert '<a href="00_welcome.html"><code>00_welcome</code></a>' in html
    assert "https://example.org/paper" in html and 'href="https://' not in html
    with pytest.raises(make_site.SiteError, match="no_such_lesson.ipynb"):
        make_site.finish('<a href="no_such_lesson.ipynb">x</a>', source, target, pages)
