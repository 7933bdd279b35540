"""Train the small StyleGAN of lesson 06 on 32 px motif patches and ship its generator.

    python -m helpers.train_stylegan --minutes 20 --seed 0

Lesson 06 (a developer runs this; the notebooks only read the result). Patches come from
:data:`helpers.stylegan.MOTIF_IDS` (generated Islamic star patterns, Korin's and Hokusai's
waves, Van Gogh's swirls) via :func:`helpers.stylegan.motif_patches`; training is
:meth:`helpers.stylegan.StyleGAN.train` with a time budget. Writes the generator (mapping +
synthesis + the running mean w̄ used by the truncation trick) in float16 to the shipped
checkpoint (``checkpoints.shipped_path("stylegan")``) unless ``--out`` says otherwise, and its
training record (:func:`helpers.checkpoints.write_record`). The discriminator is not shipped.
``--init`` continues from a checkpoint (with a fresh discriminator) and keeps its record under
``continued_from``.

``--data DIR`` (any folder of images), ``--strategy`` or a ``--checkpoint-*`` flag run the same
step (:meth:`helpers.stylegan.StyleGAN.replica_step`) through :mod:`helpers.distribute`: on one
GPU, several GPUs or several machines, checkpointed in ``--checkpoint-dir`` and resumed when the
same command is started again; ``--max-steps`` is then the run's length, ``--batch`` the global batch.

    python -m helpers.train_stylegan --data my_prints/ --out results/stylegan_prints.npz --max-steps 5000
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from . import checkpoints, distribute

__all__ = ["main", "train_distributed"]

#: Works are shrunk to this many px before crops are cut (as :func:`helpers.stylegan.motif_patches`).
MAX_SIDE = 160


def stylegan_defaults() -> tuple[float, float]:
    """The class's R1 weight and mapping learning-rate factor (imported late: TensorFlow is slow to load)."""
    from helpers import stylegan

    return stylegan.R1_GAMMA, stylegan.MAPPING_LR_MULT


def train_distributed(args: argparse.Namespace) -> int:
    """The lesson's step through :mod:`helpers.distribute`: a folder, a strategy, resumable."""
    strategy = distribute.pick_strategy(args.strategy or "auto")  # first: MultiWorker needs it before any op
    from helpers import data, runtime, stylegan

    runtime.setup(seed=args.seed)
    print(f"{type(strategy).__name__.strip('_')}, {strategy.num_replicas_in_sync} replica(s)", flush=True)
    if args.data is not None:
        scan = distribute.scan_images(args.data)
    else:
        paths = tuple(data.load_catalog()[i].path for i in stylegan.MOTIF_IDS)
        scan = distribute.FolderScan(paths[0].parent, paths, ())
    print(scan.report(), flush=True)
    channels = tuple(int(c) for c in args.channels.split(","))
    with strategy.scope():
        gan = stylegan.StyleGAN(channels=channels, seed=args.seed, lr=args.lr, r1_gamma=args.r1_gamma,
                                mapping_lr_mult=args.mapping_lr_mult)
        step = distribute.ReplicatedStep(strategy, gan.replica_step, gan.optimizers)
    res = gan.synthesis.resolution
    return distribute.train_resumable(
        args, strategy, {"mapping": gan.mapping, "synthesis": gan.synthesis.weights, "w_avg": gan.w_avg,
                         "disc": gan.disc, "g_opt": gan.g_opt, "d_opt": gan.d_opt, "m_opt": gan.m_opt}, step,
        lambda start: distribute.distribute_images(strategy, scan, res, args.batch, seed=args.seed,
                                                   start_step=start, max_side=MAX_SIDE,
                                                   cache=min(len(scan.good), 4096)),
        {"mapping": gan.mapping, "synthesis": gan.synthesis, "w_avg": gan.w_avg},
        {"kind": "stylegan", "build": gan.config}, steps=args.max_steps, max_minutes=args.minutes,
        log_every=args.save_every, batch=args.batch, lr=args.lr, r1_gamma=gan.r1_gamma,
        mapping_lr_mult=gan.mapping_lr_mult, mixing_prob=gan.mixing_prob, dtype="float16 weights (trained in float32)",
        data=f"random {res}x{res} crops (flips) of {scan.report()}; images shrunk to {MAX_SIDE} px")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=20.0, help="wall-time budget")
    parser.add_argument("--max-steps", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--patches", type=int, default=6000)
    parser.add_argument("--channels", type=str, default="32,32,16,16")
    parser.add_argument("--lr", type=float, default=2e-4)
    parser.add_argument("--r1-gamma", type=float, default=None,
                        help=f"weight of the R1 penalty on the critic (default {stylegan_defaults()[0]}; 0 = off)")
    parser.add_argument("--mapping-lr-mult", type=float, default=None,
                        help=f"the mapping network's learning rate over --lr (default {stylegan_defaults()[1]})")
    parser.add_argument("--init", type=Path, default=None,
                        help="continue from this generator checkpoint (a fresh discriminator); "
                             "its JSON record is kept under 'continued_from'")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None,
                        help="where to write (default: the shipped checkpoint)")
    parser.add_argument("--save-every", type=int, default=100)
    distribute.add_arguments(parser, "train on random crops of this folder of images, shrunk to 160 px, "
                                     "instead of the motif works")
    args = parser.parse_args(argv)
    r1_default, mult_default = stylegan_defaults()
    args.r1_gamma = r1_default if args.r1_gamma is None else args.r1_gamma
    args.mapping_lr_mult = mult_default if args.mapping_lr_mult is None else args.mapping_lr_mult
    if args.r1_gamma < 0 or args.mapping_lr_mult <= 0:
        parser.error("--r1-gamma must be >= 0 and --mapping-lr-mult > 0")
    args.out = args.out or checkpoints.shipped_path("stylegan")
    if distribute.scaling_requested(parser, args, checkpoints.shipped_path("stylegan")):
        if args.init is not None:
            parser.error("--init does not combine with --data/--strategy/--checkpoint-* (they resume by themselves)")
        return train_distributed(args)

    from helpers import runtime, stylegan

    runtime.setup(seed=args.seed)
    out = args.out
    channels = tuple(int(c) for c in args.channels.split(","))
    t0 = time.perf_counter()
    patches = stylegan.motif_patches(args.patches, size=4 * 2 ** (len(channels) - 1), seed=args.seed)
    earlier: dict = {}
    if args.init is not None:
        gan = stylegan.load_stylegan(args.init, seed=args.seed, lr=args.lr, r1_gamma=args.r1_gamma,
                                     mapping_lr_mult=args.mapping_lr_mult)
        earlier = checkpoints.read_record(args.init)
        print(f"continuing from {args.init} ({earlier.get('command', '?')})", flush=True)
        if tuple(gan.config["channels"]) != channels:
            parser.error(f"--channels {args.channels} differs from the checkpoint's {gan.config['channels']}")
    else:
        gan = stylegan.StyleGAN(channels=channels, seed=args.seed, lr=args.lr, r1_gamma=args.r1_gamma,
                                mapping_lr_mult=args.mapping_lr_mult)

    def save(history: list, seconds: float) -> None:
        last = np.mean(history[-50:], axis=0).tolist() if history else []
        gan.save(out)
        checkpoints.write_record(
            out, "stylegan", seed=args.seed, steps=len(history),
            wall_minutes=(time.perf_counter() - t0) / 60, batch=args.batch, patches=args.patches,
            motif_ids=list(stylegan.MOTIF_IDS), config=gan.config, lr=args.lr,
            r1_gamma=gan.r1_gamma, mapping_lr_mult=gan.mapping_lr_mult, mixing_prob=gan.mixing_prob,
            train_seconds=round(seconds, 1),
            final_d_g_losses_mean_of_last_50=[round(x, 4) for x in last],
            dtype="float16 weights (trained in float32)",
            **({"continued_from": earlier} if earlier else {}))

    start = time.perf_counter()
    history = gan.train(patches, steps=args.max_steps, batch=args.batch, seed=args.seed,
                        max_seconds=args.minutes * 60, every=args.save_every, callback=save)
    save(history, time.perf_counter() - start)
    print(f"saved {out} after {len(history)} steps", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
