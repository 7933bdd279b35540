"""Keep docs/glossary.md's "First appears" column true to the lessons.

    python tools/glossary.py --check     # exit 1 and list the rows that are out of date
    python tools/glossary.py --update    # rewrite the column from the lessons

A term's spellings are its *Term* column split at " / " plus its Chinese word(s) and
romanisation from the *中文* column. A lesson "uses" a term when its markdown, code or text
outputs contain one of them as a whole word (case, accents, hyphens and a plural -s/-es do not
matter; "ukiyo-e" also matches "ukiyoe"). The course map in 00_welcome is left out: it names
every lesson's topics without using them. So is each notebook's Chinese guide (the markdown cell
that opens with "## 中文导读", right after the title cell): it restates the lesson in Chinese, and a
Chinese word in it (来源, 偏差, ...) would otherwise date a term to the wrong lesson.

`chinese_terms()` lists what a Chinese guide may mark in bold: every spelling of the 中文 column.
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GLOSSARY = ROOT / "docs" / "glossary.md"
NOTEBOOKS = ROOT / "notebooks"
NONE = "—"
ROW = re.compile(r"^\|(?P<term>[^|]+)\|(?P<zh>[^|]+)\|(?P<definition>[^|]+)\|(?P<first>[^|]+)\|\s*$")
HAN = re.compile(r"[\u3400-\u9fff]+")
MAP_CELL = re.compile(r"^#+.*map of the course", re.IGNORECASE | re.MULTILINE)
GUIDE_HEADING = "## 中文导读"
BOLD = re.compile(r"\*\*(.+?)\*\*", re.DOTALL)
ALTERNATIVE = re.compile(r"^(?P<main>.*?)(?:\s+\((?P<inner>[^()]*)\))?$")


@dataclass
class Entry:
    line_no: int
    term: str
    zh: str
    definition: str
    first: str

    @property
    def spellings(self) -> list[str]:
        """Every spelling the lessons are searched for."""
        found = [s.strip() for s in self.term.split(" / ") if s.strip()]
        found += HAN.findall(self.zh)
        found += [m.strip() for m in re.findall(r"\(([a-zA-Zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ ]+)\)", self.zh)]
        return [s for s in dict.fromkeys(found) if s]


def normalise(text: str) -> str:
    """Lower case, accents dropped, hyphens/underscores/dashes as spaces, spaces collapsed.

    The underscore of a keyword argument (``use_bias=``) is dropped instead, so that printed code
    does not count as the term ("usebias" is not "bias"); a joined multi-word term still matches.
    """
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"(?<=[a-z0-9])_(?=[a-z0-9]+\s*=)", "", text.lower())   # keyword arguments
    text = re.sub(r"[-_‐–—]", " ", text)
    return re.sub(r"\s+", " ", text)


def pattern_for(spelling: str) -> re.Pattern[str]:
    """A regex finding ``spelling`` as a whole word (plural and joined forms allowed)."""
    key = normalise(spelling).strip()
    if HAN.fullmatch(key):
        return re.compile(re.escape(key))
    forms = {re.escape(key)}
    if " " in key:
        forms.add(re.escape(key.replace(" ", "")))
    alternatives = "|".join(sorted(forms, key=len, reverse=True))
    return re.compile(rf"(?<![a-z0-9])(?:{alternatives})(?:s|es)?(?![a-z0-9])")


def read_entries(path: Path = GLOSSARY) -> list[Entry]:
    """The glossary's table rows (header and separator rows left out)."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: the glossary is missing")
    entries = []
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        m = ROW.match(line)
        if not m or m["term"].strip() in ("Term", "") or set(m["term"].strip()) <= {"-", ":"}:
            continue
        entries.append(Entry(i, *(m[k].strip() for k in ("term", "zh", "definition", "first"))))
    return entries


def is_chinese_guide(source: str) -> bool:
    """Whether a markdown cell's source is a notebook's Chinese guide (it opens with "## 中文导读")."""
    return source.lstrip().startswith(GUIDE_HEADING)


def zh_key(text: str) -> str:
    """A 中文 spelling for comparison: NFKC (full-width brackets as ASCII), no spaces, lower case."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).lower()


def chinese_terms(entries: list[Entry] | None = None) -> dict[str, str]:
    """Every spelling of the glossary's 中文 column, as ``zh_key(spelling) -> English term``.

    A 中文 cell lists alternatives separated by " / "; each may end in a parenthesised part (after a
    space) that is another name, a romanisation or an optional suffix. Each alternative counts with
    and without that part, and each comma-separated item inside it counts alone: "Gram 矩阵 (格拉姆矩阵)"
    gives "Gram 矩阵", "格拉姆矩阵" and both together; "循环一致性 (损失)" gives "循环一致性" and
    "循环一致性损失". Brackets without a space before them ("价值函数 V(D, G)") belong to the word.
    """
    terms: dict[str, str] = {}
    for entry in read_entries() if entries is None else entries:
        for part in (p.strip() for p in entry.zh.split(" / ")):
            m = ALTERNATIVE.match(part)
            main, inner = m["main"].strip(), m["inner"]
            spellings = [part, main]
            if inner:
                items = [i.strip() for i in re.split(r"[,，]", inner) if i.strip()]
                spellings += items + [main + i for i in items]
            for spelling in spellings:
                if spelling:
                    terms.setdefault(zh_key(spelling), entry.term)
    return terms


def bold_terms(markdown: str) -> list[str]:
    """The texts a markdown source marks in bold with ``**...**``, in order."""
    return [m.strip() for m in BOLD.findall(markdown)]


def lesson_text(path: Path) -> str:
    """The normalised text of a lesson: markdown, code and text outputs (not the course map, not
    the Chinese guide)."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    parts = []
    for cell in nb["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] == "markdown" and (MAP_CELL.search(source) or is_chinese_guide(source)):
            continue
        parts.append(source)
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                parts.append("".join(out.get("text", "")))
            elif "data" in out and "text/plain" in out["data"]:
                parts.append("".join(out["data"]["text/plain"]))
    return normalise("\n".join(parts))


def lessons(folder: Path = NOTEBOOKS) -> list[Path]:
    return sorted(folder.glob("[0-9][0-9]_*.ipynb"))


def first_appearances(entries: list[Entry], folder: Path = NOTEBOOKS) -> dict[int, str]:
    """For each entry (by line number), the stem of the first lesson using it, or "—"."""
    texts = [(p.stem, lesson_text(p)) for p in lessons(folder)]
    result = {}
    for entry in entries:
        patterns = [pattern_for(s) for s in entry.spellings]
        result[entry.line_no] = next((f"`{stem}`" for stem, text in texts
                                      if any(p.search(text) for p in patterns)), NONE)
    return result


def stale_rows(path: Path = GLOSSARY, folder: Path = NOTEBOOKS) -> list[str]:
    """Human-readable descriptions of the rows whose "First appears" is wrong."""
    entries = read_entries(path)
    truth = first_appearances(entries, folder)
    return [f"{e.term}: glossary says {e.first}, lessons say {truth[e.line_no]}"
            for e in entries if e.first != truth[e.line_no]]


def update(path: Path = GLOSSARY, folder: Path = NOTEBOOKS) -> int:
    """Rewrite the "First appears" column; return how many rows changed."""
    lines = path.read_text(encoding="utf-8").splitlines()
    entries = read_entries(path)
    truth = first_appearances(entries, folder)
    changed = 0
    for e in entries:
        if e.first != truth[e.line_no]:
            lines[e.line_no] = f"| {e.term} | {e.zh} | {e.definition} | {truth[e.line_no]} |"
            changed += 1
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return changed


def main(argv: list[str]) -> int:
    if argv == ["--update"]:
        print(f"{GLOSSARY.relative_to(ROOT)}: {update()} rows updated")
        return 0
    if argv == ["--check"]:
        stale = stale_rows()
        for line in stale:
            print(line)
        print("glossary up to date" if not stale else
              f"{len(stale)} rows out of date: run python tools/glossary.py --update")
        return 1 if stale else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
