"""Train the CycleGAN shipped with lesson 05 (photographs ↔ ukiyo-e prints), and the two
domains it learns from.

Lesson 05 (the lesson takes its domains and crop samplers from here). Only a developer runs
the script; the course itself never writes to ``data/``:

    python -m helpers.train_cyclegan --steps 3000 --seed 0

writes the shipped checkpoint (:func:`helpers.checkpoints.shipped_path` ``("cyclegan")``,
both generators in float16) and its training record beside it: the command, seed, steps,
wall time, load average, sizes, the images of both domains and the losses every 50 steps.
``--minutes`` stops a run early (the learning-rate schedule stays that of ``--steps``).

``--data DIR`` (the painting domain from any folder; ``--photos DIR`` for the photographs, else
:func:`photo_domain`), ``--strategy`` or a ``--checkpoint-*`` flag run the same two updates
(:meth:`helpers.cyclegan.CycleGAN.generator_update`, then ``discriminator_update``) through
:mod:`helpers.distribute`: on one GPU, several GPUs or several machines, checkpointed in
``--checkpoint-dir`` and resumed when the same command is started again; ``--batch`` is then the
global batch, crops come from the images shrunk to ``max(--sides)``, and the discriminators see
the fakes of the step (no image pool: ``pool_size=0`` in the record).

    python -m helpers.train_cyclegan --data my_prints/ --out results/cyclegan_mine.npz --steps 3000
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import numpy as np

from . import checkpoints, distribute, runtime
from . import cyclegan as cg
from .data import Artwork, load_catalog, load_photos
from .images import CropSampler

__all__ = [
    "HELD_OUT_PHOTOS", "TRAIN_PHOTOS", "TRAIN_PRINTS", "HELD_OUT_PRINT",
    "TRAIN_SIDES", "CROP",
    "photo_domain", "art_domain", "load_domain", "make_samplers", "main", "train_distributed",
]

#: Content photos kept out of training, to measure the models on photos they never saw.
HELD_OUT_PHOTOS: tuple[str, ...] = (
    "content-photo__prokudin-gorskii-church-across-a-lake__c1910",
    "content-photo__prokudin-gorskii-self-portrait-on-the-karolitskhali-river__1912",
    "content-photo__chelsea-the-cat__skimage",
)
#: The training photos: the shipped checkpoint's training set (its record's ``photos``), pinned.
#: Art corpus v1 chose them as "every content photo not held out, then the extra photos";
#: v2 has the same content photos, byte for byte. Ids from the catalog or :func:`load_photos`.
TRAIN_PHOTOS: tuple[str, ...] = (
    "content-photo__astronaut-eileen-collins__nasa",
    "content-photo__kusakabe-kimbei-woman-with-parasol__1870s-90s",
    "content-photo__prokudin-gorskii-church-with-onion-domes__c1910",
    "content-photo__prokudin-gorskii-emir-of-bukhara__1911",
    "content-photo__prokudin-gorskii-melon-vendor-samarkand__c1911",
    "content-photo__prokudin-gorskii-steam-locomotive__c1910",
    "content-photo__prokudin-gorskii-tea-harvest-chakva__c1905-1915",
    "skimage-coffee",
    "skimage-rocket",
)
#: The painting domain, ukiyo-e prints with faithful colours: the shipped checkpoint's training
#: set (its record's ``prints``), pinned. Art corpus v1 chose them as "every ukiyo-e print not
#: palette-reduced, but the held-out one"; all seven are in v2 byte for byte. v2 has twelve more
#: ukiyo-e prints (Hiroshige, Kuniyoshi, Hokusai), left out here so that the domain stays the
#: one the checkpoint learnt; a retrained model could add them (its record would list them).
TRAIN_PRINTS: tuple[str, ...] = (
    "japanese-ukiyoe__hiroshige-hakone-lake-tokaido__c1833",
    "japanese-ukiyoe__hiroshige-kanbara-night-snow-tokaido__c1833",
    "japanese-ukiyoe__hokusai-fine-wind-clear-morning-red-fuji-crop__c1831",
    "japanese-ukiyoe__hokusai-great-wave-off-kanagawa__c1831",
    "japanese-ukiyoe__hokusai-under-mannen-bridge-at-fukagawa-crop__c1831",
    "japanese-ukiyoe__kuniyoshi-beauty-edo-jiman-hodoyoshi-shiire__c1845",
    "japanese-ukiyoe__kuniyoshi-kanagami-chogoro-datsuo-kisho-kurabe__c1845",
)
#: One print kept out of training, to test the painting → photo direction.
HELD_OUT_PRINT: str = "japanese-ukiyoe__hiroshige-shono-driving-rain-tokaido__c1833"
#: Image sizes the crops are taken from (a little scale variety), and the crop side.
TRAIN_SIDES: tuple[int, ...] = (192, 256)
CROP: int = 64


def _with_notices(items: list[Artwork]) -> list[Artwork]:
    """The domain, after showing the ethics note of each of its flagged images (once per
    session, :meth:`helpers.data.Artwork.warn_if_flagged`): the model is trained on them."""
    for a in items:
        a.warn_if_flagged()
    return items


def photo_domain(held_out: bool = False) -> list[Artwork]:
    """Domain X. ``held_out=False``: the training photos, :data:`TRAIN_PHOTOS` (catalog
    photos, then the extra photos of :func:`helpers.data.load_photos`); ``held_out=True``:
    the photos in :data:`HELD_OUT_PHOTOS`, in that order. Shows the ethics note of every
    flagged photo among them (an :class:`~helpers.data.EthicsNotice`, once per session).

    >>> from helpers.data import fresh_notices
    >>> with fresh_notices():      # a new notice session here, the caller's restored after
    ...     photos = photo_domain()  # shows the notes of 4 photos (colonial and tourist gazes)
    >>> [p.id for p in photos][-2:], sum(bool(p.ethics_note) for p in photos)
    (['skimage-coffee', 'skimage-rocket'], 4)
    """
    cat = load_catalog()
    if held_out:
        return _with_notices([cat[i] for i in HELD_OUT_PHOTOS])
    extra = {p.id: p for p in load_photos()}
    return _with_notices([extra[i] if i in extra else cat[i] for i in TRAIN_PHOTOS])


def art_domain(held_out: bool = False) -> list[Artwork]:
    """Domain Y: the ukiyo-e prints :data:`TRAIN_PRINTS`; ``held_out=True``: :data:`HELD_OUT_PRINT`.
    Shows the ethics note of every flagged print among them, as :func:`photo_domain` does.

    >>> len(art_domain()), art_domain(held_out=True)[0].group
    (7, 'hiroshige')
    """
    cat = load_catalog()
    return _with_notices([cat[HELD_OUT_PRINT]] if held_out else [cat[i] for i in TRAIN_PRINTS])


def load_domain(items: Sequence[Artwork], max_side: int) -> list[np.ndarray]:
    """Load every image of a domain with its longer side at most ``max_side`` px (to train
    on: :meth:`helpers.data.Artwork.use_as_style` shows a flagged image's note first)."""
    return [a.use_as_style(max_side=max_side) for a in items]


def make_samplers(seed: int, sides: tuple[int, ...] = TRAIN_SIDES, crop: int = CROP
                  ) -> tuple[CropSampler, CropSampler]:
    """Random-crop samplers (crops in [-1, 1]) over the training photos and the training prints."""
    photos = [img for s in sides for img in load_domain(photo_domain(), s)]
    prints = [img for s in sides for img in load_domain(art_domain(), s)]
    return CropSampler(photos, crop, seed=seed), CropSampler(prints, crop, seed=seed + 100)


def train_distributed(args: argparse.Namespace, config: cg.CycleGANConfig) -> int:
    """The lesson's two updates through :mod:`helpers.distribute`: folders, a strategy, resumable."""
    from dataclasses import replace

    strategy = distribute.pick_strategy(args.strategy or "auto")  # first: MultiWorker needs it before any op
    runtime.setup(seed=args.seed)
    print(f"{type(strategy).__name__.strip('_')}, {strategy.num_replicas_in_sync} replica(s)", flush=True)
    domains = []
    for folder, works in ((args.photos, photo_domain), (args.data, art_domain)):
        if folder is not None:
            domains.append(distribute.scan_images(folder, min_side=min(args.crop, 32)))
        else:
            paths = tuple(a.path for a in works())
            domains.append(distribute.FolderScan(paths[0].parent, paths, ()))
    print(f"photos {domains[0].report()}; paintings {domains[1].report()}", flush=True)
    config = replace(config, pool_size=0)
    with strategy.scope():
        model = cg.CycleGAN(config, seed=args.seed)

    def replica_step(batch, step):  # type: ignore[no-untyped-def]
        real_x, real_y = batch
        fake_x, fake_y, g_losses = model.generator_update(real_x, real_y)
        return {**g_losses, **model.discriminator_update(real_x, real_y, fake_x, fake_y)}

    replicated = distribute.ReplicatedStep(
        strategy, replica_step, [(model.opt_g, model.G.trainable_variables + model.F.trainable_variables),
                                 (model.opt_d, model.D_X.trainable_variables + model.D_Y.trainable_variables)])

    def step(batch, i: int):  # type: ignore[no-untyped-def]
        lr = cg.linear_decay(i, args.steps, config.base_lr)  # the lesson's schedule, set between steps
        model.opt_g.learning_rate.assign(lr)
        model.opt_d.learning_rate.assign(lr)
        return replicated(batch, i)

    side = max(args.sides)
    return distribute.train_resumable(
        args, strategy, {"G": model.G, "F": model.F, "D_X": model.D_X, "D_Y": model.D_Y,
                         "opt_g": model.opt_g, "opt_d": model.opt_d}, step,
        lambda start: distribute.distribute_images(strategy, domains, args.crop, args.batch, seed=args.seed,
                                                   start_step=start, max_side=side,
                                                   cache=min(sum(len(d.good) for d in domains), 4096)),
        {"G": model.G, "F": model.F}, {"kind": "cyclegan", "build": asdict(config)}, steps=args.steps,
        max_minutes=args.minutes, log_every=50, batch=args.batch, crop=args.crop, max_side=side,
        photos=f"random {args.crop}x{args.crop} crops (flips) of {domains[0].report()}; shrunk to {side} px",
        prints=f"random {args.crop}x{args.crop} crops (flips) of {domains[1].report()}; shrunk to {side} px")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--steps", type=int, default=3000)
    p.add_argument("--minutes", type=float, default=None, help="time budget (stops early)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--gen-filters", type=int, default=16)
    p.add_argument("--gen-blocks", type=int, default=4)
    p.add_argument("--disc-filters", type=int, default=32)
    p.add_argument("--upsample", choices=cg.UPSAMPLING, default="bilinear",
                   help="how G and F double the size (the shipped checkpoint: bilinear resize, then convolve)")
    p.add_argument("--crop", type=int, default=CROP, help="training crop side, px")
    p.add_argument("--sides", type=int, nargs="+", default=list(TRAIN_SIDES),
                   help="sizes (longer side, px) the crops are taken from")
    p.add_argument("--out", type=Path, default=checkpoints.shipped_path("cyclegan"))
    p.add_argument("--batch", type=int, default=1, help="crops per domain per step (the global batch)")
    distribute.add_arguments(p, "the painting domain: random crops of this folder, instead of the ukiyo-e prints")
    p.add_argument("--photos", type=Path, default=None,
                   help="with --data etc.: the photographs' folder (default: the training photos)")
    args = p.parse_args(argv)
    if args.steps <= 0:
        p.error("--steps must be positive")
    if args.minutes is not None and args.minutes <= 0:
        p.error("--minutes must be positive")
    if args.batch < 1:
        p.error("--batch must be positive")
    if args.photos is not None and not args.photos.is_dir():
        p.error(f"--photos {args.photos}: no such folder of images")

    config = cg.CycleGANConfig(gen_filters=args.gen_filters, gen_blocks=args.gen_blocks,
                               disc_filters=args.disc_filters, upsample=args.upsample)
    if distribute.scaling_requested(p, args, checkpoints.shipped_path("cyclegan")):
        return train_distributed(args, config)
    runtime.setup(seed=args.seed)
    load_start = list(np.round(os.getloadavg(), 2))
    photos, prints = make_samplers(args.seed, tuple(args.sides), args.crop)
    model = cg.CycleGAN(config, seed=args.seed)
    log: list[dict] = []

    def every(step: int, losses: dict[str, float]) -> None:
        if step % 50 == 0 or step == args.steps - 1:
            log.append({"step": step, "t": round(time.perf_counter() - t0, 1),
                        **{k: round(v, 4) for k, v in losses.items()}})
            print(json.dumps(log[-1]), flush=True)

    t0 = time.perf_counter()
    model.train(photos, prints, args.steps, batch=args.batch, callback=every, progress=False,
                max_seconds=None if args.minutes is None else 60 * args.minutes)
    wall = time.perf_counter() - t0
    out = cg.save_checkpoint(model, args.out)
    checkpoints.write_record(
        out, "cyclegan", seed=args.seed, steps=model.steps_done, wall_minutes=wall / 60,
        load_average=load_start, steps_planned=args.steps, crop=args.crop, train_sides=args.sides,
        wall_time_s=round(wall, 1), steps_per_s=round(model.steps_done / wall, 2),
        loadavg_end=list(np.round(os.getloadavg(), 2)),
        photos=[a.id for a in photo_domain()], prints=[a.id for a in art_domain()],
        config=asdict(config), checkpoint_bytes=out.stat().st_size, loss_log=log)
    print(f"saved {out} ({out.stat().st_size / 1e6:.2f} MB) after {wall:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
