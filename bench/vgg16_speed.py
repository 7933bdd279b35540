"""VGG16 speed: forward vs forward + image gradient (GFLOP/s), and float32 vs bfloat16.

    python bench/vgg16_speed.py [--size 256] [--repeats 5] [--no-bf16]

Printed, side by side in one process:

- the forward pass (conv1_1 … conv5_1, the style-transfer layers) and the forward pass plus
  the gradient with respect to the input image, each as seconds and GFLOP/s (the gradient
  to the input costs about as many FLOPs as the forward pass, so forward + backward counts
  2× the forward FLOPs); their ratio (target ≥ 70 %);
- where the backward pass could lose time: the same step when the gradients of the
  filters are asked for too (if this costs no more, the filter gradients were being
  computed for nothing), and the step without the max-pooling gradients (average pooling,
  whose gradient is a cheap resize);
- float32 against bfloat16 (which pays off only on CPUs with native bf16 dot products,
  AVX512_BF16 or AMX; without them TensorFlow emulates it and is much slower).
"""

from __future__ import annotations

import argparse
import os
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


def load_avg() -> str:
    try:
        return " ".join(f"{v:.1f}" for v in os.getloadavg())
    except OSError:
        return "unknown"


def vgg_flops(h: int, w: int, deepest: str = "block5_conv1") -> float:
    """2 × multiply-adds of the VGG16 convolutions up to ``deepest`` for one h×w image."""
    from helpers import features

    flops, cin = 0.0, 3
    for name, cout in features.VGG16_LAYOUT:
        if name == "pool":
            h, w = h // 2, w // 2
            continue
        flops += 2.0 * h * w * 9 * cin * cout
        cin = cout
        if name == deepest:
            break
    return flops


def _timed(fn, repeats: int) -> float:  # type: ignore[no-untyped-def]
    fn()
    fn()  # trace and warm up
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def gradient_report(size: int = 256, repeats: int = 5) -> dict[str, float]:
    """Seconds (best of ``repeats``) of the forward pass and of the gradient variants."""
    import tensorflow as tf

    from helpers import features

    layers = features.STYLE_LAYERS + (features.CONTENT_LAYER,)
    image = tf.constant(np.random.default_rng(0).random((1, size, size, 3), dtype=np.float32))
    out: dict[str, float] = {}
    for pooling in ("max", "avg"):
        model = features.build_vgg16(layers, pooling=pooling)
        kernels = [v for v in model.weights if "kernel" in v.name]

        def loss_of(acts):  # type: ignore[no-untyped-def]
            return tf.add_n([tf.reduce_mean(tf.square(a)) for a in acts.values()])

        @tf.function
        def forward(x):  # type: ignore[no-untyped-def]
            return loss_of(model(features.preprocess_caffe(x), training=False))

        @tf.function
        def grad_input(x):  # type: ignore[no-untyped-def]
            with tf.GradientTape() as tape:
                tape.watch(x)
                loss = loss_of(model(features.preprocess_caffe(x), training=False))
            return tape.gradient(loss, x)

        @tf.function
        def grad_all(x):  # type: ignore[no-untyped-def]
            with tf.GradientTape() as tape:
                tape.watch(x)
                loss = loss_of(model(features.preprocess_caffe(x), training=False))
            return tape.gradient(loss, [x] + kernels)

        if pooling == "max":
            out["forward"] = _timed(lambda: forward(image).numpy(), repeats)
            out["forward+input gradient"] = _timed(lambda: grad_input(image).numpy(), repeats)
            out["forward+input and filter gradients"] = _timed(
                lambda: [g.numpy() for g in grad_all(image)], repeats)
        else:
            out["forward+input gradient, average pooling"] = _timed(
                lambda: grad_input(image).numpy(), repeats)
    return out


def bf16_report(size: int, repeats: int) -> tuple[float, float, float]:
    """(float32 s, bfloat16 s, relative gradient difference) of forward + input gradient."""
    import tensorflow as tf

    from helpers import features

    image = np.random.default_rng(0).random((1, size, size, 3), dtype=np.float32)
    layers = features.STYLE_LAYERS + (features.CONTENT_LAYER,)
    results = {}
    for dtype in ("float32", "bfloat16"):
        model = features.build_vgg16(layers, dtype=dtype)
        x = tf.constant(image)

        @tf.function
        def step(x):  # type: ignore[no-untyped-def]
            with tf.GradientTape() as tape:
                tape.watch(x)
                acts = model(features.preprocess_caffe(x))
                loss = tf.add_n([tf.reduce_mean(tf.square(a)) for a in acts.values()])
            return tape.gradient(loss, x)

        seconds = _timed(lambda: step(x).numpy(), repeats)
        results[dtype] = (seconds, step(x).numpy())
    (f32_t, f32_g), (bf_t, bf_g) = results["float32"], results["bfloat16"]
    return f32_t, bf_t, float(np.abs(bf_g - f32_g).mean() / np.abs(f32_g).mean())


def print_gradient_report(size: int, repeats: int) -> None:
    t = gradient_report(size, repeats)
    flops = vgg_flops(size, size)
    fwd = flops / t["forward"] / 1e9
    print(f"VGG16 conv1_1…conv5_1 at {size}×{size} px: {flops / 1e9:.1f} GFLOP forward "
          f"[load {load_avg()}]")
    print(f"  forward                         {t['forward']:.3f} s = {fwd:.0f} GFLOP/s")
    for key in ("forward+input gradient", "forward+input and filter gradients",
                "forward+input gradient, average pooling"):
        rate = 2 * flops / t[key] / 1e9
        print(f"  {key:38s} {t[key]:.3f} s = {rate:.0f} GFLOP/s ({rate / fwd:.0%} of forward)")
    print(f"VGG16 forward+backward GFLOP/s vs forward: "
          f"{2 * flops / t['forward+input gradient'] / 1e9 / fwd:.0%} (target ≥ 70 %)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-bf16", action="store_true", help="skip the bfloat16 comparison")
    args = parser.parse_args()

    from helpers import runtime

    runtime.setup(seed=0)
    print(f"CPU: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
          f"flags: {cpu_flags()}")
    print_gradient_report(args.size, args.repeats)
    if not args.no_bf16:
        f32_t, bf_t, rel = bf16_report(args.size, args.repeats)
        print(f"float32 {f32_t:.3f} s/pass, bfloat16 {bf_t:.3f} s/pass: bf16/f32 = "
              f"{bf_t / f32_t:.1f}× (gradients differ by {rel:.2%}) [load {load_avg()}]")


if __name__ == "__main__":
    main()
