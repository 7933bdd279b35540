"""helpers.runtime: one call for seeds, determinism and the fast flag."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import runtime


def test_fast_flag(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COURSE_FAST", "1")
    assert runtime.is_fast()
    monkeypatch.setenv("COURSE_FAST", "0")
    assert not runtime.is_fast()
    monkeypatch.delenv("COURSE_FAST")
    assert not runtime.is_fast()


def test_pick() -> None:
    assert runtime.RunConfig(0, True, 2, 2, True).pick(full=100, fast=3) == 3
    assert runtime.RunConfig(0, False, 2, 2, True).pick(full=100, fast=3) == 100


def test_same_seed_same_numbers() -> None:
    import keras
    import tensorflow as tf

    def draw() -> tuple[float, float, float]:
        runtime.setup(seed=7)
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
        return (float(np.random.rand()), float(tf.random.uniform(())),
                float(model(np.ones((1, 4), np.float32)).numpy().sum()))

    assert draw() == draw()
    runtime.setup(seed=8)
    assert float(np.random.rand()) != draw()[0]


def test_negative_seed() -> None:
    with pytest.raises(ValueError, match="seed"):
        runtime.setup(seed=-1)

