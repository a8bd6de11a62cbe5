"""The bench targets' verdicts: met, missed, or not applicable, from a run's numbers."""

from cnnapp.bench import targets


def test_targets_say_met_missed_or_not_applicable():
    result = {
        "precision": "mixed_bfloat16",
        "roofs": {"bfloat16": {"flops_per_s": 1e11, "n": 4096, "sizes": [{"n": 4096, "flops_per_s": 1e11}]}},
        "speed": [{"model": "vgg16", "roof_dtype": "bfloat16", "ours_peak_fraction": 0.45, "ratio": 0.97,
                   "ratio_min": 0.9, "ratio_max": 1.1, "ratio_noisy": True, "default_ratio": 2.1,
                   "default_ratio_min": 1.9, "default_ratio_max": 2.2}],
        "litert": {"rows": [{"model": "lenet5-digits", "mode": "int8", "speedup": 0.7}]},
    }  # fmt: skip
    verdicts = {row["target"]: row["met"] for row in targets.targets(result, {"amx": False})}
    assert verdicts["vgg16 training ≥ 40% of the bfloat16 roof"] is True
    assert verdicts["vgg16 ≥ 1.0× keras.applications, same precision"] is False
    assert verdicts["vgg16 ≥ 1.8× keras.applications' default float32 fit (on an AMX CPU)"] is None
    assert verdicts["lenet5-digits int8: int8 latency ≤ float32"] is False
    assert targets.targets(result, {"amx": True})[3]["met"] is True
