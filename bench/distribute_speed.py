"""Lesson 02's DCGAN step through helpers.distribute: default strategy vs MirroredStrategy on
logical CPU devices, side by side in one process.

    python bench/distribute_speed.py [--devices 2] [--batch 64] [--width 32] [--steps 30]

Baseline: the default strategy (one device). Reported: steps/s and images/s of each, their ratio
(mirrored / default; > 1 means the split pays), and the machine's load average. On a CPU the
logical devices share the same cores, so this measures the *overhead* of replication (splitting
the batch, all-reducing gradients and batch-norm statistics), not a speed-up; see
docs/scaling.md for what to expect on GPUs. Data come from memory, so only the step is timed.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--devices", type=int, default=2)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--steps", type=int, default=30)
    args = parser.parse_args()

    from helpers import distribute as dist

    dist.logical_cpus(args.devices)
    import tensorflow as tf

    from helpers import gan, runtime

    runtime.setup(seed=0)
    batch = np.random.default_rng(0).uniform(-1, 1, (args.batch, 32, 32, 3)).astype("float32")
    load = os.getloadavg()[0]
    rates = {}
    for name in ("default", "mirrored"):
        strategy = dist.pick_strategy(name)
        model = dist.DistributedGAN(strategy, lambda: gan.build_dcgan_generator(size=32, width=args.width),
                                    lambda: gan.build_dcgan_discriminator(size=32, width=args.width),
                                    gan.DCGAN_LATENT, args.batch)
        stream = iter(strategy.experimental_distribute_dataset(tf.data.Dataset.from_tensors(batch).repeat()))
        for k in range(3):  # trace and warm up
            model.step(next(stream), k)
        start = time.perf_counter()
        for k in range(args.steps):
            logs = model.step(next(stream), k)
        float(logs["d_loss"])  # wait for the last step
        rates[name] = args.steps / (time.perf_counter() - start)
        print(f"{name:9s} {strategy.num_replicas_in_sync} replica(s): {rates[name]:6.2f} steps/s, "
              f"{rates[name] * args.batch:7.0f} images/s", flush=True)
    print(f"mirrored / default = {rates['mirrored'] / rates['default']:.2f}  (DCGAN width {args.width}, "
          f"global batch {args.batch}, {args.devices} logical CPUs on {os.cpu_count()} cores; "
          f"load average {load:.2f} at start, {os.getloadavg()[0]:.2f} at end)")


if __name__ == "__main__":
    main()
