"""Host-side preprocessing layers: behaviour of heft's own (no Keras needed)."""

import zipfile

import jax
import numpy as np
import pytest

import heft
from heft.layers import _string_hash


def test_fingerprint_known_values():
    # Values of TensorFlow's Fingerprint64 (farmhash), the first three lengths' branches.
    assert _string_hash.fingerprint64(b"") == 0x9AE16A3B2F90404F
    assert (
        _string_hash.fingerprint64(b"a") % 1000
        == heft.layers.Hashing(1000)(np.array(["a"])).tolist()[0]
    )


def test_integer_layers_run_inside_jit():
    lookup = heft.layers.IntegerLookup(vocabulary=[4, 8, 15], num_oov_indices=2)
    hashing = heft.layers.Hashing(7, salt=3)
    x = np.array([[4, 16, 15, 9]])
    eager = (np.asarray(lookup(x)), np.asarray(hashing(x)))
    jitted = jax.jit(lambda v: (lookup(v), hashing(v)))(x)
    np.testing.assert_array_equal(np.asarray(jitted[0]), eager[0])
    np.testing.assert_array_equal(np.asarray(jitted[1]), eager[1])


def test_string_lookup_refuses_tracers():
    lookup = heft.layers.StringLookup(vocabulary=["a"])
    with pytest.raises(ValueError, match="host"):
        jax.jit(lambda v: lookup(v))(np.array([1]))


def test_bytes_and_object_inputs_and_vocabulary_file(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_text("a\nb\nc\n", encoding="utf-8")
    lookup = heft.layers.StringLookup(vocabulary=str(path))
    assert lookup.get_vocabulary() == ["[UNK]", "a", "b", "c"]
    expected = [[1, 3, 0]]
    assert np.asarray(lookup(np.array([[b"a", b"c", b"z"]]))).tolist() == expected
    assert np.asarray(lookup(np.array([["a", "c", "z"]], dtype=object))).tolist() == expected
    with pytest.raises(ValueError, match="does not exist"):
        heft.layers.StringLookup(vocabulary=str(tmp_path / "missing.txt"))


def test_text_vectorization_callables():
    layer = heft.layers.TextVectorization(
        standardize=lambda x: np.char.upper(x),
        split=lambda x: [s.split(",") for s in x.tolist()],
        output_sequence_length=3,
    )
    layer.adapt(np.array(["a,b", "b,c"]))
    assert layer.get_vocabulary() == ["", "[UNK]", "B", "C", "A"]
    assert np.asarray(layer(np.array(["a,c,x,b"]))).tolist() == [[4, 3, 1]]


def test_pipeline_with_fixed_normalization_and_lookup():
    pipeline = heft.layers.Pipeline(
        [
            heft.layers.Normalization(mean=1.0, variance=4.0),
            heft.layers.Discretization(bin_boundaries=[0.0]),
            heft.layers.IntegerLookup(vocabulary=[0, 1], num_oov_indices=0),
        ]
    )
    assert np.asarray(pipeline(np.array([[-3.0], [5.0]]))).tolist() == [[0], [1]]


def test_asset_member_escaping_its_folder_is_refused(tmp_path):
    lookup = heft.layers.StringLookup()
    lookup.adapt(np.array([["a", "b", "a"]]))
    model = heft.Sequential([heft.Input((3,), dtype="string"), lookup])
    model.save(tmp_path / "m.keras")
    bad = tmp_path / "bad.keras"
    with zipfile.ZipFile(tmp_path / "m.keras") as src, zipfile.ZipFile(bad, "w") as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename))
        dst.writestr("assets/layers/string_lookup/../../../evil.txt", b"x")
    with pytest.raises(ValueError, match=r"climbs out|escapes"):
        heft.saving.load_model(bad)
    loaded = heft.saving.load_model(tmp_path / "m.keras")
    assert loaded.layers[0].get_vocabulary() == ["[UNK]", "a", "b"]


def test_adapt_failure_keeps_state():
    norm = heft.layers.Normalization()
    norm.adapt(np.array([[1.0], [3.0]]))
    with pytest.raises(ValueError, match="incompatible"):
        norm.adapt(iter([np.ones((2, 1)), np.ones((2, 2))]))
    assert np.asarray(norm.adapt_mean.numpy()).tolist() == [2.0]
