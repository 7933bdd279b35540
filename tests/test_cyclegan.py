"""helpers.cyclegan: networks, losses, the image pool, data domains and checkpoints."""

from __future__ import annotations

import json

import numpy as np
import pytest

from helpers import cyclegan as cg


@pytest.fixture(scope="module")
def tiny_model() -> cg.CycleGAN:
    config = cg.CycleGANConfig(gen_filters=4, gen_blocks=1, disc_filters=4, pool_size=2)
    return cg.CycleGAN(config, seed=0)


# ---- architecture ---------------------------------------------------------------------

@pytest.mark.parametrize("h, w", [(32, 32), (64, 48), (20, 36)])
def test_generator_keeps_the_image_size_and_tanh_range(h: int, w: int) -> None:
    G = cg.build_generator(filters=4, n_blocks=2)
    x = np.random.default_rng(0).uniform(-1, 1, (2, h, w, 3)).astype(np.float32)
    y = np.asarray(G(x))
    assert y.shape == (2, h, w, 3)
    assert y.min() >= -1.0 and y.max() <= 1.0


def test_instance_norm_normalises_each_channel_of_each_image() -> None:
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((2, 8, 8, 5)) * [1, 2, 3, 4, 5] + [0, 1, -2, 3, 9]).astype(np.float32)
    layer = cg.instance_norm("test_in")
    y = np.asarray(layer(x))
    assert layer.groups == 5                            # groups=-1 → one group per channel
    assert np.allclose(y.mean(axis=(1, 2)), 0.0, atol=1e-4)
    assert np.allclose(y.std(axis=(1, 2)), 1.0, atol=1e-2)
    G = cg.build_generator(filters=4, n_blocks=1)
    assert sum(layer.__class__.__name__ == "GroupNormalization" for layer in G.layers) == 7


@pytest.mark.parametrize("size, n_layers, patches", [(64, 2, 13), (64, 3, 5), (128, 2, 29)])
def test_patchgan_gives_one_score_per_patch(size: int, n_layers: int, patches: int) -> None:
    D = cg.build_discriminator(filters=4, n_layers=n_layers)
    out = D(np.zeros((3, size, size, 3), np.float32))
    assert tuple(out.shape) == (3, patches, patches, 1)


def test_builders_reject_bad_sizes() -> None:
    with pytest.raises(ValueError, match="filters"):
        cg.build_generator(filters=0)
    with pytest.raises(ValueError, match="n_layers"):
        cg.build_discriminator(n_layers=0)


# ---- losses on tiny fixed tensors -----------------------------------------------------

def test_lsgan_discriminator_loss_values() -> None:
    assert float(cg.lsgan_discriminator_loss([1.0, 1.0], [0.0, 0.0])) == 0.0
    assert float(cg.lsgan_discriminator_loss([0.0], [1.0])) == pytest.approx(1.0)
    # ½·((0.5−1)² + 0.5²) = 0.25
    assert float(cg.lsgan_discriminator_loss([0.5], [0.5])) == pytest.approx(0.25)


def test_lsgan_generator_loss_values() -> None:
    assert float(cg.lsgan_generator_loss([1.0, 1.0])) == 0.0
    assert float(cg.lsgan_generator_loss([0.0, 2.0])) == pytest.approx(1.0)
    assert float(cg.lsgan_generator_loss([[0.5], [1.5]])) == pytest.approx(0.25)


def test_cycle_and_identity_losses_are_mean_absolute_error() -> None:
    a = np.array([[0.0, 1.0], [-1.0, 0.5]], np.float32)
    b = np.array([[1.0, 1.0], [-1.0, -0.5]], np.float32)
    assert float(cg.cycle_loss(a, b)) == pytest.approx(0.5)
    assert float(cg.identity_loss(a, a)) == 0.0
    assert float(cg.identity_loss(a, b)) == pytest.approx(0.5)


# ---- the image pool -------------------------------------------------------------------

def _img(v: float) -> np.ndarray:
    return np.full((1, 2, 2, 1), v, np.float32)


def test_pool_returns_new_images_until_full() -> None:
    pool = cg.ImagePool(size=3, seed=0)
    for v in (1.0, 2.0, 3.0):
        assert float(pool.query(_img(v))[0, 0, 0, 0]) == v
    assert len(pool) == 3


def test_full_pool_swaps_about_half_the_time_and_keeps_its_size() -> None:
    pool = cg.ImagePool(size=4, seed=0)
    for v in range(4):
        pool.query(_img(float(v)))
    from_history = 0
    for v in range(100, 400):
        before = {float(im[0, 0, 0]) for im in pool.images}
        out = float(pool.query(_img(float(v)))[0, 0, 0, 0])
        assert len(pool) == 4
        if out != v:
            from_history += 1
            assert out in before                          # an older fake came back ...
            assert float(v) in {float(im[0, 0, 0]) for im in pool.images}  # ... and was replaced
        else:
            assert {float(im[0, 0, 0]) for im in pool.images} == before
    assert 110 < from_history < 190                       # p = ½ of 300 queries


def test_pool_of_size_zero_passes_through_and_batches_keep_their_shape() -> None:
    batch = np.random.default_rng(0).random((3, 4, 4, 3)).astype(np.float32)
    assert np.array_equal(cg.ImagePool(size=0).query(batch), batch)
    assert cg.ImagePool(size=2, seed=1).query(batch).shape == batch.shape
    with pytest.raises(ValueError, match="pool size"):
        cg.ImagePool(size=-1)


def test_pool_is_reproducible_with_a_seed() -> None:
    def run(seed: int) -> list[float]:
        pool = cg.ImagePool(size=2, seed=seed)
        return [float(pool.query(_img(float(v)))[0, 0, 0, 0]) for v in range(30)]

    assert run(5) == run(5)


# ---- schedule and sampling ------------------------------------------------------------

def test_linear_decay() -> None:
    assert cg.linear_decay(0, 200) == 2e-4
    assert cg.linear_decay(100, 200) == 2e-4
    assert cg.linear_decay(150, 200) == pytest.approx(1e-4)
    assert cg.linear_decay(200, 200) == 0.0
    assert cg.linear_decay(5, 10, base_lr=1.0, decay_start=0.0) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="total_steps"):
        cg.linear_decay(0, 0)


def test_crop_sampler_shapes_range_and_seed() -> None:
    img = np.random.default_rng(0).random((40, 50, 3)).astype(np.float32)
    a = cg.CropSampler([img], crop=32, seed=3).sample(4)
    b = cg.CropSampler([img], crop=32, seed=3).sample(4)
    assert a.shape == (4, 32, 32, 3) and np.array_equal(a, b)
    assert a.min() >= -1.0 and a.max() <= 1.0
    with pytest.raises(ValueError, match="crop=64"):
        cg.CropSampler([img], crop=64)


# ---- training and translating ---------------------------------------------------------

def test_train_step_updates_the_generators(tiny_model: cg.CycleGAN) -> None:
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (1, 32, 32, 3)).astype(np.float32)
    y = rng.uniform(-1, 1, (1, 32, 32, 3)).astype(np.float32)
    before = np.asarray(tiny_model.G(x))
    losses = tiny_model.train_step(x, y, lr=1e-3)
    assert set(losses) == {"g_total", "g_gan", "cycle", "identity", "d_x", "d_y"}
    assert all(np.isfinite(v) for v in losses.values())
    assert not np.allclose(before, np.asarray(tiny_model.G(x)))
    assert tiny_model.steps_done == 1 and len(tiny_model.history.cycle) == 1


def test_translate_keeps_odd_sizes_and_range(tiny_model: cg.CycleGAN) -> None:
    img = np.random.default_rng(1).random((30, 45, 3)).astype(np.float32)
    out = cg.translate(tiny_model.G, img)
    assert out.shape == img.shape and out.min() >= 0.0 and out.max() <= 1.0
    with pytest.raises(ValueError, match=r"\(H, W, 3\)"):
        cg.translate(tiny_model.G, img[..., 0])


def test_cycle_errors() -> None:
    img = np.random.default_rng(2).random((32, 32, 3)).astype(np.float32)
    same = cg.cycle_errors(img, img)
    assert same["l1"] == 0.0 and same["ssim"] == pytest.approx(1.0)
    worse = cg.cycle_errors(img, np.clip(img + 0.1, 0, 1))
    assert 0.0 < worse["l1"] <= 0.1 and worse["ssim"] < 1.0


# ---- checkpoints ----------------------------------------------------------------------

def test_checkpoint_round_trip(tiny_model: cg.CycleGAN, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = cg.save_checkpoint(tiny_model, tmp_path / "ck.npz", meta={"seed": 0})
    G, F, info = cg.load_checkpoint(path)
    assert info["meta"] == {"seed": 0} and info["config"]["gen_filters"] == 4
    x = np.random.default_rng(3).uniform(-1, 1, (1, 16, 16, 3)).astype(np.float32)
    for loaded, orig in ((G, tiny_model.G), (F, tiny_model.F)):
        assert np.allclose(np.asarray(loaded(x)), np.asarray(orig(x)), atol=2e-2)  # float16


def test_missing_checkpoint_names_the_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(cg.CheckpointError, match="nope.npz: checkpoint not found"):
        cg.load_checkpoint(tmp_path / "nope.npz")


def test_corrupt_checkpoint_names_the_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"this is not a zip file at all")
    with pytest.raises(cg.CheckpointError, match="bad.npz: not a readable"):
        cg.load_checkpoint(bad)


def test_foreign_npz_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    other = tmp_path / "other.npz"
    np.savez(other, weights=np.zeros(3))
    with pytest.raises(cg.CheckpointError, match="other.npz: no 'info'"):
        cg.load_checkpoint(other)


def test_checkpoint_with_wrong_shapes_is_refused(tiny_model: cg.CycleGAN, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = cg.save_checkpoint(tiny_model, tmp_path / "ck.npz")
    with np.load(path) as npz:
        files = dict(npz.items())
    info = json.loads(files["info"].tobytes().decode())
    info["config"]["gen_filters"] = 8                   # claims bigger networks than it holds
    files["info"] = np.frombuffer(json.dumps(info).encode(), np.uint8)
    np.savez(tmp_path / "lying.npz", **files)
    with pytest.raises(cg.CheckpointError, match="lying.npz: weight G/000 has shape"):
        cg.load_checkpoint(tmp_path / "lying.npz")


def test_shipped_checkpoint_loads_and_has_its_record() -> None:
    G, F, info = cg.load_checkpoint()
    assert info["steps"] > 1000
    record = json.loads(cg.SHIPPED_CHECKPOINT.with_suffix(".json").read_text())
    for key in ("command", "seed", "steps", "wall_time_s"):
        assert key in record
    assert record["steps"] == info["steps"]
    assert cg.SHIPPED_CHECKPOINT.stat().st_size < 5e6
    out = cg.translate(G, np.full((64, 64, 3), 0.5, np.float32))
    assert out.shape == (64, 64, 3)


# ---- data domains ---------------------------------------------------------------------

def test_domains_are_disjoint_and_credited() -> None:
    train_photos = {p.id for p in cg.photo_domain()}
    held = [p.id for p in cg.photo_domain(held_out=True)]
    assert held == list(cg.HELD_OUT_PHOTOS) and not train_photos & set(held)
    prints = cg.art_domain()
    assert all(a.id.startswith("japanese-ukiyoe") and not a.palette_reduced for a in prints)
    assert cg.HELD_OUT_PRINT not in {a.id for a in prints}
    assert [a.id for a in cg.art_domain(held_out=True)] == [cg.HELD_OUT_PRINT]
    for p in cg.extra_photos():
        assert p.title and p.artist and p.date and p.license
        assert p.load(max_side=64).shape[2] == 3
