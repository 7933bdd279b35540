"""Set-up files agree with each other: pins in requirements.txt, requirements.in, environment.yml."""

from __future__ import annotations

import re
from pathlib import Path


def _pins(lines: list[str]) -> dict[str, str]:
    pins = {}
    for line in lines:
        line = line.strip().lstrip("- ").strip()
        m = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([^\s;#]+)", line)
        if m:
            pins[m.group(1).lower().replace("_", "-")] = m.group(2)
    return pins


def test_every_requirement_is_pinned(root: Path) -> None:
    for name in ("requirements.txt", "requirements.in"):
        for line in (root / name).read_text().splitlines():
            if line.strip() and not line.startswith("#"):
                assert "==" in line, f"{name}: {line!r} is not pinned"


def test_environment_yml_agrees_with_requirements(root: Path) -> None:
    lock = _pins((root / "requirements.txt").read_text().splitlines())
    top = _pins((root / "requirements.in").read_text().splitlines())
    env_text = (root / "environment.yml").read_text()
    env = _pins(env_text.split("- pip:", 1)[1].splitlines())
    assert "python=3.11" in env_text
    assert env == top, "environment.yml's pip section must list requirements.in's pins"
    for name, version in top.items():
        assert lock.get(name) == version, f"{name}: requirements.in {version}, lock {lock.get(name)}"
    assert top["tensorflow"].startswith("2.21")


def test_installed_versions_match_the_lock(root: Path) -> None:
    from importlib.metadata import version

    top = _pins((root / "requirements.in").read_text().splitlines())
    for name, pinned in top.items():
        assert version(name) == pinned, name
    import keras

    assert keras.__version__.startswith("3.")
