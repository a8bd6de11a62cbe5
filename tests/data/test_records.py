"""What a loader registers beside a split (`data.records`): labels without decoding, cheap subsets, and
nothing for a dataset built by hand."""

import numpy as np
import tensorflow as tf

from cnnapp.data import records


def test_an_in_memory_split_knows_its_labels_and_selects_without_a_pass():
    images = np.arange(5, dtype="float32").reshape(5, 1, 1, 1)
    split = records.in_memory(images, np.array([3, 1, 4, 1, 5]))
    registered = records.records_of(split)
    assert registered.cheap and not registered.labels_read
    np.testing.assert_array_equal(registered.label_array(), [3, 1, 4, 1, 5])
    assert registered.labels_read and registered.label_array().dtype == np.int64
    subset = registered.select(np.array([1, 4]))
    assert [int(label) for _, label in subset] == [1, 5]
    assert [float(image[0, 0, 0]) for image, _ in subset] == [1.0, 4.0]
    np.testing.assert_array_equal(records.records_of(subset).label_array(), [1, 5])  # registered in turn


def test_labels_are_read_once():
    calls = []
    registered = records.Records(labels=lambda: calls.append(1) or [0, 1], select=lambda index: None)
    registered.label_array()
    registered.label_array()
    assert calls == [1]


def test_a_dataset_built_by_hand_has_no_records():
    assert records.records_of(tf.data.Dataset.range(3)) is None
    assert records.records_of(object.__new__(type("Unweakable", (), {"__slots__": ()}))) is None


def test_take_indices_keeps_the_stored_order_and_reads_only_up_to_the_last():
    read = []

    def numbers():
        for n in range(100):
            read.append(n)
            yield n

    ds = tf.data.Dataset.from_generator(numbers, output_signature=tf.TensorSpec((), tf.int64))
    assert [int(n) for n in records.take_indices(ds, np.array([2, 5, 7]))] == [2, 5, 7]
    assert max(read) <= 8  # a prefetching reader may look one ahead, never through the whole split
    assert list(records.take_indices(ds, np.array([], int))) == []
