"""A Functional model built on a dict of inputs maps a called dict by key, whatever the key order."""

import numpy as np

import heft


def test_dict_inputs_given_out_of_sorted_order_reach_their_own_layers():
    # Keys not in sorted order, with different dtypes, so a mix-up would fail loudly.
    words = heft.Input((1,), dtype="string", name="words")
    counts = heft.Input((1,), dtype="int32", name="counts")
    lookup = heft.layers.StringLookup(vocabulary=["a", "b"])
    joined = heft.layers.Concatenate()(
        [heft.ops.cast(lookup(words), "float32"), heft.ops.cast(counts, "float32") * 10.0]
    )
    model = heft.Model({"words": words, "counts": counts}, joined)
    out = model({"counts": np.array([[1], [2]]), "words": np.array([["b"], ["z"]])})
    assert np.asarray(out).tolist() == [[2.0, 10.0], [0.0, 20.0]]
    out = model({"words": np.array([["a"]]), "counts": np.array([[3]])})
    assert np.asarray(out).tolist() == [[1.0, 30.0]]
