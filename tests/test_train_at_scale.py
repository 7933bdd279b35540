"""The training scripts' shared flags (helpers.distribute.add_arguments): ``--data`` a folder of one's
own images, ``--strategy``, and checkpoints that a second start of the same command resumes from.

One test per script (CycleGAN, AdaIN, StyleGAN; DCGAN's are in test_distribute.py), each on a
folder of a few tiny images with the smallest networks the script builds, so a run traces one step;
and distribute.ReplicatedStep (the scripts' step on replicas) on 2 logical CPUs against one device.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from helpers import adain, checkpoints, cyclegan, stylegan, train_adain, train_cyclegan, train_stylegan

ROOT = Path(__file__).resolve().parent.parent


def _folder(path: Path, n: int, seed: int) -> Path:
    path.mkdir()
    rng = np.random.default_rng(seed)
    for i in range(n):
        Image.fromarray((rng.random((40, 48, 3)) * 255).astype(np.uint8)).save(path / f"img{i}.png")
    return path


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("images")
    return _folder(root / "a", 4, 0), _folder(root / "b", 3, 1)


SCRIPTS = {
    "cyclegan": (train_cyclegan, "--steps", ["--gen-filters", "4", "--gen-blocks", "1", "--disc-filters", "4",
                                             "--crop", "16", "--sides", "32", "--batch", "1"]),
    "adain": (train_adain, "--max-steps", ["--widths", "8,8,8", "--crop", "16", "--style-crops", "1",
                                           "--batch", "1", "--save-every", "1"]),
    "stylegan": (train_stylegan, "--max-steps", ["--channels", "4,4", "--batch", "2", "--save-every", "1"]),
}


@pytest.mark.parametrize("kind", sorted(SCRIPTS))
def test_script_trains_on_a_folder_mirrored_resumes_and_names_a_bad_folder(
        kind: str, folders: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script, steps_flag, tiny = SCRIPTS[kind]
    mine, other = folders
    extra = {"cyclegan": ["--photos", str(other)], "adain": ["--styles", str(other)], "stylegan": []}[kind]
    out = tmp_path / f"{kind}.npz"
    command = ["--data", str(mine), *extra, "--out", str(out), "--strategy", "mirrored",
               "--checkpoint-every", "1", *tiny]

    missing = tmp_path / "no_such_folder"
    with pytest.raises(SystemExit) as exit_info:
        script.main([*command, "--data", str(missing), steps_flag, "2"])
    assert exit_info.value.code == 2 and f"--data {missing}: no such folder" in capsys.readouterr().err

    assert script.main([*command, steps_flag, "2"]) == 0
    first = capsys.readouterr().out
    assert "MirroredStrategy, 1 replica(s)" in first and f"{mine}: 4 images" in first
    assert "resuming" not in first
    assert json.loads(checkpoints.record_path(out).read_text())["steps"] == 2

    assert script.main([*command, steps_flag, "3"]) == 0     # the same command, one more step
    second = capsys.readouterr().out
    assert "resuming from step 2" in second and "step 3:" in second
    record = checkpoints.read_record(out)
    assert record["steps"] == 3 and record["resumptions"] == 1
    assert [(s["from_step"], s["to_step"]) for s in record["sessions"]] == [(0, 2), (2, 3)]
    assert {s["strategy"] for s in record["sessions"]} == {"MirroredStrategy"}
    arrays, config = checkpoints.read(out, kind)              # the format the lessons load, by their loaders
    assert config["kind"] == kind and arrays
    {"cyclegan": cyclegan.load_checkpoint, "adain": adain.load_decoder, "stylegan": stylegan.load_stylegan}[kind](out)


#: One SGD step of a Dense layer through ReplicatedStep, on one device and on 2 logical CPUs.
REPLICATED = textwrap.dedent('''
    import json
    from helpers import distribute as dist
    dist.logical_cpus(2)
    import keras, numpy as np, tensorflow as tf
    x = np.random.default_rng(0).normal(size=(8, 3)).astype("float32")
    out = {}
    for name in ("default", "mirrored"):
        strategy = dist.pick_strategy(name)
        with strategy.scope():
            keras.utils.set_random_seed(0)
            model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
            opt = keras.optimizers.SGD(0.1)
        def replica(batch, step, model=model, opt=opt):
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(tf.square(model(batch) - 1.0))   # the batch mean, as the lessons
            opt.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables))
            return {"loss": loss}
        step = dist.ReplicatedStep(strategy, replica, [(opt, model.trainable_variables)])
        batch = next(iter(strategy.experimental_distribute_dataset(tf.data.Dataset.from_tensors(x))))
        loss = float(step(batch, 0)["loss"])
        out[name] = {"replicas": strategy.num_replicas_in_sync, "loss": loss,
                     "weights": [w.tolist() for w in model.get_weights()]}
    print("RESULT " + json.dumps(out))
''')


def test_replicated_step_on_two_devices_equals_one_device(tmp_path: Path) -> None:
    script = tmp_path / "replicated.py"
    script.write_text(REPLICATED, encoding="utf-8")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": "",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    env.pop("TF_CONFIG", None)
    done = subprocess.run([sys.executable, str(script)], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    got = json.loads(done.stdout.split("RESULT ", 1)[1])
    one, two = got["default"], got["mirrored"]
    assert (one["replicas"], two["replicas"]) == (1, 2)
    assert two["loss"] == pytest.approx(one["loss"], rel=1e-6)
    for a, b in zip(one["weights"], two["weights"]):   # gradients divided by 2, then summed: the same update
        np.testing.assert_allclose(b, a, rtol=0, atol=1e-6)
