"""What the course's checkpoint loaders share: one error type for unusable weight files.

``helpers.gan``, ``helpers.cyclegan`` and ``helpers.adain`` each save their networks as
float16 ``.npz`` files and raise :class:`CheckpointError` (re-exported under their own
names) when a file is missing, corrupt or made for another network.

    >>> from helpers import checkpoints, cyclegan, gan
    >>> gan.CheckpointError is cyclegan.CheckpointError is checkpoints.CheckpointError
    True
"""

from __future__ import annotations


class CheckpointError(ValueError):
    """A weight file that is missing, corrupt or made for another network; names the file."""
