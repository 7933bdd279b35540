"""The teaching kit: offline slides, glossary, instructor guide, solutions, offline install."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import glossary  # noqa: E402
import guide_timings  # noqa: E402
import make_slides  # noqa: E402

LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SOLUTIONS = sorted((ROOT / "notebooks" / "solutions").glob("*.ipynb"))
HAN = re.compile(r"[\u3400-\u9fff]")


# ----------------------------------------------------------------------------- slides


@pytest.fixture(scope="module")
def deck(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("slides")
    assert make_slides.main([str(ROOT / "notebooks" / "00_welcome.ipynb"), "-o", str(out)]) == 0
    return out / "00_welcome.slides.html"


def test_slides_deck_references_no_remote_url(deck: Path) -> None:
    page = deck.read_text(encoding="utf-8")
    assert make_slides.remote_references(page) == []
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", page, re.IGNORECASE)
    assert make_slides.missing_local_files(deck) == []
    # it is a reveal.js deck, using the local copy, with the lesson's slides and images
    assert 'src="slides-lib/reveal.js/dist/reveal.js"' in page
    assert 'href="slides-lib/katex/katex.min.css"' in page
    assert page.count("<section") >= 6
    assert "Learning objectives" in page and "data:image/jpeg;base64," in page


def test_vendored_files_are_small_and_licensed() -> None:
    vendor = make_slides.VENDOR
    size = sum(p.stat().st_size for p in vendor.rglob("*") if p.is_file())
    assert size < 2.5e6, f"the vendored slide files grew to {size / 1e6:.1f} MB"
    assert "MIT" in (vendor / "reveal.js" / "LICENSE").read_text()
    assert "MIT" in (vendor / "katex" / "LICENSE").read_text()
    # the vendored style sheets load nothing from the network either (comments aside)
    for css in vendor.rglob("*.css"):
        text = re.sub(r"/\*.*?\*/", "", css.read_text(encoding="utf-8"), flags=re.DOTALL)
        remote = [r for r in make_slides.css_references(text) if make_slides.REMOTE.match(r)]
        assert remote == [], f"{css.name}: {remote[:3]}"
        for ref in make_slides.css_references(text):
            if not ref.startswith("data:"):
                assert (css.parent / ref).is_file(), f"{css.name} needs {ref}"


def test_remote_reference_finder_catches_every_kind() -> None:
    page = """<html><head>
    <link rel="stylesheet" href="https://cdn.example.org/a.css">
    <script src="//unpkg.com/x.js"></script>
    <style>@import "http://fonts.example.org/f.css"; body { background: url('https://e.org/b.png') }</style>
    </head><body><img srcset="local.png 1x, https://e.org/2x.png 2x"><a href="#top">ok</a>
    <div style="background-image: url(HTTPS://E.ORG/c.png)"></div><img src="data:image/png;base64,AA"></body></html>"""
    found = make_slides.remote_references(page)
    assert sorted(found) == sorted(["https://cdn.example.org/a.css", "//unpkg.com/x.js",
                                    "http://fonts.example.org/f.css", "https://e.org/b.png",
                                    "https://e.org/2x.png", "HTTPS://E.ORG/c.png"])


def test_slides_turn_web_links_into_text_and_drop_widget_views(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# A lesson\nSee [the paper](https://arxiv.org/abs/1406.2661) "
                                      "and <https://example.org/page>.\n\n$$\\min_G \\max_D V(D, G)$$"),
        nbformat.v4.new_code_cell("print(1)", outputs=[nbformat.v4.new_output(
            "display_data", data={"text/plain": "  5%|▌         | 1/20",
                                  make_slides.WIDGET_MIME: {"model_id": "abc", "version_major": 2}})]),
        nbformat.v4.new_markdown_cell("### A sub-slide\ntext"),
        nbformat.v4.new_markdown_cell("## Exercises\n1. one"),
    ])
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    path = tmp_path / "99_demo.ipynb"
    nbformat.write(nb, path)
    deck = make_slides.convert(path, tmp_path / "out")
    page = deck.read_text(encoding="utf-8")
    assert make_slides.remote_references(page) == []
    assert "the paper" in page and "(https://arxiv.org/abs/1406.2661)" in page
    assert "https://example.org/page" in page
    assert "widget-view+json" not in page and "unpkg" not in page and "1/20" in page
    assert "\\min_G \\max_D" in page  # left for KaTeX to typeset in the browser
    # reveal.js nests: each slide is a column of sub-slides, so (1 + 2) + (1 + 1) sections
    assert page.count("<section") == 5 and page.count("</section></section>") == 2
    assert [make_slides.slide_type_for(c) for c in nb.cells] == ["slide", "-", "subslide", "slide"]


def test_slides_bad_input_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(make_slides.SlidesError, match="nothing.ipynb: no such notebook"):
        make_slides.convert(tmp_path / "nothing.ipynb", tmp_path)
    bad = tmp_path / "broken.ipynb"
    bad.write_text("{ this is not json")
    with pytest.raises(make_slides.SlidesError, match="broken.ipynb: not a readable Jupyter notebook"):
        make_slides.convert(bad, tmp_path)
    assert make_slides.main([str(tmp_path / "nothing.ipynb"), "-o", str(tmp_path)]) == 1


# ----------------------------------------------------------------------------- glossary


def test_glossary_has_the_art_terms_with_chinese_and_definitions() -> None:
    entries = glossary.read_entries()
    assert len(entries) >= 40
    text = (ROOT / "docs" / "glossary.md").read_text(encoding="utf-8")
    for term in ("留白", "皴法", "浮世绘", "水墨", "ragamala", "生成对抗网络", "判别器", "Gram", "风格迁移"):
        assert term in text, term
    for e in entries:
        assert HAN.search(e.zh), f"{e.term}: no Chinese term"
        assert 20 <= len(e.definition) <= 240 and "\n" not in e.definition, f"{e.term}: one-line definition"
        assert e.first == glossary.NONE or re.fullmatch(r"`\d\d_\w+`", e.first), e.first
        if e.first != glossary.NONE:
            assert (ROOT / "notebooks" / f"{e.first.strip('`')}.ipynb").is_file(), e.first
    assert len({e.term for e in entries}) == len(entries), "a term is listed twice"


def test_glossary_first_appearances_match_the_lessons() -> None:
    stale = glossary.stale_rows()
    assert stale == [], "\n".join(stale) + "\nrun: python tools/glossary.py --update"


def test_glossary_matcher(tmp_path: Path) -> None:
    def lesson(name: str, *markdown: str) -> None:
        cells = [nbformat.v4.new_markdown_cell(m) for m in markdown]
        nbformat.write(nbformat.v4.new_notebook(cells=cells), tmp_path / name)

    lesson("00_welcome.ipynb", "## 6 · The map of the course\n| 01 | mode collapse |", "GANs are here")
    lesson("01_a.ipynb", "We see Mode-Collapse and 留白 here; organ is not GAN-related")
    lesson("02_b.ipynb", "Hokusai's ukiyoe prints; the liúbái idea")
    table = tmp_path / "g.md"
    table.write_text("| Term | 中文 | Definition | First appears |\n|---|---|---|---|\n"
                     "| mode collapse | 模式崩溃 | d | — |\n| generative adversarial network / GAN | 生成对抗网络 | d | — |\n"
                     "| ukiyo-e | 浮世绘 (fúshìhuì) | d | — |\n| liubai / empty space | 留白 (liúbái) | d | — |\n"
                     "| organza | 欧根纱 | d | — |\n", encoding="utf-8")
    entries = glossary.read_entries(table)
    firsts = glossary.first_appearances(entries, tmp_path)
    assert [firsts[e.line_no] for e in entries] == ["`01_a`", "`00_welcome`", "`02_b`", "`01_a`", "—"]
    assert glossary.update(table, tmp_path) == 4 and glossary.stale_rows(table, tmp_path) == []


def test_glossary_leaves_the_chinese_guide_out_of_first_appearances(tmp_path: Path) -> None:
    guide = "## 中文导读\n### 学习目标\n理解**模式崩溃**。"
    for name, cells in (("00_a.ipynb", ["# 00 · A", guide]), ("01_b.ipynb", ["# 01 · B", "mode collapse"])):
        nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(c) for c in cells]),
                       tmp_path / name)
    table = tmp_path / "g.md"
    table.write_text("| Term | 中文 | Definition | First appears |\n|---|---|---|---|\n"
                     "| mode collapse | 模式崩溃 | d | — |\n", encoding="utf-8")
    entries = glossary.read_entries(table)
    assert list(glossary.first_appearances(entries, tmp_path).values()) == ["`01_b`"]


def test_glossary_chinese_terms_and_their_alternatives(tmp_path: Path) -> None:
    table = tmp_path / "g.md"
    table.write_text("| Term | 中文 | Definition | First appears |\n|---|---|---|---|\n"
                     "| Gram matrix | Gram 矩阵 (格拉姆矩阵) | d | — |\n"
                     "| cycle consistency | 循环一致性 (损失) | d | — |\n"
                     "| value function | 价值函数 V(D, G) | d | — |\n"
                     "| latent vector | 潜在向量 / 噪声向量 z | d | — |\n"
                     "| bokashi | ぼかし (bokashi, 晕染) | d | — |\n", encoding="utf-8")
    terms = glossary.chinese_terms(glossary.read_entries(table))
    for spelling in ("Gram 矩阵", "Gram矩阵", "格拉姆矩阵", "循环一致性", "循环一致性损失", "价值函数 V(D, G)",
                     "潜在向量", "噪声向量 z", "ぼかし", "晕染", "bokashi", "Gram 矩阵（格拉姆矩阵）"):
        assert glossary.zh_key(spelling) in terms, spelling
    for spelling in ("矩阵", "价值函数 V", "D", "噪声", "一致性"):
        assert glossary.zh_key(spelling) not in terms, spelling
    assert glossary.bold_terms("a **模式崩溃** and **Gram 矩阵**, not *this*") == ["模式崩溃", "Gram 矩阵"]


# ----------------------------------------------------------------------------- Chinese guides

GUIDED = sorted((ROOT / "notebooks").glob("*.ipynb")) + SOLUTIONS
GUIDE_PARTS = ("学习目标", "核心思想", "看图要点")


def guide_problems(cells: list[dict], terms: dict[str, str]) -> list[str]:
    """What is wrong with a notebook's Chinese guide: its second cell, a markdown cell that opens with
    "## 中文导读" and has the three parts (### 学习目标, ### 核心思想, ### 看图要点, in that order, each with
    Chinese text), whose bold terms are all glossary 中文 terms."""
    sources = ["".join(c["source"]) for c in cells]
    if len(cells) < 2 or cells[1]["cell_type"] != "markdown" or not glossary.is_chinese_guide(sources[1]):
        where = [i for i, (c, s) in enumerate(zip(cells, sources))
                 if c["cell_type"] == "markdown" and glossary.is_chinese_guide(s)]
        return [f"the second cell is not a markdown cell opening with {glossary.GUIDE_HEADING!r}"
                + (f" (found at cell {where})" if where else " (no Chinese guide at all)")]
    guide, problems = sources[1], []
    if sum(glossary.is_chinese_guide(s) for c, s in zip(cells, sources) if c["cell_type"] == "markdown") > 1:
        problems.append("more than one Chinese guide cell")
    found = [re.search(rf"^###\s*{part}\s*$", guide, re.MULTILINE) for part in GUIDE_PARTS]
    missing = [part for part, m in zip(GUIDE_PARTS, found) if m is None]
    if missing:
        problems.append(f"missing sub-parts (### headings): {missing}")
    else:
        starts = [m.start() for m in found]
        if starts != sorted(starts):
            problems.append(f"sub-parts out of order: {GUIDE_PARTS}")
            starts = []
        for part, start, end in zip(GUIDE_PARTS, starts, starts[1:] + [len(guide)]):
            body = guide[start:end].split("\n", 1)[-1]
            if len(HAN.findall(body)) < 20:
                problems.append(f"{part}: fewer than 20 Chinese characters")
    bold = glossary.bold_terms(guide)
    unknown = [b for b in bold if glossary.zh_key(b) not in terms]
    if unknown:
        problems.append(f"bold terms that are not the glossary's 中文 terms: {unknown}")
    if not bold:
        problems.append("no glossary term marked in bold")
    return problems


@pytest.fixture(scope="module")
def zh_terms() -> dict[str, str]:
    return glossary.chinese_terms()


@pytest.mark.parametrize("path", GUIDED, ids=[str(p.relative_to(ROOT / "notebooks")) for p in GUIDED])
def test_notebook_opens_with_a_chinese_guide(path: Path, zh_terms: dict[str, str]) -> None:
    nb = json.loads(path.read_text(encoding="utf-8"))
    problems = guide_problems(nb["cells"], zh_terms)
    assert problems == [], f"{path.name}: " + "; ".join(problems)


def test_chinese_guide_check_catches_mistakes(zh_terms: dict[str, str]) -> None:
    def cells(*markdown: str) -> list[dict]:
        return [nbformat.v4.new_markdown_cell(m) for m in markdown]

    title = "# 99 · A lesson\n**Learning objectives.** ..."
    text = "这是一段足够长的中文说明文字，用来检查每一部分都写了内容。"
    good = (f"## 中文导读\n\n### 学习目标\n{text}\n\n### 核心思想\n{text}**Gram 矩阵**与**留白**。\n\n"
            f"### 看图要点\n- {text}")
    assert guide_problems(cells(title, good), zh_terms) == []
    assert "no Chinese guide" in guide_problems(cells(title, "## 1 · Set up"), zh_terms)[0]
    assert "found at cell [2]" in guide_problems(cells(title, "## 1 · Set up", good), zh_terms)[0]
    assert guide_problems(cells(good), zh_terms)                       # the guide is not the first cell
    problems = guide_problems(cells(title, good.replace("**留白**", "**深度魔法**")), zh_terms)
    assert problems == ["bold terms that are not the glossary's 中文 terms: ['深度魔法']"]
    assert "missing sub-parts" in guide_problems(cells(title, good.replace("### 看图要点", "看图")), zh_terms)[0]
    swapped = good.replace("### 学习目标", "### X").replace("### 核心思想", "### 学习目标").replace("### X", "### 核心思想")
    assert guide_problems(cells(title, swapped), zh_terms) == [f"sub-parts out of order: {GUIDE_PARTS}"]
    assert guide_problems(cells(title, good.replace(f"### 看图要点\n- {text}", "### 看图要点\n- 见图")), zh_terms) \
        == ["看图要点: fewer than 20 Chinese characters"]
    assert guide_problems(cells(title, good.replace("**", "")), zh_terms) == ["no glossary term marked in bold"]


# ----------------------------------------------------------------------------- instructor guide


def test_instructor_guide_has_its_parts() -> None:
    guide = (ROOT / "docs" / "instructor-guide.md").read_text(encoding="utf-8")
    for heading in ("Syllabus: six sessions", "Syllabus: two sessions", "Timings", "Discussion prompts",
                    "### 07 · Culture comparison", "### 08 · Ethics", "Common pitfalls",
                    "without network", "Slides", "Exercises and solutions"):
        assert heading in guide, heading
    six = guide.split("Syllabus: six sessions", 2)[2].split("##", 1)[0]
    assert len(re.findall(r"^\| [1-6] \|", six, re.MULTILINE)) == 6
    two = guide.split("Syllabus: two sessions", 2)[2].split("##", 1)[0]
    assert len(re.findall(r"^\| Day [12] \|", two, re.MULTILINE)) == 2
    for block in ("### 07 · Culture comparison", "### 08 · Ethics"):
        prompts = guide.split(block, 1)[1].split("###", 1)[0]
        assert len(re.findall(r"^\d\. ", prompts, re.MULTILINE)) >= 4, block
    # every lesson on the course map is in both syllabi
    for lesson in LESSONS[1:]:
        assert guide.split("Syllabus: six sessions", 2)[2].count(lesson.stem) >= 1, lesson.stem


def test_guide_timings_match_the_lesson_headers() -> None:
    assert guide_timings.current() == guide_timings.table(), \
        "run: python tools/guide_timings.py --update"
    assert guide_timings.table().count("\n") == len(LESSONS) + 1


def test_guide_offline_install_commands() -> None:
    guide = (ROOT / "docs" / "instructor-guide.md").read_text(encoding="utf-8")
    assert "pip download -r requirements.txt" in guide and "-d wheelhouse" in guide
    assert "--no-index --find-links wheelhouse -r requirements.txt" in guide
    assert 'PIP_NO_INDEX=1 PIP_FIND_LINKS="$PWD/wheelhouse" make install' in guide
    # the pins the guide relies on are the ones the Makefile installs
    makefile = (ROOT / "Makefile").read_text()
    pip_pin = re.search(r"pip==([\d.]+)", makefile)
    assert pip_pin and f"pip=={pip_pin.group(1)}" in guide
    build = tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]["requires"]
    assert any(r.startswith("setuptools") for r in build) and '"setuptools>=64"' in guide


# The guide's outcomes, rubric, reading list and session plans (issue #19, teaching kit v2).

GUIDE = ROOT / "docs" / "instructor-guide.md"
ALL_LESSONS = LESSONS + sorted((ROOT / "notebooks").glob("A[0-9]_*.ipynb"))
CITATION = re.compile(r"\((?:1[5-9]|20)\d\d\)\.\s+[\"*]")  # "Authors (2016). \"Title\"" or "(1978). *Book*"


def guide_section(title: str) -> str:
    """The body of the guide's `## N · title` section, up to the next `## ` heading."""
    text = GUIDE.read_text(encoding="utf-8")
    m = re.search(rf"^## \d+ · {re.escape(title)}[ \t]*$(.*?)(?=^## |\Z)", text, re.MULTILINE | re.DOTALL)
    assert m, f"the instructor guide has no section '## N · {title}'"
    return m.group(1)


def lesson_block(section: str, stem: str) -> str:
    """What a guide section says under `#### `stem``, up to the next heading."""
    m = re.search(rf"^#### `{re.escape(stem)}`[ \t]*$(.*?)(?=^#|\Z)", section, re.MULTILINE | re.DOTALL)
    assert m, f"no '#### `{stem}`' entry in this section of the guide"
    return m.group(1)


def lesson_objectives_and_exercises(path: Path) -> tuple[int, int]:
    """How many learning objectives the lesson's first cell lists, and how many exercises it ends with."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    first = "".join(cells[0]["source"])
    objectives = first.split("Learning objectives", 1)[1].split("**Prerequisites", 1)[0]
    exercises = next("".join(c["source"]) for c in cells if c["cell_type"] == "markdown"
                     and "".join(c["source"]).lstrip().startswith("## Exercises"))
    exercises = exercises.split("## Exercises", 1)[1].split("\n## ", 1)[0]
    return (len(re.findall(r"^\d+\. ", objectives, re.MULTILINE)),
            len(re.findall(r"^\d+\.", exercises, re.MULTILINE)))


def table_rows(text: str, first_cell: str) -> list[list[str]]:
    """The cells of every markdown table row whose first cell matches `first_cell` (a regex)."""
    return [[c.strip() for c in line.strip().strip("|").split("|")]
            for line in text.splitlines() if re.match(rf"^\|\s*{first_cell}\s*\|", line)]


@pytest.mark.parametrize("path", ALL_LESSONS, ids=[p.stem for p in ALL_LESSONS])
def test_guide_maps_each_objective_to_exercises_that_exist(path: Path) -> None:
    n_objectives, n_exercises = lesson_objectives_and_exercises(path)
    block = lesson_block(guide_section("Learning outcomes and the exercises that assess them"), path.stem)
    rows = table_rows(block, r"\d+\.\s.*?")
    assert [int(r[0].split(".", 1)[0]) for r in rows] == list(range(1, n_objectives + 1)), \
        f"{path.stem}: {n_objectives} objectives in the lesson, outcome rows {[r[0][:3] for r in rows]}"
    assessed: set[int] = set()
    for outcome, cell in rows:
        m = re.match(r"(—|\d+(?:, \d+)*)(?:\s|$)", cell)
        assert m, f"{path.stem}: '{cell}' should start with exercise numbers (1, 3) or '—'"
        numbers = set() if m.group(1) == "—" else {int(n) for n in m.group(1).split(", ")}
        assert numbers <= set(range(1, n_exercises + 1)), \
            f"{path.stem}, outcome '{outcome[:40]}': exercises {sorted(numbers)}, the lesson has {n_exercises}"
        assessed |= numbers
    assert assessed == set(range(1, n_exercises + 1)), \
        f"{path.stem}: exercises {sorted(set(range(1, n_exercises + 1)) - assessed)} assess no outcome"


@pytest.mark.parametrize("path", ALL_LESSONS, ids=[p.stem for p in ALL_LESSONS])
def test_guide_reading_list_cites_each_lesson(path: Path) -> None:
    block = lesson_block(guide_section("Reading list"), path.stem)
    entries = [e.strip() for e in re.split(r"^- ", block, flags=re.MULTILINE)[1:]]
    for entry in entries:  # authors (year). "Title" or *Title*. Venue.
        body = entry.removeprefix("*Critical reading:*")
        assert CITATION.search(body), f"{path.stem}: no '(year). Title' in '{entry[:60]}'"
        assert re.search(r"\"[^\"]{8,}\"|\*[^*]{8,}\*", body), f"{path.stem}: no title in '{entry[:60]}'"
    critical = [e for e in entries if e.startswith("*Critical reading:*")]
    assert len(entries) > len(critical), f"{path.stem}: no paper that the lesson implements or cites"
    if path.stem[:2] in ("07", "08", "09"):
        assert critical, f"{path.stem}: no critical reading"


def test_guide_rubric_has_criteria_levels_and_uses() -> None:
    rubric = guide_section("Assessment rubric")
    levels = ("Beginning", "Developing", "Secure", "Excellent")
    header = next((r for r in table_rows(rubric, "Criterion")), None)
    assert header and all(any(level in cell for cell in header[1:]) for level in levels), header
    criteria = table_rows(rubric, r"\*\*[^*]+\*\*.*?")
    assert len(criteria) >= 4, f"{len(criteria)} criteria"
    for row in criteria:
        assert len(row) == 5 and all(len(cell) >= 30 for cell in row[1:]), f"{row[0]}: a level is empty or thin"
        # concrete: each criterion points to at least one of the course's exercises ("07 ex. 4")
        assert re.search(r"\b(?:0\d|A1) ex\. \d", " ".join(row)), f"{row[0]}: tied to no exercise"
    assert "For a session's exercises" in rubric and "For a final project" in rubric


@pytest.mark.parametrize("title, row, minutes", [("Syllabus: six sessions", r"\d", 120),
                                                 ("Syllabus: two sessions", r"Day \d", 180)])
def test_guide_sessions_hold_no_more_than_their_time(title: str, row: str, minutes: int) -> None:
    section = guide_section(title)
    assert f"{minutes} minutes" in section, f"{title}: the session length ({minutes} minutes) is not stated"
    rows = table_rows(section, row)
    assert rows
    for cells in rows:
        plan = cells[2]
        total = re.search(r"= \*\*(\d+) min\*\*", plan)
        parts = [int(n) for n in re.findall(r"\((\d+)\)", plan)]
        assert total and parts, f"session {cells[0]}: no '(minutes) + ... = **N min**' plan"
        assert sum(parts) == int(total.group(1)), f"session {cells[0]}: {parts} add up to {sum(parts)}"
        assert int(total.group(1)) <= minutes, f"session {cells[0]}: {total.group(1)} min in a {minutes}-min slot"
        if "mode collapse" in " ".join(cells).lower():  # lesson 01 shows it; 02 does not
            assert "01_minimax_objective" in cells[1], f"session {cells[0]} promises mode collapse without 01"
    if title.endswith("six sessions"):
        in_plan = " ".join(" ".join(cells) for cells in rows)
        assert all(p.stem in in_plan for p in LESSONS), [p.stem for p in LESSONS if p.stem not in in_plan]


def test_course_package_installs_from_a_local_wheelhouse(tmp_path: Path) -> None:
    """The cheap part of the offline route: the course's own package from a wheelhouse, no index."""
    source, wheelhouse, target = tmp_path / "course", tmp_path / "wheelhouse", tmp_path / "site"
    source.mkdir()  # a copy, so that building leaves nothing behind in the repository
    for name in ("pyproject.toml", "README.md"):
        if (ROOT / name).is_file():
            shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "helpers", source / "helpers", ignore=shutil.ignore_patterns("__pycache__"))
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    env = {"PIP_NO_INDEX": "1", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    subprocess.run(pip + ["wheel", "--no-deps", "--no-build-isolation", "--no-index",
                          "-w", str(wheelhouse), str(source)], check=True, capture_output=True, env=env)
    wheels = list(wheelhouse.glob("style_across_cultures-*.whl"))
    assert len(wheels) == 1
    subprocess.run(pip + ["install", "--no-index", "--find-links", str(wheelhouse), "--no-deps",
                          "--target", str(target), "style-across-cultures"],
                   check=True, capture_output=True, env=env)
    assert (target / "helpers" / "runtime.py").is_file() and (target / "helpers" / "data.py").is_file()
    # without the wheelhouse, the same offline install fails at once instead of reaching for the network
    failed = subprocess.run(pip + ["install", "--no-index", "--no-deps", "--target", str(tmp_path / "x"),
                                   "style-across-cultures"], capture_output=True, text=True, env=env)
    assert failed.returncode != 0 and "No matching distribution" in failed.stderr


# ----------------------------------------------------------------------------- solutions


def test_solutions_are_collected_by_the_test_suite() -> None:
    """`make test` runs pytest on testpaths; nbval then executes every solution in fast mode."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert "notebooks" in config["testpaths"]
    assert "solutions" not in " ".join(config.get("norecursedirs", []))
    assert SOLUTIONS, "no solution notebooks"


@pytest.mark.parametrize("path", SOLUTIONS, ids=[p.name for p in SOLUTIONS])
def test_solution_notebook_matches_its_lesson(path: Path) -> None:
    nb = json.loads(path.read_text(encoding="utf-8"))
    number = path.name[:2]
    lesson = [p for p in LESSONS if p.name.startswith(f"{number}_")]
    assert lesson, f"{path.name}: no lesson {number}_…"
    first = "".join(nb["cells"][0]["source"])
    assert first.startswith(f"# {number} · Solutions") and lesson[0].stem in first
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    assert "from helpers import" in code and "runtime.setup(" in code
    lesson_nb = json.loads(lesson[0].read_text(encoding="utf-8"))
    exercises = next("".join(c["source"]) for c in lesson_nb["cells"]
                     if c["cell_type"] == "markdown" and "".join(c["source"]).lstrip().startswith("## Exercises"))
    n_exercises = len(re.findall(r"^\d+\.", exercises.split("## Exercises", 1)[1].split("\n## ", 1)[0],
                                 re.MULTILINE))
    markdown = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    headings = re.findall(r"^##\s+Exercise\s+(\d+)", markdown, re.MULTILINE)
    assert headings == [str(i) for i in range(1, n_exercises + 1)], \
        f"{n_exercises} exercises in the lesson, solutions headed {headings}"
