"""The one home of the course's shipped networks: where they are, how they are saved and
loaded, and the training record that travels with each.

Lessons 02, 05 and 06 (DCGAN, CycleGAN, AdaIN decoder, StyleGAN). No other module, script or
notebook spells a path into ``data/checkpoints/``: ask :func:`shipped_path`.

**The format.** A checkpoint is a ``.npz`` holding float16 arrays named ``"<part>/<index>"``
(a *part* is one network, e.g. ``"generator"`` or ``"G"`` and ``"F"``, its weights in
``model.weights`` order) and one entry ``"config"``: the JSON that rebuilds the networks
(``{"kind": …, …}``). Beside it, ``<name>.json`` is the training record: ``kind``,
``command``, ``seed``, ``steps``, ``wall_minutes``, ``load_average``, ``finished``,
``machine``, and, for a run started from another checkpoint, ``continued_from`` (the earlier
record, whole). Errors name the file and the command that re-creates it.

    >>> from helpers import checkpoints
    >>> checkpoints.shipped_path("cyclegan").name
    'cyclegan_ukiyoe.npz'
    >>> sorted(checkpoints.SHIPPED)
    ['adain', 'cyclegan', 'dcgan', 'stylegan']
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import sys
import time
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .data import DATA_DIR

__all__ = [
    "CHECKPOINT_DIR", "SHIPPED", "KEPT", "CheckpointError", "shipped_path", "kept_path", "record_path",
    "train_command", "save", "read", "assign", "load_into", "fingerprint",
    "write_record", "read_record", "training_runs", "display_command",
]

CHECKPOINT_DIR: Path = DATA_DIR / "checkpoints"

#: kind → the shipped file's name in ``data/checkpoints/``.
SHIPPED: dict[str, str] = {
    "dcgan": "dcgan_islamic32.npz",
    "cyclegan": "cyclegan_ukiyoe.npz",
    "adain": "adain_decoder_fp16.npz",
    "stylegan": "stylegan_motifs_fp16.npz",
}


#: Earlier checkpoints kept beside the shipped ones for a lesson's comparison (lesson 05: the
#: CycleGAN with transposed convolutions that the bilinear one replaced).
KEPT: dict[str, str] = {"cyclegan_transpose": "cyclegan_ukiyoe_transpose.npz"}


class CheckpointError(ValueError):
    """A weight file that is missing, corrupt or made for another network; names the file."""


def shipped_path(kind: str) -> Path:
    """The shipped checkpoint of ``kind`` (one of :data:`SHIPPED`)."""
    if kind not in SHIPPED:
        raise ValueError(f"kind must be one of {sorted(SHIPPED)}, got {kind!r}")
    return CHECKPOINT_DIR / SHIPPED[kind]


def kept_path(name: str) -> Path:
    """An earlier checkpoint kept for comparison (one of :data:`KEPT`)."""
    if name not in KEPT:
        raise ValueError(f"name must be one of {sorted(KEPT)}, got {name!r}")
    return CHECKPOINT_DIR / KEPT[name]


def record_path(path: str | Path) -> Path:
    """The JSON training record beside a checkpoint (``x.npz`` → ``x.json``)."""
    return Path(path).with_suffix(".json")


def train_command(kind: str | None) -> str:
    """The command that trains a checkpoint of ``kind`` (for error messages)."""
    return f"python -m helpers.train_{kind}" if kind in SHIPPED else "its training script"


def _fail(path: Path, kind: str | None, problem: str) -> CheckpointError:
    return CheckpointError(f"{path}: {problem} (re-create it with `{train_command(kind)}`)")


# --------------------------------------------------------------------------------------
# Weights
# --------------------------------------------------------------------------------------


def _variables(source: Any) -> list:
    """A network's weights in a fixed order: a Keras model/layer, a variable, or a list of them."""
    if isinstance(source, (list, tuple)):
        out: list = []
        for s in source:
            out += _variables(s)
        return out
    if hasattr(source, "weights") and not hasattr(source, "assign"):
        return list(source.weights)
    return [source]  # a bare variable (tf.Variable / keras.Variable)


def _as_array(w: Any) -> np.ndarray:
    return np.asarray(w.numpy() if hasattr(w, "numpy") else w)


def save(path: str | Path, parts: Mapping[str, Any], config: Mapping[str, Any]) -> Path:
    """Write the weights of each named part (float16) and ``config`` to ``path`` (.npz).

    ``parts`` maps a part name to a Keras model, a variable or a list of them;
    ``config`` must hold ``"kind"`` and whatever rebuilds the networks.
    """
    if "kind" not in config:
        raise ValueError("config must say which kind of checkpoint this is ('kind')")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, np.ndarray] = {}
    for name, source in parts.items():
        if "/" in name:
            raise ValueError(f"part names may not contain '/', got {name!r}")
        for i, w in enumerate(_variables(source)):
            arrays[f"{name}/{i:03d}"] = _as_array(w).astype(np.float16)
    arrays["config"] = np.frombuffer(json.dumps(dict(config), sort_keys=True).encode(), np.uint8)
    np.savez_compressed(path, **arrays)
    return path


def read(path: str | Path, kind: str | None = None) -> tuple[dict[str, list[np.ndarray]], dict]:
    """The arrays (float32, per part, in order) and the config of a checkpoint.

    ``kind``, when given, must match the file's; it also names the re-creating command in
    errors.
    """
    path = Path(path)
    if not path.is_file():
        raise _fail(path, kind, "checkpoint not found")
    try:
        with np.load(path, allow_pickle=False) as npz:
            files = {k: npz[k] for k in npz.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError, KeyError) as exc:
        raise _fail(path, kind, f"not a readable checkpoint ({type(exc).__name__}: {exc})") from None
    if "config" not in files:
        raise _fail(path, kind, "no 'config' entry: not a checkpoint in the course's format")
    try:
        config = json.loads(files.pop("config").tobytes().decode())
    except (ValueError, UnicodeDecodeError) as exc:
        raise _fail(path, kind, f"its 'config' entry is not valid JSON ({exc})") from None
    if kind is not None and config.get("kind") != kind:
        raise _fail(path, kind, f"holds a {config.get('kind')!r} checkpoint, not {kind!r}")
    parts: dict[str, list[np.ndarray]] = {}
    for key in sorted(files):
        name, _, _index = key.partition("/")
        parts.setdefault(name, []).append(files[key].astype(np.float32))
    if not parts:
        raise _fail(path, kind, "holds no weight arrays")
    return parts, config


def assign(parts: Mapping[str, Any], arrays: Mapping[str, list[np.ndarray]], path: str | Path,
           kind: str | None = None) -> None:
    """Copy ``arrays`` (from :func:`read`) into the networks of ``parts``, checking every shape."""
    path = Path(path)
    if set(parts) != set(arrays):
        raise _fail(path, kind, f"holds parts {sorted(arrays)} but the network has {sorted(parts)}")
    pairs = []
    for name, source in parts.items():
        variables, values = _variables(source), arrays[name]
        if len(variables) != len(values):
            raise _fail(path, kind, f"part {name!r} has {len(values)} arrays but the network has "
                                    f"{len(variables)} weights (made for another architecture?)")
        for i, (v, a) in enumerate(zip(variables, values)):
            if tuple(v.shape) != a.shape:
                raise _fail(path, kind, f"weight {name}/{i:03d} has shape {a.shape} but the "
                                        f"network expects {tuple(v.shape)}")
            pairs.append((v, a))
    for v, a in pairs:
        v.assign(a)


def load_into(path: str | Path, parts: Mapping[str, Any], kind: str | None = None) -> dict:
    """:func:`read` then :func:`assign`; returns the config."""
    arrays, config = read(path, kind)
    assign(parts, arrays, path, kind)
    return config


def fingerprint(path: str | Path) -> str:
    """SHA-256 (16 hex digits) of a checkpoint's weight arrays, in order, as float16 bytes."""
    arrays, _ = read(path)
    h = hashlib.sha256()
    for name in sorted(arrays):
        for a in arrays[name]:
            h.update(a.astype(np.float16).tobytes())
    return h.hexdigest()[:16]


# --------------------------------------------------------------------------------------
# Training records
# --------------------------------------------------------------------------------------


def _command() -> str:
    script = Path(sys.argv[0])
    module = f"helpers.{script.stem}" if script.parent.name == "helpers" else str(script)
    return " ".join(["python", "-m", module] + sys.argv[1:])


def write_record(path: str | Path, kind: str, *, seed: int | None, steps: int, wall_minutes: float,
                 **fields: Any) -> Path:
    """Write the training record beside checkpoint ``path``; returns the record's path.

    ``command``, ``finished``, ``machine`` and ``load_average`` are filled in; ``fields``
    add anything else (``config``, ``stages``, ``continued_from``, ``note`` …).
    """
    load = list(np.round(os.getloadavg(), 2)) if hasattr(os, "getloadavg") else None
    record = {"kind": kind, "command": fields.pop("command", _command()), "seed": seed,
              "steps": int(steps), "wall_minutes": round(float(wall_minutes), 2),
              "load_average": fields.pop("load_average", load),
              "finished": fields.pop("finished", time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())),
              "machine": fields.pop("machine",
                                    f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores"),
              **fields}
    out = record_path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=2, default=float) + "\n", encoding="utf-8")
    return out


def read_record(path: str | Path) -> dict:
    """The training record beside checkpoint ``path`` (or the ``.json`` itself)."""
    rec = record_path(path)
    if not rec.is_file():
        raise CheckpointError(f"{rec}: no training record beside the checkpoint")
    try:
        return json.loads(rec.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise CheckpointError(f"{rec}: not valid JSON ({exc})") from None


def training_runs(record: Mapping[str, Any]) -> list[dict]:
    """The runs behind a checkpoint, oldest first: ``{command, steps, minutes, seed, load_average, stages}``.

    A run started from another checkpoint keeps that one's record under ``continued_from``;
    this unrolls the chain.

    >>> [r["steps"] for r in training_runs({"command": "b", "steps": 5, "wall_minutes": 1.0, "seed": 1,
    ...                                     "continued_from": {"command": "a", "steps": 3,
    ...                                                        "wall_minutes": 2.0, "seed": 0}})]
    [3, 5]
    """
    runs = []
    r: Mapping[str, Any] | None = record
    while r:
        steps = r.get("steps") or sum(s["steps"] for s in r.get("stages", {}).values())
        runs.append({"command": r.get("command", "?"), "steps": int(steps),
                     "minutes": float(r.get("wall_minutes", 0.0)), "seed": r.get("seed"),
                     "load_average": r.get("load_average"), "stages": r.get("stages", {})})
        r = r.get("continued_from")
    return runs[::-1]


def display_command(command: str) -> str:
    """A record's command as a learner should read it: no machine-specific paths.

    ``--out PATH`` is dropped (the default writes the shipped file) and ``--init PATH``
    names what it was: the checkpoint of the run before.

    >>> print(display_command("python -m helpers.train_adain --init /tmp/a/s1.npz --minutes 30 --out /tmp/a/d.npz"))
    python -m helpers.train_adain --init <the previous run's checkpoint> --minutes 30
    """
    words, out, skip = command.split(), [], False
    for i, word in enumerate(words):
        if skip:
            skip = False
            continue
        if word == "--out":
            skip = True
            continue
        if i > 0 and words[i - 1] == "--init":
            word = "<the previous run's checkpoint>"
        out.append(word)
    return " ".join(out)
