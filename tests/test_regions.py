"""Lesson 09: guided Gram matrices (helpers.style_loss, style.stylize(regions=...)) and the
region masks and liubai score (helpers.regions). Tiny images, so the file runs in seconds."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from helpers import features, images, regions, style, style_loss


def _tiny(seed: int, shape: tuple[int, int] = (32, 32)) -> np.ndarray:
    return np.random.default_rng(seed).random(shape + (3,)).astype(np.float32)


def _halves(shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    top = np.zeros(shape, np.float32)
    top[: shape[0] // 2] = 1.0
    return top, 1.0 - top


# ---------------------------------------------------------------------------------------
# Guided Gram matrices
# ---------------------------------------------------------------------------------------


def test_guided_gram_with_an_all_ones_mask_is_the_plain_gram() -> None:
    f = np.random.default_rng(0).standard_normal((2, 5, 7, 4)).astype(np.float32)
    guided = style.guided_gram_matrix(f, np.ones((1, 5, 7), np.float32)).numpy()
    assert guided.shape == (2, 1, 4, 4)
    assert np.allclose(guided[:, 0], style.gram_matrix(f).numpy(), atol=1e-5)


def test_guided_gram_is_the_gram_of_the_masked_positions_only() -> None:
    f = np.random.default_rng(1).standard_normal((1, 6, 6, 3)).astype(np.float32)
    top, bottom = _halves((6, 6))
    g = style.guided_gram_matrix(f, np.stack([top, bottom])).numpy()[0]
    assert np.allclose(g[0], style.gram_matrix(f[:, :3]).numpy()[0], atol=1e-5)
    assert np.allclose(g[1], style.gram_matrix(f[:, 3:]).numpy()[0], atol=1e-5)
    # a soft mask weights positions by T²
    half = np.full((6, 6), 0.5, np.float32)
    assert np.allclose(style.guided_gram_matrix(f, half[None]).numpy()[0, 0],
                       style.gram_matrix(f).numpy()[0], atol=1e-5)


def test_guided_loss_with_one_all_ones_region_equals_the_plain_loss() -> None:
    content, art, x = _tiny(0), _tiny(1, (40, 32)), _tiny(2)
    ones = [(np.ones((32, 32)), np.ones((40, 32)))]
    for norm in ("relative", "raw"):
        plain = style.StyleTransferLoss(content, art, style_norm=norm)(x)
        guided = style.StyleTransferLoss(content, art, style_norm=norm, regions=ones)(x)
        assert guided["style"] == pytest.approx(plain["style"], rel=1e-4)
        assert guided["total"] == pytest.approx(plain["total"], rel=1e-4)


def test_each_region_is_normalised_by_its_own_target_and_weighted_by_its_area() -> None:
    content, art, x = _tiny(3), _tiny(4), _tiny(5)
    layer = ("block1_conv1",)
    top, bottom = _halves((32, 32))
    loss = style.StyleTransferLoss(content, art, style_layers=layer, content_layer=layer[0],
                                   regions=[(top, top), (bottom, bottom)])
    vgg = features.FeatureExtractor(layer)
    fa, fx = vgg.numpy(art)[layer[0]], vgg.numpy(x)[layer[0]]
    expected = 0.0
    for rows in (slice(0, 16), slice(16, 32)):
        ga = style.gram_matrix(fa[:, rows]).numpy()
        gx = style.gram_matrix(fx[:, rows]).numpy()
        expected += 0.5 * np.mean((gx - ga) ** 2) / np.mean(ga ** 2)   # area share 1/2 each
    assert loss(x)["style"] == pytest.approx(expected, rel=1e-3)


def test_a_region_where_the_photo_mask_is_zero_gets_no_style_gradient() -> None:
    # In feature space, exactly: the guided loss's gradient with respect to the features is
    # zero wherever the mask is zero.
    rng = np.random.default_rng(6)
    feats = tf.constant(rng.standard_normal((1, 8, 8, 4)).astype(np.float32))
    target = tf.constant(rng.standard_normal((1, 4, 4)).astype(np.float32))
    top, _ = _halves((8, 8))
    with tf.GradientTape() as tape:
        tape.watch(feats)
        loss = tf.reduce_mean(tf.square(style.guided_gram_matrix(feats, top[None])[0] - target))
    grad = tape.gradient(loss, feats).numpy()[0]
    assert np.abs(grad[:4]).max() > 0 and np.all(grad[4:] == 0.0)
    # In pixels, through VGG16's first layer (a 3×3 convolution): zero in the masked-out half
    # but for the row next to the border, which the 3×3 kernel still sees.
    content, art = _tiny(7), _tiny(8)
    layer = ("block1_conv1",)
    loss = style.StyleTransferLoss(content, art, content_weight=0.0, tv_weight=0.0,
                                   style_layers=layer, content_layer=layer[0],
                                   regions=[(top.repeat(4, 0).repeat(4, 1), np.ones((32, 32)))])
    _, g, _ = loss.value_and_grad(tf.constant(_tiny(9)[None]))
    g = np.abs(g.numpy()[0]).sum(axis=-1)
    assert g[:16].mean() > 0 and g[17:].max() == 0.0
    # the plain loss pulls on every pixel
    plain = style.StyleTransferLoss(content, art, content_weight=0.0, tv_weight=0.0,
                                    style_layers=layer, content_layer=layer[0])
    _, g_plain, _ = plain.value_and_grad(tf.constant(_tiny(9)[None]))
    assert np.abs(g_plain.numpy()[0, 17:]).max() > 0


def test_stylize_with_regions_runs_and_keeps_a_masked_out_region_closer_to_the_photo() -> None:
    rng = np.random.default_rng(10)
    photo = np.full((48, 48, 3), 0.7, np.float32)
    art = rng.random((48, 48, 3)).astype(np.float32)     # texture everywhere
    flat_art = np.full((48, 48, 3), 0.7, np.float32)
    flat_art[24:] = art[24:]                              # a painting: empty top, busy bottom
    top, bottom = _halves((48, 48))
    kw = {"size": 48, "steps": 8, "progress": False}
    plain = style.stylize(photo, flat_art, **kw)
    guided = style.stylize(photo, flat_art, regions=[(top, top), (bottom, bottom)], **kw)
    assert guided.shape == plain.shape == (48, 48, 3)
    assert regions.liubai_score(guided, photo, top) < regions.liubai_score(plain, photo, top)


@pytest.mark.parametrize("pair, message", [
    ((np.ones((16, 16)), np.ones((32, 32))), r"regions\[0\]\[0\] \(photo mask\) has shape \(16, 16\)"),
    ((np.ones((32, 32)), np.ones((32, 32, 3))), r"regions\[0\]\[1\] \(painting mask\) must be a 2-D mask"),
    ((np.zeros((32, 32)), np.ones((32, 32))), r"regions\[0\]\[0\] \(photo mask\) is all zeros"),
    ((np.ones((32, 32)), np.full((32, 32), 2.0)), r"regions\[0\]\[1\] \(painting mask\) must hold values in \[0, 1\]"),
    ((np.ones((32, 32)), -np.ones((32, 32))), r"regions\[0\]\[1\] .* must hold values in \[0, 1\]"),
    ((np.full((32, 32), np.nan), np.ones((32, 32))), r"regions\[0\]\[0\] \(photo mask\) must hold finite values, got NaN or inf"),
    ((np.ones((32, 32)).astype(str), np.ones((32, 32))), r"regions\[0\]\[0\] .* numeric or boolean"),
])
def test_bad_masks_are_clear_errors_naming_the_argument(pair, message) -> None:  # type: ignore[no-untyped-def]
    photo, art = _tiny(11), _tiny(12)
    with pytest.raises(ValueError, match=message):
        style.stylize(photo, art, size=32, steps=1, progress=False, regions=[pair])
    with pytest.raises(ValueError, match=message):
        style.StyleTransferLoss(photo, art, regions=[pair])


def test_bad_region_lists_are_clear_errors() -> None:
    photo, art = _tiny(13), _tiny(14)
    ok = (np.ones((32, 32)), np.ones((32, 32)))
    for bad, message in (([], "non-empty list"), (np.ones((2, 32, 32)), "non-empty list"),
                         ([ok[0]], r"regions\[0\] must be a \(photo_mask, painting_mask\) pair"),
                         ([ok, (ok[0],)], r"regions\[1\] must be")):
        with pytest.raises(ValueError, match=message):
            style.stylize(photo, art, size=32, steps=1, progress=False, regions=bad)
    with pytest.raises(ValueError, match="one style image, got 2"):
        style.stylize(photo, [art, art], size=32, steps=1, progress=False, regions=[ok])
    # booleans are masks too
    assert style_loss.check_mask(np.ones((4, 4), bool), "m").dtype == np.float32


def test_masks_follow_the_images_through_resizing() -> None:
    # masks given at the size of the images passed in; stylize resizes both to `size`
    photo, art = _tiny(15, (64, 48)), _tiny(16, (40, 40))
    pairs = [(np.ones((64, 48)), np.ones((40, 40)))]
    out = style.stylize(photo, art, size=48, style_size=32, steps=2, scales=2, progress=False,
                        regions=pairs)
    assert out.shape == (48, 36, 3)
    m = np.zeros((8, 8)); m[:, :4] = 1
    assert np.array_equal(style_loss.resize_mask(m, (4, 4)), np.repeat([[1.0, 1.0, 0.0, 0.0]], 4, 0))


# ---------------------------------------------------------------------------------------
# Region masks and the liubai score (helpers.regions)
# ---------------------------------------------------------------------------------------


def _sky_and_ground(seed: int = 0) -> np.ndarray:
    img = np.full((64, 64, 3), [0.6, 0.7, 0.9], np.float32)
    img[32:] = np.random.default_rng(seed).random((32, 64, 3))
    return img


def test_flat_mask_finds_the_sky() -> None:
    m = regions.flat_mask(_sky_and_ground())
    assert m.shape == (64, 64) and m.dtype == np.float32 and 0 <= m.min() and m.max() <= 1
    assert m[:26].mean() > 0.99 and m[36:].mean() < 0.01
    hard = regions.flat_mask(_sky_and_ground(), soften=False)
    assert set(np.unique(hard)) <= {0.0, 1.0}
    with pytest.raises(ValueError, match="threshold"):
        regions.flat_mask(_sky_and_ground(), threshold=0)
    with pytest.raises(ValueError, match="window"):
        regions.flat_mask(_sky_and_ground(), window=0)


def test_void_and_mass_pairs_flat_with_flat() -> None:
    photo, painting = _sky_and_ground(0), _sky_and_ground(1)[::-1].copy()   # painting: flat below
    (pv, qv), (pm, qm) = regions.void_and_mass(photo, painting)
    assert pv[:26].mean() > 0.99 and qv[38:].mean() > 0.99
    assert np.allclose(pv + pm, 1.0) and np.allclose(qv + qm, 1.0)
    with pytest.raises(ValueError, match="painting has no flat part"):
        regions.void_and_mass(photo, np.repeat(((np.indices((64, 64)) // 4).sum(0) % 2)[..., None], 3, -1))


def test_liubai_score_is_zero_for_the_photo_and_grows_with_added_texture() -> None:
    photo = _sky_and_ground()
    assert regions.liubai_score(photo, photo) == 0.0
    rng = np.random.default_rng(1)
    noise = rng.standard_normal(photo.shape).astype(np.float32)
    scores = [regions.liubai_score(np.clip(photo + a * noise, 0, 1), photo) for a in (0.01, 0.05, 0.2)]
    assert 0 < scores[0] < scores[1] < scores[2]
    # texture added only where the photo was already busy does not count
    busy = photo.copy()
    busy[40:] = np.clip(busy[40:] + 0.2 * noise[40:], 0, 1)
    assert regions.liubai_score(busy, photo) < 0.1 * scores[2]
    # an explicit mask, and the errors
    sky = np.zeros((64, 64)); sky[:16] = 1
    assert regions.liubai_score(np.clip(photo + 0.05 * noise, 0, 1), photo, sky) > 0
    with pytest.raises(ValueError, match="differ in shape"):
        regions.liubai_score(photo[:32], photo)
    with pytest.raises(ValueError, match="mask is all zeros"):
        regions.liubai_score(photo, photo, np.zeros((64, 64)))
    with pytest.raises(ValueError, match=r"mask has shape \(8, 8\)"):
        regions.liubai_score(photo, photo, np.ones((8, 8)))
    checks = np.repeat(((np.indices((64, 64)) // 4).sum(0) % 2)[..., None], 3, -1).astype(np.float32)
    with pytest.raises(ValueError, match="no flat region"):
        regions.liubai_score(checks, checks)


def test_liubai_score_of_a_resized_photo_needs_the_same_size() -> None:
    photo = _sky_and_ground()
    small = images.resize_to(photo, 32)
    assert regions.liubai_score(small, small) == 0.0


# ---------------------------------------------------------------------------------------
# Lesson 09's panel (helpers.widgets.GuidedStylePanel)
# ---------------------------------------------------------------------------------------


def test_guided_panel_passes_the_mask_and_scale_settings_and_previews_the_masks() -> None:
    from helpers import widgets

    seen = {}

    def render(content, art, **kw):  # type: ignore[no-untyped-def]
        seen.update(kw)
        return images.resize_to(content, kw["size"])

    panel = widgets.GuidedStylePanel(render, sizes=(48,), tradition="chinese")
    assert (panel.keep_empty.description, panel.style_scale.description) == widgets.GUIDED_DESCRIPTIONS
    assert panel.keep_empty.value is True and panel.style_scale.value == 1.0
    panel.style_scale.value = 0.5
    panel.keep_empty.value = False
    panel.run_button.click()
    assert panel.runs == 1 and seen["keep_empty"] is False and seen["style_scale"] == 0.5
    assert seen["size"] == 48 and panel.masks.value[:2] == b"\xff\xd8"       # a JPEG preview
    assert "plain transfer" in panel.status.value and "0.5×" in panel.status.value
    with pytest.raises(ValueError, match="scales"):
        widgets.GuidedStylePanel(render, scales=(0,))


def test_guided_render_keeps_the_sky_emptier_than_plain_transfer() -> None:
    from helpers import widgets

    photo = np.full((48, 48, 3), 0.7, np.float32)
    photo[24:] = np.random.default_rng(20).random((24, 48, 3))
    art = photo[::-1].copy()                      # flat below, busy above
    art[24:] = np.full(3, 0.9, np.float32)
    render = widgets.guided_render(steps=8)
    kw = {"style_weight": 1e9, "size": 48, "preserve_color": False, "style_scale": 1.0}
    guided, plain = render(photo, art, keep_empty=True, **kw), render(photo, art, keep_empty=False, **kw)
    sky = np.zeros((48, 48)); sky[:20] = 1
    assert regions.liubai_score(guided, photo, sky) < regions.liubai_score(plain, photo, sky)
    assert widgets.mask_preview(photo, art).shape[0] == 128


def test_the_guided_loss_runs_on_images_of_several_sizes_in_turn() -> None:
    # tf.function relaxes the shapes after the first few sizes (reduce_retracing): the mask check
    # inside must accept unknown dimensions
    art = _tiny(30)
    for side in (32, 40, 48, 56):
        photo = _tiny(side, (side, side + 8))
        top, bottom = _halves((side, side + 8))
        loss = style.StyleTransferLoss(photo, art, regions=[(top, np.ones((32, 32))), (bottom, np.ones((32, 32)))])
        total, grad, _ = loss.value_and_grad(tf.constant(photo[None]))
        assert np.isfinite(float(total)) and grad.shape == (1, side, side + 8, 3)
