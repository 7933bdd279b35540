"""VGG16 forward + image-gradient time, float32 vs bfloat16, side by side in one process.

    python bench/vgg16_speed.py [--size 256] [--repeats 10]

Baseline: the float32 extractor. Reported: seconds per pass for each, the ratio
(bfloat16 / float32; < 1 means bfloat16 is faster), and how far the bfloat16 gradient is from
the float32 one. Whether bfloat16 pays off depends on the CPU: it needs native bf16 dot
products (AVX512_BF16 or AMX); without them TensorFlow emulates and is slower.
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np


def cpu_flags() -> str:
    try:
        text = open("/proc/cpuinfo").read()
    except OSError:
        return "unknown"
    flags = [f for f in ("avx512_bf16", "amx_bf16", "avx512f", "avx2") if f" {f}" in text]
    return ", ".join(flags) or "none of avx2/avx512f/avx512_bf16/amx_bf16"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()

    from helpers import features, runtime

    runtime.setup(seed=0)
    import tensorflow as tf

    image = np.random.default_rng(0).random((1, args.size, args.size, 3), dtype=np.float32)
    layers = features.STYLE_LAYERS + (features.CONTENT_LAYER,)
    results = {}
    for dtype in ("float32", "bfloat16"):
        model = features.build_vgg16(layers, dtype=dtype)
        x = tf.Variable(image)

        @tf.function
        def step() -> tf.Tensor:
            with tf.GradientTape() as tape:
                acts = model(features.preprocess_caffe(x))
                loss = tf.add_n([tf.reduce_mean(tf.square(a)) for a in acts.values()])
            return tape.gradient(loss, x)

        grad = step()  # trace and warm up
        grad = step()
        start = time.perf_counter()
        for _ in range(args.repeats):
            grad = step()
        results[dtype] = ((time.perf_counter() - start) / args.repeats, grad.numpy())

    f32_t, f32_g = results["float32"]
    bf_t, bf_g = results["bfloat16"]
    rel = float(np.abs(bf_g - f32_g).mean() / np.abs(f32_g).mean())
    print(f"CPU: {platform.processor() or platform.machine()}; flags: {cpu_flags()}")
    print(f"VGG16 conv1_1..conv5_1 forward + image gradient at {args.size} px, {args.repeats} repeats")
    print(f"  float32 : {f32_t:.3f} s/pass (baseline)")
    print(f"  bfloat16: {bf_t:.3f} s/pass  ratio bf16/f32 = {bf_t / f32_t:.2f}×")
    print(f"  mean |grad_bf16 - grad_f32| / mean |grad_f32| = {rel:.3%}")


if __name__ == "__main__":
    main()
