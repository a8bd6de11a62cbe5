"""A run's fingerprint: what makes a run this run, kept in run.json and checked before a resume or extension.

    fingerprint.make(recipe, info)  # {"recipe": hash, "classes": [...], "dataset": identity, "code": version}

- `recipe`: the sha256 of the effective recipe without `train.epochs` (a run may be extended), so a
  recipe.toml edited inside the run folder, then resumed with `--recipe RUN`, is caught;
- `classes`: the class names in label order (a data folder whose classes changed would permute the labels);
- `dataset`: the data's identity (`DatasetInfo.identity`): for a folder `files_identity`, its file count, a
  hash of every file's path and size and a hash of its contents (so files swapped between class folders,
  labels permuted with the same names and sizes, are caught too); the tfds name, config and version; the
  sha256 of a shipped file;
- `code`: the cnnapp version that started the run. It is recorded, not enforced: a fixed bug must not
  orphan every run folder, and the saved weights do not depend on it.

The resume state (resume.npz) carries `digest(fingerprint)`, so a resume.npz copied in from another run is
refused too.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import re
from collections.abc import Iterable, Mapping

from cnnapp.errors import CnnappError
from cnnapp.paths import printable

ENFORCED = ("recipe", "classes", "dataset")
# Of each file, the content hash reads this many bytes at each end (all of a smaller file). The end is the
# part any edit reaches: a PNG ends in its zlib stream's Adler-32 and the chunk's CRC, a JPEG's scan data
# runs to its end; the start holds the first pixels. Two pages per file: the load already reads the first
# one for the image's size, so a folder of 100,000 images costs about one more read per file.
SAMPLE_BYTES = 4096
_FILES = re.compile(r"(\d+) files, sha256 ([0-9a-f]+)(?:, content sha256 ([0-9a-f]+))?")


def code_version() -> str:
    """The installed cnnapp's version, or "unknown" when it runs from a source tree not installed."""
    try:
        return importlib.metadata.version("cnnapp")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def recipe_hash(recipe) -> str:
    """sha256 (16 hex digits) of the recipe's values but `train.epochs`."""
    values = recipe.to_dict()
    values["train"] = {k: v for k, v in values["train"].items() if k != "epochs"}
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:16]


def make(recipe, info) -> dict:
    """The fingerprint of a run of `recipe` on data `info` (a `DatasetInfo`, classes chosen)."""
    return {
        "recipe": recipe_hash(recipe),
        "classes": [str(name) for name in info.class_names],
        "dataset": getattr(info, "identity", "") or "",
        "code": code_version(),
    }


def files_identity(paths: Iterable, root) -> str:
    """A folder's identity: "N files, sha256 NAMES, content sha256 CONTENT".

    NAMES hashes every file's path below `root` and its size, in sorted order: a file added, removed,
    renamed, moved to another class folder or rewritten at another size changes it. CONTENT hashes each
    path with the first and last `SAMPLE_BYTES` of its file: class folders renamed into each other or files
    swapped between them (the same names and sizes, other labels) change it, as does an edit in place.
    """
    names, content = hashlib.sha256(), hashlib.sha256()
    root = os.fspath(root)
    unique = sorted(set(map(os.fspath, paths)))
    for path in unique:
        relative = os.path.relpath(path, root).encode("utf-8", "replace")
        with open(path, "rb") as file:
            size = os.fstat(file.fileno()).st_size
            sample = file.read(SAMPLE_BYTES)
            if size > SAMPLE_BYTES:
                file.seek(max(SAMPLE_BYTES, size - SAMPLE_BYTES))
                sample += file.read(SAMPLE_BYTES)
        names.update(relative + f"\0{size}\n".encode())
        content.update(relative + f"\0{len(sample)}\0".encode() + sample)
    return f"{len(unique)} files, sha256 {names.hexdigest()[:16]}, content sha256 {content.hexdigest()[:16]}"


def file_sha256(path) -> str:
    """The sha256 (first 16 hex digits) of one file's bytes."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()[:16]


def digest(fingerprint: Mapping) -> str:
    """One short hash of the enforced parts (the resume state carries it)."""
    enforced = {key: fingerprint.get(key) for key in ENFORCED}
    return hashlib.sha256(json.dumps(enforced, sort_keys=True).encode()).hexdigest()[:16]


def check(saved: Mapping | None, now: Mapping, run_path) -> None:
    """Refuse to go on in `run_path` when `now` differs from the `saved` fingerprint (None: an old run)."""
    if not saved:
        return
    for key in ENFORCED:
        before, after = saved.get(key), now.get(key)
        if not before or _same(key, before, after):  # a part an older cnnapp did not record is not checked
            continue
        raise CnnappError(
            f"{run_path} was trained with {_what(key, before, after)}; a resume would mix the two: "
            f"start a new run with --out NEW_FOLDER (or restore what changed)"
        )


def data_changed(saved: Mapping | None, identity: str) -> str | None:
    """How the data of `identity` (`DatasetInfo.identity`) differs from the data of a run's `saved`
    fingerprint ("other data (...)"), or None when it does not or the run recorded none."""
    before = (saved or {}).get("dataset")
    if not before or _same("dataset", before, identity):
        return None
    return _what("dataset", before, identity)


def stale_data_warning(run_path, saved: Mapping | None, identity: str) -> str | None:
    """The one line a command that scores the run in `run_path` (evaluate, export) gives when the data it
    loaded (`identity`) is not the data of the run's `saved` fingerprint, or None when it is (or the run
    recorded none): scores on a folder edited since, or with its labels permuted, are not the run's."""
    what = data_changed(saved, identity)
    if what is None:
        return None
    return f"WARNING: {run_path} was trained with {what}: these scores are not of the data it trained on"


def _same(key: str, before, after) -> bool:
    """Whether a saved part matches; a folder identity saved before the content hash compares the rest."""
    if before == after:
        return True
    if key != "dataset":
        return False
    old, new = _FILES.fullmatch(str(before)), _FILES.fullmatch(str(after))
    return bool(old and new and old[3] is None and old.group(1, 2) == new.group(1, 2))


def _what(key: str, before, after) -> str:
    if key == "recipe":
        return (
            "another recipe: its recipe.toml no longer matches the recipe the run started with "
            f"(hash {before}, now {after}; was it edited?)"
        )
    if key == "classes":
        gone = [n for n in before if n not in after]
        new = [n for n in after if n not in before]
        detail = (
            ", ".join([*([f"gone {gone[:3]}"] if gone else []), *([f"new {new[:3]}"] if new else [])])
            or "the same names in another order"
        )
        return f"other classes ({printable(detail)})"
    old, new = _FILES.fullmatch(str(before)), _FILES.fullmatch(str(after))
    if old and new:
        if old[1] != new[1]:
            return f"other data ({old[1]} files, now {new[1]}: files were added or removed)"
        if old[2] != new[2]:
            return f"other data (its {old[1]} files were renamed, moved to another class folder or resized)"
        return (
            f"other data (the same {old[1]} file names and sizes with other contents: files swapped "
            "between class folders, or edited)"
        )
    return f"other data (dataset {printable(before)!r}, now {printable(after)!r})"
