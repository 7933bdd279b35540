"""Turn a percent-format script into a notebook (an authoring aid; the .ipynb is the source).

    python tools/py2nb.py draft.py notebooks/09_new_lesson.ipynb

Cells start with ``# %%`` (code) or ``# %% [markdown]``; tags go after it, as in
``# %% tags=["nbval-check-output"]``. Markdown lines are written as comments (``# text``).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import nbformat

HEADER = re.compile(r"^# %%(?P<md> \[markdown\])?(?:\s+tags=(?P<tags>\[.*\]))?\s*$")


def convert(text: str) -> nbformat.NotebookNode:
    cells: list[nbformat.NotebookNode] = []
    kind, tags, lines = None, [], []  # type: ignore[var-annotated]

    def flush() -> None:
        if kind is None:
            return
        body = "\n".join(lines).strip("\n")
        if kind == "markdown":
            body = "\n".join(re.sub(r"^# ?", "", ln) for ln in body.splitlines())
            cell = nbformat.v4.new_markdown_cell(body)
        else:
            cell = nbformat.v4.new_code_cell(body)
        if tags:
            cell.metadata["tags"] = tags
        cells.append(cell)

    for line in text.splitlines():
        m = HEADER.match(line)
        if m:
            flush()
            kind = "markdown" if m.group("md") else "code"
            tags = json.loads(m.group("tags")) if m.group("tags") else []
            lines = []
        elif kind is not None:
            lines.append(line)
    flush()
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "style-across-cultures", "language": "python",
                                 "display_name": "Style Across Cultures (Python 3.11)"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


if __name__ == "__main__":
    src, dst = Path(sys.argv[1]), Path(sys.argv[2])
    nbformat.write(convert(src.read_text(encoding="utf-8")), dst)
    print(f"wrote {dst}")
