"""Committed notebooks carry a clean full-mode run: in order, no errors, small, with a header."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("**/*.ipynb"))
NOTEBOOKS = [p for p in NOTEBOOKS if ".ipynb_checkpoints" not in p.parts]
LESSONS = [p for p in NOTEBOOKS if p.parent.name == "notebooks"]


def _ids(paths: list[Path]) -> list[str]:
    return [str(p.relative_to(ROOT)) for p in paths]


def test_there_are_lessons() -> None:
    assert any(p.name.startswith("00_") for p in LESSONS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_clean_committed_run(path: Path) -> None:
    nb = json.loads(path.read_text(encoding="utf-8"))
    counts = []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        assert cell.get("execution_count") is not None, f"cell {i} was never executed"
        counts.append(cell["execution_count"])
        for out in cell.get("outputs", []):
            assert out["output_type"] != "error", f"cell {i} has an error output"
            assert not (out["output_type"] == "stream" and out.get("name") == "stderr"
                        and "Traceback" in "".join(out.get("text", ""))), f"cell {i}: traceback"
    assert counts == list(range(1, len(counts) + 1)), "not one clean top-to-bottom run"
    assert path.stat().st_size < 3.2e6, f"{path.name} is {path.stat().st_size / 1e6:.1f} MB"


@pytest.mark.parametrize("path", LESSONS, ids=_ids(LESSONS))
def test_lesson_structure(path: Path) -> None:
    nb = json.loads(path.read_text(encoding="utf-8"))
    first = "".join(nb["cells"][0]["source"])
    assert first.startswith("# "), "a lesson opens with its title"
    for part in ("Learning objectives", "Prerequisites", "Run time"):
        assert part in first, f"the opening cell needs a '{part}' section"
    markdown = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown"]
    assert any(m.lstrip().startswith("## Exercises") for m in markdown), "needs an Exercises section"
    tagged = [c for c in nb["cells"] if "nbval-check-output" in c.get("metadata", {}).get("tags", [])]
    assert tagged, "at least one cell's output is compared by nbval (tag nbval-check-output)"
    for cell in tagged:
        assert cell["outputs"], "a tagged cell must print what nbval compares"


RESIDUE = re.compile(r"/tmp/|/work/|/root/|/home/\w|load average|\bload avg\b|site-packages|"
                     r"\bTODO\b|\bFIXME\b|0%\|\s*\| 0/")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_no_developer_residue_in_outputs(path: Path) -> None:
    """Committed outputs show no machine paths, load averages or empty progress bars (issue #19)."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    for i, cell in enumerate(nb["cells"]):
        for out in cell.get("outputs", []):
            texts = [out.get("text", "")] + [v for k, v in out.get("data", {}).items()
                                             if k.startswith("text/") and k != "text/html"]
            for text in texts:
                found = RESIDUE.search("".join(text))
                assert found is None, f"cell {i} output shows {found.group(0)!r}"
