"""helpers.adain: the AdaIN operation, the encoder and decoder, their losses, training and checkpoint."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import adain, checkpoints, widgets


def adain_reference(x: np.ndarray, y: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    """AdaIN written directly in NumPy, one image and one channel at a time."""
    out = np.empty_like(x)
    for n in range(x.shape[0]):
        for c in range(x.shape[-1]):
            xc, yc = x[n, ..., c], y[n, ..., c]
            sx, sy = np.sqrt(xc.var() + eps), np.sqrt(yc.var() + eps)
            out[n, ..., c] = sy * (xc - xc.mean()) / sx + yc.mean()
    return out


def test_adain_matches_numpy_reference() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(2.0, 3.0, (2, 6, 5, 4)).astype(np.float32)
    y = rng.normal(-1.0, 0.5, (2, 3, 7, 4)).astype(np.float32)
    assert np.allclose(adain.adain(x, y).numpy(), adain_reference(x, y), atol=1e-4)


def test_adain_gives_the_style_mean_and_std() -> None:
    rng = np.random.default_rng(1)
    x = rng.gamma(2.0, 1.0, (1, 8, 8, 16)).astype(np.float32)
    y = (5.0 + rng.normal(0, 1, (1, 10, 10, 16)) * rng.uniform(0.5, 4, 16)).astype(np.float32)
    out = adain.adain(x, y).numpy()
    assert np.allclose(out.mean(axis=(1, 2)), y.mean(axis=(1, 2)), atol=1e-3)
    assert np.allclose(out.std(axis=(1, 2)), y.std(axis=(1, 2)), rtol=1e-3)
    # and the content's *pattern* is kept: per channel, out is an increasing affine map of x
    assert np.corrcoef(out[0, ..., 3].ravel(), x[0, ..., 3].ravel())[0, 1] > 0.9999


def test_adain_rejects_bad_shapes() -> None:
    with pytest.raises(ValueError, match="channels"):
        adain.adain(np.zeros((1, 4, 4, 3)), np.zeros((1, 4, 4, 5)))
    with pytest.raises(ValueError, match=r"\(N, H, W, C\)"):
        adain.adain(np.zeros((4, 4, 3)), np.zeros((1, 4, 4, 3)))


def test_decoder_mirrors_the_encoder_shapes() -> None:
    dec = adain.build_decoder((8, 8, 8))
    out = dec(np.zeros((2, 4, 6, 512), np.float32))
    assert tuple(out.shape) == (2, 32, 48, 3)            # three upsamplings for three poolings
    with pytest.raises(ValueError, match="positive"):
        adain.build_decoder((8, 0, 8))


def test_encoder_gives_the_four_stat_layers() -> None:
    feats = adain.get_encoder()(np.zeros((64, 48, 3), np.float32))
    assert {k: tuple(v.shape) for k, v in feats.items()} == {
        "block1_conv1": (1, 64, 48, 64), "block2_conv1": (1, 32, 24, 128),
        "block3_conv1": (1, 16, 12, 256), "block4_conv1": (1, 8, 6, 512)}


def test_stylizer_alpha_zero_keeps_content_features_and_checks_alpha() -> None:
    st = adain.Stylizer(adain.build_decoder((8, 8, 8)))
    rng = np.random.default_rng(2)
    content, style = rng.random((35, 41, 3), np.float32), rng.random((24, 24, 3), np.float32)
    mu, sigma = st.stats(style)
    fc = st.encode(adain.crop8(content))[adain.ENCODER_LAYER]
    assert np.allclose(st.features_for(adain.crop8(content), mu, sigma, 0.0).numpy(), fc.numpy())
    assert st.stylize(content, style, 0.5).shape == (32, 40, 3)
    with pytest.raises(ValueError, match="alpha"):
        st.stylize(content, style, 1.5)


def test_adain_losses_vanish_at_the_target() -> None:
    feats = adain.get_encoder()(np.random.default_rng(3).random((1, 32, 32, 3), np.float32))
    stats = adain.style_stats(feats)
    lc, ls = adain.adain_losses(feats, feats[adain.ENCODER_LAYER], stats)
    assert float(lc) == 0.0 and float(ls) < 1e-6


def test_panel_has_stable_widgets_and_renders_an_image() -> None:
    panel = widgets.AdaINPanel(adain.Stylizer(adain.build_decoder((8, 8, 8))), size=64)
    found = [panel.content.description, panel.work.description, panel.alpha.description,
             panel.preserve_color.description, panel.run_button.description]
    assert tuple(found) == widgets.PANEL_DESCRIPTIONS
    panel.alpha.value = 0.5
    out = panel.run()
    assert out.ndim == 3 and out.shape[2] == 3 and max(out.shape[:2]) <= 64
    assert panel.image.value[:2] == b"\xff\xd8"           # a JPEG
    assert "s ·" in panel.status.value


def test_loss_judge_scores_the_content_itself_as_zero_content_loss() -> None:
    rng = np.random.default_rng(10)
    c, s = rng.random((32, 32, 3), np.float32), rng.random((40, 40, 3), np.float32)
    judge = adain.LossJudge(c, s)
    same, other = judge(c), judge(np.full_like(c, 0.5))
    assert same["content"] == 0.0 and other["content"] > 0.0
    assert set(same) >= {"content", "style", "tv", "total", "meanstd"}
    with pytest.raises(ValueError, match="shape"):
        judge(s)


def test_decoder_checkpoint_round_trip_keeps_the_widths(tmp_path) -> None:  # type: ignore[no-untyped-def]
    dec = adain.build_decoder((8, 4, 4))
    path = adain.save_decoder(dec, tmp_path / "d.npz")
    assert checkpoints.read(path, "adain")[1]["build"] == {"widths": [8, 4, 4]}
    back = adain.load_decoder(path)
    assert adain.decoder_widths(back) == (8, 4, 4)
    f = np.random.default_rng(8).uniform(0, 1, (1, 2, 2, 512)).astype(np.float32)
    assert np.abs(np.asarray(dec(f)) - np.asarray(back(f))).max() < 0.02   # float16 storage


def test_checkpoint_errors_name_the_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    missing = tmp_path / "nope.npz"
    with pytest.raises(checkpoints.CheckpointError, match="nope.npz.*not found.*train_adain"):
        adain.load_decoder(missing)
    corrupt = tmp_path / "corrupt.npz"
    corrupt.write_bytes(b"PK\x03\x04 this is not really a zip file")
    with pytest.raises(checkpoints.CheckpointError, match="corrupt.npz.*not a readable checkpoint"):
        adain.load_decoder(corrupt)
    wrong = tmp_path / "wrong.npz"
    checkpoints.save(wrong, {"decoder": adain.build_decoder((8, 8, 8))},
                     {"kind": "adain", "build": {"widths": list(adain.DECODER_WIDTHS)}})
    with pytest.raises(checkpoints.CheckpointError, match="wrong.npz.*shape"):
        adain.load_decoder(wrong)
    with pytest.raises(checkpoints.CheckpointError, match="not 'adain'"):
        adain.load_decoder(checkpoints.shipped_path("stylegan"))


def test_shipped_decoder_is_small_float16_and_recorded() -> None:
    path = checkpoints.shipped_path("adain")
    assert path.stat().st_size < 5e6
    with np.load(path) as npz:
        assert {npz[k].dtype.name for k in npz.files if k != "config"} == {"float16"}
    record = checkpoints.read_record(path)
    assert record["kind"] == "adain" and record["command"].startswith("python -m helpers.train_adain")


def test_training_set_and_the_shipped_decoders_record_of_its_images() -> None:
    """A run trains on the current catalog (display-only rows left out); the shipped decoder's
    record lists the v1 images it learnt from and which of them the catalog no longer has."""
    from helpers import data, train_adain

    cat = data.load_catalog()
    content, style = train_adain.training_set()
    assert [a.id for a in style] == [a.id for a in cat.styles() if not a.palette_reduced]
    assert content == cat.contents() + style and not any(a.palette_reduced for a in content)
    seen = checkpoints.read_record(checkpoints.shipped_path("adain"))["training_images"]
    assert len(seen["content"]) == 57 and len(seen["style"]) == 47
    assert set(seen["style"]) <= set(seen["content"])
    assert sorted(seen["not_in_catalog"]) == sorted(i for i in seen["content"] if i not in cat)
    assert all(cat[i].palette_reduced for i in seen["display_only"])


def test_shipped_decoder_loads_and_reconstructs_roughly() -> None:
    from helpers import data

    st = adain.Stylizer()
    img = adain.crop8(data.load_catalog()["content-photo__chelsea-the-cat__skimage"].load(max_side=128))
    out = st.decode(st.encode(img)[adain.ENCODER_LAYER])[0]
    assert out.shape == img.shape
    # decoding a photo's own features: 0.083 for the shipped decoder, 0.106 for the narrower one
    # shipped before it (trained without the reconstruction term, it drifted to a khaki palette)
    assert float(np.mean(np.abs(out - img))) < 0.095


def test_training_can_continue_from_a_checkpoint_and_keeps_its_record(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """``train_adain --init`` starts from given weights (no reconstruction stage) and records them."""
    from helpers import train_adain

    out = tmp_path / "decoder.npz"
    shipped = checkpoints.shipped_path("adain")
    train_adain.main(["--init", str(shipped), "--out", str(out), "--recon-minutes", "0",
                      "--max-steps", "2", "--batch", "2", "--crop", "32", "--recon-crop", "32",
                      "--style-crops", "1", "--recon-weight", "1e3"])
    record = checkpoints.read_record(out)
    assert record["kind"] == "adain" and record["steps"] == 2
    assert list(record["stages"]) == ["2_adain_content_plus_style"]
    assert record["stages"]["2_adain_content_plus_style"]["steps"] == 2
    assert record["continued_from"] == checkpoints.read_record(shipped)
    assert record["recon_weight"] == 1e3
    assert [r["steps"] for r in checkpoints.training_runs(record)][-1] == 2
    before = checkpoints.read(shipped, "adain")[0]["decoder"]
    after = checkpoints.read(out, "adain")[0]["decoder"]
    assert len(before) == len(after)
    # two small Adam steps move the weights a little, not back to a fresh initialisation
    diffs = [float(np.abs(a - b).max()) for a, b in zip(after, before)]
    assert 0 < max(diffs) < 0.05


def test_reconstruction_stage_runs_within_its_budget() -> None:
    rng = np.random.default_rng(11)
    pool = [rng.random((40, 48, 3), np.float32)]
    crops, feats = adain.reconstruction_data(pool, 32, 2, rng, progress=False)
    assert crops.shape == (2, 32, 32, 3) and feats.shape == (2, 4, 4, 512) and feats.dtype == np.float16
    losses = adain.train_reconstruction(adain.build_decoder((4, 4, 4)), crops, feats, steps=50,
                                        rng=rng, batch=2, max_seconds=0.0, progress=False)
    assert len(losses) == 1 and np.isfinite(losses[0][0])    # a budget of 0 s: one step, then stop


def test_shipped_decoder_has_the_default_widths() -> None:
    assert tuple(checkpoints.read(checkpoints.shipped_path("adain"), "adain")[1]["build"]["widths"]) \
        == adain.DECODER_WIDTHS


def test_decoder_output_can_warm_start_the_optimiser() -> None:
    """Lesson 06's "decoder + L-BFGS" path: style.stylize(init=...) starts from that image."""
    from helpers import style

    rng = np.random.default_rng(3)
    photo, art = np.full((32, 48, 3), 0.2, np.float32), rng.random((40, 40, 3)).astype(np.float32)
    start = rng.random((16, 24, 3)).astype(np.float32)          # another size: resized to the output's
    # with every weight 0 the gradient is 0, so L-BFGS returns its starting point unchanged
    out = style.stylize(photo, art, size=48, steps=1, init=start, content_weight=0.0, style_weight=0.0,
                        tv_weight=0.0, progress=False)
    assert out.shape == photo.shape
    assert abs(float(out.mean()) - float(start.mean())) < 0.02 and abs(float(out.mean()) - 0.2) > 0.1
    with pytest.raises(ValueError, match="init"):
        style.stylize(photo, art, size=48, steps=1, init=np.full((8, 8, 3), 2.0), progress=False)
