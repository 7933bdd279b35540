"""Train the small StyleGAN of lesson 06 on 32 px motif patches and ship its generator.

    python -m helpers.train_stylegan --minutes 20 --seed 0

Patches come from :data:`helpers.adain.MOTIF_IDS` (generated Islamic star patterns, Korin's
and Hokusai's waves, Van Gogh's swirls) via :func:`helpers.adain.motif_patches`. Writes the
generator (mapping + synthesis + the running mean w̄ used by the truncation trick) to
``data/checkpoints/stylegan_motifs_fp16.npz`` in float16, and a ``.json`` record of the
command, seed, steps and wall time. The discriminator is not shipped. A developer runs this;
the notebooks only read the result.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=20.0, help="wall-time budget")
    parser.add_argument("--max-steps", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--patches", type=int, default=6000)
    parser.add_argument("--channels", type=str, default="32,32,16,16")
    parser.add_argument("--lr", type=float, default=2e-4)
    parser.add_argument("--r1-gamma", type=float, default=0.0)
    parser.add_argument("--init", type=Path, default=None,
                        help="continue from this generator checkpoint (a fresh discriminator); "
                             "its JSON record is kept under 'continued_from'")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--save-every", type=int, default=100)
    args = parser.parse_args(argv)

    import tensorflow as tf
    from tqdm.auto import tqdm

    from helpers import adain, runtime

    runtime.setup(seed=args.seed)
    out = args.out or adain.STYLEGAN_PATH
    channels = tuple(int(c) for c in args.channels.split(","))
    t0 = time.perf_counter()
    patches = adain.motif_patches(args.patches, size=4 * 2 ** (len(channels) - 1), seed=args.seed)
    earlier: dict = {}
    if args.init is not None:
        gan = adain.load_stylegan(args.init, seed=args.seed, lr=args.lr, r1_gamma=args.r1_gamma)
        earlier = adain.checkpoint_meta(args.init)
        print(f"continuing from {args.init} ({earlier.get('command', '?')})", flush=True)
        if tuple(gan.config["channels"]) != channels:
            parser.error(f"--channels {args.channels} differs from the checkpoint's {gan.config['channels']}")
    else:
        gan = adain.StyleGAN(channels=channels, seed=args.seed, lr=args.lr, r1_gamma=args.r1_gamma)
    rng = np.random.default_rng(args.seed)
    history: list[tuple[float, float]] = []

    def save(seconds: float) -> None:
        last = np.mean(history[-50:], axis=0).tolist() if history else []
        meta = {"seed": args.seed, "steps": len(history)}
        gan.save(out, meta)
        adain.record_training(
            out, seed=args.seed, steps=len(history), batch=args.batch, patches=args.patches,
            motif_ids=list(adain.MOTIF_IDS), config=gan.config, lr=args.lr,
            r1_gamma=gan.r1_gamma, mixing_prob=gan.mixing_prob,
            train_seconds=round(seconds, 1), wall_minutes=round((time.perf_counter() - t0) / 60, 2),
            load_average=[round(x, 2) for x in os.getloadavg()],
            final_d_g_losses_mean_of_last_50=[round(x, 4) for x in last],
            dtype="float16 weights (trained in float32)",
            **({"continued_from": earlier} if earlier else {}))

    start = time.perf_counter()
    bar = tqdm(range(args.max_steps), desc="StyleGAN", mininterval=10.0)
    for i in bar:
        idx = rng.integers(0, len(patches), args.batch)
        d, g, _ = gan._step(tf.constant(patches[idx]))
        history.append((float(d), float(g)))
        if i % 20 == 0:
            recent = np.mean(history[-20:], axis=0)
            bar.set_postfix(d=f"{recent[0]:.3f}", g=f"{recent[1]:.3f}")
        elapsed = time.perf_counter() - start
        if (i + 1) % args.save_every == 0:
            save(elapsed)
        if elapsed > args.minutes * 60:
            break
    save(time.perf_counter() - start)
    print(f"saved {out} after {len(history)} steps", flush=True)


if __name__ == "__main__":
    main()
