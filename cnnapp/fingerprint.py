"""A run's fingerprint: what makes a run this run, kept in run.json and checked before a resume or extension.

    fingerprint.make(recipe, info)  # {"recipe": hash, "classes": [...], "dataset": identity, "code": version}

- `recipe`: the sha256 of the effective recipe without `train.epochs` (a run may be extended), so a
  recipe.toml edited inside the run folder, then resumed with `--recipe RUN`, is caught;
- `classes`: the class names in label order (a data folder whose classes changed would permute the labels);
- `dataset`: the data's identity (`DatasetInfo.identity`: a folder's file count and a hash of its names and
  sizes, the tfds name and version, the hash of a shipped file);
- `code`: the cnnapp version that started the run. It is recorded, not enforced: a fixed bug must not
  orphan every run folder, and the saved weights do not depend on it.

The resume state (resume.npz) carries `digest(fingerprint)`, so a resume.npz copied in from another run is
refused too.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
from collections.abc import Mapping

from cnnapp.errors import CnnappError
from cnnapp.paths import printable

ENFORCED = ("recipe", "classes", "dataset")


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
        if not before or before == after:  # a part an older cnnapp did not record is not checked
            continue
        raise CnnappError(
            f"{run_path} was trained with {_what(key, before, after)}; a resume would mix the two: "
            f"start a new run with --out NEW_FOLDER (or restore what changed)"
        )


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
    return f"other data (dataset {printable(before)!r}, now {printable(after)!r})"
