"""Training at scale: the lessons' training steps on TensorFlow's distribution engine, fed from
any folder of images, checkpointed so that a killed run resumes where it stopped.

Lessons 02, 05 and 06 (``python -m helpers.train_dcgan | train_cyclegan | train_adain | train_stylegan
--data DIR --strategy … --checkpoint-every N``) and the appendix notebook A1. ``docs/scaling.md`` is the
user's guide.

The pieces, each usable alone:

* :func:`pick_strategy` — ``tf.distribute`` strategy by name (``auto`` looks at ``TF_CONFIG`` and
  the GPUs);
* :func:`scan_images` and :func:`image_folder_dataset` (from :mod:`helpers.image_folders`) — a
  recursive folder, checked with :func:`helpers.data.load_image`, as a sharded ``tf.data``
  pipeline whose batch ``k`` depends only on ``(seed, k)``;
* :class:`DistributedGAN` — lesson 02's step (:func:`helpers.gan.discriminator_loss` and
  :func:`helpers.gan.generator_loss`, one D then one G update) inside ``strategy.run``, each
  replica's loss scaled by the global batch; :class:`ReplicatedStep` does the same for any
  model's own step (StyleGAN's, AdaIN's);
* :class:`ResumableRun` — ``tf.train.CheckpointManager`` every N steps or minutes, a journal of
  every start, and the final export as the course's small ``.npz`` with its record;
* :func:`add_arguments` and :func:`train_resumable` — the training scripts' shared flags and loop.

    >>> sorted(STRATEGIES)
    ['auto', 'default', 'mirrored', 'multiworker']
    >>> global_index(step=2, i=1, batch=8, pipeline=1, pipelines=2)   # element 16 + 4 + 1
    21
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from . import checkpoints, gan
from .image_folders import FolderScan, distribute_images, global_index, image_folder_dataset, scan_images

__all__ = [
    "STRATEGIES", "logical_cpus", "pick_strategy", "is_chief", "FolderScan", "scan_images",
    "global_index", "image_folder_dataset", "distribute_images", "replica_loss", "synchronize_batch_norm",
    "DistributedGAN", "ReplicatedStep", "ResumableRun", "add_arguments", "scaling_requested",
    "train_resumable",
]

STRATEGIES = ("auto", "default", "mirrored", "multiworker")


# --------------------------------------------------------------------------------------
# Strategies
# --------------------------------------------------------------------------------------


def logical_cpus(n: int) -> None:
    """Split the CPU into ``n`` logical devices, so MirroredStrategy can be tried without GPUs.

    Must run before TensorFlow first uses a device (restart the kernel otherwise).
    """
    import tensorflow as tf

    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * n)
    except RuntimeError:
        have = len(tf.config.list_logical_devices("CPU"))
        if have != n:  # already initialised with another split: say so instead of TF's terse error
            raise RuntimeError(f"TensorFlow already runs with {have} CPU device(s); restart the "
                               f"process and call logical_cpus({n}) first") from None


def pick_strategy(name: str = "auto"):  # type: ignore[no-untyped-def]
    """A ``tf.distribute.Strategy``: ``default`` (one device), ``mirrored`` (every GPU of this
    machine, or its logical CPUs when it has no GPU), ``multiworker`` (``TF_CONFIG`` names the
    machines), or ``auto``: multiworker when ``TF_CONFIG`` is set, mirrored when more than one GPU
    is visible, else default.

    MultiWorkerMirroredStrategy must be created before any other TensorFlow op runs.
    """
    import tensorflow as tf

    if name not in STRATEGIES:
        raise ValueError(f"name must be one of {STRATEGIES}, got {name!r}")
    if name == "auto":
        gpus = tf.config.list_physical_devices("GPU")
        name = "multiworker" if os.environ.get("TF_CONFIG") else "mirrored" if len(gpus) > 1 else "default"
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "multiworker":
        if not os.environ.get("TF_CONFIG"):
            raise ValueError("name='multiworker' needs TF_CONFIG (see docs/scaling.md)")
        return tf.distribute.MultiWorkerMirroredStrategy()
    if tf.config.list_logical_devices("GPU"):
        return tf.distribute.MirroredStrategy()
    return tf.distribute.MirroredStrategy([d.name for d in tf.config.list_logical_devices("CPU")])


def is_chief(strategy: Any) -> bool:
    """True on the one worker that writes checkpoints, records and exports (task 0)."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.cluster_spec().as_dict():
        return True
    return resolver.task_type in ("chief", None) or (resolver.task_type == "worker" and resolver.task_id == 0
                                                      and "chief" not in resolver.cluster_spec().as_dict())


def _strategy_name(strategy: Any) -> str:
    name = type(strategy).__name__
    return "default" if name.startswith("_Default") else name


def _worker(strategy: Any) -> tuple[int, int]:
    """(this worker's index, number of workers)."""
    resolver = getattr(strategy, "cluster_resolver", None)
    spec = resolver.cluster_spec().as_dict() if resolver is not None else {}
    if not spec:
        return 0, 1
    return int(resolver.task_id or 0), sum(len(v) for k, v in spec.items() if k in ("chief", "worker"))


# --------------------------------------------------------------------------------------
# The lesson's step, per replica
# --------------------------------------------------------------------------------------


def replica_loss(mean_loss, batch, global_batch: int):  # type: ignore[no-untyped-def]
    """A replica's share of the global-batch mean, from the lessons' batch-mean loss.

    The lessons' losses average over the ``batch`` examples a replica sees. Inside
    ``strategy.run`` the optimizer *sums* gradients over replicas, so each replica must give
    ``(sum over its examples) / global_batch``: ``tf.nn.compute_average_loss`` of the mean
    repeated once per local example is exactly that (``batch · mean / global_batch``).
    """
    import tensorflow as tf

    return tf.nn.compute_average_loss(tf.fill([batch], mean_loss), global_batch_size=global_batch)


def synchronize_batch_norm(model):  # type: ignore[no-untyped-def]
    """A copy of a Keras functional model whose batch norms pool statistics over all replicas.

    With per-replica statistics a mirrored run normalises each half-batch separately and no
    longer computes what one device computes; synchronised, it does (one all-reduce per layer).
    """
    import keras

    def clone(layer):  # type: ignore[no-untyped-def]
        config = layer.get_config()
        if isinstance(layer, keras.layers.BatchNormalization):
            config["synchronized"] = True
        return layer.__class__.from_config(config)

    copy = keras.models.clone_model(model, clone_function=clone)
    copy.set_weights(model.get_weights())
    return copy


class DistributedGAN:
    """Lesson 02's GAN step on every replica of ``strategy``: one D update on real and fake
    samples (:func:`helpers.gan.discriminator_loss`), then one G update
    (:func:`helpers.gan.generator_loss`), as :class:`helpers.gan.GANTrainer` does.

    The networks come from the builders (called inside ``strategy.scope()``), so any generator
    and discriminator of the lessons fit. The latent vectors of global batch ``k`` are drawn from
    ``(seed, k)`` and each replica takes its slice, so 1 or 8 replicas see the same numbers.
    ``sync_batch_norm`` pools batch-norm statistics over replicas (see
    :func:`synchronize_batch_norm`). ``make_optimizer`` builds G's optimizer and, unless
    ``make_d_optimizer`` is given, D's too. :meth:`step` returns global-batch means.
    """

    def __init__(self, strategy: Any, build_generator: Callable[[], Any], build_discriminator: Callable[[], Any],
                 latent_dim: int, global_batch: int, *, real_label: float = 1.0, g_loss: str = "non_saturating",
                 seed: int = 0, sync_batch_norm: bool = True,
                 make_optimizer: Callable[[], Any] = gan.dcgan_optimizer,
                 make_d_optimizer: Callable[[], Any] | None = None):
        import tensorflow as tf

        if global_batch < 1 or global_batch % strategy.num_replicas_in_sync:
            raise ValueError(f"global_batch must be a positive multiple of the {strategy.num_replicas_in_sync} "
                             f"replicas, got {global_batch}")
        if g_loss not in gan.GENERATOR_LOSSES:
            raise ValueError(f"g_loss must be one of {gan.GENERATOR_LOSSES}, got {g_loss!r}")
        self.strategy, self.latent_dim, self.global_batch = strategy, int(latent_dim), int(global_batch)
        self.real_label, self.g_loss_kind, self.seed = float(real_label), g_loss, int(seed)
        with strategy.scope():
            self.generator, self.discriminator = build_generator(), build_discriminator()
            if sync_batch_norm:
                self.generator = synchronize_batch_norm(self.generator)
                self.discriminator = synchronize_batch_norm(self.discriminator)
            # D's own optimizer if given (two learning rates, TTUR), else one more of G's kind
            self.g_optimizer, self.d_optimizer = make_optimizer(), (make_d_optimizer or make_optimizer)()
            self.g_optimizer.build(self.generator.trainable_variables)
            self.d_optimizer.build(self.discriminator.trainable_variables)
        self._step = tf.function(self._distributed_step)

    @property
    def objects(self) -> dict[str, Any]:
        """What a checkpoint must hold to resume: both networks and both optimizers."""
        return {"generator": self.generator, "discriminator": self.discriminator,
                "g_optimizer": self.g_optimizer, "d_optimizer": self.d_optimizer}

    def _latents(self, step, stream: int, batch):  # type: ignore[no-untyped-def]
        import tensorflow as tf

        key = tf.stack([tf.constant(self.seed, tf.int64), 2 * tf.cast(step, tf.int64) + stream])
        z = tf.random.stateless_normal([self.global_batch, self.latent_dim], seed=key)
        first = tf.distribute.get_replica_context().replica_id_in_sync_group * batch
        return z[first:first + batch]

    def _replica_step(self, real, step):  # type: ignore[no-untyped-def]
        import tensorflow as tf

        b, G, D = tf.shape(real)[0], self.generator, self.discriminator
        with tf.GradientTape() as d_tape:
            fake = G(self._latents(step, 0, b), training=True)
            real_logits, fake_logits = D(real, training=True), D(fake, training=True)
            d_loss = gan.discriminator_loss(real_logits, fake_logits, self.real_label)
            d_scaled = replica_loss(d_loss, b, self.global_batch)
        self.d_optimizer.apply_gradients(zip(d_tape.gradient(d_scaled, D.trainable_variables),
                                             D.trainable_variables))
        with tf.GradientTape() as g_tape:
            g_logits = D(G(self._latents(step, 1, b), training=True), training=True)
            g_scaled = replica_loss(gan.generator_loss(g_logits, self.g_loss_kind), b, self.global_batch)
        self.g_optimizer.apply_gradients(zip(g_tape.gradient(g_scaled, G.trainable_variables),
                                             G.trainable_variables))
        return {"d_loss": d_scaled, "g_loss": g_scaled,
                "d_real": replica_loss(tf.reduce_mean(tf.sigmoid(real_logits)), b, self.global_batch),
                "d_fake": replica_loss(tf.reduce_mean(tf.sigmoid(fake_logits)), b, self.global_batch)}

    def _distributed_step(self, batch, step):  # type: ignore[no-untyped-def]
        import tensorflow as tf

        logs = self.strategy.run(self._replica_step, args=(batch, step))
        return {k: self.strategy.reduce(tf.distribute.ReduceOp.SUM, v, axis=None) for k, v in logs.items()}

    def step(self, batch: Any, step: int) -> dict[str, Any]:
        """Train on one distributed global ``batch`` (images in [-1, 1]); ``step`` seeds the latents."""
        import tensorflow as tf

        return self._step(batch, tf.constant(step, tf.int64))


class ReplicatedStep:
    """Any model's own training step on every replica of ``strategy``.

    ``replica_step(batch, step)`` is the step the lessons compile (it computes batch-mean losses
    and applies its optimizers); it runs inside ``strategy.run``. Each optimizer divides its
    gradients by the number of replicas (Keras's ``loss_scale_factor``) before they are summed
    over replicas, which is the loss scaled by the global batch (:func:`replica_loss`); the
    returned losses are averaged over replicas. ``optimizers`` pairs each optimizer with its
    variables; they are built here, inside ``strategy.scope()``. Build the model in that scope too.
    """

    def __init__(self, strategy: Any, replica_step: Callable[[Any, Any], Mapping[str, Any]],
                 optimizers: Sequence[tuple[Any, Sequence[Any]]]):
        import tensorflow as tf

        self.strategy, replicas = strategy, strategy.num_replicas_in_sync
        with strategy.scope():
            for optimizer, variables in optimizers:
                optimizer.loss_scale_factor = float(replicas) if replicas > 1 else None
                optimizer.build(list(variables))

        def distributed(batch, step):  # type: ignore[no-untyped-def]
            logs = strategy.run(replica_step, args=(batch, step))
            return {k: strategy.reduce(tf.distribute.ReduceOp.MEAN, v, axis=None) for k, v in logs.items()}

        self._step = tf.function(distributed)

    def __call__(self, batch: Any, step: int) -> dict[str, Any]:
        """Train on one distributed global ``batch``; ``step`` (the global step) may seed randomness."""
        import tensorflow as tf

        return self._step(batch, tf.constant(step, tf.int64))


# --------------------------------------------------------------------------------------
# Checkpoints, resumption, export
# --------------------------------------------------------------------------------------


def _write_json(path: Path, obj: Any) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(obj, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)  # atomic: a kill leaves the old journal or the new one, never half


class ResumableRun:
    """A training run that checkpoints into ``directory`` and, started again with the same
    command, continues from the last checkpoint.

    ``objects`` (networks, optimizers …) go into a ``tf.train.Checkpoint`` with the step counter;
    ``tf.train.CheckpointManager`` saves every ``every_steps`` steps and/or ``every_minutes``
    minutes, and at the end. ``journal.json`` in ``directory`` lists every start (``sessions``):
    when, from which step, up to which saved step. Only the chief writes; other workers save into
    a scratch folder that is deleted, as MultiWorkerMirroredStrategy needs every worker to save.
    """

    def __init__(self, directory: str | Path, strategy: Any, objects: Mapping[str, Any], *,
                 every_steps: int | None = 100, every_minutes: float | None = None, keep: int = 2):
        import tensorflow as tf

        if every_steps is not None and every_steps < 1:
            raise ValueError(f"every_steps must be at least 1, got {every_steps}")
        if every_minutes is not None and every_minutes <= 0:
            raise ValueError(f"every_minutes must be positive, got {every_minutes}")
        self.directory, self.strategy = Path(directory), strategy
        self.every_steps, self.every_minutes = every_steps, every_minutes
        self.chief = is_chief(strategy)
        self.workers = _worker(strategy)[1]
        self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")
        self.checkpoint = tf.train.Checkpoint(step=self.step, **objects)
        self._scratch = None if self.chief else self.directory / f".worker-{_worker(strategy)[0]}"
        self.manager = tf.train.CheckpointManager(self.checkpoint, self._scratch or self.directory,
                                                  max_to_keep=keep)
        latest = tf.train.latest_checkpoint(str(self.directory))
        if latest:
            self.checkpoint.restore(latest).assert_existing_objects_matched()
        self.start_step = int(self.step.numpy())
        self._journal = self.directory / "journal.json"
        old = json.loads(self._journal.read_text(encoding="utf-8")) if self._journal.is_file() else {}
        self.sessions: list[dict] = old.get("sessions", [])
        if self.sessions and self.sessions[-1]["to_step"] < self.start_step:
            self.sessions[-1]["to_step"] = self.start_step  # killed between checkpoint and journal
        self._t0 = time.time()
        self.sessions.append({"started": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
                              "from_step": self.start_step, "to_step": self.start_step, "seconds": 0.0,
                              "pid": os.getpid(), "replicas": strategy.num_replicas_in_sync,
                              "strategy": _strategy_name(strategy)})
        self._save_journal()

    @property
    def resumptions(self) -> list[dict]:
        """Every start after the first (each a dict of the journal)."""
        return self.sessions[1:]

    def _save_journal(self) -> None:
        if self.chief:
            self.directory.mkdir(parents=True, exist_ok=True)
            _write_json(self._journal, {"sessions": self.sessions})

    def save(self) -> None:
        """Checkpoint now (every worker must call it) and note it in the journal."""
        import shutil

        step = int(self.step.numpy())
        self.manager.save(checkpoint_number=step)
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
        self.sessions[-1].update(to_step=step, seconds=round(time.time() - self._t0, 2))
        self._save_journal()

    def _agree(self, *flags: bool) -> tuple[bool, ...]:
        """The same time-based decisions on every worker (else one saves and the others hang)."""
        if self.workers == 1:
            return flags
        import tensorflow as tf

        mine = self.strategy.run(lambda: tf.constant([int(f) for f in flags], tf.int32))
        both = self.strategy.reduce(tf.distribute.ReduceOp.MAX, mine, axis=None).numpy()
        return tuple(bool(f) for f in both)

    def train(self, step_fn: Callable[[Any, int], Mapping[str, Any]], batches: Iterator[Any], steps: int, *,
              max_seconds: float | None = None, log_every: int = 100,
              on_log: Callable[[int, dict[str, float]], None] | None = None) -> int:
        """Run ``step_fn(batch, step)`` until ``steps`` steps are done (counting earlier sessions) or
        ``max_seconds`` pass; checkpoint as asked and at the end. Returns the steps done in total.

        ``batches`` must start at :attr:`start_step` (e.g. ``image_folder_dataset(start_step=…)``).
        """
        if steps < 1 or log_every < 1:
            raise ValueError(f"steps and log_every must be at least 1, got {steps}, {log_every}")
        t_start = last_save = time.time()
        done = self.start_step
        while done < steps:
            logs = step_fn(next(batches), done)
            self.step.assign_add(1)
            done += 1
            now = time.time()
            if on_log is not None and (done % log_every == 0 or done == steps):
                on_log(done, {k: float(v) for k, v in logs.items()})
            timed = self.every_minutes is not None and now - last_save >= 60 * self.every_minutes
            stop = max_seconds is not None and now - t_start >= max_seconds
            if self.every_minutes is not None or max_seconds is not None:
                timed, stop = self._agree(timed, stop)
            if stop or timed or done == steps or (self.every_steps and done % self.every_steps == 0):
                self.save()
                last_save = time.time()
            if stop:
                break
        return done

    def export(self, out: str | Path, parts: Mapping[str, Any], save_config: Mapping[str, Any], *,
               seed: int | None, **fields: Any) -> Path | None:
        """The course's small ``.npz`` (:func:`helpers.checkpoints.save` of ``parts`` with
        ``save_config``) and its record (:func:`helpers.checkpoints.write_record`, with
        ``sessions`` and ``resumptions``); chief only (returns None elsewhere)."""
        if not self.chief:
            return None
        out = checkpoints.save(out, parts, save_config)
        minutes = sum(s["seconds"] for s in self.sessions) / 60
        fields.setdefault("config", {k: v for k, v in save_config.items() if k != "kind"})
        checkpoints.write_record(out, save_config["kind"], seed=seed, steps=int(self.step.numpy()),
                                 wall_minutes=minutes, checkpoint_dir=str(self.directory),
                                 sessions=self.sessions, resumptions=len(self.resumptions), **fields)
        return out


# --------------------------------------------------------------------------------------
# The training scripts' shared flags and loop
# --------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser, data_help: str) -> None:
    """The flags every ``train_*`` script takes to train at scale: ``--data``, ``--strategy``,
    ``--checkpoint-every``, ``--checkpoint-minutes``, ``--checkpoint-dir``."""
    parser.add_argument("--data", type=Path, default=None, help=data_help + " (recursively; unreadable "
                        "files are skipped and reported)")
    parser.add_argument("--strategy", choices=STRATEGIES, default=None,
                        help="tf.distribute strategy (auto: multiworker if TF_CONFIG is set, mirrored if "
                             "more than one GPU, else default); the batch is the global batch")
    parser.add_argument("--checkpoint-every", type=int, default=None, metavar="STEPS",
                        help="checkpoint every STEPS steps (resumable runs; default 500)")
    parser.add_argument("--checkpoint-minutes", type=float, default=None, metavar="MIN",
                        help="checkpoint every MIN minutes (resumable runs)")
    parser.add_argument("--checkpoint-dir", type=Path, default=None,
                        help="checkpoints of a resumable run (default: beside --out, <name>_ckpt/); the same "
                             "command started again resumes from the last one")


def scaling_requested(parser: argparse.ArgumentParser, args: argparse.Namespace, shipped: Path) -> bool:
    """Whether :func:`add_arguments`' flags ask for a run through this module; their errors via
    ``parser.error`` (a missing ``--data`` folder is named). ``args.out`` must not be ``shipped``
    when ``--data`` is given."""
    if args.data is not None and not args.data.is_dir():
        parser.error(f"--data {args.data}: no such folder of images")
    if args.data is not None and Path(args.out) == Path(shipped):
        parser.error("--data needs an --out of its own (the default is the shipped checkpoint)")
    if (args.checkpoint_every is not None and args.checkpoint_every < 1) or (
            args.checkpoint_minutes is not None and args.checkpoint_minutes <= 0):
        parser.error("--checkpoint-every and --checkpoint-minutes must be positive")
    return any(v is not None for v in (args.data, args.strategy, args.checkpoint_every,
                                       args.checkpoint_minutes, args.checkpoint_dir))


def train_resumable(args: argparse.Namespace, strategy: Any, objects: Mapping[str, Any],
                    step: Callable[[Any, int], Mapping[str, Any]], batches_from: Callable[[int], Iterator[Any]],
                    parts: Mapping[str, Any], save_config: Mapping[str, Any], *, steps: int,
                    max_minutes: float | None, log_every: int = 250, **record: Any) -> int:
    """A script's resumable run: :class:`ResumableRun` over ``objects`` in ``args.checkpoint_dir``
    (default ``<out>_ckpt/`` beside ``args.out``), ``batches_from(start_step)``, ``steps`` steps of
    ``step`` (or ``max_minutes``), then the ``.npz`` export of ``parts`` with its record."""
    out_path = Path(args.out)
    ckpt_dir = args.checkpoint_dir or out_path.with_name(out_path.stem + "_ckpt")
    every = args.checkpoint_every or (None if args.checkpoint_minutes else 500)
    run = ResumableRun(ckpt_dir, strategy, objects, every_steps=every, every_minutes=args.checkpoint_minutes)
    if run.start_step:
        print(f"resuming from step {run.start_step} (checkpoints in {ckpt_dir})", flush=True)
    batches, start = batches_from(run.start_step), time.perf_counter()

    def log(done: int, logs: dict[str, float]) -> None:
        print(f"step {done}: " + " ".join(f"{k} {v:.3f}" for k, v in logs.items())
              + f"  {time.perf_counter() - start:.0f} s", flush=True)

    done = run.train(step, batches, steps, log_every=log_every, on_log=log,
                     max_seconds=None if max_minutes is None else 60 * max_minutes)
    out = run.export(out_path, parts, save_config, seed=args.seed, steps_requested=steps,
                     replicas=strategy.num_replicas_in_sync, **record)
    if out is not None:
        print(f"saved {out} and {checkpoints.record_path(out).name}: {done} steps, "
              f"{len(run.resumptions)} resumption(s)", flush=True)
    return 0
