"""helpers.checkpoints: the one home of the shipped networks, their format and records."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from helpers import checkpoints as ck

# Outputs of the four shipped networks on fixed inputs. For the AdaIN decoder they were computed
# with the loaders that read the files *before* they were converted to the one format (session 3):
# the conversion must not have changed a single weight. The DCGAN, CycleGAN and StyleGAN were
# retrained in session 6 (issue #16); their values and fingerprints are the new files', and a
# retrained file must change both together.
OLD_LOADER_OUTPUTS = {
    "dcgan": [5261.28857421875, 0.3096540570259094],
    "cyclegan": [3957.55224609375, 3340.996337890625],
    "adain": [5870.34765625, 0.4143989384174347],
    "stylegan": [5548.8525390625, 0.5582781434059143],
}
EARLIER_CYCLEGAN = ck.kept_path("cyclegan_transpose")
FINGERPRINTS = {"dcgan": "631cd1ab79027bbd", "cyclegan": "f171c54c97fb46b2",
                "adain": "83ddbcedf2b9c598", "stylegan": "7ddb92a3806ab3ed"}


def _outputs(kind: str) -> list[float]:
    z = np.random.default_rng(0).standard_normal((4, 64)).astype(np.float32)
    if kind == "dcgan":
        from helpers import gan

        y = np.asarray(gan.load_generator()(z, training=False))
        return [float(np.abs(y).sum()), float(y.ravel()[123])]
    if kind in ("cyclegan", "cyclegan_transpose"):
        from helpers import cyclegan

        G, F = cyclegan.load_checkpoint(EARLIER_CYCLEGAN if kind == "cyclegan_transpose" else None)[:2]
        x = np.random.default_rng(1).uniform(-1, 1, (1, 64, 64, 3)).astype(np.float32)
        return [float(np.abs(np.asarray(G(x, training=False))).sum()),
                float(np.abs(np.asarray(F(x, training=False))).sum())]
    if kind == "adain":
        from helpers import adain

        f = np.random.default_rng(2).uniform(0, 1, (1, 8, 8, 512)).astype(np.float32)
        y = np.asarray(adain.load_decoder()(f))
        return [float(np.abs(y).sum()), float(y.ravel()[77])]
    from helpers import stylegan

    y = np.asarray(stylegan.load_stylegan().generate(z, noise="zero"))
    return [float(np.abs(y).sum()), float(y.ravel()[55])]


@pytest.mark.parametrize("kind", sorted(ck.SHIPPED))
def test_shipped_checkpoint_gives_the_old_loaders_outputs(kind: str) -> None:
    assert ck.fingerprint(ck.shipped_path(kind)) == FINGERPRINTS[kind]
    np.testing.assert_allclose(_outputs(kind), OLD_LOADER_OUTPUTS[kind], rtol=1e-5)


def test_the_earlier_cyclegan_is_kept_unchanged_for_lesson_05() -> None:
    """cyclegan_ukiyoe_transpose.npz is the CycleGAN shipped before session 6, byte for byte:
    the old loaders' outputs and fingerprint, transposed up-sampling, its record saying so."""
    from helpers import cyclegan

    assert ck.fingerprint(EARLIER_CYCLEGAN) == "b685a5594f3d2593"
    np.testing.assert_allclose(_outputs("cyclegan_transpose"), [4423.447265625, 3574.40625], rtol=1e-5)
    assert cyclegan.load_checkpoint(EARLIER_CYCLEGAN)[2].upsample == "transpose"
    assert cyclegan.load_checkpoint()[2].upsample == "bilinear"
    assert "--upsample transpose" in ck.read_record(EARLIER_CYCLEGAN)["reproduce"]


@pytest.mark.parametrize("kind", sorted(ck.SHIPPED))
def test_every_shipped_checkpoint_has_a_record_in_the_one_format(kind: str) -> None:
    rec = ck.read_record(ck.shipped_path(kind))
    assert rec["kind"] == kind
    for field in ("command", "seed", "wall_minutes", "finished", "machine"):
        assert field in rec, f"{kind} record lacks {field}"
    runs = ck.training_runs(rec)
    assert runs and all(r["steps"] > 0 for r in runs)
    assert ck.read(ck.shipped_path(kind), kind)[1]["kind"] == kind


def test_save_read_assign_round_trip(tmp_path: Path) -> None:
    import keras

    net = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    path = ck.save(tmp_path / "n.npz", {"net": net}, {"kind": "test", "build": {"units": 2}})
    other = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    config = ck.load_into(path, {"net": other})
    assert config == {"kind": "test", "build": {"units": 2}}
    for a, b in zip(net.get_weights(), other.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-3)  # float16 on disk


def test_records_write_read_and_unroll(tmp_path: Path) -> None:
    first = ck.write_record(tmp_path / "a.npz", "dcgan", seed=0, steps=3, wall_minutes=1.0)
    earlier = json.loads(first.read_text())
    ck.write_record(tmp_path / "b.npz", "dcgan", seed=1, steps=5, wall_minutes=2.0,
                    continued_from=earlier)
    runs = ck.training_runs(ck.read_record(tmp_path / "b.npz"))
    assert [r["steps"] for r in runs] == [3, 5] and [r["seed"] for r in runs] == [0, 1]


def test_one_error_names_the_file_and_the_command(tmp_path: Path) -> None:
    import keras

    with pytest.raises(ck.CheckpointError, match=r"missing\.npz.*python -m helpers\.train_dcgan"):
        ck.read(tmp_path / "missing.npz", "dcgan")
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(ck.CheckpointError, match=r"bad\.npz: not a readable checkpoint"):
        ck.read(bad, "cyclegan")
    with pytest.raises(ck.CheckpointError, match="holds a 'dcgan' checkpoint, not 'adain'"):
        ck.read(ck.shipped_path("dcgan"), "adain")
    net = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    path = ck.save(tmp_path / "n.npz", {"net": net}, {"kind": "dcgan"})
    wrong = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    with pytest.raises(ck.CheckpointError, match=r"n\.npz: weight net/000 has shape \(3, 2\)"):
        ck.load_into(path, {"net": wrong}, "dcgan")
    assert issubclass(ck.CheckpointError, ValueError)
    with pytest.raises(ValueError, match="kind must be one of"):
        ck.shipped_path("vae")


def test_no_module_or_notebook_spells_the_checkpoint_folder() -> None:
    root = Path(__file__).resolve().parent.parent
    names = list(ck.SHIPPED.values()) + list(ck.KEPT.values())
    pattern = re.compile(r"""["']checkpoints["']|data/checkpoints|""" + "|".join(n[:-4] for n in names))
    offenders = []
    for path in sorted((root / "helpers").glob("*.py")) + sorted((root / "bench").glob("*.py")):
        if path.name != "checkpoints.py" and pattern.search(path.read_text(encoding="utf-8")):
            offenders.append(path.name)
    for path in sorted((root / "notebooks").rglob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
        if pattern.search(code):
            offenders.append(path.name)
    assert not offenders, f"paths into data/checkpoints/ spelled outside helpers.checkpoints: {offenders}"
