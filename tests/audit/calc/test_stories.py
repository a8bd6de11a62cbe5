"""Fast tier: the layer calculator's size arguments — a 3×3 stack against one 7×7, fully connected against
locally connected against conv, and naive against reduced inception."""

from cnnapp.audit.calc import stories


def test_three_3x3_against_one_7x7():
    stack, single = stories.stack_vs_single(3, 3, channels=8, size=8)
    assert stack.layers.startswith("3·3² = 27") and single.layers.startswith("7² = 49")
    assert (stack.receptive_field, single.receptive_field) == (7, 7)
    assert (stack.nonlinearities, single.nonlinearities) == (3, 1)
    assert (stack.weights, single.weights) == (27 * 8 * 8, 49 * 8 * 8)


def test_fully_connected_locally_connected_conv():
    fc, lc, conv = stories.fc_local_conv()
    assert fc.weights == 10**12 and lc.weights == 991 * 991 * 100 and conv.weights == 10_000


def test_inception_naive_against_reduced():
    reduced, naive = stories.inception("3a")
    assert reduced.weights == 163_328 and "28×28×256" in reduced.option
    assert naive.weights == 192 * (64 + 9 * 128 + 25 * 32) and "28×28×416" in naive.option
