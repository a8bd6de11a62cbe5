"""Run folders: the one place that knows what a training run leaves behind, and how to read it back.

    run = RunDir("runs/lenet5-digits")
    run.status()                                # "new", "running" or "finished"
    model = load_run(run.path).model("best")    # the saved inference model: raw pixels in, probabilities out
    twin = tasks.build_model(run.read_meta(), tf_keras)  # the same graph in Keras 2 (cnnapp.tasks)
    ref = from_any("runs/x/checkpoints/last.keras")  # a run folder, a run's checkpoint, or a bare model file

A run folder (docs/architecture.md, "Runs") holds recipe.toml, run.json, checkpoints/{best,last}.keras,
log.csv, tensorboard/, report.json, the resume state resume.npz and the lock file .lock. Every other module
asks `RunDir` for these paths; none spells them out.

The folder's life: new (nothing, or only a lock) → running (recipe.toml and run.json with status "running",
written once the model is built and the data loaded) → finished (report.json, then run.json's status
"finished"). Extending a finished run (more epochs) takes it back to running. While a process trains into a
folder it holds the folder's lock (`RunDir.lock`): an OS file lock (`fcntl.flock`) that the kernel drops when
the process exits in any way, so a killed run leaves no stale lock.
"""

from __future__ import annotations

import dataclasses
import datetime
import errno
import fcntl
import json
import os
import re
import socket
import typing
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cnnapp import atomic
from cnnapp.errors import CnnappError

CHECKPOINTS = ("best", "last")
TOP_CHECKPOINT = re.compile(r"top-\d{4}")  # train.keep_top_k's checkpoints/top-EPOCH.keras


def is_checkpoint_name(which: str) -> bool:
    return which in CHECKPOINTS or TOP_CHECKPOINT.fullmatch(which) is not None


STATUSES = ("new", "running", "finished")
META_VERSION = 1  # run.json's schema; files written before the field existed read as version 0
RUNS_DIR = Path("runs")  # where a recipe's run goes by default: runs/RECIPE, in the working folder


@dataclasses.dataclass(frozen=True)
class RunMeta:
    """run.json: what rebuilds and labels a run's model, and the run's status.

    Attributes:
        recipe: the recipe's name.
        architecture: the registry name of the model.
        model_options: the builder options.
        input_shape: (height, width, channels) of the model's input.
        num_classes: outputs of the model.
        class_names: one name per output.
        dataset: the dataset's name.
        normalization: {"mean": [...], "std": [...], "source": ...} of the model's `normalization` layer.
        splits: where the validation and test examples came from.
        sizes: examples in train, validation and test.
        class_counts: examples per class (a list by label) in train, validation and test; a split's counts are
            None where counting would read a tfds split too large for it (see cnnapp.data.subsets).
        status: "running" or "finished".
        version: the schema version (META_VERSION).
        extra: keys this version does not know (written by a newer cnnapp), kept so they round-trip.
    """

    recipe: str
    architecture: str
    model_options: Mapping[str, Any]
    input_shape: tuple[int, ...]
    num_classes: int
    class_names: tuple[str, ...]
    dataset: str
    normalization: Mapping[str, Any]
    splits: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    sizes: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    class_counts: Mapping[str, Any] | None = None
    status: str = "running"
    version: int = META_VERSION
    extra: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    REQUIRED: typing.ClassVar[tuple[str, ...]] = (
        "recipe",
        "architecture",
        "model_options",
        "input_shape",
        "num_classes",
        "class_names",
        "dataset",
        "normalization",
    )

    @classmethod
    def from_dict(cls, value: Mapping[str, Any], where: str = "run.json") -> RunMeta:
        """Check and type a parsed run.json (or the same keys); a CnnappError naming `where` if wrong."""
        if not isinstance(value, Mapping):
            raise CnnappError(f"{where} is not a JSON object; it was not written by cnnapp.train")
        missing = [key for key in cls.REQUIRED if key not in value]
        if missing:
            raise CnnappError(f"{where} lacks {', '.join(missing)}; was it written by cnnapp.train?")
        value = {"version": 0, **value}  # written before run.json had a version
        known = {f.name for f in dataclasses.fields(cls)} - {"extra"}
        try:
            meta = cls(
                **{k: v for k, v in value.items() if k in known},
                extra={k: v for k, v in value.items() if k not in known},
            )
            meta._check()
        except (TypeError, ValueError) as error:
            if isinstance(error, CnnappError):
                raise
            raise CnnappError(f"{where} is damaged ({error}); train the run again") from None
        return meta

    def __post_init__(self):
        object.__setattr__(self, "input_shape", tuple(int(d) for d in self.input_shape))
        object.__setattr__(self, "num_classes", int(self.num_classes))
        object.__setattr__(self, "class_names", tuple(str(n) for n in self.class_names))
        object.__setattr__(self, "version", int(self.version))
        for name in ("model_options", "normalization", "splits", "sizes", "extra"):
            if not isinstance(getattr(self, name), Mapping):
                raise TypeError(f"{name} must be an object")
            object.__setattr__(self, name, dict(getattr(self, name)))

    def _check(self) -> None:
        if self.status not in STATUSES[1:]:
            raise ValueError(f"status {self.status!r}")
        if len(self.input_shape) != 3 or self.num_classes < 1 or self.version > META_VERSION:
            raise ValueError(
                f"input_shape {list(self.input_shape)}, {self.num_classes} classes, version {self.version}"
            )
        for key in ("mean", "std"):
            values = self.normalization.get(key)
            if not isinstance(values, list) or len(values) != self.input_shape[-1]:
                raise ValueError(f"normalization.{key} {values!r}")

    def to_dict(self) -> dict[str, Any]:
        """The JSON object run.json holds (unknown keys of a newer writer included)."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "extra"}
        out["input_shape"], out["class_names"] = list(self.input_shape), list(self.class_names)
        return {**out, **self.extra}

    def replace(self, **changes) -> RunMeta:
        return dataclasses.replace(self, **changes)

    def __getitem__(self, key: str):
        """Read-only mapping access (`meta["class_names"]`), for code written when run.json was a dict."""
        value = self.to_dict()
        if key not in value:
            raise KeyError(key)
        return value[key]

    def get(self, key: str, default=None):
        return self.to_dict().get(key, default)


class RunLock:
    """The lock on a folder: an exclusive `fcntl.flock`, the holder written in its lock file.

    `flock` belongs to the open file: the kernel releases it when the process exits however it exits (a kill
    included), so there is never a stale lock to clean up. A run's lock is taken on the *folder itself*
    (`on_folder`), so deleting `.lock` by hand cannot let a second trainer in; the lock file only names the
    holder (host, pid) in the second process's error. The lock file is opened without following symlinks
    (`O_NOFOLLOW`): a `.lock` that links elsewhere is refused, never truncated.

    Args:
        path: the lock file (the holder's stamp).
        run: the folder locked.
        what: who holds it, for the message ("training", "export").
        on_folder: flock the folder `run` (else the lock file itself).
    """

    def __init__(self, path: Path, run: Path, what: str = "training", on_folder: bool = True):
        self.path, self.run, self.what, self.on_folder = path, run, what, on_folder
        self._fd: int | None = None
        self._folder_fd: int | None = None

    def acquire(self) -> None:
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o666)
        except OSError as error:
            if error.errno == errno.ELOOP:
                raise CnnappError(
                    f"{self.path} is a symbolic link, not cnnapp's lock file; remove it and run again"
                ) from None
            raise
        folder_fd = os.open(self.run, os.O_RDONLY | os.O_DIRECTORY) if self.on_folder else None
        try:
            fcntl.flock(fd if folder_fd is None else folder_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            os.close(fd)
            if folder_fd is not None:
                os.close(folder_fd)
            raise CnnappError(
                f"{self.run} is in use by another {self.what} ({holder}); wait for it to end, "
                "or choose another --out"
            ) from None
        stamp = {
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "since": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(stamp) + "\n").encode(), 0)
        self._fd, self._folder_fd = fd, folder_fd

    def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            folder_fd, self._folder_fd = self._folder_fd, None
            fcntl.flock(fd if folder_fd is None else folder_fd, fcntl.LOCK_UN)
            os.close(fd)
            if folder_fd is not None:
                os.close(folder_fd)

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()


OUTPUT_LOCK = ".lock-cnnapp"  # the lock file inside an export folder (output_lock)


def output_lock(out: str | os.PathLike, what: str = "export") -> RunLock:
    """The lock of an output folder written as a set (`atomic.staged_folder`), so two exports into one
    folder cannot mix: a file inside it, `OUT/.lock-cnnapp`. The set is staged and swapped in inside the
    folder, so the lock file stays put and nothing is written beside the folder the user named."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    return RunLock(out / OUTPUT_LOCK, out, what, on_folder=False)


def _holder(fd: int) -> str:
    try:
        stamp = json.loads(os.pread(fd, 4096, 0).decode())
        return f"pid {stamp['pid']} on host {stamp['host']}, since {stamp['since']}"
    except (OSError, ValueError, KeyError, TypeError):  # the holder is writing its stamp right now
        return "a process that is just starting"


@dataclasses.dataclass(frozen=True)
class RunDir:
    """A run folder: its paths, its files read and written, its status and its lock.

    Attributes:
        path: the folder (it need not exist yet).
        recipe_file: recipe.toml, the effective recipe.
        meta_file: run.json (`RunMeta`).
        report_file: report.json, the test report of a finished run.
        log_file: log.csv, a row per epoch.
        state_file: resume.npz, the state a resumed run starts from.
        checkpoints_dir: checkpoints/, the best and last inference models.
        tensorboard_dir: tensorboard/.
        export_dir: export/, where `python -m cnnapp.export` writes a run's exports by default.
        figures_dir: figures/, the figures of `cnnapp.explain` (curves and error analysis after training).
        demo_dir: demo/, the browser demo site `python -m cnnapp.demo RUN` writes.
        lock_file: .lock, the file the lock is taken on.
    """

    path: Path
    recipe_file: Path = dataclasses.field(init=False, repr=False)
    meta_file: Path = dataclasses.field(init=False, repr=False)
    report_file: Path = dataclasses.field(init=False, repr=False)
    log_file: Path = dataclasses.field(init=False, repr=False)
    state_file: Path = dataclasses.field(init=False, repr=False)
    checkpoints_dir: Path = dataclasses.field(init=False, repr=False)
    tensorboard_dir: Path = dataclasses.field(init=False, repr=False)
    export_dir: Path = dataclasses.field(init=False, repr=False)
    figures_dir: Path = dataclasses.field(init=False, repr=False)
    demo_dir: Path = dataclasses.field(init=False, repr=False)
    lock_file: Path = dataclasses.field(init=False, repr=False)

    def __post_init__(self):
        path = Path(self.path)
        names = {
            "path": path,
            "recipe_file": path / "recipe.toml",
            "meta_file": path / "run.json",
            "report_file": path / "report.json",
            "log_file": path / "log.csv",
            "state_file": path / "resume.npz",
            "checkpoints_dir": path / "checkpoints",
            "tensorboard_dir": path / "tensorboard",
            "export_dir": path / "export",
            "figures_dir": path / "figures",
            "demo_dir": path / "demo",
            "lock_file": path / ".lock",
        }
        for name, value in names.items():
            object.__setattr__(self, name, value)

    def checkpoint_file(self, which: str = "best") -> Path:
        """checkpoints/WHICH.keras, whether or not it exists yet."""
        if not is_checkpoint_name(which):
            raise CnnappError(
                f"unknown checkpoint {which!r}; valid checkpoints: {', '.join(CHECKPOINTS)}, top-EPOCH"
            )
        return self.checkpoints_dir / f"{which}.keras"

    def checkpoint(self, which: str = "best") -> Path:
        """The checkpoint file `which`; a CnnappError when the run has not saved it yet."""
        path = self.checkpoint_file(which)
        if not path.is_file():
            raise CnnappError(f"run {self.path} has no {which} checkpoint yet (no epoch has finished)")
        return path

    # -- state ------------------------------------------------------------------------------------------
    def is_run(self) -> bool:
        """Whether the folder holds a run (run.json), finished or not."""
        return self.meta_file.is_file()

    def status(self) -> str:
        """ "new" (no run yet), "running" (started: training, killed, or being extended) or "finished"."""
        if not (self.meta_file.is_file() or self.recipe_file.is_file() or self.state_file.is_file()):
            return "new"
        if self.meta_file.is_file():
            meta = self.read_meta()
            if meta.version >= 1:
                return meta.status
        return "finished" if self.report_file.is_file() else "running"

    def lock(self) -> RunLock:
        """The folder's lock (a context manager; `acquire` creates the folder). Raises a CnnappError naming
        the holder when another process holds it."""
        self.path.mkdir(parents=True, exist_ok=True)
        return RunLock(self.lock_file, self.path)

    def remove_stray_temps(self) -> list[Path]:
        """Delete temporary files a killed atomic write left behind: only `cnnapp.atomic`'s own
        (`.NAME.*.tmp-cnnapp.SUFFIX`, NAME one of the run's files), never a user's file."""
        own = {p.stem for p in (self.recipe_file, self.meta_file, self.report_file, self.log_file)}
        own |= {self.state_file.stem, *CHECKPOINTS}
        stray = [
            p
            for d in (self.path, self.checkpoints_dir)
            for p in d.glob(f".*.*{atomic.TEMP_MARK}*")
            if p.is_file() and not p.is_symlink() and p.name[1:].split(".")[0] in own
        ]
        for path in stray:
            path.unlink(missing_ok=True)
        return stray

    # -- reading ------------------------------------------------------------------------------------------
    def read_meta(self) -> RunMeta:
        if not self.meta_file.is_file():
            raise CnnappError(
                f"{self.path} is not a run folder (no run.json); train one with python -m cnnapp.train"
            )
        return RunMeta.from_dict(_read_json(self.meta_file), str(self.meta_file))

    def read_recipe(self):
        """The run's effective recipe (`cnnapp.recipes.Recipe`)."""
        from cnnapp.recipes import load_recipe

        if not self.recipe_file.is_file():
            raise CnnappError(f"{self.path} has no recipe.toml: it is not a complete run folder")
        return load_recipe(self.recipe_file)

    def read_report(self) -> dict | None:
        return _read_json(self.report_file) if self.report_file.is_file() else None

    def progress(self) -> dict | None:
        """The resume state's JSON part (epochs done, schedule, best, clock), or None when there is none."""
        import numpy as np

        if not self.state_file.is_file():
            return None
        try:
            with np.load(self.state_file) as data:
                extra = json.loads(str(data["extra"]))
            int(extra["epochs_done"])
            return extra
        except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile) as error:
            raise damaged_state(self.state_file, error) from None

    def labels(self) -> tuple[str, ...]:
        """The class names of the run's model, one per output."""
        return self.read_meta().class_names

    def stray_state(self) -> bool:
        """A resume state without the recipe.toml and run.json it must be checked against."""
        return self.state_file.is_file() and not (self.recipe_file.is_file() and self.meta_file.is_file())

    # -- writing (the training process, holding the lock) ---------------------------------------------------
    def begin(self, recipe, meta: RunMeta) -> RunMeta:
        """new/finished → running: write the effective recipe and run.json with status "running"."""
        meta = meta.replace(status="running", version=META_VERSION)
        atomic.write_text(self.recipe_file, recipe.to_toml())
        atomic.write_json(self.meta_file, meta.to_dict())
        return meta

    def finish(self, meta: RunMeta, report: dict) -> RunMeta:
        """running → finished: write report.json, then run.json's status (a kill between: still running)."""
        atomic.write_json(self.report_file, report)
        meta = meta.replace(status="finished")
        atomic.write_json(self.meta_file, meta.to_dict())
        return meta


def damaged_state(path: Path, error: BaseException) -> CnnappError:
    detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return CnnappError(
        f"{path} is damaged ({detail}); delete it to start the run again from its first epoch, "
        "or choose another --out"
    )


def _read_json(path: Path):
    try:
        return json.loads(path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CnnappError(f"{path} is corrupt ({error}); not written by cnnapp, or cut short") from None


@dataclasses.dataclass(frozen=True)
class Run:
    """A run folder, read back.

    Attributes:
        path: the folder.
        meta: run.json (architecture, options, input shape, classes, dataset, normalization).
        recipe: the effective recipe (`cnnapp.recipes.Recipe`) from recipe.toml.
    """

    path: Path
    meta: RunMeta
    recipe: Any

    @property
    def folder(self) -> RunDir:
        return RunDir(self.path)

    def checkpoint(self, which: str = "best") -> Path:
        return self.folder.checkpoint(which)

    def model(self, which: str = "best"):
        """The saved inference model `which` ("best" or "last"), in Keras 3."""
        from cnnapp import models

        return models.load(self.checkpoint(which))

    @property
    def report(self) -> dict | None:
        return self.folder.read_report()


@dataclasses.dataclass(frozen=True)
class ModelRef:
    """What a model path names: the model file, and the run it belongs to (None for a bare model).

    Attributes:
        model_file: the model file (a run's checkpoint, or the bare file given).
        run: the run folder, or None.
        checkpoint: "best" or "last" for a run's checkpoint, else None.
    """

    model_file: Path
    run: RunDir | None = None
    checkpoint: str | None = None


def run_of(path: str | os.PathLike) -> RunDir | None:
    """The run `path` is (a run folder) or lies in (checkpoints/NAME.keras), or None."""
    path = Path(path)
    if path.is_dir():
        return RunDir(path) if RunDir(path).is_run() else None
    if path.suffix == ".keras" and path.parent.name == RunDir(path.parent.parent).checkpoints_dir.name:
        run = RunDir(path.parent.parent)
        return run if run.is_run() else None
    return None


def from_any(path: str | os.PathLike, which: str = "best") -> ModelRef:
    """A run folder (its checkpoint `which`), a run's checkpoint file, or a bare model file."""
    path = Path(path)
    if not path.exists():
        raise CnnappError(f"no run folder or model file at {path}")
    run = run_of(path)
    if path.is_dir():
        if run is None:
            raise CnnappError(f"{path} is not a run folder (no run.json) and not a model file")
        return ModelRef(run.checkpoint(which), run, which)
    if run is not None and is_checkpoint_name(path.stem):
        return ModelRef(path, run, path.stem)
    return ModelRef(path)


def load_run(path: str | os.PathLike) -> Run:
    """Read the run folder `path` (or the run holding the checkpoint file `path`)."""
    run = run_of(path) or RunDir(Path(path))
    return Run(path=run.path, meta=run.read_meta(), recipe=run.read_recipe())
