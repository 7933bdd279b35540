"""Execute notebooks top to bottom in full mode and save them with their outputs.

    python tools/execute_notebooks.py notebooks/00_welcome.ipynb [...]

This is how committed notebooks get their outputs: a clean kernel, every cell in order,
COURSE_FAST unset. TensorFlow's start-up notices on stderr (timestamped, so they would
differ every run) are dropped; other outputs are kept. The wall-clock time is printed so
it can be written in the notebook's header.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def strip_stderr(nb: nbformat.NotebookNode) -> int:
    """Remove stderr stream outputs; return how many were removed."""
    removed = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        kept = [o for o in cell.outputs if not (o.output_type == "stream" and o.name == "stderr")]
        removed += len(cell.outputs) - len(kept)
        cell.outputs = kept
    return removed


def execute(path: Path, fast: bool = False, timeout: int = 1800) -> float:
    nb = nbformat.read(path, as_version=4)
    env_fast = os.environ.pop("COURSE_FAST", None)
    if fast:
        os.environ["COURSE_FAST"] = "1"
    try:
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                                resources={"metadata": {"path": str(path.parent)}})
        start = time.perf_counter()
        client.execute()
        seconds = time.perf_counter() - start
    finally:
        os.environ.pop("COURSE_FAST", None)
        if env_fast is not None:
            os.environ["COURSE_FAST"] = env_fast
    strip_stderr(nb)
    nb.metadata["kernelspec"] = {"name": "style-across-cultures", "display_name":
                                 "Style Across Cultures (Python 3.11)", "language": "python"}
    nbformat.write(nb, path)
    return seconds


def main(argv: list[str]) -> int:
    fast = "--fast" in argv
    paths = [Path(a) for a in argv if not a.startswith("--")]
    if not paths:
        print(__doc__)
        return 2
    for path in paths:
        seconds = execute(path, fast=fast)
        size = path.stat().st_size / 1e6
        print(f"{path}: {seconds:.0f} s ({'fast' if fast else 'full'} mode), {size:.2f} MB", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
