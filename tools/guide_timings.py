"""Keep the instructor guide's timing table equal to the run times in the lessons' headers.

    python tools/guide_timings.py --check    # exit 1 if the table differs from the headers
    python tools/guide_timings.py --update   # rewrite the table

Each lesson states its measured run time in its opening cell (**Run time** ...), written by
its author from `tools/execute_notebooks.py`'s output. The guide quotes those sentences between
the markers ``<!-- timings:start -->`` and ``<!-- timings:end -->``; the solutions' own
fast-mode times are measured by the test suite and listed by hand below the table.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "instructor-guide.md"
NOTEBOOKS = ROOT / "notebooks"
START, END = "<!-- timings:start -->", "<!-- timings:end -->"


def header_run_time(path: Path) -> str:
    """The lesson's "Run time" sentence from its opening cell, on one line."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    first = "".join(nb["cells"][0]["source"]) if nb["cells"] else ""
    m = re.search(r"\**Run time\**[.:]?\**\s*(.*?)(?:\n\s*\n|\Z)", first, re.DOTALL)
    if not m:
        return "(the lesson's header states no run time)"
    text = " ".join(m.group(1).split()).strip()
    return text.replace("|", "\\|")


def title(path: Path) -> str:
    nb = json.loads(path.read_text(encoding="utf-8"))
    first = "".join(nb["cells"][0]["source"]).strip().splitlines() if nb["cells"] else []
    return first[0].lstrip("# ").strip() if first else path.stem


def table(folder: Path = NOTEBOOKS) -> str:
    rows = ["| Lesson | Run time, as measured by its author (lesson header) |", "|---|---|"]
    for path in sorted(folder.glob("[0-9][0-9]_*.ipynb")):
        rows.append(f"| `{path.stem}` — {title(path).replace('|', '/')} | {header_run_time(path)} |")
    return "\n".join(rows)


def current(guide: Path = GUIDE) -> str:
    text = guide.read_text(encoding="utf-8")
    if START not in text or END not in text:
        raise ValueError(f"{guide}: the markers {START} and {END} are missing")
    return text.split(START, 1)[1].split(END, 1)[0].strip()


def update(guide: Path = GUIDE, folder: Path = NOTEBOOKS) -> bool:
    text = guide.read_text(encoding="utf-8")
    before, rest = text.split(START, 1)
    _, after = rest.split(END, 1)
    new = f"{before}{START}\n{table(folder)}\n{END}{after}"
    guide.write_text(new, encoding="utf-8")
    return new != text


def main(argv: list[str]) -> int:
    if argv == ["--update"]:
        print(f"{GUIDE.relative_to(ROOT)}: {'updated' if update() else 'already up to date'}")
        return 0
    if argv == ["--check"]:
        ok = current() == table()
        print("timings up to date" if ok else "out of date: run python tools/guide_timings.py --update")
        return 0 if ok else 1
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
