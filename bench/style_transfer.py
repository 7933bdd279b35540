"""Style transfer speed: the TensorFlow tutorial's Adam recipe against the course's ``stylize``.

    python bench/style_transfer.py [--size 256] [--adam-steps 1000] [--adam-cap 900]
                                   [--lbfgs-cap 600] [--big 1024] [--big-steps 60,20,6]

Everything runs in one process on the same image pair, with the same loss (the same layers,
α = 1e4, β = 1e-2, γ = 30, float32, the content photo as the starting image):

(a) baseline: the TensorFlow tutorial's recipe — Adam (lr 0.02, β1 0.99, ε 0.1), the pixels
    clipped to [0, 1] after every step — for ``--adam-steps`` steps or until ``--adam-cap``
    seconds have passed;
(b) ``helpers.style.stylize`` with its defaults (L-BFGS), single-scale, and with
    ``scales=2`` (``--coarse-steps`` iterations at half size, then full size), each stopped as
    soon as it reaches the loss (a) reached, or after ``--lbfgs-cap`` seconds.

Also printed: both optimisers' losses after the same number of iterations (30 and 100); where
(b) does not reach (a)'s loss in time, how long (a) needed to reach the loss (b) did reach.

Printed: the loss (a) reaches and its time; the time (b) needs to reach it; their ratio; the
VGG16 pass's achieved GFLOP/s against a measured float32 matmul peak; the time of a 1024 px
stylisation (multi-scale). Timings depend on the machine's load, printed with them.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np

CONTENT_ID = "content-photo__prokudin-gorskii-church-across-a-lake__c1910"
STYLE_ID = "japanese-ukiyoe__hokusai-great-wave-off-kanagawa__c1831"


def load_avg() -> str:
    try:
        return " ".join(f"{v:.1f}" for v in os.getloadavg())
    except OSError:
        return "unknown"


def vgg_flops(h: int, w: int, deepest: str) -> float:
    """Multiply-adds ×2 of the VGG16 convolutions up to ``deepest`` for one h×w image."""
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


def matmul_peak(n: int = 2048, repeats: int = 10) -> float:
    """Float32 GFLOP/s of a large matmul (best of ``repeats``)."""
    import tensorflow as tf

    a = tf.random.stateless_normal((n, n), seed=(1, 2))
    b = tf.random.stateless_normal((n, n), seed=(3, 4))
    mm = tf.function(lambda x, y: tf.reduce_sum(tf.matmul(x, y)))
    mm(a, b).numpy()
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        mm(a, b).numpy()
        best = min(best, time.perf_counter() - t)
    return 2.0 * n**3 / best / 1e9


def adam_baseline(loss, x0: np.ndarray, steps: int, cap: float):  # type: ignore[no-untyped-def]
    """The tutorial's loop, written out: returns (final image, steps done, seconds)."""
    import keras
    import tensorflow as tf

    image = tf.Variable(x0[None])
    opt = keras.optimizers.Adam(learning_rate=0.02, beta_1=0.99, epsilon=1e-1)
    start = time.perf_counter()
    done = 0
    history = []  # (seconds, loss of the iterate before the step)
    for done in range(1, steps + 1):
        value, grad, _ = loss.value_and_grad(tf.convert_to_tensor(image))
        history.append((time.perf_counter() - start, float(value)))
        opt.apply_gradients([(grad, image)])
        image.assign(tf.clip_by_value(image, 0.0, 1.0))
        if done % 100 == 0:
            print(f"  adam step {done}: {time.perf_counter() - start:.0f} s, loss {float(value):.4g}",
                  flush=True)
        if time.perf_counter() - start > cap:
            break
    return image.numpy()[0], done, time.perf_counter() - start, history


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--adam-steps", type=int, default=1000)
    parser.add_argument("--adam-cap", type=float, default=900.0, help="seconds")
    parser.add_argument("--lbfgs-steps", type=int, default=1000)
    parser.add_argument("--lbfgs-cap", type=float, default=600.0, help="seconds, per run")
    parser.add_argument("--coarse-steps", type=int, default=50,
                        help="L-BFGS iterations at half size before the full-size run (scales=2)")
    parser.add_argument("--big", type=int, default=1024, help="0 skips the large stylisation")
    parser.add_argument("--big-steps", default="60,20,6", help="L-BFGS iterations per scale")
    args = parser.parse_args()

    import tensorflow as tf

    from helpers import data, features, images, runtime, style

    cfg = runtime.setup(seed=0)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"TF {tf.__version__}, {cfg}")
    print(f"load average at start: {load_avg()}")
    cat = data.load_catalog()
    content_art, style_art = cat[CONTENT_ID], cat[STYLE_ID]
    print(f"content: {content_art.caption}\nstyle:   {style_art.caption}")
    content_full, style_full = content_art.load(), style_art.load()
    content = images.resize_to(content_full, args.size)
    art = images.resize_to(style_full, args.size)
    loss = style.StyleTransferLoss(content, art)  # the tutorial's weights are the defaults
    x0 = content.copy()
    loss.value_and_grad(tf.constant(x0[None]))  # trace once, outside the timings
    print(f"image {content.shape[1]}×{content.shape[0]} px; layers: style {loss.style_layers}, "
          f"content {loss.content_layer}; weights α={float(loss.weights[0]):g} "
          f"β={float(loss.weights[1]):g} γ={float(loss.weights[2]):g}; float32")
    print(f"start loss: {loss(x0)['total']:.4g}")

    # (a) baseline
    img_a, steps_a, t_a, hist_a = adam_baseline(loss, x0, args.adam_steps, args.adam_cap)
    target = loss(img_a)["total"]
    capped = " (stopped by the time cap)" if steps_a < args.adam_steps else ""
    print(f"(a) tutorial Adam: {steps_a} steps in {t_a:.1f} s{capped} → loss {target:.4g} "
          f"[load {load_avg()}]", flush=True)
    if target >= loss(x0)["total"]:
        print("    warning: (a) ended above the starting loss (Adam with β1 = 0.99 overshoots for its "
              "first ~100 steps); the ratio below says little — give it more steps or time")

    # (b) the course's stylize, stopped when it reaches the baseline's loss
    results = {}
    for label, steps in (("stylize default (L-BFGS, 1 scale)", [args.lbfgs_steps]),
                         (f"stylize scales=2 (L-BFGS, {args.coarse_steps} iterations at half size "
                          "first)", [args.coarse_steps, args.lbfgs_steps])):
        scales = len(steps)
        r = style.run_style_transfer(content_full, style_full, size=args.size,
                                     steps=steps, scales=scales, progress=False,
                                     stop_at_loss=target, time_limit=args.lbfgs_cap)
        final = [(t, v) for t, k, v in r.history if k == scales - 1]
        if scales > 1 and final:
            print(f"    first iterate at full size (the upsampled coarse result): loss {final[0][1]:.4g} "
                  f"after {final[0][0]:.1f} s")
        if scales == 1:
            for n in (30, 100):  # equal numbers of gradient evaluations (≈ iterations here)
                if len(final) >= n and len(hist_a) >= n:
                    print(f"    after {n} iterations: L-BFGS {final[n - 1][1]:.4g}, tutorial Adam "
                          f"{hist_a[n - 1][1]:.4g} ({hist_a[n - 1][1] / final[n - 1][1]:.1f}× higher)")
        reached = next((t for t, v in final if v <= target), None)
        end_loss = loss(r.image)["total"]
        if reached is None:
            print(f"(b) {label}: did NOT reach {target:.4g} in {r.seconds:.1f} s "
                  f"({r.evaluations} evaluations); its loss {end_loss:.4g}, so it is less than "
                  f"{t_a / r.seconds:.1f}× sooner than (a) [load {load_avg()}]")
            t_equal = next((t for t, v in hist_a if v <= end_loss), None)
            if t_equal is not None:
                print(f"    (a) needed {t_equal:.1f} s to reach that loss ({end_loss:.4g}): (b) got "
                      f"there {t_equal / r.seconds:.2f}× sooner")
        else:
            print(f"(b) {label}: reached {target:.4g} after {reached:.1f} s "
                  f"({r.evaluations} evaluations; loss {end_loss:.4g}) → {t_a / reached:.1f}× "
                  f"sooner than (a) [load {load_avg()}]", flush=True)
        results[label] = reached

    # GFLOP/s of the VGG pass against a matmul peak
    deepest = max((features.LAYERS.index(n) for n in loss.style_layers + (loss.content_layer,)))
    deepest_name = features.LAYERS[deepest]
    extractor = features.get_extractor(tuple(n for n in features.LAYERS
                                             if n in set(loss.style_layers) | {loss.content_layer}))
    batch = tf.constant(x0[None])
    extractor(batch)
    t = time.perf_counter()
    for _ in range(5):
        out = extractor(batch)
        _ = [v.numpy() for v in out.values()]
    fwd = (time.perf_counter() - t) / 5
    t = time.perf_counter()
    for _ in range(5):
        loss.value_and_grad(batch)[1].numpy()
    fwd_bwd = (time.perf_counter() - t) / 5
    flops = vgg_flops(content.shape[0], content.shape[1], deepest_name)
    peak = matmul_peak()
    print(f"VGG16 to {deepest_name} at {content.shape[1]}×{content.shape[0]}: "
          f"{flops / 1e9:.1f} GFLOP forward; forward {fwd:.3f} s = {flops / fwd / 1e9:.0f} GFLOP/s; "
          f"forward+backward {fwd_bwd:.3f} s = {2 * flops / fwd_bwd / 1e9:.0f} GFLOP/s "
          f"(backward to the input counted as 1× forward)")
    print(f"matmul peak (float32, 2048²): {peak:.0f} GFLOP/s → VGG forward at "
          f"{100 * flops / fwd / 1e9 / peak:.0f}% of it [load {load_avg()}]", flush=True)

    # a large stylisation, coarse to fine
    if args.big:
        steps = [int(s) for s in args.big_steps.split(",")]
        t = time.perf_counter()
        r = style.run_style_transfer(content_full, style_full, size=args.big, steps=steps,
                                     scales=len(steps), progress=False)
        seconds = time.perf_counter() - t
        h, w = r.image.shape[:2]
        print(f"{w}×{h} px stylisation (scales {len(steps)}, L-BFGS iterations {steps} from "
              f"{args.big // 2 ** (len(steps) - 1)} px up; {r.evaluations} evaluations): "
              f"{seconds:.0f} s = {seconds / 60:.1f} min (target ≤ 3 min) [load {load_avg()}]")
        print(f"  note: the course's images are at most {max(content_full.shape[:2])} px, "
              f"so the {args.big} px content is an upsampled photo")
    print(f"load average at end: {load_avg()}")


if __name__ == "__main__":
    main()
