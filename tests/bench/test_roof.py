"""The roof on fake timings: sizes grow until the rate stops rising; each % of peak uses its dtype's roof."""

import pytest

from cnnapp.bench import roof


def seconds_from(rates: dict):
    """n → seconds of a 2n³ product at the given GFLOP/s per size."""
    return lambda n: 2 * n**3 / (rates[n] * 1e9)


def test_sizes_grow_until_the_rate_stops_rising():
    # Rising to 4096, then flat twice: the roof is the best rate seen, at 4096.
    found = roof.grow(seconds_from({512: 50, 1024: 90, 2048: 130, 4096: 140, 8192: 141, 16384: 138}),
                      max_n=16384, max_seconds=1e9)  # fmt: skip
    assert [s["n"] for s in found["sizes"]] == [512, 1024, 2048, 4096, 8192, 16384]
    assert found["n"] == 8192 and found["flops_per_s"] == pytest.approx(141e9)
    assert "rose by less than 5%" in found["stopped"]


def test_a_dip_then_a_rise_keeps_growing_and_the_bound_stops_it():
    found = roof.grow(seconds_from({512: 80, 1024: 40, 2048: 120, 4096: 300}), max_n=4096, max_seconds=1e9)
    assert found["n"] == 4096 and found["flops_per_s"] == pytest.approx(300e9)
    assert found["stopped"] == "reached the largest size, 4096"


def test_a_slow_product_ends_the_growth():
    found = roof.grow(seconds_from({512: 1, 1024: 2, 2048: 4}), max_seconds=0.5)
    assert [s["n"] for s in found["sizes"]] == [512, 1024] and "took" in found["stopped"]


def test_each_precision_is_measured_against_its_own_roof():
    roofs = roof.measure_roofs(
        lambda dtype: seconds_from({512: {"float32": 100, "bfloat16": 400}[dtype]}),
        ["float32", "bfloat16", "int8"],
        max_n=512,
    )
    assert roofs["best"] == "bfloat16"
    assert roof.roof_for(roofs, "mixed_bfloat16") == {"dtype": "bfloat16", "flops_per_s": 400e9, "n": 512}
    assert roof.roof_for(roofs, "float32")["flops_per_s"] == pytest.approx(100e9)
    assert "error" in roofs["int8"]  # the fake has no int8 kernel: said, not fatal
    with pytest.raises(ValueError, match="no float16 roof"):
        roof.roof_for(roofs, "mixed_float16")


def test_int8_is_measured_where_the_cpu_has_integer_dot_products():
    assert roof.roof_dtypes({"vnni": True}, gpu=False) == ["float32", "bfloat16", "int8"]
    assert roof.roof_dtypes({"amx_int8": True}, gpu=False)[-1] == "int8"
    assert roof.roof_dtypes({}, gpu=False) == ["float32", "bfloat16"]
    assert roof.roof_dtypes({}, gpu=True) == ["float32", "bfloat16", "float16"]
