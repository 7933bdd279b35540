"""Shared code for the *Style Across Cultures* notebooks.

The package is deliberately small and import-light: ``import helpers`` does not import
TensorFlow. Import the submodule you need::

    from helpers import runtime, data, features, plot
    cfg = runtime.setup(seed=0)        # seeds, determinism, threads, fast mode
    cat = data.load_catalog()          # the course's artworks and photos
"""

from __future__ import annotations

import os as _os

# TensorFlow reads this once, at its own import: set it before any submodule imports TF.
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__version__ = "0.1.0"
