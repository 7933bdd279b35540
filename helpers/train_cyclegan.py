"""Train the CycleGAN shipped with lesson 05 (photographs ↔ ukiyo-e prints).

    python -m helpers.train_cyclegan --steps 3000 --seed 0

Writes ``data/checkpoints/cyclegan_ukiyoe.npz`` (both generators, float16) and
``cyclegan_ukiyoe.json`` next to it with the command, seed, steps, sizes, wall time, the load
average at start and end, and the loss history every 50 steps. Only a developer runs this;
the course itself never writes to ``data/``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

from . import cyclegan as cg
from . import runtime

#: Image sizes the crops are taken from (a little scale variety), and the crop side.
TRAIN_SIDES: tuple[int, ...] = (192, 256)
CROP: int = 64


def make_samplers(seed: int, sides: tuple[int, ...] = TRAIN_SIDES, crop: int = CROP
                  ) -> tuple[cg.CropSampler, cg.CropSampler]:
    """Random-crop samplers over the training photos and the training prints."""
    photos = [img for s in sides for img in cg.load_domain(cg.photo_domain(), s)]
    prints = [img for s in sides for img in cg.load_domain(cg.art_domain(), s)]
    return cg.CropSampler(photos, crop, seed=seed), cg.CropSampler(prints, crop, seed=seed + 100)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--steps", type=int, default=3000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--gen-filters", type=int, default=16)
    p.add_argument("--gen-blocks", type=int, default=4)
    p.add_argument("--disc-filters", type=int, default=32)
    p.add_argument("--out", type=Path, default=cg.SHIPPED_CHECKPOINT)
    args = p.parse_args(argv)
    if args.steps <= 0:
        p.error("--steps must be positive")

    runtime.setup(seed=args.seed)
    load_start = os.getloadavg()
    config = cg.CycleGANConfig(gen_filters=args.gen_filters, gen_blocks=args.gen_blocks,
                               disc_filters=args.disc_filters)
    photos, prints = make_samplers(args.seed)
    model = cg.CycleGAN(config, seed=args.seed)
    log: list[dict] = []

    def every(step: int, losses: dict[str, float]) -> None:
        if step % 50 == 0 or step == args.steps - 1:
            log.append({"step": step, "t": round(time.perf_counter() - t0, 1),
                        **{k: round(v, 4) for k, v in losses.items()}})
            print(json.dumps(log[-1]), flush=True)

    t0 = time.perf_counter()
    model.train(photos, prints, args.steps, callback=every, progress=False)
    wall = time.perf_counter() - t0
    meta = {
        "command": "python -m helpers.train_cyclegan " + " ".join(argv if argv is not None else sys.argv[1:]),
        "seed": args.seed, "steps": args.steps, "crop": CROP, "train_sides": list(TRAIN_SIDES),
        "wall_time_s": round(wall, 1), "steps_per_s": round(args.steps / wall, 2),
        "loadavg_start": [round(x, 2) for x in load_start],
        "loadavg_end": [round(x, 2) for x in os.getloadavg()],
        "cpu_count": os.cpu_count(), "machine": platform.processor() or platform.machine(),
        "photos": [a.id for a in cg.photo_domain()], "prints": [a.id for a in cg.art_domain()],
        "finished": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    out = cg.save_checkpoint(model, args.out, meta)
    record = {**meta, "config": asdict(config), "checkpoint": out.name,
              "checkpoint_bytes": out.stat().st_size, "loss_log": log}
    out.with_suffix(".json").write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    print(f"saved {out} ({out.stat().st_size / 1e6:.2f} MB) after {wall:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
