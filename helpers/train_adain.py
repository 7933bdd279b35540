"""Train the AdaIN decoder on random crops of the course's photos and artworks.

    python -m helpers.train_adain --minutes 28 --seed 0

Two stages. (1) The decoder learns to invert VGG16: block4_conv1 features of a crop → the crop,
with a pixel loss; this needs no backward pass through VGG, so it is cheap on a CPU, and it gives
clean images. (2) It is fine-tuned with AdaIN's own losses. Content crops come from every photograph *and* every artwork of the catalog; style statistics
(μ, σ of four VGG16 layers) from random crops and the whole of every artwork, so the decoder
is "arbitrary" within the course's traditions. The style statistics are computed once before
training (a style enters AdaIN only through them). Writes ``data/checkpoints/adain_decoder_fp16.npz``
(float16) and a ``.json`` record of the command, seed, steps and wall time. A developer runs
this; the notebooks only read the result.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recon-minutes", type=float, default=12.0,
                        help="stage 1 budget: learn to invert VGG features (pixel loss)")
    parser.add_argument("--minutes", type=float, default=15.0,
                        help="stage 2 budget: AdaIN content + style losses")
    parser.add_argument("--max-steps", type=int, default=100_000, help="cap on each stage's steps")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--recon-crop", type=int, default=128)
    parser.add_argument("--recon-crops", type=int, default=10, help="stage 1 crops per image")
    parser.add_argument("--crop", type=int, default=64, help="stage 2 crop size")
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--style-weight", type=float, default=10.0)
    parser.add_argument("--style-crops", type=int, default=6, help="random crops per artwork")
    parser.add_argument("--recon-weight", type=float, default=0.0,
                        help="stage 2: weight of a pixel loss ‖g(f(c)) − c‖² that keeps the decoder "
                             "an inverse of VGG (α = 0 gives the photo back); 0 = the paper's losses")
    parser.add_argument("--widths", type=str, default=None,
                        help="decoder channel widths, e.g. 128,64,32 (default: adain.DECODER_WIDTHS, "
                             "or those of the --init checkpoint)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--save-every", type=int, default=100)
    parser.add_argument("--init", type=Path, default=None,
                        help="start from this decoder checkpoint (e.g. the shipped one) and "
                             "continue; its JSON record is kept under 'continued_from'")
    args = parser.parse_args(argv)

    import tensorflow as tf

    from helpers import adain, data, runtime

    runtime.setup(seed=args.seed)
    out = args.out or adain.DECODER_PATH
    cat = data.load_catalog()
    rng = np.random.default_rng(args.seed)
    t0 = time.perf_counter()
    biggest = max(args.crop, args.recon_crop)
    content_pool = adain.load_pool(cat.contents() + cat.styles(), max_side=256, min_side=biggest)
    style_pool = adain.load_pool(cat.styles(), max_side=256, min_side=biggest)
    enc = adain.get_encoder()
    encode = tf.function(lambda x: enc(x), reduce_retracing=True)
    widths = tuple(int(w) for w in args.widths.split(",")) if args.widths else adain.DECODER_WIDTHS
    record: dict = {}
    earlier: dict = {}
    if args.init is not None:
        arrays, meta = adain.read_checkpoint(args.init)
        widths = tuple(meta.get("decoder_widths", widths))
        decoder = adain.build_decoder(widths)
        adain.assign_weights(decoder, arrays, args.init)
        earlier = adain.checkpoint_meta(args.init)
        print(f"continuing from {args.init} ({earlier.get('command', '?')})", flush=True)
    else:
        decoder = adain.build_decoder(widths)

    def save(stage: str, steps_done: int, seconds: float, losses: list) -> None:
        last = np.mean(losses[-50:], axis=0).tolist() if losses else []
        record[stage] = {"steps": steps_done, "seconds": round(seconds, 1),
                         "final_losses_mean_of_last_50": [round(x, 4) for x in last]}
        adain.save_weights(decoder, out, {"decoder_widths": list(widths)})
        adain.record_training(
            out, seed=args.seed, batch=args.batch, lr=args.lr, style_weight=args.style_weight,
            recon_weight=args.recon_weight, recon_crop_px=args.recon_crop, crop_px=args.crop,
            content_images=len(content_pool), style_images=len(style_pool), decoder_widths=list(widths),
            stages=record, wall_minutes=round((time.perf_counter() - t0) / 60, 2),
            load_average=[round(x, 2) for x in os.getloadavg()],
            dtype="float16 weights (trained in float32)",
            **({"continued_from": earlier} if earlier else {}))

    if args.recon_minutes > 0:
        _reconstruction_stage(args, decoder, encode, content_pool, rng, save)
    _adain_stage(args, decoder, enc, encode, content_pool, style_pool, rng, save)
    print(f"saved {out}; {record}", flush=True)


# ---- stage 1: invert VGG16 features (pixel loss): cheap, no VGG backward pass --------------
def _reconstruction_stage(args, decoder, encode, content_pool, rng, save):  # type: ignore[no-untyped-def]
    import keras
    import tensorflow as tf
    from tqdm.auto import tqdm

    from helpers import adain

    t0 = time.perf_counter()
    crops = np.stack([adain.random_crop(img, args.recon_crop, rng)
                      for img in content_pool for _ in range(args.recon_crops)])
    feats = np.concatenate([encode(tf.constant(crops[i:i + 16]))[adain.ENCODER_LAYER].numpy()
                            .astype(np.float16)
                            for i in tqdm(range(0, len(crops), 16), desc="stage 1 features")])
    print(f"stage 1: {len(crops)} crops encoded in {time.perf_counter() - t0:.0f} s", flush=True)
    opt1 = keras.optimizers.Adam(args.lr)

    @tf.function
    def recon_step(f, target):  # type: ignore[no-untyped-def]
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(decoder(f, training=True) - target))
        grads = tape.gradient(loss, decoder.trainable_weights)
        opt1.apply_gradients(zip(grads, decoder.trainable_weights))
        return loss

    losses: list = []
    start = time.perf_counter()
    for i in tqdm(range(args.max_steps), desc="stage 1 (reconstruction)", mininterval=10.0):
        idx = rng.integers(0, len(crops), args.batch)
        flip = rng.random() < 0.5
        f, target = feats[idx].astype(np.float32), crops[idx]
        if flip:  # flipping features and image together is a (nearly) free augmentation
            f, target = f[:, :, ::-1], target[:, :, ::-1]
        losses.append([float(recon_step(tf.constant(f), tf.constant(target)))])
        if time.perf_counter() - start > args.recon_minutes * 60:
            break
    save("1_reconstruction_pixel_mse", len(losses), time.perf_counter() - start, losses)


# ---- stage 2: AdaIN losses (content on AdaIN's output, style on μ and σ) ------------------
def _adain_stage(args, decoder, enc, encode, content_pool, style_pool, rng, save):  # type: ignore[no-untyped-def]
    import keras
    import tensorflow as tf
    from tqdm.auto import tqdm

    from helpers import adain

    stats: dict[str, list[list[np.ndarray]]] = {k: [[], []] for k in adain.STAT_LAYERS}
    for img in tqdm(style_pool, desc="style statistics"):
        batch = np.stack([adain.random_crop(img, args.crop, rng) for _ in range(args.style_crops)])
        for b in (batch, adain.crop8(img)[None]):
            fs = encode(tf.constant(b))
            for k in adain.STAT_LAYERS:
                mu, sigma = adain.mean_std(fs[k])
                stats[k][0].append(mu.numpy())
                stats[k][1].append(sigma.numpy())
    style_mu = {k: np.concatenate(v[0]) for k, v in stats.items()}
    style_sigma = {k: np.concatenate(v[1]) for k, v in stats.items()}
    n_styles = len(style_mu[adain.ENCODER_LAYER])
    opt2 = keras.optimizers.Adam(args.lr / 2)

    @tf.function
    def adain_step(content, mus, sigmas):  # type: ignore[no-untyped-def]
        style = {k: (mus[i], sigmas[i]) for i, k in enumerate(adain.STAT_LAYERS)}
        fc = enc(content)[adain.ENCODER_LAYER]
        t = adain.adain_from_stats(fc, *style[adain.ENCODER_LAYER])
        with tf.GradientTape() as tape:
            img = decoder(t, training=True)
            content_loss, style_loss = adain.adain_losses(enc(img), t, style)
            loss = content_loss + args.style_weight * style_loss
            if args.recon_weight > 0:  # without it a small decoder drifts to the artworks' average palette
                loss += args.recon_weight * tf.reduce_mean(tf.square(decoder(fc, training=True) - content))
        grads = tape.gradient(loss, decoder.trainable_weights)
        opt2.apply_gradients(zip(grads, decoder.trainable_weights))
        return content_loss, style_loss

    losses: list = []
    start = time.perf_counter()
    bar = tqdm(range(args.max_steps), desc="stage 2 (AdaIN losses)", mininterval=10.0)
    for i in bar:
        cidx = rng.integers(0, len(content_pool), args.batch)
        sidx = rng.integers(0, n_styles, args.batch)
        content = np.stack([adain.random_crop(content_pool[j], args.crop, rng) for j in cidx])
        mus = [tf.constant(style_mu[k][sidx]) for k in adain.STAT_LAYERS]
        sigmas = [tf.constant(style_sigma[k][sidx]) for k in adain.STAT_LAYERS]
        lc, ls = adain_step(tf.constant(content), mus, sigmas)
        losses.append([float(lc), float(ls)])
        if i % 20 == 0:
            recent = np.mean(losses[-20:], axis=0)
            bar.set_postfix(content=f"{recent[0]:.0f}", style=f"{recent[1]:.0f}")
        elapsed = time.perf_counter() - start
        if (i + 1) % args.save_every == 0:
            save("2_adain_content_plus_style", i + 1, elapsed, losses)
        if elapsed > args.minutes * 60:
            break
    save("2_adain_content_plus_style", len(losses), time.perf_counter() - start, losses)


if __name__ == "__main__":
    main()
