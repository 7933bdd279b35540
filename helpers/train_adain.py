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

The shipped decoder was trained on art corpus v1 (:data:`SHIPPED_TRAINING_SET`), which is no
longer the catalog: a re-run trains on the current catalog's images, a different set.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from .data import Artwork, Catalog, load_catalog

__all__ = ["SHIPPED_TRAINING_SET", "training_set", "main"]

#: What the shipped decoder learnt from (its record's ``training_images`` says the same): every
#: image of art corpus v1, 57 = 10 photographs + 47 artworks as content, the 47 artworks as
#: styles. The catalog has moved to v2: 15 of those images are gone (8 palette-reduced scans,
#: *Boating amid Snowy Streams*, 6 "detail" crops of handscrolls now cut into sections), the Du
#: Jin and Bada Shanren scrolls are re-cut, and the Tibetan thangka stays for display only. The
#: v1 list is ``git show c3fb15f:data/art/CATALOG.csv``. The decoder was not retrained.
SHIPPED_TRAINING_SET: str = ("art corpus v1: 57 content images (10 photographs + 47 artworks), "
                             "47 style images; see data/checkpoints/adain_decoder_fp16.json")


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


def main(argv: list[str] | None = None) -> None:
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
    args = parser.parse_args(argv)

    from helpers import adain, checkpoints, runtime

    runtime.setup(seed=args.seed)
    out = args.out or checkpoints.shipped_path("adain")
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


if __name__ == "__main__":
    main()
