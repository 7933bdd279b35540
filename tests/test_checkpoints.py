"""helpers.checkpoints: one error type shared by every checkpoint loader."""

from __future__ import annotations


def test_one_checkpoint_error_for_every_loader() -> None:
    from helpers import adain, checkpoints, cyclegan, gan

    assert gan.CheckpointError is cyclegan.CheckpointError is adain.CheckpointError
    assert issubclass(checkpoints.CheckpointError, ValueError)
