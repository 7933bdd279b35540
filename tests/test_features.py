"""helpers.features: the VGG16 weights, their checksum and fingerprints, the extractor."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from helpers import features


def test_published_fingerprints() -> None:
    # First bias of each layer and one kernel entry, as printed for the original release
    # (data/weights/README.md); float16 storage keeps about 3 significant digits.
    w = features.load_vgg16_weights()
    expected_bias0 = {
        "block1_conv1": 0.73429835,
        "block1_conv2": -0.30912212,
        "block2_conv1": -0.04577766,
        "block2_conv2": -0.06418542,
        "block3_conv1": -0.074358866,
    }
    for layer, value in expected_bias0.items():
        assert w[layer][1][0] == pytest.approx(value, rel=2e-3, abs=1e-4), layer
    assert w["block1_conv1"][0][0, 0, 0, 0] == pytest.approx(0.42947057, rel=2e-3)
    assert w["block5_conv1"][0].shape == (3, 3, 512, 512)


def test_checksum_mismatch_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "vgg.npz"
    shutil.copy(features.WEIGHTS_PATH, bad)
    with bad.open("r+b") as fh:
        fh.seek(1000)
        fh.write(b"\x00\x01\x02")
    with pytest.raises(features.WeightsError, match="vgg.npz: sha256 is .* expected 95b54218"):
        features.load_vgg16_weights(bad)
    with pytest.raises(features.WeightsError, match="not found"):
        features.load_vgg16_weights(tmp_path / "absent.npz")


def test_caffe_preprocessing_round_trip() -> None:
    rng = np.random.default_rng(0)
    img = rng.random((5, 7, 3), dtype=np.float32)
    x = features.preprocess_caffe(img)
    assert x[0, 0, 0] == pytest.approx(img[0, 0, 2] * 255 - 103.939, abs=1e-3)  # B first
    assert np.allclose(features.deprocess_caffe(x), img, atol=1e-5)


def test_extractor_shapes_and_unknown_layer() -> None:
    vgg = features.get_extractor(("block1_conv1", "block3_conv1", "block5_conv1"))
    acts = vgg.numpy(np.zeros((64, 48, 3), np.float32))
    assert acts["block1_conv1"].shape == (1, 64, 48, 64)
    assert acts["block3_conv1"].shape == (1, 16, 12, 256)
    assert acts["block5_conv1"].shape == (1, 4, 3, 512)
    with pytest.raises(ValueError, match="unknown VGG16 layers"):
        features.build_vgg16(["fc7"])
    with pytest.raises(ValueError, match=r"shape \(H, W, 3\)"):
        vgg(np.zeros((8, 8), np.float32))


def test_features_respond_to_the_image(catalog) -> None:  # type: ignore[no-untyped-def]
    # Real weights give structured activations: an artwork excites conv1_1 far more than a
    # flat grey image does, and differently from another artwork.
    vgg = features.get_extractor(("block1_conv1", "block4_conv2"))
    wave = vgg.numpy(catalog["japanese-ukiyoe__hokusai-great-wave-off-kanagawa__c1831"].load(96))
    flat = vgg.numpy(np.full((96, 96, 3), 0.5, np.float32))
    def spatial_spread(a):  # per-channel variation across the image, away from the padded border
        return a[0, 2:-2, 2:-2].std(axis=(0, 1)).mean()

    assert spatial_spread(wave["block1_conv1"]) > 100 * (spatial_spread(flat["block1_conv1"]) + 1e-3)
    assert (wave["block4_conv2"] > 0).mean() > 0.01


def test_bfloat16_matches_float32_closely(catalog) -> None:  # type: ignore[no-untyped-def]
    img = catalog["content-photo__chelsea-the-cat__skimage"].load(64)
    f32 = features.FeatureExtractor(("block3_conv1",)).numpy(img)["block3_conv1"]
    bf16 = features.FeatureExtractor(("block3_conv1",), dtype="bfloat16").numpy(img)["block3_conv1"]
    assert bf16.dtype == np.float32
    rel = np.abs(bf16 - f32).mean() / np.abs(f32).mean()
    assert rel < 0.05, rel


def test_gradient_reaches_the_image() -> None:
    import tensorflow as tf

    vgg = features.get_extractor(("block2_conv1",))
    x = tf.Variable(np.random.default_rng(1).random((1, 32, 32, 3), dtype=np.float32))
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(vgg(x)["block2_conv1"])
    grad = tape.gradient(loss, x)
    assert grad is not None and float(tf.reduce_max(tf.abs(grad))) > 0
