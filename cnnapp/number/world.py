"""The world evaluation for numbers: photos of validation numbers read as a phone app reads them.

    results = evaluate_numbers(Path("export/lenet5-phone"))   # its float32 and int8 exports
    write_results(results, Path("export/number"))             # number-world.json and number-world.md

Scenes (`cnnapp.number.scenes`) from mnist4k's validation digits only, in three layouts (spaced, touching,
broken), read by `NumberReader` (ink map by MediaPipe's ImageSegmenter, each digit by its ImageClassifier).
Per export and layout: the share of numbers read exactly, per-digit accuracy, digits missed, invented and
wrong (an edit-distance alignment of the reading against the truth; a refused `?` is a wrong digit), exact
by length; and the same with perfect crops (each digit cropped from the ink map at its true box, its own ink
only), which is the classifier's share of the errors: the rest is the reader's (finding, splitting, order).
Latency: the ink map and one classifier run on LiteRT (1 thread), and a frame's whole cost with its mean
number of classifier runs (every digit, and every candidate piece of a wide mark the glue tries to cut).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from cnnapp import atomic
from cnnapp.choices import VALIDATION
from cnnapp.errors import CnnappError
from cnnapp.number import glue, scenes

SEED = 4242  # the world's numbers; never a training seed
COUNTS = {"spaced": 400, "touching": 200, "broken": 200}
FILE = "number-world"


def align(read: str, truth: str) -> dict:
    """Levenshtein alignment counts: right, wrong (substituted), missed (deleted), invented (inserted)."""
    n, m = len(truth), len(read)
    cost = np.zeros((n + 1, m + 1), int)
    cost[:, 0], cost[0, :] = np.arange(n + 1), np.arange(m + 1)
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            swap = cost[i - 1, j - 1] + (truth[i - 1] != read[j - 1])
            cost[i, j] = min(swap, cost[i - 1, j] + 1, cost[i, j - 1] + 1)
    counts = dict(right=0, wrong=0, missed=0, invented=0)
    i, j = n, m
    while i or j:
        if i and j and cost[i, j] == cost[i - 1, j - 1] + (truth[i - 1] != read[j - 1]):
            counts["right" if truth[i - 1] == read[j - 1] else "wrong"] += 1
            i, j = i - 1, j - 1
        elif i and cost[i, j] == cost[i - 1, j] + 1:
            counts["missed"] += 1
            i -= 1
        else:
            counts["invented"] += 1
            j -= 1
    return counts


def score(readings: list[str], truths: list[str]) -> dict:
    """Exact share, per-digit accuracy and the error counts of readings against truths (percentages)."""
    totals = dict(right=0, wrong=0, missed=0, invented=0)
    for read, truth in zip(readings, truths, strict=True):
        for key, value in align(read, truth).items():
            totals[key] += value
    digits = sum(len(t) for t in truths)
    lengths = sorted({len(t) for t in truths})
    by_length = {}
    for length in lengths:
        pairs = [(r, t) for r, t in zip(readings, truths, strict=True) if len(t) == length]
        by_length[str(length)] = round(100 * sum(r == t for r, t in pairs) / len(pairs), 2)
    return {
        "exact": round(100 * sum(r == t for r, t in zip(readings, truths, strict=True)) / len(truths), 2),
        "per_digit": round(100 * totals["right"] / digits, 2),
        "digits": digits,
        "refused": sum(r.count("?") for r in readings),
        **totals,
        "exact_by_length": by_length,
    }


def perfect_crops(ink: np.ndarray, boxes, layers, size: int) -> list[np.ndarray]:
    """Each true digit cropped from the ink map at its box, its neighbours' ink in the box masked out."""
    crops = []
    for (x0, y0, x1, y1), layer in zip(boxes, layers, strict=True):
        labels = np.zeros(ink.shape, np.int32)
        box = labels[y0:y1, x0:x1]
        box[ink[y0:y1, x0:x1] >= glue.THRESHOLD] = 2  # ink, but not this digit's
        box[layer > scenes.INK] = 1
        crops.append(glue.crop(ink, labels, glue.Piece(x0, y0, x1, y1, (1,), int(box.size)), size))
    return crops


def latency(content: bytes) -> float:
    """Median LiteRT latency (ms, 1 thread) of one run of `content`."""
    from cnnapp.deploy.runtime import LiteModel

    lite = LiteModel(content, num_threads=1)
    return round(lite.latency_ms(np.full(lite.input_shape, 128.0, np.float32), runs=50)["median"], 4)


def evaluate_numbers(folder: Path, tags=("float32", "int8"), counts=None) -> dict:
    """The number world of the classifier exports `<tag>.tflite` in `folder`."""
    from cnnapp import quiet
    from cnnapp.number import inkmap
    from cnnapp.number.reader import NumberReader

    counts = counts or COUNTS
    files = [folder / f"{tag}.tflite" for tag in tags]
    missing = [f.name for f in files if not f.is_file()]
    if missing:
        raise CnnappError(f"{folder} has no {', '.join(missing)}; export a digit classifier there first")
    quiet.start_tensorflow()
    ink_content = inkmap.inkmap_tflite()
    sets = {layout: scenes.make_scenes(VALIDATION, n, SEED, layout) for layout, n in counts.items()}
    first = NumberReader(files[0], ink_content)
    inks = {layout: [first.ink_of(f) for f in s.frames] for layout, s in sets.items()}
    first.close()
    ink_ms = latency(ink_content)
    rows = []
    for path in files:
        reader = NumberReader(path, ink_content)
        size = reader.classifier.size
        row = {"file": path.name, "bytes": path.stat().st_size, "layouts": {}}
        digits_read, glue_s, frames = 0, 0.0, 0
        counted, runs = _counting(reader.classifier.classify)  # the split runs it on every candidate piece
        for layout, s in sets.items():
            readings = []
            for ink in inks[layout]:
                start = time.perf_counter()
                found = read_number(ink, counted, size)
                glue_s += time.perf_counter() - start
                frames += 1
                digits_read += len(found)
                readings.append(found)
            perfect = [
                reader.read_crops(perfect_crops(ink, b, layer, size))
                for ink, b, layer in zip(inks[layout], s.boxes, s.layers, strict=True)
            ]
            row["layouts"][layout] = {
                "reader": score(readings, s.numbers),
                "perfect_crops": score(perfect, s.numbers),
            }
        classifier_ms = latency(path.read_bytes())
        mean_digits, mean_runs = digits_read / frames, runs[0] / frames
        row["latency_ms"] = {
            "ink_map": ink_ms,
            "classifier": classifier_ms,
            "mean_digits": round(mean_digits, 2),
            "classifier_runs": round(mean_runs, 2),
            "frame": round(ink_ms + mean_runs * classifier_ms, 4),
            "python_glue_and_sdk_per_frame": round(1000 * glue_s / frames, 3),
        }
        rows.append(row)
        reader.close()
    return {
        "folder": folder.name,
        "dataset": "mnist4k validation split (never trained on), numbers of 2-5 digits",
        "client": "MediaPipe Tasks ImageSegmenter (ink map) + ImageClassifier (each digit), python, CPU",
        "frame": [inkmap.HEIGHT, inkmap.WIDTH],
        "seed": SEED,
        "numbers": dict(counts),
        "exports": rows,
    }


def _counting(classify):
    """(classify, counted; a one-item list of how many times it ran)."""
    runs = [0]

    def counted(crop):
        runs[0] += 1
        return classify(crop)

    return counted, runs


def read_number(ink, classify, size) -> str:
    """The number the glue reads from an ink map with `classify`; "" for "not a number"."""
    from cnnapp.number.reader import answer

    try:
        found = glue.read_digits(ink, classify, size)
    except glue.NotANumber:
        return ""
    return "".join(answer(label, s) for _, label, s in found)


LAYOUT_NAMES = {"spaced": "spaced", "touching": "touching", "broken": "one broken digit"}


def markdown(results: dict) -> str:
    """The results as Markdown: one row per export and layout, reader beside perfect crops."""
    lines = [
        f"# Number world evaluation: {results['folder']}",
        "",
        f"{sum(results['numbers'].values())} photos ({results['frame'][1]}×{results['frame'][0]}) of numbers "
        f"from the {results['dataset']}, read by {results['client']}. Perfect crops: each digit cut from "
        "the ink map at its true box (the classifier's share of the errors).",
        "",
        "| export | layout | exact | per digit | missed | invented | wrong | refused (?) "
        "| exact, perfect crops | per digit, perfect crops | exact by length (2/3/4/5) |",
        "|" + "---|" * 11,
    ]
    for row in results["exports"]:
        for layout, result in row["layouts"].items():
            r, p = result["reader"], result["perfect_crops"]
            cells = [row["file"], LAYOUT_NAMES[layout], f"{r['exact']:.2f}%", f"{r['per_digit']:.2f}%"]
            cells += [str(r["missed"]), str(r["invented"]), str(r["wrong"]), str(r["refused"])]
            cells += [f"{p['exact']:.2f}%", f"{p['per_digit']:.2f}%"]
            cells.append(" / ".join(f"{v:.0f}%" for v in r["exact_by_length"].values()))
            lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "| export | bytes | ink map ms | classifier ms | digits per frame | classifier runs per frame "
        "| ms per frame |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in results["exports"]:
        t = row["latency_ms"]
        lines.append(
            f"| {row['file']} | {row['bytes']:,} | {t['ink_map']:.3f} | {t['classifier']:.3f} | "
            f"{t['mean_digits']:.2f} | {t['classifier_runs']:.2f} | {t['frame']:.3f} |"
        )
    return "\n".join(lines) + "\n"


def write_results(results: dict, out: Path) -> tuple[Path, Path]:
    """number-world.json and .md in `out` (atomically)."""
    out.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out / f"{FILE}.json", out / f"{FILE}.md"
    atomic.write_json(json_path, results)
    atomic.write_text(md_path, markdown(results))
    return json_path, md_path
