"""Timings a shared machine cannot fool: sides alternated A-B-B-A, each warmed up, medians with their spread,
a noise flag, and more rounds (bounded) while the spread is too wide.

    timing = alternate({"ours": step_ours, "reference": step_ref}, rounds=3, max_rounds=8)
    speed = ratio(timing, "ours", "reference")     # {"median", "min", "max", "noisy", ...}: ours / reference

On a machine shared with other processes, the speed of one side drifts with the load of the others. Within a
round the sides run in palindrome order (A B B A; with three sides A B C C B A), so a drift that is linear in
time costs each side the same; the ratio of a round is then a fair comparison and the median over rounds
drops the rounds a burst of load hit. A spread beyond ±`NOISE` around the median flags the ratio noisy: read
it as a range, not a number. A leaf module (no framework): the bench and the training precision probe use it.
Process CPU time is kept beside wall time: it counts this process's work only
(another process's load lengthens the wall time of a step much more than its CPU time).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping

# A ratio whose rounds spread further than this around their median is flagged noisy.
NOISE = 0.10


def measure(work: Callable[[], object]) -> tuple[float, float]:
    """(wall seconds, process CPU seconds) of one call of `work`."""
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return time.perf_counter() - wall, time.process_time() - cpu


def spread(values: list[float]) -> float:
    """The largest relative distance of a value from the median (0.12 = ±12%)."""
    middle = statistics.median(values)
    return max(abs(v / middle - 1) for v in values) if middle else 0.0


def alternate(
    sides: Mapping[str, Callable[[], object]],
    rounds: int = 3,
    max_rounds: int = 8,
    noise: float = NOISE,
    timer: Callable[[Callable[[], object]], tuple[float, float]] = measure,
    warmup: bool = True,
) -> dict:
    """Time each side in palindrome rounds until the ratios of the first side to the others are steady.

    Args:
        sides: name → a call doing one timed unit of work (the same work every call).
        rounds: rounds always run (each times every side twice, A-B-B-A).
        max_rounds: the bound on rounds while some ratio is noisy.
        noise: the relative spread beyond which a ratio is noisy.
        timer: (wall, cpu) seconds of one call (`measure`; tests give fake timings).
        warmup: call each side once, untimed, first (off for work that warms itself up).

    Returns:
        {"rounds", "noisy", "noise", "wall": {side: [s per round]}, "cpu": {side: [s per round]}}: a round's
        seconds of a side are the mean of its two calls in that round.
    """
    names = list(sides)
    for name in names if warmup else ():  # warm up: trace, allocate, fill caches outside the clock
        sides[name]()
    wall: dict[str, list[float]] = {n: [] for n in names}
    cpu: dict[str, list[float]] = {n: [] for n in names}
    done, noisy = 0, True
    while done < rounds or (noisy and done < max_rounds):
        times: dict[str, list[tuple[float, float]]] = {n: [] for n in names}
        for name in names + names[::-1]:
            times[name].append(timer(sides[name]))
        for name in names:
            wall[name].append(statistics.fmean(t[0] for t in times[name]))
            cpu[name].append(statistics.fmean(t[1] for t in times[name]))
        done += 1
        noisy = any(_round_ratios(wall, names[0], other)[1] > noise for other in names[1:]) or (
            len(names) == 1 and spread(wall[names[0]]) > noise
        )
    return {"rounds": done, "noisy": noisy, "noise": noise, "wall": wall, "cpu": cpu}


def _round_ratios(wall: dict, a: str, b: str) -> tuple[list[float], float]:
    ratios = [tb / ta for ta, tb in zip(wall[a], wall[b], strict=True)]
    return ratios, spread(ratios)


def ratio(timing: dict, a: str, b: str) -> dict:
    """How many times faster side `a` ran than side `b` (b's seconds / a's), per round, and by CPU time.

    Returns:
        {"median", "min", "max", "spread", "noisy", "cpu"}: `cpu` is the median ratio of process CPU seconds
        (the same comparison by this process's work alone).
    """
    ratios, wide = _round_ratios(timing["wall"], a, b)
    cpu = [tb / ta for ta, tb in zip(timing["cpu"][a], timing["cpu"][b], strict=True) if ta > 0]
    return {
        "median": statistics.median(ratios),
        "min": min(ratios),
        "max": max(ratios),
        "spread": wide,
        "noisy": wide > timing.get("noise", NOISE),
        "cpu": statistics.median(cpu) if cpu else None,
    }


def summary(seconds: list[float], units: float = 1.0) -> dict:
    """Rates from seconds per call doing `units` of work: {"median", "min", "max"} units per second."""
    rates = [units / s for s in seconds]
    return {"median": statistics.median(rates), "min": min(rates), "max": max(rates)}
