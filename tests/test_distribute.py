"""helpers.distribute: strategies, the image-folder pipeline, the distributed GAN step, resumable runs.

Logical CPU devices and MultiWorkerMirroredStrategy must be set up before TensorFlow starts, so
those tests run small training scripts in subprocesses (each bounded by a timeout).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from helpers import distribute as dist

ROOT = Path(__file__).resolve().parent.parent

#: One tiny DCGAN (32 px, width 8, batch 8) trained through helpers.distribute.
WORKER = textwrap.dedent('''
    import argparse, json, os, time
    p = argparse.ArgumentParser()
    p.add_argument("--strategy", default="default"); p.add_argument("--logical", type=int, default=1)
    p.add_argument("--data"); p.add_argument("--dir"); p.add_argument("--out")
    p.add_argument("--steps", type=int, default=8); p.add_argument("--every", type=int, default=2)
    p.add_argument("--sleep", type=float, default=0.0); p.add_argument("--steplog"); p.add_argument("--weights")
    a = p.parse_args()
    from helpers import distribute as dist
    if a.logical > 1:
        dist.logical_cpus(a.logical)
    strategy = dist.pick_strategy(a.strategy)   # MultiWorkerMirroredStrategy first, before any op
    import numpy as np
    from helpers import gan, runtime
    runtime.setup(seed=0, threads=1)
    build = {"latent_dim": gan.DCGAN_LATENT, "size": 32, "width": 8}
    model = dist.DistributedGAN(strategy, lambda: gan.build_dcgan_generator(**build),
                                lambda: gan.build_dcgan_discriminator(size=32, width=8), gan.DCGAN_LATENT, 8)
    run = dist.ResumableRun(a.dir, strategy, model.objects, every_steps=a.every)
    batches = dist.distribute_images(strategy, a.data, 32, 8, seed=0, start_step=run.start_step)
    def log(step, logs):
        with open(a.steplog, "a") as f:
            f.write(json.dumps({"pid": os.getpid(), "step": step, "d_loss": logs["d_loss"]}) + "\\n")
        time.sleep(a.sleep)
    run.train(model.step, batches, a.steps, log_every=1, on_log=log if a.steplog else None)
    if a.out:
        run.export(a.out, {"generator": model.generator}, {"kind": "dcgan", "build": build}, seed=0)
    np.savez(a.weights, *(model.generator.get_weights() + model.discriminator.get_weights()))
''')


def _env(**extra: str) -> dict[str, str]:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": "", **extra}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    env.pop("TF_CONFIG", None) if "TF_CONFIG" not in extra else None
    return env


def _worker(tmp: Path, *args: str, **env: str) -> subprocess.Popen:
    script = tmp / "worker.py"
    script.write_text(WORKER, encoding="utf-8")
    return subprocess.Popen([sys.executable, str(script), *args], cwd=ROOT, env=_env(**env),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _finish(proc: subprocess.Popen, timeout: float = 300) -> str:
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
        pytest.fail(f"worker ran past {timeout} s:\n{out[-3000:]}")
    assert proc.returncode == 0, out[-3000:]
    return out


def _weights(path: Path) -> list[np.ndarray]:
    with np.load(path) as f:
        return [f[k] for k in sorted(f.files, key=lambda k: int(k.split("_")[1]))]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Eight usable images (one of them a 16-bit PNG, some in a sub-folder), a truncated JPEG and a
    text file."""
    d = tmp_path_factory.mktemp("images")
    (d / "more").mkdir()
    rng = np.random.default_rng(0)
    for i in range(6):
        Image.fromarray(rng.integers(0, 256, (36 + 4 * i, 48, 3), dtype=np.uint8)).save(
            d / ("more" if i % 2 else ".") / f"photo{i}.png")
    Image.fromarray(rng.integers(0, 65536, (40, 40), dtype=np.uint16)).save(d / "deep16.png")
    Image.fromarray(rng.integers(0, 256, (40, 40, 3), dtype=np.uint8)).save(d / "whole.jpg")
    (d / "broken.jpg").write_bytes((d / "whole.jpg").read_bytes()[:200])
    (d / "notes.txt").write_text("not an image\n", encoding="utf-8")
    return d


# ----------------------------------------------------------------------------- in this process


def test_pick_strategy_checks_its_name_and_needs_tf_config_for_multiworker(monkeypatch) -> None:
    with pytest.raises(ValueError, match="name must be one of"):
        dist.pick_strategy("tpu")
    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(ValueError, match="TF_CONFIG"):
        dist.pick_strategy("multiworker")
    assert dist.pick_strategy("auto").num_replicas_in_sync == 1  # no TF_CONFIG, no GPUs here


def test_global_index_gives_each_worker_its_slice_of_each_batch() -> None:
    # global batch 8 over 2 workers: step 1 is elements 8..15, worker 0 takes 8..11, worker 1 12..15
    assert [dist.global_index(1, i, 8, 0, 2) for i in range(4)] == [8, 9, 10, 11]
    assert [dist.global_index(1, i, 8, 1, 2) for i in range(4)] == [12, 13, 14, 15]


def test_scan_reports_the_bad_files_and_keeps_the_16_bit_png(folder: Path) -> None:
    scan = dist.scan_images(folder)
    assert len(scan.good) == 8 and folder / "deep16.png" in scan.good
    assert sorted(p.name for p, _ in scan.bad) == ["broken.jpg", "notes.txt"]
    report = scan.report()
    assert "8 images, 2 files skipped" in report and "broken.jpg: corrupt or truncated" in report
    assert "notes.txt: not an image file" in report
    with pytest.raises(ValueError, match="no readable image"):
        dist.scan_images(folder / "more" / "..", min_side=4000)


def test_folder_pipeline_is_a_function_of_the_step(folder: Path) -> None:
    ds = dist.image_folder_dataset(folder, crop=16, batch=4, seed=3)
    first = [b.numpy() for b in ds.take(3)]
    assert first[0].shape == (4, 16, 16, 3) and first[0].min() >= -1 and first[0].max() <= 1
    resumed = next(iter(dist.image_folder_dataset(folder, crop=16, batch=4, seed=3, start_step=2))).numpy()
    np.testing.assert_array_equal(resumed, first[2])  # resuming at step 2 gives batch 2 again
    with pytest.raises(ValueError, match="max_side"):
        dist.image_folder_dataset(folder, crop=32, batch=4, max_side=16)


def test_a_folder_with_bad_files_trains(folder: Path, tmp_path: Path) -> None:
    from helpers import checkpoints, gan

    strategy = dist.pick_strategy("default")
    model = dist.DistributedGAN(strategy, lambda: gan.build_dcgan_generator(size=32, width=8),
                                lambda: gan.build_dcgan_discriminator(size=32, width=8), gan.DCGAN_LATENT, 4)
    run = dist.ResumableRun(tmp_path / "run", strategy, model.objects, every_steps=None)
    batches = dist.distribute_images(strategy, folder, 32, 4)
    seen: list[tuple[int, float]] = []
    assert run.train(model.step, batches, 2, log_every=1, on_log=lambda s, logs: seen.append((s, logs["d_loss"]))) == 2
    assert [s for s, _ in seen] == [1, 2] and all(np.isfinite(v) for _, v in seen)
    out = run.export(tmp_path / "g.npz", {"generator": model.generator}, {"kind": "dcgan"}, seed=0)
    record = checkpoints.read_record(out)
    assert record["steps"] == 2 and record["resumptions"] == 0 and len(record["sessions"]) == 1
    arrays, _ = checkpoints.read(out, "dcgan")
    assert len(arrays["generator"]) == len(model.generator.weights)


# ----------------------------------------------------------------------------- subprocesses


def test_mirrored_on_two_logical_cpus_gives_the_default_strategys_losses(tmp_path: Path) -> None:
    """Same fixed batch, same initial weights, 3 steps: the losses agree to 1e-5 (relative) and the
    weights to 1e-5; only the order of float sums differs."""
    script = tmp_path / "same.py"
    script.write_text(textwrap.dedent('''
        import json, numpy as np
        from helpers import distribute as dist
        dist.logical_cpus(2)
        import tensorflow as tf
        from helpers import gan, runtime
        runtime.setup(seed=0, threads=1)
        batch = np.random.default_rng(0).uniform(-1, 1, (8, 32, 32, 3)).astype("float32")
        out = {}
        for name in ("default", "mirrored"):
            s = dist.pick_strategy(name)
            tf.keras.utils.set_random_seed(0)
            m = dist.DistributedGAN(s, lambda: gan.build_dcgan_generator(size=32, width=8),
                                    lambda: gan.build_dcgan_discriminator(size=32, width=8), gan.DCGAN_LATENT, 8)
            it = iter(s.experimental_distribute_dataset(tf.data.Dataset.from_tensors(batch).repeat()))
            logs = [{k: float(v) for k, v in m.step(next(it), k).items()} for k in range(3)]
            out[name] = {"replicas": s.num_replicas_in_sync, "logs": logs,
                         "weights": [w.tolist() for w in m.generator.get_weights()[:2]]}
        print("RESULT " + json.dumps(out))
    '''), encoding="utf-8")
    proc = subprocess.Popen([sys.executable, str(script)], cwd=ROOT, env=_env(), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = _finish(proc)
    result = json.loads(out.split("RESULT ", 1)[1])
    one, two = result["default"], result["mirrored"]
    assert (one["replicas"], two["replicas"]) == (1, 2)
    for a, b in zip(one["logs"], two["logs"]):
        for key in ("d_loss", "g_loss", "d_real", "d_fake"):
            assert b[key] == pytest.approx(a[key], rel=1e-5), key
    for a, b in zip(one["weights"], two["weights"]):
        np.testing.assert_allclose(np.array(b), np.array(a), atol=1e-5)


def _free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def test_two_workers_on_localhost_train_three_steps_to_identical_weights(folder: Path, tmp_path: Path) -> None:
    cluster = {"worker": [f"127.0.0.1:{p}" for p in _free_ports(2)]}
    procs = [_worker(tmp_path, "--strategy", "multiworker", "--data", str(folder), "--dir", str(tmp_path / "run"),
                     "--steps", "3", "--every", "2", "--out", str(tmp_path / "g.npz"),
                     "--weights", str(tmp_path / f"w{i}.npz"),
                     TF_CONFIG=json.dumps({"cluster": cluster, "task": {"type": "worker", "index": i}}))
             for i in range(2)]
    try:
        outs = [_finish(p) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    w0, w1 = _weights(tmp_path / "w0.npz"), _weights(tmp_path / "w1.npz")
    assert len(w0) == len(w1) > 0
    for a, b in zip(w0, w1):
        np.testing.assert_array_equal(a, b)
    journal = json.loads((tmp_path / "run" / "journal.json").read_text())  # the chief's alone
    assert [(s["from_step"], s["to_step"], s["replicas"]) for s in journal["sessions"]] == [(0, 3, 2)], outs
    assert not list((tmp_path / "run").glob(".worker-*"))  # the other worker's scratch is gone


def test_a_run_killed_after_its_first_checkpoint_resumes_without_losing_or_repeating_a_step(
        folder: Path, tmp_path: Path) -> None:
    steps, log = 8, tmp_path / "steps.jsonl"
    common = ["--data", str(folder), "--steps", str(steps), "--every", "2"]
    reference = _worker(tmp_path, *common, "--dir", str(tmp_path / "ref"), "--weights", str(tmp_path / "ref.npz"))
    args = [*common, "--dir", str(tmp_path / "run"), "--out", str(tmp_path / "g.npz"),
            "--steplog", str(log), "--weights", str(tmp_path / "run.npz")]
    victim = _worker(tmp_path, *args, "--sleep", "0.7")
    deadline = time.time() + 300
    journal = tmp_path / "run" / "journal.json"
    while not journal.exists() or json.loads(journal.read_text())["sessions"][0]["to_step"] < 2:
        assert victim.poll() is None and time.time() < deadline, "no checkpoint before the deadline"
        time.sleep(0.05)
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)
    before = json.loads((tmp_path / "run" / "journal.json").read_text())["sessions"]
    assert len(before) == 1 and 2 <= before[0]["to_step"] < steps
    _finish(_worker(tmp_path, *args))  # the same command again
    _finish(reference)

    sessions = json.loads((tmp_path / "run" / "journal.json").read_text())["sessions"]
    assert [(s["from_step"], s["to_step"]) for s in sessions] == [(0, before[0]["to_step"]),
                                                                   (before[0]["to_step"], steps)]
    lines = [json.loads(x) for x in log.read_text().splitlines()]
    pids = list(dict.fromkeys(x["pid"] for x in lines))
    first = [x["step"] for x in lines if x["pid"] == pids[0]]
    second = [x["step"] for x in lines if x["pid"] == pids[1]]
    assert first[: before[0]["to_step"]] == list(range(1, before[0]["to_step"] + 1))
    assert second == list(range(before[0]["to_step"] + 1, steps + 1))
    # steps after the last checkpoint were run again from the same state: same losses
    again = {x["step"]: x["d_loss"] for x in lines if x["pid"] == pids[1]}
    for x in lines:
        if x["pid"] == pids[0] and x["step"] in again:
            assert x["d_loss"] == pytest.approx(again[x["step"]], rel=1e-6)
    for a, b in zip(_weights(tmp_path / "ref.npz"), _weights(tmp_path / "run.npz")):
        np.testing.assert_allclose(b, a, atol=1e-6)  # as if never interrupted
    record = json.loads((tmp_path / "g.json").read_text())
    assert record["steps"] == steps and record["resumptions"] == 1 and len(record["sessions"]) == 2


def test_train_dcgan_takes_a_folder_checkpoints_and_resumes(folder: Path, tmp_path: Path) -> None:
    from helpers import checkpoints, gan, train_dcgan

    args = ["--data", str(folder), "--batch", "4", "--width", "8", "--checkpoint-every", "2",
            "--out", str(tmp_path / "g.npz")]
    assert train_dcgan.main(["--steps", "3", *args]) == 0
    assert train_dcgan.main(["--steps", "5", *args]) == 0  # the same run, asked for more: it resumes
    record = checkpoints.read_record(tmp_path / "g.npz")
    assert record["steps"] == 5 and record["resumptions"] == 1
    assert [(s["from_step"], s["to_step"]) for s in record["sessions"]] == [(0, 3), (3, 5)]
    assert gan.load_generator(tmp_path / "g.npz").output_shape == (None, 32, 32, 3)
    with pytest.raises(SystemExit):  # a folder run must not overwrite the shipped checkpoint
        train_dcgan.parse_args(["--data", str(folder)])


def test_distributed_gan_takes_a_second_learning_rate_for_d() -> None:
    from helpers import gan

    strategy = dist.pick_strategy("default")
    model = dist.DistributedGAN(strategy, lambda: gan.build_dcgan_generator(size=32, width=8),
                                lambda: gan.build_dcgan_discriminator(size=32, width=8, spectral_norm=True),
                                gan.DCGAN_LATENT, 4, make_optimizer=lambda: gan.dcgan_optimizer(1e-4),
                                make_d_optimizer=lambda: gan.dcgan_optimizer(4e-4))
    assert float(model.g_optimizer.learning_rate) == pytest.approx(1e-4)
    assert float(model.d_optimizer.learning_rate) == pytest.approx(4e-4)
    same = dist.DistributedGAN(strategy, lambda: gan.build_dcgan_generator(size=32, width=8),
                               lambda: gan.build_dcgan_discriminator(size=32, width=8), gan.DCGAN_LATENT, 4)
    assert float(same.d_optimizer.learning_rate) == pytest.approx(2e-4)
