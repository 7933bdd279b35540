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
