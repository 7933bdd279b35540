"""helpers.cyclegan: networks, losses, the image pool and checkpoints; helpers.train_cyclegan:
the data domains, the samplers and the training script."""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pytest

from helpers import checkpoints
from helpers import cyclegan as cg
from helpers import train_cyclegan as tc


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
    with pytest.raises(ValueError, match="upsample must be one of"):
        cg.build_generator(filters=4, upsample="bicubic")
    with pytest.raises(ValueError, match="upsample must be one of"):
        cg.CycleGANConfig(upsample="deconv")


def test_resize_upsampling_keeps_sizes_and_parameters_and_has_no_transposed_conv() -> None:
    t = cg.build_generator(filters=4, n_blocks=1)
    r = cg.build_generator(filters=4, n_blocks=1, upsample="resize")
    assert t.count_params() == r.count_params()
    kinds = {layer.__class__.__name__ for layer in r.layers}
    assert "UpSampling2D" in kinds and "Conv2DTranspose" not in kinds
    x = np.random.default_rng(0).uniform(-1, 1, (1, 20, 36, 3)).astype(np.float32)
    assert tuple(r(x).shape) == (1, 20, 36, 3)


def test_reflection_padding_mirrors_the_border() -> None:
    x = np.arange(12, dtype=np.float32).reshape(1, 3, 4, 1)
    y = np.asarray(cg.ReflectionPadding2D(1)(x))[0, ..., 0]
    assert y.shape == (5, 6)
    assert y[0, 1:-1].tolist() == x[0, 1, :, 0].tolist()      # row -1 mirrors row 1
    assert y[1:-1, 0].tolist() == x[0, :, 1, 0].tolist()
    with pytest.raises(ValueError, match="pad"):
        cg.ReflectionPadding2D(-1)


def test_cyclegan_takes_a_generator_builder() -> None:
    calls = []

    def builder(filters: int, n_blocks: int, name: str = "g"):  # type: ignore[no-untyped-def]
        calls.append((filters, n_blocks, name))
        return cg.build_generator(filters, n_blocks, name=name, upsample="resize")

    config = cg.CycleGANConfig(gen_filters=4, gen_blocks=1, disc_filters=4)
    model = cg.CycleGAN(config, seed=0, build_generator=builder)
    assert calls == [(4, 1, "G_photo_to_art"), (4, 1, "F_art_to_photo")]
    assert any(layer.__class__.__name__ == "UpSampling2D" for layer in model.G.layers)
    resized = cg.CycleGAN(dataclasses.replace(config, upsample="resize"), seed=0)
    assert [w.shape for w in resized.G.weights] == [w.shape for w in model.G.weights]
    assert np.allclose(resized.G.weights[0].numpy(), model.G.weights[0].numpy())  # same seed, same init
    with pytest.raises(ValueError, match="your own build_generator"):
        cg.CycleGAN(dataclasses.replace(config, upsample="resize"), build_generator=builder)


def test_a_model_with_its_own_builder_loads_with_that_builder(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import functools

    builder = functools.partial(cg.build_generator, upsample="resize")
    model = cg.CycleGAN(cg.CycleGANConfig(gen_filters=4, gen_blocks=1, disc_filters=4), build_generator=builder)
    path = cg.save_checkpoint(model, tmp_path / "own.npz")
    G, _, _ = cg.load_checkpoint(path, build_generator=builder)
    x = np.zeros((1, 16, 16, 3), np.float32)
    assert np.allclose(np.asarray(G(x)), np.asarray(model.G(x)), atol=2e-2)
    with pytest.raises(checkpoints.CheckpointError, match="own.npz: weight G/"):
        cg.load_checkpoint(path)            # the default (transposed) generator does not fit


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


def test_samplers_give_training_crops_in_tanh_range() -> None:
    photos, prints = tc.make_samplers(seed=0, sides=(96,), crop=32)
    a = photos.sample(3)
    assert a.shape == (3, 32, 32, 3) and a.min() >= -1.0 and a.max() <= 1.0
    assert np.array_equal(tc.make_samplers(seed=0, sides=(96,), crop=32)[0].sample(3), a)
    assert len(photos.images) == len(tc.photo_domain()) and len(prints.images) == len(tc.art_domain())


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


class _Crops:
    def sample(self, batch: int = 1) -> np.ndarray:
        return np.zeros((batch, 16, 16, 3), np.float32)


def test_train_stops_at_its_time_budget(tiny_model: cg.CycleGAN) -> None:
    seen = []
    before, seconds = tiny_model.steps_done, tiny_model.history.seconds

    def slow(step: int, losses: dict[str, float]) -> None:
        seen.append(step)
        time.sleep(0.05)

    tiny_model.train(_Crops(), _Crops(), steps=1000, callback=slow, progress=False, max_seconds=0.01)
    assert seen == [0] and tiny_model.steps_done == before + 1
    assert tiny_model.history.seconds > seconds
    with pytest.raises(ValueError, match="max_seconds"):
        tiny_model.train(_Crops(), _Crops(), steps=5, max_seconds=0)


def test_translate_keeps_odd_sizes_and_range(tiny_model: cg.CycleGAN) -> None:
    img = np.random.default_rng(1).random((30, 45, 3)).astype(np.float32)
    out = cg.translate(tiny_model.G, img)
    assert out.shape == img.shape and out.min() >= 0.0 and out.max() <= 1.0
    with pytest.raises(ValueError, match=r"\(H, W, 3\)"):
        cg.translate(tiny_model.G, img[..., 0])


def test_live_samples_draw_the_crops_and_translations(tiny_model: cg.CycleGAN) -> None:
    crops = np.zeros((2, 16, 16, 3), np.float32)
    view = cg.LiveSamples(crops, crops, every=10)
    fig = view.figure(tiny_model, step=3)
    assert len([ax for ax in fig.axes if ax.images]) == 8
    view.update(tiny_model, 3)      # not a multiple of `every`: nothing drawn
    view.update(tiny_model, 10)     # outside a notebook: rendered and closed
    with pytest.raises(ValueError, match="every"):
        cg.LiveSamples(crops, crops, every=0)


# ---- checkpoints ----------------------------------------------------------------------

def test_checkpoint_round_trip(tiny_model: cg.CycleGAN, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = cg.save_checkpoint(tiny_model, tmp_path / "ck.npz")
    G, F, config = cg.load_checkpoint(path)
    assert config == tiny_model.config
    x = np.random.default_rng(3).uniform(-1, 1, (1, 16, 16, 3)).astype(np.float32)
    for loaded, orig in ((G, tiny_model.G), (F, tiny_model.F)):
        assert np.allclose(np.asarray(loaded(x)), np.asarray(orig(x)), atol=2e-2)  # float16


def test_resize_checkpoint_round_trip(tmp_path) -> None:  # type: ignore[no-untyped-def]
    model = cg.CycleGAN(cg.CycleGANConfig(gen_filters=4, gen_blocks=1, disc_filters=4,
                                          upsample="resize"), seed=1)
    G, _, config = cg.load_checkpoint(cg.save_checkpoint(model, tmp_path / "r.npz"))
    assert config.upsample == "resize"
    assert any(layer.__class__.__name__ == "UpSampling2D" for layer in G.layers)


def test_missing_checkpoint_names_the_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(checkpoints.CheckpointError, match="nope.npz: checkpoint not found"):
        cg.load_checkpoint(tmp_path / "nope.npz")


def test_corrupt_checkpoint_names_the_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"this is not a zip file at all")
    with pytest.raises(checkpoints.CheckpointError, match="bad.npz: not a readable"):
        cg.load_checkpoint(bad)


def test_foreign_checkpoints_are_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    other = tmp_path / "other.npz"
    np.savez(other, weights=np.zeros(3))
    with pytest.raises(checkpoints.CheckpointError, match="other.npz: no 'config'"):
        cg.load_checkpoint(other)
    with pytest.raises(checkpoints.CheckpointError, match="not 'cyclegan'"):
        cg.load_checkpoint(checkpoints.shipped_path("dcgan"))
    odd = checkpoints.save(tmp_path / "odd.npz", {"G": [np.zeros(2)], "F": [np.zeros(2)]},
                           {"kind": "cyclegan", "build": {"gen_filters": 4, "colour": "red"}})
    with pytest.raises(checkpoints.CheckpointError, match="odd.npz: its config is not a CycleGANConfig"):
        cg.load_checkpoint(odd)


def test_checkpoint_with_wrong_shapes_is_refused(tiny_model: cg.CycleGAN, tmp_path) -> None:  # type: ignore[no-untyped-def]
    bigger = dataclasses.replace(tiny_model.config, gen_filters=8)  # claims bigger networks
    arrays, _ = checkpoints.read(cg.save_checkpoint(tiny_model, tmp_path / "ck.npz"))
    lying = checkpoints.save(tmp_path / "lying.npz", arrays,
                             {"kind": "cyclegan", "build": dataclasses.asdict(bigger)})
    with pytest.raises(checkpoints.CheckpointError, match="lying.npz: weight G/000 has shape"):
        cg.load_checkpoint(lying)


def test_shipped_checkpoint_loads_and_has_its_record() -> None:
    G, F, config = cg.load_checkpoint()
    assert config.upsample == "bilinear" and config.gen_filters == 16
    assert cg.load_checkpoint(checkpoints.kept_path("cyclegan_transpose"))[2].upsample == "transpose"  # saved before `upsample`
    record = checkpoints.read_record(checkpoints.shipped_path("cyclegan"))
    for key in ("command", "seed", "steps", "wall_time_s", "crop", "steps_per_s", "load_average"):
        assert key in record
    assert record["steps"] > 1000 and record["config"] == dataclasses.asdict(config)
    assert checkpoints.shipped_path("cyclegan").stat().st_size < 5e6
    out = cg.translate(G, np.full((64, 64, 3), 0.5, np.float32))
    assert out.shape == (64, 64, 3)


def test_training_script_writes_a_checkpoint_and_its_record(tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "cg.npz"    # tiny networks and crops: a step takes well under a second
    assert tc.main(["--steps", "2", "--gen-filters", "4", "--gen-blocks", "1", "--disc-filters", "4",
                    "--upsample", "resize", "--crop", "16", "--sides", "48", "--out", str(out)]) == 0
    record = checkpoints.read_record(out)
    assert record["kind"] == "cyclegan" and record["steps"] == 2 and record["seed"] == 0
    assert record["config"]["upsample"] == "resize" and record["photos"][-1] == "skimage-rocket"
    assert [r["steps"] for r in checkpoints.training_runs(record)] == [2] and record["crop"] == 16
    assert cg.load_checkpoint(out)[2].upsample == "resize"


# ---- data domains ---------------------------------------------------------------------

def test_domains_are_disjoint_and_credited() -> None:
    train_photos = {p.id for p in tc.photo_domain()}
    held = [p.id for p in tc.photo_domain(held_out=True)]
    assert held == list(tc.HELD_OUT_PHOTOS) and not train_photos & set(held)
    assert all(p.role == "content" and p.caption.count(" — ") == 1 for p in tc.photo_domain())
    prints = tc.art_domain()
    assert all(a.id.startswith("japanese-ukiyoe") and not a.palette_reduced for a in prints)
    # The domains are the shipped checkpoint's training sets (pinned across catalog versions).
    record = checkpoints.read_record(checkpoints.shipped_path("cyclegan"))
    assert [a.id for a in prints] == record["prints"] == list(tc.TRAIN_PRINTS)
    assert [p.id for p in tc.photo_domain()] == record["photos"] == list(tc.TRAIN_PHOTOS)
    assert tc.HELD_OUT_PRINT not in {a.id for a in prints}
    assert [a.id for a in tc.art_domain(held_out=True)] == [tc.HELD_OUT_PRINT]
    assert [im.shape[2] for im in tc.load_domain(tc.photo_domain()[-2:], 64)] == [3, 3]
