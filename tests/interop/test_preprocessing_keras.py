"""Preprocessing layers in real Keras 3 and in heft: adapted state, configs and outputs."""

import os
import warnings

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import numpy as np
import pytest

import heft

RNG = np.random.default_rng(0)
FEATURES = RNG.normal(2.0, 3.0, size=(20, 3, 4)).astype("float32")


class _Indexed:
    """A PyDataset-like object: batches by index."""

    def __init__(self, x, size):
        self.x, self.size = x, size

    def __len__(self):
        return len(self.x) // self.size

    def __getitem__(self, i):
        return self.x[i * self.size : (i + 1) * self.size], None


class _KerasIndexed(keras.utils.PyDataset):
    def __init__(self, x, size):
        super().__init__()
        self.x, self.size = x, size

    def __len__(self):
        return len(self.x) // self.size

    def __getitem__(self, i):
        return self.x[i * self.size : (i + 1) * self.size], None


def _both(name, *args, **kwargs):
    return getattr(keras.layers, name)(*args, **kwargs), getattr(heft.layers, name)(*args, **kwargs)


@pytest.mark.parametrize(
    ("axis", "source"),
    [
        (-1, "array"),
        (None, "array"),
        ((1, 2), "array"),
        (1, "list"),
        (None, "generator"),
        (-1, "indexed"),
        ((1, 2), "tf"),
    ],
)
def test_normalization_adapt_matches(axis, source):
    theirs, ours = _both("Normalization", axis=axis)
    if source == "array":
        make = lambda: FEATURES  # noqa: E731
    elif source == "list":
        make = lambda: [FEATURES[:7], FEATURES[7:]]  # noqa: E731
    elif source == "generator":
        make = lambda: (FEATURES[i : i + 6] for i in range(0, 20, 6))  # noqa: E731
    elif source == "indexed":
        ours.adapt(_Indexed(FEATURES, 5))
        theirs.adapt(_KerasIndexed(FEATURES, 5))
        make = None
    else:
        tf = pytest.importorskip("tensorflow")
        make = lambda: tf.data.Dataset.from_tensor_slices(FEATURES).batch(6)  # noqa: E731
    if make is not None:
        theirs.adapt(make())
        ours.adapt(make())
    for t, o in zip(theirs.weights, ours.weights, strict=True):
        assert t.name == o.name and t.dtype == o.dtype and tuple(t.shape) == tuple(o.shape)
        assert t.trainable == o.trainable is False
        np.testing.assert_allclose(np.asarray(o.numpy()), np.asarray(t.numpy()), rtol=1e-5)
    x = FEATURES[:2]
    np.testing.assert_allclose(np.asarray(ours(x)), np.asarray(theirs(x)), rtol=1e-5, atol=1e-6)
    assert ours.get_config() | {"name": 0} == theirs.get_config() | {"name": 0}


@pytest.mark.parametrize("invert", [False, True])
def test_normalization_given_statistics(invert):
    kwargs = {"axis": (1, 2), "mean": [1.0, 2.0, 3.0, 4.0], "variance": [1.0, 4.0, 9.0, 0.0]}
    theirs, ours = _both("Normalization", invert=invert, **kwargs)
    x = FEATURES[:3]
    np.testing.assert_allclose(np.asarray(ours(x)), np.asarray(theirs(x)), rtol=1e-6)
    assert ours.weights == [] and theirs.weights == []
    assert ours.get_config() | {"name": 0} == theirs.get_config() | {"name": 0}


def test_normalization_model_archive_both_ways(tmp_path):
    for lib, other, name in ((keras, heft, "k.keras"), (heft, keras, "h.keras")):
        inputs = lib.Input((3, 4))
        norm = lib.layers.Normalization(axis=(1, 2))
        norm.adapt(FEATURES)
        model = lib.Model(inputs, lib.layers.Dense(2)(norm(inputs)))
        model.save(tmp_path / name)
        loaded = other.saving.load_model(tmp_path / name)
        np.testing.assert_allclose(
            np.asarray(loaded.predict(FEATURES[:4], verbose=0)),
            np.asarray(model.predict(FEATURES[:4], verbose=0)),
            rtol=1e-5,
            atol=1e-6,
        )


def test_normalization_bad_input_errors_as_keras():
    theirs, ours = _both("Normalization")
    ours.adapt(FEATURES)
    before = [np.asarray(w.numpy()).copy() for w in ours.weights]
    with pytest.raises(TypeError):
        ours.adapt(np.array([["a", "b", "c", "d"]]))
    with pytest.raises(ValueError, match="empty"):
        ours.adapt(np.zeros((0, 3, 4), "float32"))
    with pytest.raises(ValueError, match="empty"):
        ours.adapt(iter([]))
    with pytest.raises(ValueError, match="empty"):
        theirs.adapt(iter([]))
    with pytest.raises(ValueError, match="incompatible"):
        ours.adapt(np.zeros((2, 3, 5), "float32"))
    for w, b in zip(ours.weights, before, strict=True):
        np.testing.assert_array_equal(np.asarray(w.numpy()), b)
    theirs.adapt(FEATURES)
    strings = np.array([["a", "b", "c", "d"]] * 3)[None]
    with pytest.raises(ValueError):
        theirs(strings)
    with pytest.raises(ValueError, match="takes numbers"):
        ours(strings)


def _same_outputs(theirs, ours, *args, **kwargs):
    with warnings.catch_warnings():
        # Keras on JAX asks for int64 outputs, which JAX truncates to int32 with a warning.
        warnings.simplefilter("ignore", UserWarning)
        expected = np.asarray(theirs(*args, **kwargs))
    got = np.asarray(ours(*args, **kwargs))
    assert got.dtype == expected.dtype and got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-6)


@pytest.mark.parametrize("mode", ["int", "one_hot", "multi_hot", "count"])
@pytest.mark.parametrize("source", ["array", "batches"])
def test_discretization_adapt_matches(mode, source):
    data = RNG.gamma(2.0, size=(300, 1)).astype("float32")
    theirs, ours = _both("Discretization", num_bins=5, epsilon=0.05, output_mode=mode)
    if source == "array":
        theirs.adapt(data), ours.adapt(data)
    else:
        theirs.adapt([data[:100], data[100:]], steps=1)
        ours.adapt([data[:100], data[100:]], steps=1)
    assert ours.bin_boundaries == theirs.bin_boundaries
    assert ours.get_config() | {"name": 0} == theirs.get_config() | {"name": 0}
    _same_outputs(theirs, ours, data[:7])
    _same_outputs(theirs, ours, data[:7, 0])


def test_discretization_given_boundaries_and_errors():
    theirs, ours = _both("Discretization", bin_boundaries=[-1.0, 0.0, 2.5])
    _same_outputs(theirs, ours, np.array([[-3.0, -1.0, 0.1, 2.5, 9.0]]))
    _same_outputs(theirs, ours, np.array([[-3, 0, 3]]))
    for lib in (keras, heft):
        with pytest.raises(ValueError):
            lib.layers.Discretization(num_bins=2, bin_boundaries=[0.0])
        with pytest.raises(ValueError):
            lib.layers.Discretization()
        with pytest.raises(ValueError):
            lib.layers.Discretization(num_bins=2, output_mode="nope")
        with pytest.raises(ValueError):
            lib.layers.Discretization(bin_boundaries=[0.0]).adapt(np.zeros((3, 1)))
    ours = heft.layers.Discretization(num_bins=2)
    ours.adapt(np.arange(10.0))
    kept = list(ours.bin_boundaries)
    with pytest.raises(ValueError, match="empty"):
        ours.adapt(np.zeros((0,)))
    with pytest.raises(TypeError):
        ours.adapt(np.array(["a", "b"]))
    assert ours.bin_boundaries == kept


@pytest.mark.parametrize("mode", ["one_hot", "multi_hot", "count", "binary"])
@pytest.mark.parametrize("shape", [(), (5,), (4, 1), (3, 4)])
def test_category_encoding_matches(mode, shape):
    theirs, ours = _both("CategoryEncoding", num_tokens=6, output_mode=mode)
    x = RNG.integers(0, 6, size=shape)
    _same_outputs(theirs, ours, x)
    assert ours.get_config() | {"name": 0} == theirs.get_config() | {"name": 0}
    assert ours.compute_output_shape(shape) == theirs.compute_output_shape(shape)


def test_category_encoding_count_weights_and_errors():
    theirs, ours = _both("CategoryEncoding", num_tokens=4, output_mode="count")
    x, w = np.array([[0, 1, 1, 3]]), np.array([[0.5, 1.0, 2.0, 4.0]])
    _same_outputs(theirs, ours, x, count_weights=w)
    for lib in (keras, heft):
        with pytest.raises(ValueError):
            lib.layers.CategoryEncoding()
        with pytest.raises(ValueError):
            lib.layers.CategoryEncoding(0)
        with pytest.raises(ValueError):
            lib.layers.CategoryEncoding(3, output_mode="int")
        with pytest.raises(ValueError):
            lib.layers.CategoryEncoding(3, output_mode="one_hot")(x, count_weights=w)


@pytest.mark.parametrize("name", ["Discretization", "CategoryEncoding"])
def test_encoding_layers_in_models_both_ways(tmp_path, name):
    kwargs = (
        {"bin_boundaries": [0.0, 1.0], "output_mode": "one_hot"}
        if name == "Discretization"
        else {"num_tokens": 3, "output_mode": "one_hot"}
    )
    x = np.array([[0.0], [1.0], [2.0], [0.5]], "float32")
    if name == "CategoryEncoding":
        x = x.astype("int32")
    for lib, other, file in ((keras, heft, "k.keras"), (heft, keras, "h.keras")):
        inputs = lib.Input((1,), dtype=x.dtype.name)
        model = lib.Model(inputs, getattr(lib.layers, name)(**kwargs)(inputs))
        model.save(tmp_path / file)
        loaded = other.saving.load_model(tmp_path / file)
        np.testing.assert_allclose(
            np.asarray(loaded.predict(x, verbose=0)), np.asarray(model.predict(x, verbose=0))
        )


WORDS = np.array([["", "a", "héllo"], ["x" * 17, "y" * 40, "z" * 150]])
HASH_INPUTS = {
    "str": WORDS,
    "bytes": np.char.encode(WORDS, "utf-8"),
    "object": WORDS.astype(object),
    "int": np.array([[0, -7, 12345678901], [3, 3, 99]]),
    "int8": np.array([[1, -2, 3]], "int8"),
    "float": np.array([[1.5, -2.7, 1e6]]),
    "bool": np.array([True, False]),
}


@pytest.mark.parametrize("kind", sorted(HASH_INPUTS))
@pytest.mark.parametrize("kwargs", [{}, {"salt": 133}, {"salt": [1, 2**40]}, {"mask_value": 3}])
def test_hashing_same_bins(kind, kwargs):
    x = HASH_INPUTS[kind]
    if "mask_value" in kwargs and x.dtype.kind in "USO":
        kwargs = {"mask_value": "a"}
    if "mask_value" in kwargs and kind == "bool":
        pytest.skip("Keras cannot compare booleans with a mask value")
    theirs, ours = _both("Hashing", 7, **kwargs)
    _same_outputs(theirs, ours, x)
    assert ours.get_config() | {"name": 0} == theirs.get_config() | {"name": 0}


@pytest.mark.parametrize("mode", ["one_hot", "multi_hot", "count"])
def test_hashing_encoded_outputs(mode):
    theirs, ours = _both("Hashing", 5, output_mode=mode)
    _same_outputs(theirs, ours, np.array([["a"], ["b"], ["c"]]))
    if mode != "one_hot":
        _same_outputs(theirs, ours, np.array([[1, 2, 3], [4, 4, 4]]))


def test_hashing_errors_match():
    for lib in (keras, heft):
        for bad in (
            {"num_bins": 0},
            {"num_bins": 3, "salt": "x"},
            {"num_bins": 3, "dtype": "float32"},
        ):
            with pytest.raises(ValueError):
                lib.layers.Hashing(**bad)
        with pytest.raises(ValueError):
            lib.layers.Hashing(3, output_mode="tf_idf")


def test_hashing_in_model_and_archive_both_ways(tmp_path):
    x = np.array([[1], [22], [333], [-4]])
    for lib, other, file in ((keras, heft, "k.keras"), (heft, keras, "h.keras")):
        inputs = lib.Input((1,), dtype="int32")
        model = lib.Model(inputs, lib.layers.Hashing(9, salt=[3, 4])(inputs))
        model.save(tmp_path / file)
        loaded = other.saving.load_model(tmp_path / file)
        np.testing.assert_array_equal(
            np.asarray(loaded.predict(x, verbose=0)), np.asarray(model.predict(x, verbose=0))
        )


@pytest.mark.parametrize("mode", ["int", "one_hot"])
@pytest.mark.parametrize("shape", [(), (4,), (4, 1)])
def test_hashed_crossing_same_bins(mode, shape):
    theirs, ours = _both("HashedCrossing", 11, output_mode=mode)
    n = int(np.prod(shape))
    a = np.array([3, -1, 2**40, 7][:n]).reshape(shape)
    b = np.array(["x", "héllo", "", "z" * 80][:n]).reshape(shape)
    c = np.array([5, 5, 6, 6][:n], "int32").reshape(shape)
    _same_outputs(theirs, ours, (a, b))
    _same_outputs(theirs, ours, [b, a, c])
    assert ours.get_config() | {"name": 0} == theirs.get_config() | {"name": 0}


def test_hashed_crossing_errors_match():
    x = np.array([[1, 2]])
    for lib in (keras, heft):
        layer = lib.layers.HashedCrossing(4)
        for bad in (x, [x[:, :1]], [x, x], [np.array([1]), np.array([1, 2])]):
            with pytest.raises(ValueError):
                layer(bad)
        with pytest.raises(ValueError):
            layer([np.array([1.0]), np.array([2.0])])
        with pytest.raises(ValueError):
            lib.layers.HashedCrossing(4, output_mode="count")


TEXT = np.array([["b", "a", "c", "a"], ["d", "a", "b", "é"], ["c", "a", "", "b"]])
INTS = np.array([[5, 3, 3, 9], [7, 3, 5, 1], [3, 0, 9, 42]])

LOOKUP_CASES = [
    {},
    {"num_oov_indices": 2},
    {"mask_token": "MASK"},
    {"max_tokens": 4},
    {"output_mode": "one_hot"},
    {"output_mode": "multi_hot", "mask_token": "MASK"},
    {"output_mode": "count", "max_tokens": 6, "pad_to_max_tokens": True},
    {"output_mode": "tf_idf"},
    {"num_oov_indices": 3, "salt": 7},
]


def _lookup_inputs(name):
    return (
        (TEXT, np.array([["a", "zz", "MASK", "é"]]))
        if name == "StringLookup"
        else (
            INTS,
            np.array([[3, 77, 0, -8]]),
        )
    )


def _lookup_kwargs(name, kwargs):
    kwargs = dict(kwargs)
    if name == "IntegerLookup":
        if "mask_token" in kwargs:
            kwargs["mask_token"] = 0
        if "salt" in kwargs:
            kwargs["oov_method"] = "farmhash"
    return kwargs


@pytest.mark.parametrize("name", ["StringLookup", "IntegerLookup"])
@pytest.mark.parametrize("kwargs", LOOKUP_CASES)
def test_lookup_adapt_matches(name, kwargs):
    kwargs = _lookup_kwargs(name, kwargs)
    data, probe = _lookup_inputs(name)
    theirs, ours = _both(name, **kwargs)
    theirs.adapt(data)
    ours.adapt(data)
    assert ours.get_vocabulary() == [
        v.item() if hasattr(v, "item") else v for v in theirs.get_vocabulary()
    ]
    assert ours.vocabulary_size() == theirs.vocabulary_size()
    assert ours.get_config() | {"name": 0} == theirs.get_config() | {"name": 0}
    for x in (data, probe, probe[0]):
        _same_outputs(theirs, ours, x)


@pytest.mark.parametrize("name", ["StringLookup", "IntegerLookup"])
@pytest.mark.parametrize("source", ["batches", "tf"])
def test_lookup_adapt_from_batches(name, source):
    data, probe = _lookup_inputs(name)
    theirs, ours = _both(name, output_mode="tf_idf")
    if source == "tf":
        tf = pytest.importorskip("tensorflow")
        theirs.adapt(tf.data.Dataset.from_tensor_slices(data).batch(2))
        ours.adapt(tf.data.Dataset.from_tensor_slices(data).batch(2))
    else:
        theirs.adapt(iter([data[:2], data[2:]]), steps=1)
        ours.adapt(iter([data[:2], data[2:]]), steps=1)
    _same_outputs(theirs, ours, probe)


@pytest.mark.parametrize("name", ["StringLookup", "IntegerLookup"])
def test_lookup_given_vocabulary_and_invert(name):
    data, probe = _lookup_inputs(name)
    vocab = [v for v in dict.fromkeys(data.reshape(-1).tolist()) if v not in (0, "MASK")]
    kwargs = _lookup_kwargs(name, {"mask_token": "MASK"})
    theirs, ours = _both(name, vocabulary=vocab, **kwargs)
    _same_outputs(theirs, ours, probe)
    assert ours.get_config() | {"name": 0} == theirs.get_config() | {"name": 0}
    weights = np.linspace(0.5, 2.0, len(vocab))
    theirs, ours = _both(name, vocabulary=vocab, idf_weights=weights, output_mode="tf_idf")
    _same_outputs(theirs, ours, data)
    inverse = getattr(heft.layers, name)(vocabulary=vocab, invert=True, **kwargs)
    indices = np.array([[0, 1, 2, len(vocab) + 1, 99]])
    expected = ["MASK", "[UNK]", *vocab[:1], vocab[-1], "[UNK]"]
    if name == "IntegerLookup":
        expected = [0, -1, *vocab[:1], vocab[-1], -1]
        _same_outputs(
            keras.layers.IntegerLookup(vocabulary=vocab, invert=True, **kwargs), inverse, indices
        )
    assert np.asarray(inverse(indices)).tolist() == [expected]


@pytest.mark.parametrize("name", ["StringLookup", "IntegerLookup"])
def test_lookup_vocabulary_errors_as_keras(name):
    data, _ = _lookup_inputs(name)
    a, b = data[0, 0].item(), data[0, 1].item()
    mask = "MASK" if name == "StringLookup" else 0
    oov = "[UNK]" if name == "StringLookup" else -1
    bad = [
        ({"vocabulary": [a, b, a]}, "repeated"),
        ({"vocabulary": [a, mask], "mask_token": mask}, "mask"),
        ({"vocabulary": [a, oov], "invert": True}, "OOV"),
        ({"vocabulary": [a, b], "max_tokens": 2}, "larger"),
        ({"vocabulary": [a], "output_mode": "tf_idf"}, "idf_weights"),
        ({"output_mode": "int", "invert": True, "idf_weights": [1.0]}, "idf_weights"),
    ]
    for kwargs, match in bad:
        for lib in (keras, heft):
            with pytest.raises(ValueError, match=match):
                getattr(lib.layers, name)(**kwargs)
    layer = getattr(heft.layers, name)()
    layer.adapt(data)
    kept = layer.get_vocabulary()
    for empty in (data[:0], iter([])):
        with pytest.raises(ValueError, match="no tokens"):
            layer.adapt(empty)
    with pytest.raises(ValueError, match="repeated"):
        layer.set_vocabulary([a, b, a])
    assert layer.get_vocabulary() == kept
    wrong = INTS if name == "StringLookup" else TEXT
    with pytest.raises(ValueError, match="takes"):
        layer(wrong)
    fixed = getattr(heft.layers, name)(vocabulary=[a, b])
    with pytest.raises(ValueError, match="static vocabulary"):
        fixed.adapt(data)
    strict = getattr(heft.layers, name)(vocabulary=[a, b], num_oov_indices=0)
    with pytest.raises(ValueError, match="OOV values"):
        strict(data)


@pytest.mark.parametrize("mode", ["int", "tf_idf"])
def test_lookup_vocabulary_in_archives_both_ways(tmp_path, mode):
    import zipfile

    for lib, other, file in ((keras, heft, "k.keras"), (heft, keras, "h.keras")):
        inputs = lib.Input((4,), dtype="int32")
        lookup = lib.layers.IntegerLookup(output_mode=mode, num_oov_indices=2)
        lookup.adapt(INTS)
        model = lib.Model(inputs, lookup(inputs))
        model.save(tmp_path / file)
        with zipfile.ZipFile(tmp_path / file) as zf:
            vocab = zf.read("assets/layers/integer_lookup/vocabulary.txt").decode()
        assert vocab.splitlines() == [str(v) for v in lookup.get_vocabulary()]
        loaded = other.saving.load_model(tmp_path / file)
        assert [int(v) for v in loaded.layers[1].get_vocabulary()] == [
            int(v) for v in lookup.get_vocabulary()
        ]
        x = np.array([[3, 5, 77, 0]])
        np.testing.assert_allclose(
            np.asarray(loaded.predict(x, verbose=0)), np.asarray(model.predict(x, verbose=0))
        )


def test_string_lookup_vocabulary_in_archives_both_ways(tmp_path):
    for lib, other, file in ((keras, heft, "k.keras"), (heft, keras, "h.keras")):
        lookup = lib.layers.StringLookup(mask_token="MASK")
        # An empty token last in the vocabulary is dropped by Keras's vocabulary file reader.
        lookup.adapt(np.where(TEXT == "", "f", TEXT))
        model = lib.Sequential([lib.Input((4,), dtype="string"), lookup])
        model.save(tmp_path / file)
        restored = other.saving.load_model(tmp_path / file).layers[0]
        assert [str(v) for v in restored.get_vocabulary()] == [
            str(v) for v in lookup.get_vocabulary()
        ]
        probe = np.array([["a", "é", "MASK", "zz"]])
        np.testing.assert_array_equal(np.asarray(restored(probe)), np.asarray(lookup(probe)))


SENTENCES = np.array(
    [
        "The quick brown fox!",
        "the LAZY dog, the ÉCOLE; x-ray\tand\nnewline",
        "a\u00a0b  quick  fox",
        "",
        "Dog eat dog.",
    ]
)

TV_CASES = [
    {},
    {"output_sequence_length": 3},
    {"max_tokens": 6, "output_sequence_length": 12},
    {"standardize": "lower", "split": "character", "output_sequence_length": 8},
    {"standardize": None, "ngrams": 2},
    {"ngrams": (1, 3), "output_mode": "multi_hot"},
    {"output_mode": "count", "max_tokens": 12, "pad_to_max_tokens": True},
    {"output_mode": "tf_idf"},
    {"split": None},
    {"split": None, "output_mode": "one_hot", "standardize": "strip_punctuation"},
]


@pytest.mark.parametrize("kwargs", TV_CASES)
def test_text_vectorization_matches(kwargs):
    theirs, ours = _both("TextVectorization", **kwargs)
    theirs.adapt(SENTENCES)
    ours.adapt(SENTENCES)
    assert ours.get_vocabulary() == [str(v) for v in theirs.get_vocabulary()]
    assert ours.get_config() | {"name": 0} == theirs.get_config() | {"name": 0}
    probe = np.array(["the fox and the dog", "unknown words, x-ray!", "Dog"])
    for x in (SENTENCES, probe, probe[:, None]):
        _same_outputs(theirs, ours, x)


def test_text_vectorization_batches_vocabulary_and_archive(tmp_path):
    theirs, ours = _both("TextVectorization", output_sequence_length=5)
    batches = [SENTENCES[:2], SENTENCES[2:]]
    theirs.adapt(iter(batches))
    ours.adapt(iter(batches))
    assert ours.get_vocabulary() == [str(v) for v in theirs.get_vocabulary()]
    vocab = ["fox", "dog", "the"]
    theirs, ours = _both("TextVectorization", vocabulary=vocab, output_sequence_length=4)
    _same_outputs(theirs, ours, SENTENCES)
    assert ours.get_config() | {"name": 0} == theirs.get_config() | {"name": 0}
    for lib, other, file in ((keras, heft, "k.keras"), (heft, keras, "h.keras")):
        layer = lib.layers.TextVectorization(max_tokens=8, output_mode="tf_idf")
        layer.adapt(SENTENCES)
        model = lib.Sequential([lib.Input((1,), dtype="string"), layer])
        model.save(tmp_path / file)
        restored = other.saving.load_model(tmp_path / file).layers[0]
        assert [str(v) for v in restored.get_vocabulary()] == [
            str(v) for v in layer.get_vocabulary()
        ]
        _same_outputs(layer, restored, SENTENCES[:, None])


def test_text_vectorization_bad_input():
    for lib in (keras, heft):
        with pytest.raises(ValueError, match="repeated"):
            lib.layers.TextVectorization(vocabulary=["a", "b", "a"])
        with pytest.raises(ValueError, match="mask"):
            lib.layers.TextVectorization(vocabulary=["a", ""])
        with pytest.raises(ValueError):
            lib.layers.TextVectorization(output_mode="count", output_sequence_length=3)
        with pytest.raises(ValueError):
            lib.layers.TextVectorization(ngrams="2")
        with pytest.raises(ValueError):
            lib.layers.TextVectorization(split="comma")
        with pytest.raises(ValueError):
            lib.layers.TextVectorization()(np.array([["a", "b"]]))
    layer = heft.layers.TextVectorization()
    layer.adapt(SENTENCES)
    kept = layer.get_vocabulary()
    with pytest.raises(ValueError, match="no tokens"):
        layer.adapt(np.array(["", " ! "]))
    with pytest.raises(ValueError, match="repeated"):
        layer.set_vocabulary(["x", "x"])
    with pytest.raises(ValueError, match="takes strings"):
        layer(np.array([1.0, 2.0]))
    assert layer.get_vocabulary() == kept


def _pipeline(lib):
    # (A Normalization with a fixed mean is left out: Keras builds it inside a trace and fails.)
    norm = lib.layers.Rescaling(0.5, offset=-1.0)
    return lib.layers.Pipeline([norm, lib.layers.Discretization(bin_boundaries=[0.0])])


def test_pipeline_matches_config_and_archives(tmp_path):
    theirs, ours = _pipeline(keras), _pipeline(heft)
    x = np.array([[0.0, 5.0], [3.0, 1.0]], "float32")
    _same_outputs(theirs, ours, x)
    config, expected = ours.get_config(), theirs.get_config()
    assert [c["class_name"] for c in config["layers"]] == [
        c["class_name"] for c in expected["layers"]
    ]
    assert [c["config"] | {"name": 0} for c in config["layers"]] == [
        c["config"] | {"name": 0} for c in expected["layers"]
    ]
    rebuilt = heft.layers.Pipeline.from_config(expected)
    _same_outputs(theirs, rebuilt, x)
    for lib, other, file in ((keras, heft, "k.keras"), (heft, keras, "h.keras")):
        inputs = lib.Input((2,))
        model = lib.Model(inputs, _pipeline(lib)(inputs))
        model.save(tmp_path / file)
        loaded = other.saving.load_model(tmp_path / file)
        np.testing.assert_array_equal(
            np.asarray(loaded.predict(x, verbose=0)), np.asarray(model.predict(x, verbose=0))
        )
    with pytest.raises(ValueError, match="layers"):
        heft.layers.Pipeline.from_config({"name": "p"})


def test_string_pipeline_before_fit():
    """Host-side layers prepare numpy batches; the model trains on the arrays they return."""
    lookup = heft.layers.StringLookup(output_mode="multi_hot")
    lookup.adapt(TEXT)
    x = lookup(TEXT)
    k_lookup = keras.layers.StringLookup(output_mode="multi_hot")
    k_lookup.adapt(TEXT)
    np.testing.assert_array_equal(np.asarray(x), np.asarray(k_lookup(TEXT)))
    model = heft.Sequential([heft.Input((x.shape[1],)), heft.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(np.asarray(x, "float32"), np.ones((3, 1)), epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2


SIGNAL = RNG.normal(size=(2, 40, 3)).astype("float32")

STFT_CASES = [
    {},
    {"mode": "magnitude", "frame_step": 3, "padding": "same"},
    {"mode": "psd", "window": "hamming", "periodic": True, "scaling": "spectrum"},
    {"mode": "real", "expand_dims": True},
    {"mode": "imag", "window": None, "scaling": None, "fft_length": 16},
    {"mode": "angle", "data_format": "channels_first"},
    {"mode": "stft", "data_format": "channels_first", "expand_dims": True},
]


@pytest.mark.parametrize("kwargs", STFT_CASES)
def test_stft_spectrogram_matches(kwargs):
    kwargs = {"frame_length": 8, **kwargs}
    theirs, ours = _both("STFTSpectrogram", **kwargs)
    x = SIGNAL if kwargs.get("data_format") != "channels_first" else SIGNAL.transpose(0, 2, 1)
    expected, got = np.asarray(theirs(x)), np.asarray(ours(x))
    assert got.shape == expected.shape == ours.compute_output_shape(x.shape)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)
    assert [w.name for w in ours.weights] == [w.name for w in theirs.weights]
    for t, o in zip(theirs.weights, ours.weights, strict=True):
        np.testing.assert_allclose(np.asarray(o.numpy()), np.asarray(t.numpy()), atol=1e-6)
    assert ours.get_config() | {"name": 0} == theirs.get_config() | {"name": 0}


def test_stft_initializer_matches():
    for side in ("real", "imag"):
        for window in ("hann", None, np.linspace(0.0, 1.0, 12)):
            for scaling in ("density", "spectrum", None):
                a = keras.initializers.STFT(side, window, scaling)((12, 1, 9))
                b = heft.initializers.STFT(side, window, scaling)((12, 1, 9))
                np.testing.assert_allclose(np.asarray(b), np.asarray(a), rtol=1e-5, atol=1e-6)
    assert heft.initializers.serialize(heft.initializers.stft("imag")) == (
        keras.initializers.serialize(keras.initializers.STFTInitializer("imag"))
    )
    for lib in (keras, heft):
        with pytest.raises(ValueError):
            lib.initializers.STFT("both")
        with pytest.raises(ValueError):
            lib.initializers.STFT(window="no-such-window")
        with pytest.raises(ValueError):
            lib.layers.STFTSpectrogram(frame_length=8, frame_step=9)


MEL_CASES = [
    {"fft_length": 64, "sequence_length": 48, "sequence_stride": 20, "window": "hamming",
     "sampling_rate": 8000, "num_mel_bins": 6, "min_freq": 100.0, "max_freq": 3000.0},
    {"fft_length": 32, "sequence_stride": 8, "window": None, "power_to_db": False,
     "mag_exp": 1.0, "num_mel_bins": 5, "top_db": 20.0, "ref_power": 2.0},
]  # fmt: skip


@pytest.mark.parametrize("kwargs", MEL_CASES)
def test_mel_spectrogram_matches(kwargs):
    theirs, ours = _both("MelSpectrogram", **kwargs)
    audio = RNG.normal(size=(2, 120)).astype("float32")
    for x in (audio, audio[0]) if kwargs["fft_length"] == 32 else (audio,):
        expected, got = np.asarray(theirs(x)), np.asarray(ours(x))
        assert got.shape == expected.shape
        assert list(got.shape) == list(ours.compute_output_shape(x.shape))
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-3)
    assert ours.get_config() | {"name": 0} == theirs.get_config() | {"name": 0}
    with pytest.raises(ValueError):
        heft.layers.MelSpectrogram(fft_length=16, sequence_length=32)
