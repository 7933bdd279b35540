"""One call that makes a lesson reproducible: seeds, determinism, threads, fast mode.

Every notebook starts with::

    from helpers import runtime
    cfg = runtime.setup(seed=0)
    steps = cfg.pick(full=300, fast=10)

``COURSE_FAST=1`` in the environment switches every lesson to its fast mode (fewer steps,
smaller images); the test suite sets it. Fast mode never changes *what* a lesson computes,
only how much of it.

Lessons 00–09: every lesson's first code cell. :func:`source` prints the code a lesson calls
(lesson 02 shows its networks and training step this way).
"""

from __future__ import annotations

import os
import random
import warnings
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

__all__ = ["is_fast", "RunConfig", "seed_everything", "setup", "progress", "source"]

T = TypeVar("T")

_TRUE = {"1", "true", "yes", "on"}


def is_fast() -> bool:
    """True when ``COURSE_FAST`` asks for the fast mode (``1``, ``true``, ``yes``, ``on``).

    >>> saved = os.environ.pop("COURSE_FAST", None)      # leave the caller's setting as it was
    >>> os.environ["COURSE_FAST"] = "yes"; is_fast()
    True
    >>> del os.environ["COURSE_FAST"]; is_fast()
    False
    >>> if saved is not None: os.environ["COURSE_FAST"] = saved
    """
    return os.environ.get("COURSE_FAST", "").strip().lower() in _TRUE


@dataclass(frozen=True)
class RunConfig:
    """What :func:`setup` did, for the notebook to print and use."""

    seed: int
    fast: bool
    intra_op_threads: int
    inter_op_threads: int
    deterministic: bool

    def pick(self, full: T, fast: T) -> T:
        """Return ``fast`` in fast mode, else ``full``.

        >>> RunConfig(0, True, 2, 2, True).pick(full=1000, fast=10)
        10
        """
        return fast if self.fast else full

    def __str__(self) -> str:
        mode = "FAST (COURSE_FAST=1)" if self.fast else "full"
        return (
            f"seed={self.seed}, mode={mode}, threads={self.intra_op_threads}/"
            f"{self.inter_op_threads}, deterministic ops={self.deterministic}"
        )


def seed_everything(seed: int) -> None:
    """Seed Python's ``random``, NumPy's global generator and TensorFlow/Keras."""
    import keras

    random.seed(seed)
    np.random.seed(seed)
    keras.utils.set_random_seed(seed)  # also seeds Python, NumPy and the TF global generator


def setup(seed: int = 0, threads: int | None = None, deterministic: bool = True) -> RunConfig:
    """Seed everything, make TensorFlow deterministic, set its threads, read the fast flag.

    Parameters
    ----------
    seed:
        Seed for Python, NumPy and TensorFlow. The same seed gives the same numbers.
    threads:
        Intra-op threads for TensorFlow; ``None`` uses every core (``os.cpu_count()``),
        which is within a few per cent of the best setting on a 2-core laptop.
    deterministic:
        Turn on TensorFlow's op determinism (slightly slower, same results every run).

    Call it once, at the top of a notebook, before building any model. Calling it again
    re-seeds; thread counts can only be set before TensorFlow first runs an op, so a later
    call with different threads only warns.

    >>> cfg = setup(seed=1)
    >>> cfg.seed
    1
    """
    if seed < 0:
        raise ValueError(f"seed must be non-negative, got {seed}")
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")
    intra = int(threads or os.cpu_count() or 1)
    inter = 2
    try:
        tf.config.threading.set_intra_op_parallelism_threads(intra)
        tf.config.threading.set_inter_op_parallelism_threads(inter)
    except RuntimeError:
        # TensorFlow has already started its thread pools; keep what it has.
        now = tf.config.threading.get_intra_op_parallelism_threads()
        if threads is not None and now not in (0, intra):
            warnings.warn(
                f"TensorFlow already runs with {now} threads; restart the kernel to use {intra}.",
                stacklevel=2,
            )
    if deterministic:
        tf.config.experimental.enable_op_determinism()
    seed_everything(seed)
    return RunConfig(
        seed=seed,
        fast=is_fast(),
        intra_op_threads=intra,
        inter_op_threads=inter,
        deterministic=deterministic,
    )


def progress(iterable=None, **kwargs):  # type: ignore[no-untyped-def]
    """A tqdm progress bar (same arguments) that a *saved* notebook shows as its final line.

    In a Jupyter kernel it is tqdm's widget bar, displayed with a display handle that is
    re-rendered when the bar closes, so a static viewer (GitHub, nbviewer, the course site)
    shows "100%|██████████| 1500/1500 [...]" instead of the "0%| 0/1500" it had when it was
    first drawn. Elsewhere (a terminal, pytest) it is tqdm's text bar.

    >>> sum(progress(range(4), disable=True))
    6
    """
    if _in_kernel():
        return _notebook_bar_class()(iterable, **kwargs)
    from tqdm import tqdm

    return tqdm(iterable, **kwargs)


def _in_kernel() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


_BAR_CLASS = None


def _notebook_bar_class():  # type: ignore[no-untyped-def]
    global _BAR_CLASS
    if _BAR_CLASS is None:
        from tqdm.notebook import tqdm as notebook_tqdm

        class NotebookBar(notebook_tqdm):  # type: ignore[misc,valid-type]
            def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
                kwargs["display"] = False
                super().__init__(*args, **kwargs)
                self._handle = None
                if not self.disable:
                    from IPython.display import display

                    self._handle = display(self.container, display_id=True)

            def close(self) -> None:
                super().close()
                handle, self._handle = getattr(self, "_handle", None), None
                if handle is not None:   # re-render: the saved text/plain is the final state
                    handle.update(self.container)

        _BAR_CLASS = NotebookBar
    return _BAR_CLASS


def source(obj: object, docstring: bool = False) -> str:
    """The source code of a function, method or class, without its docstring by default.

    A lesson prints the code it calls from ``helpers`` so that the idea is on the page
    without a second copy of it in the notebook.

    >>> print(source(is_fast))
    def is_fast() -> bool:
        return os.environ.get("COURSE_FAST", "").strip().lower() in _TRUE
    """
    import ast
    import inspect
    import textwrap

    if not callable(obj):
        raise TypeError(f"obj must be a function, method or class, got {type(obj).__name__}")
    code = textwrap.dedent(inspect.getsource(obj))
    if docstring:
        return code.rstrip("\n")
    node = ast.parse(code).body[0]
    body = getattr(node, "body", [])
    lines = code.splitlines()
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) \
            and isinstance(body[0].value.value, str):
        first, last = body[0].lineno - 1, body[0].end_lineno or body[0].lineno
        lines = lines[:first] + lines[last:]
    return "\n".join(lines).rstrip("\n")
