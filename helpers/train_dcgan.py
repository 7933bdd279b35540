"""Train the DCGAN checkpoint that lesson 02 ships, and record how it was made.

Lesson 02 (the shipped generator it loads). Only a developer runs this script; lessons read
the checkpoint and never write to ``data/``.

    python -m helpers.train_dcgan                         # the shipped run (see its record)
    python -m helpers.train_dcgan --steps 200 --out results/dcgan_try.npz   # a quick try
    python -m helpers.train_dcgan --data my_prints/ --out results/dcgan_prints.npz   # your folder

``--data``, ``--strategy`` or a ``--checkpoint-*`` flag run the same step through
:mod:`helpers.distribute`: any folder of images, one GPU, several GPUs or several machines
(``TF_CONFIG``), checkpoints in ``--checkpoint-dir``; started again with the same command, a run
continues from its last checkpoint (docs/scaling.md). Without them the script does what it always did.

The generator is saved in float16 (:func:`helpers.gan.save_generator`, by default to
``checkpoints.shipped_path("dcgan")``) with a training record beside it
(:func:`helpers.checkpoints.write_record`): command, seed, steps, batch size, data, wall
time, machine load and the losses at the end.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from . import checkpoints, data, distribute, gan, images, runtime

__all__ = ["parse_args", "main", "train_distributed", "optimizer_record"]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=4000, help="training steps (one D and one G update each)")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--width", type=int, default=32, help="base channel width of G and D")
    p.add_argument("--patches", type=int, default=8192, help="training patches cut from the patterns")
    p.add_argument("--real-label", type=float, default=0.9,
                   help="target for real samples in D's loss (0.9 = one-sided label smoothing)")
    p.add_argument("--spectral-norm", action="store_true",
                   help="spectral normalisation in D instead of batch norm (gan.build_dcgan_discriminator)")
    p.add_argument("--g-lr", type=float, default=gan.DCGAN_ADAM["learning_rate"], help="G's Adam learning rate")
    p.add_argument("--d-lr", type=float, default=gan.DCGAN_ADAM["learning_rate"],
                   help="D's Adam learning rate (larger than G's: a two-time-scale update, TTUR)")
    p.add_argument("--side", type=int, default=gan.ISLAMIC_PATTERN_SIDE,
                   help="px the patterns are shrunk to before cutting 32-px patches")
    p.add_argument("--max-minutes", type=float, default=None,
                   help="stop early after this many minutes (the record gives the steps done)")
    p.add_argument("--out", type=Path, default=checkpoints.shipped_path("dcgan"),
                   help="checkpoint path (.npz; default: the shipped checkpoint)")
    distribute.add_arguments(p, "train on this folder of images, shrunk to --side px, instead of the "
                                "three patterns")
    args = p.parse_args(argv)
    args.distributed = distribute.scaling_requested(p, args, checkpoints.shipped_path("dcgan"))
    if args.steps < 1 or args.batch < 2 or args.patches < args.batch:
        p.error("need steps ≥ 1, batch ≥ 2 and patches ≥ batch")
    if args.g_lr <= 0 or args.d_lr <= 0:
        p.error("--g-lr and --d-lr must be positive")
    if args.max_minutes is not None and args.max_minutes <= 0:
        p.error("--max-minutes must be positive")
    if args.out.suffix != ".npz":
        p.error(f"--out must end in .npz, got {args.out}")
    return args


def optimizer_record(args: argparse.Namespace) -> dict[str, object]:
    """The two Adams as the training record states them."""
    return {"name": "Adam", "beta_1": gan.DCGAN_ADAM["beta_1"],
            "generator_learning_rate": args.g_lr, "discriminator_learning_rate": args.d_lr}


def train_distributed(args: argparse.Namespace) -> int:
    """The same step through :mod:`helpers.distribute`: a folder, a strategy, resumable."""
    strategy = distribute.pick_strategy(args.strategy or "auto")  # first: MultiWorker needs it before any op
    cfg = runtime.setup(seed=args.seed)
    print(cfg, f"| {type(strategy).__name__.strip('_')}, {strategy.num_replicas_in_sync} replica(s)", flush=True)
    if args.data is not None:
        scan = distribute.scan_images(args.data)
    else:  # the shipped data: the three patterns, as files
        paths = tuple(data.load_catalog()[i].path for i in gan.ISLAMIC_PATTERN_IDS)
        scan = distribute.FolderScan(paths[0].parent, paths, ())
    print(scan.report(), flush=True)
    build = {"latent_dim": gan.DCGAN_LATENT, "size": 32, "width": args.width}
    model = distribute.DistributedGAN(
        strategy, lambda: gan.build_dcgan_generator(**build),
        lambda: gan.build_dcgan_discriminator(size=32, width=args.width, spectral_norm=args.spectral_norm),
        gan.DCGAN_LATENT, args.batch, real_label=args.real_label, seed=args.seed,
        make_optimizer=lambda: gan.dcgan_optimizer(args.g_lr), make_d_optimizer=lambda: gan.dcgan_optimizer(args.d_lr))
    return distribute.train_resumable(
        args, strategy, model.objects, model.step,
        lambda start: distribute.distribute_images(  # decoded images stay in memory: 4096 at 128 px ≈ 0.8 GB
            strategy, scan, 32, args.batch, seed=args.seed, start_step=start, max_side=args.side,
            cache=min(len(scan.good), 4096)),
        {"generator": model.generator}, {"kind": "dcgan", "build": build}, steps=args.steps,
        max_minutes=args.max_minutes, batch_size=args.batch, real_label=args.real_label,
        optimizer=optimizer_record(args),
        discriminator={"size": 32, "width": args.width, "spectral_norm": args.spectral_norm},
        data=f"random 32x32 crops (flips) of {scan.report()}; images shrunk to {args.side} px")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.distributed:
        return train_distributed(args)
    cfg = runtime.setup(seed=args.seed)
    print(cfg, flush=True)
    data = images.to_tanh(gan.islamic_motifs(args.patches, patch=32, side=args.side, seed=args.seed))
    build = {"latent_dim": gan.DCGAN_LATENT, "size": 32, "width": args.width}
    generator = gan.build_dcgan_generator(**build)
    discriminator = gan.build_dcgan_discriminator(size=32, width=args.width, spectral_norm=args.spectral_norm)
    trainer = gan.GANTrainer(generator, discriminator, gan.DCGAN_LATENT, real_label=args.real_label,
                             g_optimizer=gan.dcgan_optimizer(args.g_lr), d_optimizer=gan.dcgan_optimizer(args.d_lr),
                             seed=args.seed)
    stream = gan.batches(data, args.batch, seed=args.seed)
    budget = None if args.max_minutes is None else 60 * args.max_minutes
    start = time.perf_counter()
    chunk = 250  # report and save every `chunk` steps, so a stopped run keeps its latest weights
    while trainer.steps_done < args.steps:
        left = None if budget is None else budget - (time.perf_counter() - start)
        if left is not None and left <= 0:
            print("stopping: --max-minutes reached", flush=True)
            break
        n = min(chunk, args.steps - trainer.steps_done)
        trainer.train(stream, n, progress=False, max_seconds=left)
        h = trainer.history
        print(f"step {trainer.steps_done}: d_loss {np.mean(h.d_loss[-n:]):.3f} "
              f"g_loss {np.mean(h.g_loss[-n:]):.3f}  {time.perf_counter() - start:.0f} s", flush=True)
        gan.save_generator(generator, args.out, build)
    seconds = time.perf_counter() - start
    gan.save_generator(generator, args.out, build)
    h = trainer.history
    rec = checkpoints.write_record(
        args.out, "dcgan", seed=args.seed, steps=trainer.steps_done, wall_minutes=seconds / 60,
        config={"build": build},
        checkpoint=args.out.name,
        steps_requested=args.steps,
        reproduce=(f"python -m helpers.train_dcgan --steps {trainer.steps_done} --seed {args.seed} "
                   f"--batch {args.batch} --width {args.width} --patches {args.patches} "
                   f"--real-label {args.real_label} --side {args.side} --g-lr {args.g_lr} --d-lr {args.d_lr}"
                   + (" --spectral-norm" if args.spectral_norm else "")),
        batch_size=args.batch,
        generator_config=build,
        discriminator={"size": 32, "width": args.width, "spectral_norm": args.spectral_norm},
        optimizer=optimizer_record(args),
        generator_loss="non_saturating",
        real_label=args.real_label,
        data=(f"{args.patches} random 32x32 patches (flips, 90-degree rotations) of the three "
              f"generated Islamic star patterns {list(gan.ISLAMIC_PATTERN_IDS)} shrunk to "
              f"{args.side} px; seed {args.seed}"),
        steps_per_s=round(trainer.steps_done / seconds, 2),
        final_d_loss_mean_last_250=round(float(np.mean(h.d_loss[-250:])), 4),
        final_g_loss_mean_last_250=round(float(np.mean(h.g_loss[-250:])), 4),
        size_bytes=args.out.stat().st_size,
    )
    print(f"saved {args.out} ({args.out.stat().st_size / 1e6:.2f} MB) and {rec.name}: "
          f"{trainer.steps_done} steps in {seconds:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
