"""Train the AdaIN decoder of lesson 06 on random crops of the course's photos and artworks.

    python -m helpers.train_adain --minutes 28 --seed 0

Lesson 06 (a developer runs this; the notebooks only read the result). Two stages, each with
a time budget. (1) The decoder learns to invert VGG16: block4_conv1 features of a crop → the
crop, with a pixel loss (:func:`helpers.adain.train_reconstruction`); this needs no backward
pass through VGG, so it is cheap on a CPU, and it gives clean images. (2) It is fine-tuned with
AdaIN's own losses (:func:`helpers.adain.train_decoder`). Content crops come from every
photograph *and* every artwork of the catalog; style statistics (μ, σ of four VGG16 layers)
from random crops and the whole of every artwork, so the decoder is "arbitrary" within the
course's traditions; they are computed once before stage 2 (:func:`training_set` says which
images). Writes the shipped decoder (``checkpoints.shipped_path("adain")``, float16) unless
``--out`` says otherwise, and its training record (:func:`helpers.checkpoints.write_record`),
which lists the images. ``--init`` continues from a checkpoint and keeps its record under
``continued_from``.

``--data DIR`` (content images from any folder; ``--styles DIR`` for the styles, else the
catalog's artworks), ``--strategy`` or a ``--checkpoint-*`` flag run stage 2's step
(:func:`helpers.adain.decoder_step`) through :mod:`helpers.distribute`: on one GPU, several GPUs
or several machines, checkpointed in ``--checkpoint-dir`` and resumed when the same command is
started again; ``--max-steps`` is then the run's length, ``--batch`` the global batch, and stage 1
is left out (start from a decoder that already inverts VGG with ``--init``).

    python -m helpers.train_adain --data my_photos/ --out results/adain_mine.npz --max-steps 5000

The shipped decoder was trained on art corpus v1 (:data:`SHIPPED_TRAINING_SET`), which is no
longer the catalog: a re-run trains on the current catalog's images, a different set.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from . import checkpoints, distribute
from .data import Artwork, Catalog, load_catalog

__all__ = ["SHIPPED_TRAINING_SET", "training_set", "main", "train_distributed"]

#: What the shipped decoder learnt from (its record's ``training_images`` says the same): every
#: image of art corpus v1, 57 = 10 photographs + 47 artworks as content, the 47 artworks as
#: styles. The catalog has moved to v2: 15 of those images are gone (8 palette-reduced scans,
#: *Boating amid Snowy Streams*, 6 "detail" crops of handscrolls now cut into sections), the Du
#: Jin and Bada Shanren scrolls are re-cut, and the Tibetan thangka stays for display only. The
#: v1 list is ``git show c3fb15f:data/art/CATALOG.csv``. The decoder was not retrained.
SHIPPED_TRAINING_SET: str = ("art corpus v1: 57 content images (10 photographs + 47 artworks), "
                             "47 style images; its record lists them (checkpoints.read_record)")


def training_set(catalog: Catalog | None = None) -> tuple[list[Artwork], list[Artwork]]:
    """The images a run of this script trains on: (content, style). Content: every photograph
    and every artwork; style: every artwork; palette-reduced rows (display only) left out.
    Shows the ethics note of every flagged image among them (an
    :class:`~helpers.data.EthicsNotice`, once per work per session): the decoder learns from them.

    >>> from helpers.data import fresh_notices
    >>> with fresh_notices():        # a new notice session here, the caller's restored after
    ...     content, style = training_set()
    >>> len(content), len(style), any(a.palette_reduced for a in content + style)
    (108, 98, False)
    """
    cat = load_catalog() if catalog is None else catalog
    styles = [a for a in cat.styles() if not a.palette_reduced]
    photos = [a for a in cat.contents() if not a.palette_reduced]
    for a in photos + styles:
        a.warn_if_flagged()
    return photos + styles, styles


def train_distributed(args: argparse.Namespace) -> int:
    """Stage 2's step through :mod:`helpers.distribute`: a folder, a strategy, resumable."""
    strategy = distribute.pick_strategy(args.strategy or "auto")  # first: MultiWorker needs it before any op
    import keras
    import tensorflow as tf

    from helpers import adain, data, runtime

    runtime.setup(seed=args.seed)
    print(f"{type(strategy).__name__.strip('_')}, {strategy.num_replicas_in_sync} replica(s)", flush=True)
    content_works, style_works = training_set() if args.data is None or args.styles is None else ([], [])
    if args.data is not None:
        scan = distribute.scan_images(args.data, min_side=min(args.crop, data.MIN_SIDE))
    else:
        paths = tuple(a.path for a in content_works)
        scan = distribute.FolderScan(paths[0].parent, paths, ())
    if args.styles is not None:
        style_scan = distribute.scan_images(args.styles, min_side=args.crop)
        style_pool = [data.load_image(p, max_side=256, min_side=args.crop) for p in style_scan.good]
        styles = style_scan.report()
    else:
        style_pool, styles = adain.load_pool(style_works, max_side=256, min_side=args.crop), "the catalog's artworks"
    print(f"content {scan.report()}; styles {styles}", flush=True)
    mu, sigma = adain.style_statistics(style_pool, args.crop, args.style_crops, np.random.default_rng(args.seed),
                                       progress=False)
    mus = [tf.constant(mu[k]) for k in adain.STAT_LAYERS]
    sigmas = [tf.constant(sigma[k]) for k in adain.STAT_LAYERS]
    n_styles, replicas = len(mu[adain.ENCODER_LAYER]), strategy.num_replicas_in_sync
    with strategy.scope():
        if args.init is not None:
            decoder = adain.load_decoder(args.init)
        else:
            decoder = adain.build_decoder(tuple(int(w) for w in args.widths.split(","))
                                          if args.widths else adain.DECODER_WIDTHS)
        optimizer = keras.optimizers.Adam(args.lr / 2)
    update = adain.decoder_step(decoder, optimizer, args.style_weight, args.recon_weight)

    def replica_step(content, step):  # type: ignore[no-untyped-def]
        replica = tf.cast(tf.distribute.get_replica_context().replica_id_in_sync_group, tf.int64)
        key = tf.stack([tf.constant(args.seed, tf.int64), step * replicas + replica])
        pick = tf.random.stateless_uniform(tf.shape(content)[:1], key, 0, n_styles, dtype=tf.int32)
        lc, ls = update(content, [tf.gather(m, pick) for m in mus], [tf.gather(s, pick) for s in sigmas])
        return {"content": lc, "style": ls}

    step = distribute.ReplicatedStep(strategy, replica_step, [(optimizer, decoder.trainable_weights)])
    return distribute.train_resumable(
        args, strategy, {"decoder": decoder, "optimizer": optimizer}, step,
        lambda start: distribute.distribute_images(strategy, scan, args.crop, args.batch, seed=args.seed,
                                                   start_step=start, max_side=256, tanh=False,
                                                   cache=min(len(scan.good), 4096)),
        {"decoder": decoder}, {"kind": "adain", "build": {"widths": list(adain.decoder_widths(decoder))}},
        steps=args.max_steps, max_minutes=args.minutes, log_every=args.save_every, batch=args.batch,
        lr=args.lr / 2, style_weight=args.style_weight, recon_weight=args.recon_weight, crop_px=args.crop,
        content=f"random {args.crop}x{args.crop} crops (flips) of {scan.report()}; images shrunk to 256 px",
        styles=f"{n_styles} style statistics ({args.style_crops} crops + the whole of each) of {styles}",
        dtype="float16 weights (trained in float32)",
        **({"continued_from": checkpoints.read_record(args.init)} if args.init is not None else {}))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recon-minutes", type=float, default=12.0,
                        help="stage 1 budget: learn to invert VGG features (pixel loss); 0 skips it")
    parser.add_argument("--minutes", type=float, default=15.0,
                        help="stage 2 budget: AdaIN content + style losses")
    parser.add_argument("--max-steps", type=int, default=100_000, help="cap on each stage's steps")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--recon-crop", type=int, default=128)
    parser.add_argument("--recon-crops", type=int, default=10, help="stage 1 crops per image")
    parser.add_argument("--crop", type=int, default=64, help="stage 2 crop size")
    parser.add_argument("--lr", type=float, default=1e-3, help="stage 1 learning rate (stage 2: half)")
    parser.add_argument("--style-weight", type=float, default=10.0)
    parser.add_argument("--style-crops", type=int, default=6, help="random crops per artwork")
    parser.add_argument("--recon-weight", type=float, default=0.0,
                        help="stage 2: weight of a pixel loss ‖g(f(c)) − c‖² that keeps the decoder "
                             "an inverse of VGG (α = 0 gives the photo back); 0 = the paper's losses")
    parser.add_argument("--widths", type=str, default=None,
                        help="decoder channel widths, e.g. 128,64,32 (default: adain.DECODER_WIDTHS, "
                             "or those of the --init checkpoint)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None,
                        help="where to write (default: the shipped checkpoint)")
    parser.add_argument("--save-every", type=int, default=100)
    parser.add_argument("--init", type=Path, default=None,
                        help="start from this decoder checkpoint (e.g. the shipped one) and "
                             "continue; its JSON record is kept under 'continued_from'")
    distribute.add_arguments(parser, "stage 2's content images: random crops of this folder, instead of the "
                                     "catalog's photographs and artworks")
    parser.add_argument("--styles", type=Path, default=None,
                        help="with --data etc.: the style images' folder (default: the catalog's artworks)")
    args = parser.parse_args(argv)
    args.out = args.out or checkpoints.shipped_path("adain")
    if distribute.scaling_requested(parser, args, checkpoints.shipped_path("adain")):
        if args.styles is not None and not args.styles.is_dir():
            parser.error(f"--styles {args.styles}: no such folder of images")
        return train_distributed(args)

    from helpers import adain, runtime

    runtime.setup(seed=args.seed)
    out = args.out
    content_works, style_works = training_set()
    rng = np.random.default_rng(args.seed)
    t0 = time.perf_counter()
    biggest = max(args.crop, args.recon_crop)
    content_pool = adain.load_pool(content_works, max_side=256, min_side=biggest)
    style_pool = adain.load_pool(style_works, max_side=256, min_side=biggest)
    earlier: dict = {}
    if args.init is not None:
        decoder = adain.load_decoder(args.init)
        earlier = checkpoints.read_record(args.init)
        print(f"continuing from {args.init} ({earlier.get('command', '?')})", flush=True)
    else:
        widths = tuple(int(w) for w in args.widths.split(",")) if args.widths else adain.DECODER_WIDTHS
        decoder = adain.build_decoder(widths)
    stages: dict = {}

    def save(stage: str, losses: list, seconds: float) -> None:
        last = np.mean(losses[-50:], axis=0).tolist() if losses else []
        stages[stage] = {"steps": len(losses), "seconds": round(seconds, 1),
                         "final_losses_mean_of_last_50": [round(x, 4) for x in last]}
        adain.save_decoder(decoder, out)
        checkpoints.write_record(
            out, "adain", seed=args.seed, steps=sum(s["steps"] for s in stages.values()),
            wall_minutes=(time.perf_counter() - t0) / 60, batch=args.batch, lr=args.lr,
            style_weight=args.style_weight, recon_weight=args.recon_weight,
            recon_crop_px=args.recon_crop, crop_px=args.crop, content_images=len(content_pool),
            style_images=len(style_pool), decoder_widths=list(adain.decoder_widths(decoder)),
            training_images={"content": [a.id for a in content_works],
                             "style": [a.id for a in style_works]},
            stages=stages, dtype="float16 weights (trained in float32)",
            **({"continued_from": earlier} if earlier else {}))

    if args.recon_minutes > 0:
        start = time.perf_counter()
        crops, feats = adain.reconstruction_data(content_pool, args.recon_crop, args.recon_crops, rng)
        print(f"stage 1: {len(crops)} crops encoded in {time.perf_counter() - start:.0f} s", flush=True)
        start = time.perf_counter()
        losses = adain.train_reconstruction(decoder, crops, feats, steps=args.max_steps, rng=rng,
                                            batch=args.batch, lr=args.lr,
                                            max_seconds=args.recon_minutes * 60)
        save("1_reconstruction_pixel_mse", losses, time.perf_counter() - start)

    mu, sigma = adain.style_statistics(style_pool, args.crop, args.style_crops, rng)
    stage2 = "2_adain_content_plus_style"
    start = time.perf_counter()
    losses = adain.train_decoder(
        decoder, content_pool, mu, sigma, steps=args.max_steps, rng=rng, batch=args.batch,
        crop=args.crop, lr=args.lr / 2, style_weight=args.style_weight,
        recon_weight=args.recon_weight, max_seconds=args.minutes * 60, every=args.save_every,
        callback=lambda losses, seconds: save(stage2, losses, seconds))
    save(stage2, losses, time.perf_counter() - start)
    print(f"saved {out}; {stages}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
