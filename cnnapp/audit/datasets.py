"""The datasets' sizes: the lectures' figures beside the reference counts, the download archives' bytes (from
tensorflow-datasets' own checksum lists, offline) and the two sets cnnapp ships, counted from their files.

    python -m cnnapp.audit.datasets                 # MNIST, CIFAR-10, ImageNet, digits, mnist4k
    python -m cnnapp.audit.datasets --format json

"Raw pixels" is images × height × width × channels bytes (one uint8 per value): MNIST's ~60 MB in the
lecture is that figure (the archives are gzip-compressed); ImageNet's archives hold JPEGs, far smaller than
raw pixels and far larger than the lecture's ~50 GB. The figures, with their sources, live in
assets/lectures/figures.toml.
"""

from __future__ import annotations

import dataclasses
import json
import math
import tomllib
from collections.abc import Sequence
from pathlib import Path

from cnnapp import cli
from cnnapp.errors import CnnappError, run_cli

# Within this share of the reference, the lecture's number is the reference rounded ("1.2M" for 1,281,167).
ROUNDED = 0.1


@dataclasses.dataclass(frozen=True)
class Row:
    name: str
    lecture: str
    source: str
    images: int
    images_source: str
    shape: tuple[int, int, int]
    raw_bytes: int
    archive_bytes: int | None
    archive_source: str
    note: str


def _figures() -> list[dict]:
    from cnnapp.audit.lecture import figures_file

    return tomllib.loads(figures_file().read_text())["dataset"]


def tfds_archives(builder: str) -> tuple[int, str] | None:
    """The bytes of BUILDER's download archives and the file that lists them: tensorflow-datasets ships a
    checksum list (URL, bytes, sha256) for every dataset it downloads, so this needs no network."""
    import importlib.util

    spec = importlib.util.find_spec("tensorflow_datasets")
    if spec is None or not spec.submodule_search_locations:
        return None
    root = Path(next(iter(spec.submodule_search_locations)))
    for path in (root / "url_checksums" / f"{builder}.txt", root / "datasets" / builder / "checksums.tsv"):
        if path.is_file():
            sizes = [int(line.split()[1]) for line in path.read_text().splitlines() if line.strip()]
            files = f"{len(sizes)} archives" if len(sizes) > 1 else "one archive"
            return sum(sizes), f"tensorflow_datasets/{path.relative_to(root)} ({files})"
    return None


def _shipped(name: str) -> tuple[int, int, str]:
    """(images, bytes of the file, the file) of a shipped set, from its .npz."""
    import numpy as np

    from cnnapp.paths import ASSETS

    path = ASSETS / name / f"{name}.npz"
    if not path.is_file():
        raise CnnappError(f"the shipped dataset file {path} is missing; reinstall cnnapp")
    with np.load(path) as data:
        images = sum(len(data[k]) for k in data.files if k.endswith("_labels"))
    return images, path.stat().st_size, f"cnnapp/assets/{name}/{path.name}"


def _note(figure: dict, raw: int, archive: int | None) -> str:
    notes = []
    said, train = figure.get("lecture_train"), figure.get("train")
    if said and abs(said - train) > ROUNDED * train:
        notes.append(f"the lecture's {said:,} training images against {train:,}")
    elif said and said != train:
        notes.append(f"the lecture's {said:,} training images: the reference's {train:,}, rounded")
    said_bytes = figure.get("lecture_bytes")
    if said_bytes:
        closest = min(
            (("raw pixels", raw), ("the archives", archive or 0)), key=lambda kv: abs(kv[1] - said_bytes)
        )
        ratio = said_bytes / closest[1] if closest[1] else math.inf
        if abs(ratio - 1) <= 0.15:
            notes.append(f"the lecture's {_bytes(said_bytes)} is {closest[0]} ({_bytes(closest[1])})")
        else:
            notes.append(
                f"the lecture's {_bytes(said_bytes)} is neither raw pixels ({_bytes(raw)}) nor the archives "
                f"({_bytes(archive or 0)}); no counting we know gives it"
            )
    if figure.get("shape_note"):
        notes.append(figure["shape_note"])
    return "; ".join(notes)


def rows() -> list[Row]:
    """One row per dataset of the figures file."""
    out = []
    for figure in _figures():
        shape = tuple(figure["shape"])
        if "tfds" in figure:
            images, images_source = figure["train"] + figure["test"], figure["counts_source"]
            archives = tfds_archives(figure["tfds"])
            archive_bytes, archive_source = (
                archives if archives else (None, "tensorflow-datasets not installed")
            )
        else:
            images, archive_bytes, archive_source = _shipped(figure["name"])
            images_source = f"counted in {archive_source}"
        raw = images * math.prod(shape)
        note = _note(figure, raw, archive_bytes)
        out.append(
            Row(
                figure["name"],
                figure["lecture"],
                figure["source"],
                images,
                images_source,
                shape,
                raw,
                archive_bytes,
                archive_source,
                note,
            )  # fmt: skip
        )
    return out


def _bytes(n: float) -> str:
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n:.0f} B"


def render(found: list[Row], fmt: str = "table") -> str:
    if fmt == "json":
        return json.dumps([dataclasses.asdict(r) for r in found], indent=2) + "\n"
    lines = ["| dataset | the lecture | images (ours / reference) | raw pixels | files | why they differ |",
             "|---|---|---:|---:|---:|---|"]  # fmt: skip
    for r in found:
        shape = "×".join(map(str, r.shape))
        files = _bytes(r.archive_bytes) if r.archive_bytes is not None else "–"
        lines.append(
            f"| {r.name} | {r.lecture or '–'} | {r.images:,} ({shape}) | {_bytes(r.raw_bytes)} | {files} | "
            f"{r.note or '–'} |"
        )
    lines += ["", "Sources:"]
    lines += [f"- {r.name}: {r.source}; images: {r.images_source}; files: {r.archive_source}" for r in found]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = cli.ArgumentParser(
        prog="python -m cnnapp.audit.datasets",
        description="The datasets' sizes: the lectures' figures, the reference counts, the archives' bytes "
        "(tensorflow-datasets' checksum lists, offline) and the shipped sets, side by side.",
    )
    parser.add_argument("--format", choices=("table", "json"), default="table")
    args = parser.parse_args(argv)
    print(render(rows(), args.format), end="")
    return 0


if __name__ == "__main__":
    run_cli(main, "python -m cnnapp.audit.datasets")
