"""The shape of `helpers/` (CONTRIBUTING.md, "The package"): one module per idea, no cycles,
nothing imported upward, public names declared, and notebooks that use only public names."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HELPERS = ROOT / "helpers"
MODULES = sorted(p.stem for p in HELPERS.glob("*.py") if p.stem != "__init__")
MAX_LINES = 500

#: Lower layers may not import higher ones (CONTRIBUTING.md). train_* scripts sit on top.
LAYERS = ["runtime", "data", "images", "plot", "features", "checkpoints", "style_loss", "style",
          "metrics", "motifs", "minimax", "gan", "cyclegan", "adain", "stylegan", "stats", "evaluation",
          "culture", "regions", "study", "datasheet", "image_folders", "distribute", "widgets"]


def _rank(module: str) -> int:
    if module.startswith("train_"):
        return len(LAYERS)
    return LAYERS.index(module)


def _tree(module: str) -> ast.Module:
    return ast.parse((HELPERS / f"{module}.py").read_text(encoding="utf-8"))


def helper_imports(module: str) -> set[str]:
    """The helpers modules that ``module`` imports anywhere (top level or inside functions)."""
    found: set[str] = set()
    for node in ast.walk(_tree(module)):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1 and node.module:  # from .x import y
                found.add(node.module.split(".")[0])
            elif node.level == 1:  # from . import x, y
                found.update(a.name for a in node.names)
            elif node.module and node.module.startswith("helpers"):
                parts = node.module.split(".")
                found.update([parts[1]] if len(parts) > 1 else [a.name for a in node.names])
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("helpers."):
                    found.add(a.name.split(".")[1])
    return {m for m in found if m in MODULES} - {module}


def test_every_module_has_a_place_in_the_layers() -> None:
    unknown = [m for m in MODULES if not m.startswith("train_") and m not in LAYERS]
    assert not unknown, f"add {unknown} to LAYERS here and in CONTRIBUTING.md"


def test_no_import_cycle() -> None:
    graph = {m: helper_imports(m) for m in MODULES}
    state: dict[str, int] = {}

    def visit(m: str, path: list[str]) -> None:
        state[m] = 1
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                raise AssertionError("import cycle: " + " -> ".join(path + [m, n]))
            if n not in state:
                visit(n, path + [m])
        state[m] = 2

    for m in MODULES:
        if m not in state:
            visit(m, [])


@pytest.mark.parametrize("module", MODULES)
def test_nothing_is_imported_upward(module: str) -> None:
    upward = sorted(n for n in helper_imports(module) if _rank(n) > _rank(module))
    assert not upward, f"helpers.{module} imports higher layers {upward}"


@pytest.mark.parametrize("module", MODULES)
def test_module_is_small_and_says_its_lesson_and_public_names(module: str) -> None:
    text = (HELPERS / f"{module}.py").read_text(encoding="utf-8")
    n = text.count("\n")
    assert n <= MAX_LINES, f"helpers/{module}.py has {n} lines (limit {MAX_LINES}): split it by idea"
    doc = ast.get_docstring(_tree(module)) or ""
    assert re.search(r"\bLessons? \d\d", doc), f"helpers/{module}.py: docstring needs a 'Lesson NN' line"
    tree = _tree(module)
    names = [t.id for node in tree.body if isinstance(node, ast.Assign)
             for t in node.targets if isinstance(t, ast.Name)]
    assert "__all__" in names, f"helpers/{module}.py declares no __all__"
    mod = __import__(f"helpers.{module}", fromlist=["__all__"])
    missing = [name for name in mod.__all__ if not hasattr(mod, name)]
    assert not missing, f"helpers.{module}.__all__ lists names it lacks: {missing}"


def test_style_never_imports_widgets_or_metrics() -> None:
    assert not helper_imports("style") & {"widgets", "metrics"}


NOTEBOOKS = sorted((ROOT / "notebooks").rglob("*.ipynb"))
PRIVATE = re.compile(r"\b(?:helpers|cg|gan|style|style_loss|regions|adain|stylegan|culture|study|datasheet|data|images|metrics|"
                     r"stats|evaluation|features|plot|runtime|widgets|minimax|cyclegan|checkpoints)\._[a-z]\w*")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_uses_only_public_helpers_and_no_patches(path: Path) -> None:
    nb = json.loads(path.read_text(encoding="utf-8"))
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    assert "mock.patch" not in code and "monkeypatch" not in code, f"{path.name} patches helpers"
    assert "from unittest import mock" not in code
    private = sorted(set(PRIVATE.findall(code)) - {"data.__file__"})
    private += re.findall(r"from helpers\.\w+ import [^\n]*\b_[a-z]\w*", code)
    assert not private, f"{path.name} uses private helpers names: {private}"


def test_the_private_pattern_catches_what_it_should() -> None:
    assert PRIVATE.findall("x = cg._reflect_pad_layer()") == ["cg._reflect_pad_layer"]
    assert PRIVATE.findall("style.stylize(x)") == []
