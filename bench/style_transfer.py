"""Style transfer speed, measured as a learner waits for it; one process, one run.

    python bench/style_transfer.py [--parts 1,2,3,4,5] [--table]

Content: Prokudin-Gorskii's church across a lake; style: Hokusai's Great Wave. The loss is
``style.stylize``'s default (relative style loss, α = 1e4, β = 1e9, γ = 30, float32, the photo
as the starting image). Each line carries the machine's load average (the machine may be shared).

1. Equal wall-clock budgets (15 s, 60 s) at 256 px: the loss ``stylize`` (L-BFGS) reaches
   against the TensorFlow tutorial's Adam recipe (lr 0.02, β1 0.99, ε 0.1, pixels clipped to
   [0, 1]) on the same loss: ``budget ratio at 15 s: …`` (target ≤ 0.4).
2. Seconds to a visibly stylised 512 px image: the first snapshot (every 5 iterations) whose
   normalised Gram distance to the Great Wave is ≥ 70 % below the photo's (target ≤ 60 s);
   single scale and coarse to fine (``scales=2``).
3. 1024 px by a warm start: a few iterations at 512 px, upsampled, then refined at 1024 px
   (``scales=2``, ``--big-steps``), with the same reduction measured at the end (target ≤ 3 min).
4. The VGG16 forward + backward pass's GFLOP/s against the forward pass's (target ≥ 70 %),
   from ``bench/vgg16_speed.py``.
5. The feed-forward path: lesson 06's AdaIN network (shipped decoder) at 512 px (target ≤ 1 s),
   with the style image encoded for every photo and with its statistics computed once.

``--table`` instead writes ``bench/style_norm_table.csv`` (lesson 04 shows it): for every style
work in the catalog, the reduction of the normalised Gram distance after ``--table-steps``
L-BFGS iterations at ``--table-size`` px with the raw loss (the tutorial's, β = 1e-2) and with
the relative loss (the default), and the content distance of each result.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from vgg16_speed import load_avg, print_gradient_report  # noqa: E402

CONTENT_ID = "content-photo__prokudin-gorskii-church-across-a-lake__c1910"
STYLE_ID = "japanese-ukiyoe__hokusai-great-wave-off-kanagawa__c1831"
TABLE_PATH = Path(__file__).resolve().parent / "style_norm_table.csv"


def adam_recipe(loss, x0: np.ndarray, seconds: float) -> list[tuple[float, float]]:  # type: ignore[no-untyped-def]
    """The tutorial's loop for ``seconds``: history of (seconds, loss of the iterate)."""
    import keras
    import tensorflow as tf

    image = tf.Variable(x0[None])
    opt = keras.optimizers.Adam(learning_rate=0.02, beta_1=0.99, epsilon=1e-1)
    start, history = time.perf_counter(), []
    while time.perf_counter() - start < seconds:
        value, grad, _ = loss.value_and_grad(tf.convert_to_tensor(image))
        history.append((time.perf_counter() - start, float(value)))  # the iterate before the step
        opt.apply_gradients([(grad, image)])
        image.assign(tf.clip_by_value(image, 0.0, 1.0))
    return history


def at(history: list[tuple[float, float]], t: float, start: float) -> float:
    """The lowest loss reached by time ``t`` (``start``, the photo's, if nothing was)."""
    return min((v for s, v in history if s <= t), default=start)


def part1(photo: np.ndarray, art: np.ndarray, budgets: tuple[float, ...]) -> None:
    import tensorflow as tf

    from helpers import images, style

    c, s = images.resize_to(photo, 256), images.resize_to(art, 256)
    loss = style.StyleTransferLoss(c, s)
    loss.value_and_grad(tf.constant(c[None]))  # trace once, outside the timings
    adam = adam_recipe(loss, c, max(budgets))
    r = style.run_style_transfer(c, s, size=256, steps=100000, max_seconds=max(budgets),
                                 progress=False)
    lbfgs = [(t, v) for t, _, v in r.history]
    l0 = loss(c)["total"]
    print(f"[1] 256 px, same loss, start {loss(c)['total']:.4g}: tutorial Adam {len(adam)} steps, "
          f"stylize {len(lbfgs)} L-BFGS iterations ({r.evaluations} evaluations) in "
          f"{max(budgets):.0f} s [load {load_avg()}]")
    for b in budgets:
        a, l_ = at(adam, b, l0), at(lbfgs, b, l0)
        print(f"budget ratio at {b:.0f} s: {l_ / a:.2f} (stylize {l_:.4g} vs tutorial Adam {a:.4g}; "
              f"target ≤ 0.4) [load {load_avg()}]", flush=True)
    reached = next((t for t, v in adam if v <= at(lbfgs, budgets[0], l0)), None)
    print(f"    Adam needed {'more than ' + format(max(budgets), '.0f') if reached is None else format(reached, '.1f')}"
          f" s to reach stylize's {budgets[0]:.0f} s loss")


def snapshots_run(photo, art, size, **kw):  # type: ignore[no-untyped-def]
    from helpers import style

    shots, start = [], time.perf_counter()
    r = style.run_style_transfer(
        photo, art, size=size, progress=False, callback_every=5,
        callback=lambda i, img, v: shots.append((time.perf_counter() - start, i, img)), **kw)
    return r, shots


def part2(photo: np.ndarray, art: np.ndarray, cap: float) -> None:
    from helpers import images, metrics

    c = images.resize_to(photo, 512)
    for label, kw in (("single scale", {"steps": 100}),
                      ("scales=2 (60 iterations at 256 px, then 512 px)",
                       {"steps": [60, 40], "scales": 2})):
        r, shots = snapshots_run(photo, art, 512, max_seconds=cap, **kw)
        final = [(t, i, img) for t, i, img in shots if img.shape == c.shape]
        reds = [metrics.style_reduction(img, c, art) for _, _, img in final]
        hit = next(((t, i, red) for (t, i, _), red in zip(final, reds) if red >= 0.7), None)
        if hit is None:
            print(f"[2] 512 px {label}: NOT at 70 % within {r.seconds:.0f} s (best "
                  f"{max(reds, default=0):.0%}) (target ≤ 60 s) [load {load_avg()}]", flush=True)
        else:
            print(f"[2] 512 px {label}: ≥ 70 % reduction ({hit[2]:.0%}) after {hit[0]:.0f} s "
                  f"(iteration {hit[1]}) (target ≤ 60 s) [load {load_avg()}]", flush=True)


def part3(photo: np.ndarray, art: np.ndarray, steps: list[int], cap: float) -> None:
    from helpers import images, metrics, style

    r = style.run_style_transfer(photo, art, size=1024, steps=steps, scales=len(steps),
                                 max_seconds=cap, progress=False)
    red = metrics.style_reduction(r.image, photo, art)
    start = 1024 // 2 ** (len(steps) - 1)
    print(f"[3] 1024 px coarse to fine ({steps} iterations from {start} px up): {r.seconds:.0f} s, "
          f"reduction {red:.0%} (target ≤ 180 s at ≥ 70 %) [load {load_avg()}]", flush=True)
    print(f"    (the course's photos are at most {max(photo.shape[:2])} px: the 1024 px content is "
          "an upsampled photo)")


def part5(photo: np.ndarray, art: np.ndarray) -> None:
    from helpers import adain, images, metrics

    stylizer = adain.Stylizer(adain.load_decoder())
    c = adain.crop8(images.resize_to(photo, 512))
    s = images.resize_to(art, 512)
    stylizer.stylize(c, s)  # trace
    mu, sigma = stylizer.stats(s)   # a style's statistics, computed once and reused per photo
    timings: dict[str, float] = {"style encoded per image": float("inf"),
                                 "style statistics cached": float("inf")}
    for _ in range(3):
        t = time.perf_counter()
        out = stylizer.stylize(c, s)
        timings["style encoded per image"] = min(timings["style encoded per image"], time.perf_counter() - t)
        t = time.perf_counter()
        stylizer.decode(stylizer.features_for(c, mu, sigma))
        timings["style statistics cached"] = min(timings["style statistics cached"], time.perf_counter() - t)
    red = metrics.style_reduction(out, c, art)
    for label, sec in timings.items():
        print(f"[5] feed-forward AdaIN (shipped decoder) at {c.shape[1]}×{c.shape[0]} px, {label}: "
              f"{sec:.2f} s per image (target ≤ 1 s) [load {load_avg()}]")
    print(f"    Gram-distance reduction of its result {red:.0%}")


def table(size: int, steps: int, shard: str = "0/1") -> None:
    """Measure the works whose index is k mod n (``shard`` "k/n"); shards merge into one file."""
    from helpers import data, images, metrics, style

    k, n = (int(v) for v in shard.split("/"))
    path = TABLE_PATH if n == 1 else TABLE_PATH.with_suffix(f".{k}of{n}.csv")

    cat = data.load_catalog()
    photo = images.resize_to(cat[CONTENT_ID].load(max_side=512), size)
    header = (f"# python bench/style_transfer.py --table --table-size {size} --table-steps {steps}; "
              f"photo {CONTENT_ID}; reduction = 1 - d(result)/d(photo), d = "
              "helpers.metrics.style_distance; content = helpers.metrics.content_distance\n")
    rows = []
    for p in [TABLE_PATH, path] + sorted(TABLE_PATH.parent.glob(TABLE_PATH.stem + ".*of*.csv")):
        if p.exists() and p.read_text().startswith(header):  # resume, or merge the shards
            rows += [r for r in csv.DictReader(p.read_text().splitlines()[1:])
                     if r["id"] not in {q["id"] for q in rows}]
    ids = [a.id for a in cat.styles()]
    rows = [r for r in rows if r["id"] in ids]  # a work no longer in the catalog drops out
    done = {r["id"] for r in rows}
    for i, art in enumerate(cat.styles()):
        if art.id in done or i % n != k:
            continue
        s = art.load(max_side=512)
        ref = metrics.tradition_grams([images.resize_to(s, size)])
        d0 = metrics.style_distance([photo], ref)[0]
        row = {"id": art.id, "tradition": art.tradition_group, "photo_distance": f"{d0:.4f}"}
        for norm in ("raw", "relative"):
            out = style.stylize(photo, s, size=size, steps=steps, style_norm=norm, progress=False)
            row[f"{norm}_reduction"] = f"{1 - metrics.style_distance([out], ref)[0] / d0:.4f}"
            row[f"{norm}_content"] = f"{metrics.content_distance(out, photo):.4f}"
        rows.append(row)
        print(row, flush=True)
        with path.open("w", newline="") as fh:  # after every work, so a run can resume
            fh.write(header)
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    rows.sort(key=lambda r: ids.index(r["id"]))
    with path.open("w", newline="") as fh:
        fh.write(header)
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {path} ({len(rows)} works)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parts", default="1,2,3,4,5")
    parser.add_argument("--budgets", default="15,60", help="seconds, part 1")
    parser.add_argument("--cap512", type=float, default=150.0, help="seconds per run, part 2")
    parser.add_argument("--big-steps", default="6,3", help="iterations per scale, part 3")
    parser.add_argument("--cap1024", type=float, default=240.0, help="seconds, part 3")
    parser.add_argument("--table", action="store_true", help="write the per-work table instead")
    parser.add_argument("--table-size", type=int, default=64)
    parser.add_argument("--table-steps", type=int, default=25)
    parser.add_argument("--shard", default="0/1", help="k/n: only every n-th work, from the k-th")
    args = parser.parse_args()

    import tensorflow as tf

    from helpers import data, runtime

    cfg = runtime.setup(seed=0)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"TF {tf.__version__}, {cfg}; load average at start: {load_avg()}")
    if args.table:
        table(args.table_size, args.table_steps, args.shard)
        return
    cat = data.load_catalog()
    photo, art = cat[CONTENT_ID].load(), cat[STYLE_ID].load()
    parts = {int(p) for p in args.parts.split(",")}
    start = time.perf_counter()
    if 1 in parts:
        part1(photo, art, tuple(float(b) for b in args.budgets.split(",")))
    if 2 in parts:
        part2(photo, art, args.cap512)
    if 3 in parts:
        part3(photo, art, [int(s) for s in args.big_steps.split(",")], args.cap1024)
    if 4 in parts:
        print_gradient_report(256, 3)
    if 5 in parts:
        part5(photo, art)
    print(f"total {time.perf_counter() - start:.0f} s; load average at end: {load_avg()}")


if __name__ == "__main__":
    main()
