"""helpers.stylegan: the mapping network, the synthesis network, training and the shipped generator."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import checkpoints, stylegan


def test_mapping_network_output_shape_and_scale_invariance() -> None:
    m = stylegan.build_mapping(z_dim=16, w_dim=12, n_layers=3)
    z = np.random.default_rng(5).normal(size=(4, 16)).astype(np.float32)
    w = m(z).numpy()
    assert w.shape == (4, 12)
    assert np.allclose(m(3.0 * z).numpy(), w, atol=1e-5)   # z is pixel-normalised first


def test_generator_shapes_noise_and_mixing() -> None:
    g = stylegan.StyleGenerator(w_dim=8, channels=(8, 8, 4), seed=0)
    assert g.resolution == 16 and g.n_styles == 6
    rng = np.random.default_rng(6)
    w1, w2 = rng.normal(size=(2, 8)).astype(np.float32), rng.normal(size=(2, 8)).astype(np.float32)
    img = g(w1, noise="zero").numpy()
    assert img.shape == (2, 16, 16, 3) and np.abs(img).max() <= 1.0
    assert np.allclose(g(w1, noise="zero").numpy(), img)
    mixed = np.concatenate([np.repeat(w1[:, None], 3, 1), np.repeat(w2[:, None], 3, 1)], axis=1)
    assert not np.allclose(g(mixed, noise="zero").numpy(), img)
    with pytest.raises(ValueError, match="ws must be"):
        g(np.zeros((2, 5, 8), np.float32))
    with pytest.raises(ValueError, match="noise"):
        g(w1, noise="loud")


def test_stylegan_train_step_runs_and_truncation_zero_gives_w_avg() -> None:
    gan = stylegan.StyleGAN(z_dim=8, w_dim=8, channels=(8, 8, 4), mapping_layers=2)
    patches = stylegan.motif_patches(8, size=16, max_side=64)
    assert patches.shape == (8, 16, 16, 3) and patches.min() >= -1.0 and patches.max() <= 1.0
    hist = gan.train(patches, steps=1, batch=4, progress=False)
    assert len(hist) == 1 and all(np.isfinite(hist[0]))
    z = np.random.default_rng(7).normal(size=(3, 8)).astype(np.float32)
    ws = gan.ws_from_z(z, truncation=0.0).numpy()
    assert np.allclose(ws, gan.w_avg.numpy()[None, None], atol=1e-6)


def test_train_stops_at_its_time_budget_and_calls_back() -> None:
    gan = stylegan.StyleGAN(z_dim=8, w_dim=8, channels=(8, 8), mapping_layers=1)
    patches = np.zeros((4, 8, 8, 3), np.float32)
    seen = []
    hist = gan.train(patches, steps=50, batch=2, progress=False, compiled=False, max_seconds=0.0,
                     every=1, callback=lambda h, s: seen.append(len(h)))
    assert len(hist) == 1 and seen == [1]       # a budget of 0 s: one step, then stop
    with pytest.raises(ValueError, match="steps"):
        gan.train(patches, steps=-1)


def test_checkpoint_round_trip(tmp_path) -> None:  # type: ignore[no-untyped-def]
    gan = stylegan.StyleGAN(z_dim=8, w_dim=8, channels=(8, 8, 4), mapping_layers=2)
    path = gan.save(tmp_path / "g.npz")
    arrays, config = checkpoints.read(path, "stylegan")
    assert set(arrays) == {"mapping", "synthesis", "w_avg"}
    assert config["build"] == {"z_dim": 8, "w_dim": 8, "channels": [8, 8, 4], "mapping_layers": 2}
    back = stylegan.load_stylegan(path)
    z = np.random.default_rng(8).normal(size=(2, 8)).astype(np.float32)
    a, b = gan.generate(z, noise="zero"), back.generate(z, noise="zero")
    assert np.abs(a - b).max() < 0.02                      # float16 storage


def test_checkpoint_errors_name_the_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(checkpoints.CheckpointError, match="nope.npz.*not found.*train_stylegan"):
        stylegan.load_stylegan(tmp_path / "nope.npz")
    with pytest.raises(checkpoints.CheckpointError, match="holds a 'adain' checkpoint, not 'stylegan'"):
        stylegan.load_stylegan(checkpoints.shipped_path("adain"))


def test_shipped_stylegan_loads_is_float16_and_recorded() -> None:
    path = checkpoints.shipped_path("stylegan")
    assert path.stat().st_size < 5e6
    with np.load(path) as npz:
        assert {npz[k].dtype.name for k in npz.files if k != "config"} == {"float16"}
    gan = stylegan.load_stylegan()
    imgs = gan.generate(np.random.default_rng(9).normal(size=(2, gan.z_dim)).astype(np.float32))
    assert imgs.shape == (2, 32, 32, 3)
    record = checkpoints.read_record(path)
    runs = checkpoints.training_runs(record)
    assert record["command"].startswith("python -m helpers.train_stylegan")
    assert runs and all(r["steps"] > 0 and r["minutes"] > 0 for r in runs)


def test_the_shipped_generator_was_trained_as_the_class_documents() -> None:
    """R1 on and a slow mapping network: the class's defaults, and what the shipped record says."""
    record = checkpoints.read_record(checkpoints.shipped_path("stylegan"))
    gan = stylegan.StyleGAN(channels=(8, 8))
    assert gan.r1_gamma == stylegan.R1_GAMMA > 0 and gan.mapping_lr_mult == stylegan.MAPPING_LR_MULT < 1
    assert record["r1_gamma"] == stylegan.R1_GAMMA and record["mapping_lr_mult"] == stylegan.MAPPING_LR_MULT
    assert "continued_from" not in record                     # one run from scratch, with these settings
    assert float(gan.m_opt.learning_rate) == pytest.approx(float(gan.g_opt.learning_rate) * stylegan.MAPPING_LR_MULT)
    with pytest.raises(ValueError, match="r1_gamma"):
        stylegan.StyleGAN(channels=(8, 8), r1_gamma=-1.0)


def test_r1_penalty_and_slow_mapping_act_in_the_step() -> None:
    """R1 > 0 returns a positive penalty; the mapping moves ~100x less than with mult 1."""
    import tensorflow as tf

    patches = stylegan.motif_patches(4, size=8, max_side=32)
    moved = {}
    for mult in (1.0, 0.01):
        tf.keras.utils.set_random_seed(0)
        gan = stylegan.StyleGAN(z_dim=8, w_dim=8, channels=(8, 8), mapping_layers=1, r1_gamma=1.0,
                                mapping_lr_mult=mult, seed=0)
        before = [v.numpy().copy() for v in gan.mapping.trainable_weights]
        d, g, r1 = gan._train_step(tf.constant(patches))
        assert float(r1) > 0
        moved[mult] = max(float(np.abs(v.numpy() - b).max()) for v, b in zip(gan.mapping.trainable_weights, before))
    assert 0 < moved[0.01] < moved[1.0] / 20


def test_the_critic_sees_the_batch_spread() -> None:
    """minibatch_std: a batch of identical images gives a spread of 0, varied ones more."""
    import tensorflow as tf

    same = tf.ones((4, 4, 4, 2))
    varied = tf.random.stateless_normal((4, 4, 4, 2), seed=(1, 2))
    assert float(stylegan.minibatch_std(same)[..., -1].numpy().max()) < 1e-3
    assert float(stylegan.minibatch_std(varied)[0, 0, 0, -1]) > 0.5
    d = stylegan.build_discriminator(16)
    assert "d_batch_spread" in [layer.name for layer in d.layers]
    assert "d_batch_spread" not in [layer.name for layer in stylegan.build_discriminator(16, batch_spread=False).layers]


def test_motif_patches_name_their_works() -> None:
    patches, sources = stylegan.motif_patches(12, size=16, max_side=64, return_sources=True)
    assert patches.shape == (12, 16, 16, 3) and sorted(set(sources.tolist())) == list(range(len(stylegan.MOTIF_IDS)))


def test_train_stylegan_continues_from_a_checkpoint_and_keeps_its_record(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """``train_stylegan --init`` loads the generator, trains, saves, and chains the records."""
    from helpers import train_stylegan

    first = tmp_path / "first.npz"
    stylegan.StyleGAN(channels=(8, 8), seed=0).save(first)
    earlier = checkpoints.read_record(checkpoints.write_record(first, "stylegan", seed=0, steps=5,
                                                               wall_minutes=0.1))
    out = tmp_path / "second.npz"
    train_stylegan.main(["--init", str(first), "--out", str(out), "--channels", "8,8", "--patches", "8",
                         "--batch", "2", "--max-steps", "2", "--seed", "1"])
    record = checkpoints.read_record(out)
    assert record["kind"] == "stylegan" and record["steps"] == 2 and record["continued_from"] == earlier
    assert [r["steps"] for r in checkpoints.training_runs(record)] == [5, 2]
    assert checkpoints.read(out, "stylegan")[1]["build"]["channels"] == [8, 8]
