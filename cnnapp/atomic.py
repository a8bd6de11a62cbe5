"""Atomic file writes: a reader (or a killed run) never sees a half-written file."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

# The mark of cnnapp's temporary files (`.NAME.RANDOM.tmp-cnnapp.SUFFIX`): cleanup removes these only.
TEMP_MARK = ".tmp-cnnapp"


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success rename it over `path`, on failure delete it.

    The temporary file keeps the target's suffix, since some writers (Keras `.keras`, matplotlib) pick the
    format from it.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f"{TEMP_MARK}{path.suffix}", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp)
    # mkstemp creates 0600; give the file the mode an ordinary open() would (0666 less the umask).
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o666 & ~umask)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def write_bytes(path: str | os.PathLike, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_json(path: str | os.PathLike, value: object) -> None:
    write_text(path, json.dumps(value, indent=2, sort_keys=False) + "\n")


# Inside an output folder: the staging folder of a multi-file write, and the journal that commits it.
STAGING_PREFIX = ".staging."
JOURNAL = f".journal{TEMP_MARK}.json"


@contextlib.contextmanager
def staged_folder(out: str | os.PathLike) -> Iterator[Path]:
    """Yield an empty staging folder inside `out`; on success move its files into `out` as a set.

    A multi-file output (an export's .tflite, labels.txt, json and md) is then all old or all new, and nothing
    is written outside the folder the user named. The set is committed by a journal (`OUT/.journal...json`,
    written atomically) naming the files to move: a kill before it leaves the old set (and a staging folder
    the next call removes); a kill after it, while files are being moved, is rolled forward by the next call
    (`finish_staged`), so the new set is completed and never left beside the old one. Files of `out` that
    the new set does not name stay as they were. Hold `runs.output_lock(out)` around it: two writers into
    one folder are refused, not mixed.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(out))
    out.mkdir(parents=True, exist_ok=True)
    finish_staged(out)
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, suffix=TEMP_MARK, dir=out))
    try:
        yield staging
        names = sorted(entry.name for entry in staging.iterdir())
        write_json(out / JOURNAL, {"staging": staging.name, "names": names})  # the commit point
        finish_staged(out)
    finally:
        if not (out / JOURNAL).exists():  # committed but interrupted: the next call moves the rest in
            shutil.rmtree(staging, ignore_errors=True)


def finish_staged(out: str | os.PathLike) -> None:
    """Complete a committed staged write that a kill interrupted (the journal's names not yet moved), and
    remove staging folders that were never committed. Safe to repeat: each move is a rename."""
    out = Path(out)
    journal = out / JOURNAL
    if journal.exists():
        entry = json.loads(journal.read_text())
        staging = out / entry["staging"]
        umask = os.umask(0)
        os.umask(umask)
        for name in entry["names"]:
            source = staging / name
            if not source.exists() and not source.is_symlink():
                continue  # moved before the kill
            target = out / name
            if source.is_dir() and not source.is_symlink():
                source.chmod(0o777 & ~umask)
                if target.is_dir() and not target.is_symlink():
                    # A folder cannot be renamed over a non-empty one: put the old one in the staging folder
                    # first (removed with it), under a name the set does not use.
                    target.rename(staging / f".old.{name}{TEMP_MARK}")
            os.replace(source, target)
        journal.unlink()
    for stale in out.glob(f"{STAGING_PREFIX}*{TEMP_MARK}"):
        shutil.rmtree(stale, ignore_errors=True)
