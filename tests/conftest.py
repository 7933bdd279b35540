"""Shared fixtures. The network is cut off by tests/offline/sitecustomize.py (see Makefile)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session", autouse=True)
def _quiet_tensorflow() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@pytest.fixture(scope="session")
def catalog():  # type: ignore[no-untyped-def]
    from helpers import data

    return data.load_catalog()


@pytest.fixture(autouse=True)
def _fresh_ethics_notices():  # type: ignore[no-untyped-def]
    """Each test is a new notice session: a work's ethics note shows once per session, so a
    test that expects a notice must not depend on which tests ran before it."""
    from helpers import data

    with data.fresh_notices():
        yield
