"""helpers.gan: losses, DCGAN shapes, the trainer and its time budget, latents, grids, motifs, the generator checkpoint."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from helpers import checkpoints, gan, images, minimax, runtime


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


# ----------------------------------------------------------------------------- losses


def test_losses_known_values_at_an_undecided_discriminator() -> None:
    zeros = np.zeros(5, np.float32)
    assert float(gan.discriminator_loss(zeros, zeros)) == pytest.approx(2 * math.log(2), abs=1e-6)
    assert float(gan.generator_loss(zeros)) == pytest.approx(math.log(2), abs=1e-6)
    assert float(gan.generator_loss(zeros, "saturating")) == pytest.approx(-math.log(2), abs=1e-6)


def test_losses_match_the_formulas_with_probabilities() -> None:
    rng = np.random.default_rng(0)
    r, f = rng.normal(1, 2, 7), rng.normal(-1, 2, 7)
    dr, df = _sigmoid(r), _sigmoid(f)
    assert float(gan.discriminator_loss(r, f)) == pytest.approx(
        -np.mean(np.log(dr)) - np.mean(np.log(1 - df)), rel=1e-5)
    assert float(gan.generator_loss(f)) == pytest.approx(-np.mean(np.log(df)), rel=1e-5)
    assert float(gan.generator_loss(f, "saturating")) == pytest.approx(np.mean(np.log(1 - df)), rel=1e-5)
    # one-sided label smoothing: real target 0.9
    smooth = -np.mean(0.9 * np.log(dr) + 0.1 * np.log(1 - dr)) - np.mean(np.log(1 - df))
    assert float(gan.discriminator_loss(r, f, real_label=0.9)) == pytest.approx(smooth, rel=1e-5)


def test_losses_are_finite_for_extreme_logits() -> None:
    big = np.array([200.0, -200.0], np.float32)
    assert np.isfinite(float(gan.discriminator_loss(big, big)))
    assert float(gan.discriminator_loss([200.0], [-200.0])) == pytest.approx(0.0, abs=1e-6)


def test_saturating_loss_gradient_vanishes_when_d_is_confident() -> None:
    import tensorflow as tf

    logit = tf.Variable([-8.0])  # D(G(z)) = sigmoid(-8) ≈ 3e-4: D rejects the fake
    grads = {}
    for kind in gan.GENERATOR_LOSSES:
        with tf.GradientTape() as tape:
            loss = gan.generator_loss(logit, kind)
        grads[kind] = abs(float(tape.gradient(loss, logit)[0]))
    assert grads["saturating"] == pytest.approx(_sigmoid(-8.0), rel=1e-4)
    assert grads["non_saturating"] == pytest.approx(1 - _sigmoid(-8.0), rel=1e-4)
    assert grads["non_saturating"] > 1000 * grads["saturating"]


def test_bad_loss_arguments_raise() -> None:
    with pytest.raises(ValueError, match="kind must be one of"):
        gan.generator_loss([0.0], "wasserstein")
    with pytest.raises(ValueError, match="real_label"):
        gan.discriminator_loss([0.0], [0.0], real_label=1.5)


# ----------------------------------------------------------------------------- networks


@pytest.mark.parametrize("size", [32, 64])
def test_dcgan_shapes(size: int) -> None:
    g = gan.build_dcgan_generator(latent_dim=16, size=size, width=8)
    d = gan.build_dcgan_discriminator(size=size, width=8)
    imgs = np.asarray(g(gan.latents(3, 16), training=False))
    assert imgs.shape == (3, size, size, 3)
    assert imgs.min() >= -1 and imgs.max() <= 1
    assert tuple(d(imgs, training=False).shape) == (3, 1)


def test_dcgan_refuses_other_sizes() -> None:
    with pytest.raises(ValueError, match="32×32 or 64×64"):
        gan.build_dcgan_generator(size=128)
    with pytest.raises(ValueError, match="32×32 or 64×64"):
        gan.build_dcgan_discriminator(size=256)


def test_spectral_norm_discriminator_and_ttur_optimizers() -> None:
    runtime.setup(seed=0)
    d = gan.build_dcgan_discriminator(size=32, width=8, spectral_norm=True)
    kinds = {type(layer).__name__ for layer in d.layers}
    assert "SpectralNormalization" in kinds and "BatchNormalization" not in kinds
    assert "BatchNormalization" in {type(layer).__name__ for layer in gan.build_dcgan_discriminator(size=32, width=8).layers}
    # after a forward pass in training mode every wrapped kernel has spectral norm ≈ 1
    d(np.zeros((2, 32, 32, 3), np.float32), training=True)
    for _ in range(20):
        d(np.random.default_rng(0).normal(size=(2, 32, 32, 3)).astype(np.float32), training=True)
    dense = d.get_layer("sn_logit")
    w = np.asarray(dense.layer.kernel)
    assert np.linalg.norm(w, 2) == pytest.approx(1.0, rel=0.05)
    assert float(gan.dcgan_optimizer(4e-4).learning_rate) == pytest.approx(4e-4)
    assert float(gan.dcgan_optimizer().learning_rate) == pytest.approx(2e-4)
    with pytest.raises(ValueError, match="learning_rate"):
        gan.dcgan_optimizer(-1.0)


def test_dcgan_initialisation_follows_the_paper() -> None:
    runtime.setup(seed=0)
    g = gan.build_dcgan_generator(size=32, width=32)
    kernel = g.get_layer("up1").get_weights()[0]
    assert kernel.std() == pytest.approx(0.02, rel=0.05)
    gamma = g.get_layer("bn0").get_weights()[0]
    assert gamma.mean() == pytest.approx(1.0, abs=0.01)


def test_pack_shapes() -> None:
    import tensorflow as tf

    assert tuple(gan.pack(tf.zeros((8, 2)), 4).shape) == (2, 8)
    x = tf.reshape(tf.range(2 * 3 * 3 * 2, dtype=tf.float32), (2, 3, 3, 2))
    packed = gan.pack(x, 2).numpy()
    assert packed.shape == (1, 3, 3, 4)
    assert np.array_equal(packed[0, ..., :2], x.numpy()[0])
    assert np.array_equal(packed[0, ..., 2:], x.numpy()[1])


# ----------------------------------------------------------------------------- training


def _toy_run(seed: int, steps: int = 5, pack_m: int = 1) -> list[float]:
    import keras

    runtime.setup(seed=seed)
    t = gan.GANTrainer(minimax.mlp_generator(2, 2, hidden=16), minimax.mlp_discriminator(2 * pack_m, hidden=16),
                       latent_dim=2, g_optimizer=keras.optimizers.Adam(1e-3),
                       d_optimizer=keras.optimizers.Adam(1e-3), pack_m=pack_m, seed=seed)
    t.train(gan.batches(minimax.sample_ring(512, seed=seed), 64, seed=seed), steps, progress=False)
    return t.history.d_loss + t.history.g_loss


def test_trainer_is_reproducible_and_records_history() -> None:
    a, b = _toy_run(0), _toy_run(0)
    assert a == b and len(a) == 10 and all(np.isfinite(a))
    assert _toy_run(1) != a
    assert len(_toy_run(0, pack_m=4)) == 10


def test_trainer_stops_at_its_time_budget() -> None:
    import keras

    runtime.setup(seed=0)
    t = gan.GANTrainer(minimax.mlp_generator(2, 2, hidden=8), minimax.mlp_discriminator(2, hidden=8),
                       latent_dim=2, g_optimizer=keras.optimizers.Adam(1e-3),
                       d_optimizer=keras.optimizers.Adam(1e-3))
    calls: list[int] = []
    t.train(gan.batches(minimax.sample_ring(256), 32), 10_000, progress=False, max_seconds=0.5,
            callback=lambda tr: calls.append(tr.steps_done), every=10_000)
    assert 0 < t.steps_done < 10_000 and calls == [t.steps_done]
    assert len(t.history.d_loss) == t.steps_done
    with pytest.raises(ValueError, match="max_seconds"):
        t.train(gan.batches(minimax.sample_ring(256), 32), 1, max_seconds=0)


def test_trainer_validates_arguments() -> None:
    g, d = minimax.mlp_generator(2, 2, hidden=4), minimax.mlp_discriminator(2, hidden=4)
    with pytest.raises(ValueError, match="g_loss"):
        gan.GANTrainer(g, d, 2, g_loss="hinge")
    t = gan.GANTrainer(g, d, 2, pack_m=4)
    with pytest.raises(ValueError, match="multiple of pack_m"):
        t.step(np.zeros((6, 2), np.float32))


def test_a_dcgan_step_runs_and_changes_the_generator() -> None:
    runtime.setup(seed=0)
    g = gan.build_dcgan_generator(latent_dim=8, size=32, width=8)
    d = gan.build_dcgan_discriminator(size=32, width=8)
    before = [w.copy() for w in g.get_weights()]
    t = gan.GANTrainer(g, d, latent_dim=8)
    logs = t.step(images.to_tanh(np.random.default_rng(0).random((4, 32, 32, 3))))
    assert all(np.isfinite(v) for v in logs.values())
    assert any(not np.array_equal(a, b) for a, b in zip(before, g.get_weights()))


# ----------------------------------------------------------------------------- images and data


def test_grid_and_interpolation() -> None:
    grid = gan.image_grid(np.ones((5, 4, 4, 3)), ncols=3, pad=2, pad_value=0.0)
    assert grid.shape == (2 * 6 + 2, 3 * 6 + 2, 3)
    assert grid[2:6, 2:6].min() == 1.0 and grid[0].max() == 0.0
    z0, z1 = gan.latents(2, 16, seed=0)
    path = gan.interpolate(z0, z1, steps=5)
    assert np.allclose(path[0], z0, atol=1e-6) and np.allclose(path[-1], z1, atol=1e-6)
    assert path.shape == (5, 16)


def test_motif_patches_shapes_sources_and_errors() -> None:
    images = [np.zeros((40, 50, 3), np.float32), np.ones((64, 64, 3), np.float32)]
    x, src = gan.motif_patches(images, n=7, patch=32, seed=0, return_sources=True)
    assert x.shape == (7, 32, 32, 3) and src.tolist() == [0, 1, 0, 1, 0, 1, 0]
    assert np.all(x[src == 1] == 1.0) and np.all(x[src == 0] == 0.0)
    with pytest.raises(ValueError, match="smaller than the 32-px patch"):
        gan.motif_patches([np.zeros((20, 50, 3))], n=1, patch=32)


def test_islamic_motifs_come_from_the_catalog() -> None:
    x, src = gan.islamic_motifs(6, seed=0, return_sources=True)
    assert x.shape == (6, 32, 32, 3) and x.dtype == np.float32
    assert 0.0 <= x.min() and x.max() <= 1.0 and sorted(set(src.tolist())) == [0, 1, 2]


# ----------------------------------------------------------------------------- checkpoints


def test_checkpoint_round_trip_in_float16(tmp_path: Path) -> None:
    runtime.setup(seed=0)
    build = {"latent_dim": 8, "size": 32, "width": 8}
    g = gan.build_dcgan_generator(**build)
    path = gan.save_generator(g, tmp_path / "g.npz", build)
    g2 = gan.load_generator(path)
    z = gan.latents(4, 8)
    assert np.allclose(gan.generate(g, z), gan.generate(g2, z), atol=2e-2)
    arrays, config = checkpoints.read(path, "dcgan")
    assert config == {"kind": "dcgan", "build": build} and list(arrays) == ["generator"]
    assert all(w.dtype == np.float16 for k, w in np.load(path).items() if k != "config")


def test_load_generator_defaults_to_the_shipped_checkpoint() -> None:
    g = gan.load_generator()
    assert g.output_shape == (None, 32, 32, 3)
    assert checkpoints.read_record(checkpoints.shipped_path("dcgan"))["kind"] == "dcgan"


def test_bad_checkpoints_raise_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(checkpoints.CheckpointError, match=r"absent\.npz: checkpoint not found"):
        gan.load_generator(tmp_path / "absent.npz")
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip file at all")
    with pytest.raises(checkpoints.CheckpointError, match=r"bad\.npz: not a readable checkpoint"):
        gan.load_generator(bad)
    other = tmp_path / "other.npz"
    np.savez(other, a=np.zeros(3))
    with pytest.raises(checkpoints.CheckpointError, match=r"other\.npz: no 'config' entry"):
        gan.load_generator(other)
    g = gan.build_dcgan_generator(latent_dim=8, size=32, width=8)
    wrong = gan.save_generator(g, tmp_path / "wrong.npz", {"latent_dim": 8, "size": 32, "width": 16})
    with pytest.raises(checkpoints.CheckpointError, match=r"wrong\.npz: weight generator/"):
        gan.load_generator(wrong)
    nonsense = gan.save_generator(g, tmp_path / "nonsense.npz", {"colour": "blue"})
    with pytest.raises(checkpoints.CheckpointError, match="does not describe a DCGAN generator"):
        gan.load_generator(nonsense)


def test_motif_patches_without_rotation_keep_up_and_down() -> None:
    # a vertical ramp: dark at the top, bright at the bottom
    ramp = np.repeat(np.linspace(0, 1, 64, dtype=np.float32)[:, None, None], 64, axis=1).repeat(3, axis=2)
    upright = gan.motif_patches([ramp], n=40, patch=16, seed=0, rotate=False)
    assert np.all(upright[:, 0].mean(axis=(1, 2)) < upright[:, -1].mean(axis=(1, 2)))
    turned = gan.motif_patches([ramp], n=40, patch=16, seed=0)
    assert not np.all(turned[:, 0].mean(axis=(1, 2)) < turned[:, -1].mean(axis=(1, 2)))


def test_train_dcgan_writes_a_checkpoint_and_its_record(tmp_path: Path) -> None:
    from helpers import train_dcgan

    out = tmp_path / "try.npz"
    assert train_dcgan.main(["--steps", "2", "--batch", "8", "--patches", "16", "--width", "8",
                             "--out", str(out)]) == 0
    rec = checkpoints.read_record(out)
    assert rec["kind"] == "dcgan" and rec["steps"] == 2 and rec["config"]["build"]["width"] == 8
    assert checkpoints.training_runs(rec)[0]["steps"] == 2
    assert gan.load_generator(out).output_shape == (None, 32, 32, 3)
    assert train_dcgan.parse_args([]).out == checkpoints.shipped_path("dcgan")
    ttur = tmp_path / "ttur.npz"
    assert train_dcgan.main(["--steps", "2", "--batch", "8", "--patches", "16", "--width", "8",
                             "--spectral-norm", "--g-lr", "1e-4", "--d-lr", "4e-4", "--out", str(ttur)]) == 0
    rec = checkpoints.read_record(ttur)
    assert rec["discriminator"]["spectral_norm"] is True
    assert rec["optimizer"]["discriminator_learning_rate"] == 4e-4
    assert "--spectral-norm" in rec["reproduce"] and "--d-lr 0.0004" in rec["reproduce"]
    with pytest.raises(SystemExit):
        train_dcgan.parse_args(["--d-lr", "0"])
