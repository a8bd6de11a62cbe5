"""Threads and oneDNN chosen by measurement, on fake child timings: changed only for a clear gain."""

from cnnapp.bench import tuning


def test_threads_are_changed_only_for_a_clear_gain():
    step = {"default": 0.100, "oneDNN off": 0.097, "intra 2, inter 1": 0.120, "intra 1, inter 2": 0.150}
    result = tuning.tune("float32", cores=2, runner=lambda s, p, n: (step[s["name"]], step[s["name"]]))
    assert result["chosen"]["name"] == "default"  # 3% faster is within the margin
    assert [row["name"] for row in result["candidates"]] == list(step)
    step["oneDNN off"] = 0.080
    result = tuning.tune("float32", cores=2, runner=lambda s, p, n: (step[s["name"]], step[s["name"]]))
    assert result["chosen"]["name"] == "oneDNN off" and "TF_ENABLE_ONEDNN_OPTS=0" in result["applied"]
