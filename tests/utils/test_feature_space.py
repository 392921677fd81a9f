"""heft's FeatureSpace on its own: the adapt sources it reads, string features in models, errors."""

import numpy as np
import pytest

import heft
from heft.utils import FeatureSpace

DATA = {
    "size": np.array([1.0, 2.0, 3.0, 6.0], "float32"),
    "color": np.array(["red", "blue", "red", "green"]),
    "count": np.array([1, 2, 2, 3]),
}


def _space(**kwargs):
    return FeatureSpace(
        {"size": "float_normalized", "color": "string_categorical", "count": "integer_categorical"},
        crosses=[("color", "count")],
        crossing_dim=4,
        **kwargs,
    )


def _batches():
    return [{k: v[:2] for k, v in DATA.items()}, {k: v[2:] for k, v in DATA.items()}]


class _Indexed(heft.utils.PyDataset):
    def __init__(self):
        super().__init__()
        self.parts = _batches()

    def __len__(self):
        return len(self.parts)

    def __getitem__(self, i):
        return self.parts[i]


@pytest.mark.parametrize("source", ["list", "generator", "indexed"])
def test_feature_space_adapt_sources_agree_with_a_dict(source):
    reference = _space()
    reference.adapt(DATA)
    space = _space()
    data = {"list": _batches(), "generator": iter(_batches()), "indexed": _Indexed()}[source]
    space.adapt(data)
    np.testing.assert_allclose(np.asarray(space(DATA)), np.asarray(reference(DATA)), rtol=1e-6)
    assert space.preprocessors["color"].get_vocabulary() == ["[UNK]", "red", "green", "blue"]


def test_feature_space_string_features_run_in_a_functional_model():
    space = _space()
    space.adapt(DATA)
    outputs = heft.layers.Dense(1, kernel_initializer="ones")(space.get_encoded_features())
    model = heft.Model(space.get_inputs(), outputs)
    encoded = np.asarray(space(DATA)).sum(axis=-1, keepdims=True)
    np.testing.assert_allclose(np.asarray(model({k: v[:, None] for k, v in DATA.items()})), encoded)


def test_feature_space_single_example_gives_unbatched_outputs():
    space = _space(output_mode="dict")
    space.adapt(DATA)
    out = space({"size": 2.0, "color": "blue", "count": 2})
    assert out["color"].shape == (4,)
    assert np.asarray(out["color"]).tolist() == [0.0, 0.0, 0.0, 1.0]
    assert set(out) == {"size", "color", "count", "color_X_count"}


def test_feature_space_without_adaptable_features_needs_no_adapt():
    rescaled = FeatureSpace.float_rescaled(scale=2.0)
    space = FeatureSpace({"x": "float", "y": rescaled})
    out = space({"x": np.array([0.5]), "y": np.array([2.0])})
    assert np.asarray(out).tolist() == [[0.5, 4.0]]


def test_feature_space_errors_say_what_to_do():
    space = _space()
    with pytest.raises(ValueError, match=r"call `\.adapt\(dataset\)`"):
        space(DATA)
    with pytest.raises(ValueError, match="Received unknown features"):
        FeatureSpace({"a": "float"}, crosses=[("a", "b")])
    with pytest.raises(ValueError, match="Invalid feature type: text"):
        FeatureSpace({"a": "text"})
    with pytest.raises(ValueError, match=r"Expected one of \{'dict', 'concat'\}"):
        FeatureSpace({"a": "float"}, output_mode="stack")
    with pytest.raises(ValueError, match="dataset of dicts"):
        space.adapt([np.ones(3)])
    with pytest.raises(KeyError, match="no feature 'count'"):
        space.adapt({"size": DATA["size"], "color": DATA["color"]})
    space.adapt(DATA)
    with pytest.raises(KeyError, match=r"Unknown feature\(s\) \['weight'\]"):
        space({**DATA, "weight": np.ones(4)})
    with pytest.raises(KeyError, match=r"lack the feature\(s\) \['size'\]|needs the feature"):
        space({"color": DATA["color"], "count": DATA["count"]})
    with pytest.raises(ValueError, match="can only be called with a dict"):
        space([DATA])


def test_feature_space_concat_refuses_unencoded_integers():
    space = FeatureSpace({"c": FeatureSpace.integer_categorical(output_mode="int")})
    with pytest.raises(ValueError, match="Consider using `output_mode='dict'`"):
        space.adapt({"c": np.array([1, 2])})


def test_feature_space_archive_round_trip(tmp_path):
    space = _space()
    space.adapt(DATA)
    space.save(tmp_path / "fs.keras")
    loaded = heft.saving.load_model(tmp_path / "fs.keras")
    np.testing.assert_allclose(np.asarray(loaded(DATA)), np.asarray(space(DATA)), rtol=1e-6)
    assert loaded.get_config() == space.get_config()


def test_feature_space_failed_adapt_changes_nothing():
    space = _space()
    space.adapt(DATA)
    before = np.asarray(space(DATA))
    vocabulary = space.preprocessors["color"].get_vocabulary()
    # "size" (normalized) and "color" adapt before "count", whose strings are refused.
    bad = {
        "size": DATA["size"] * 10,
        "color": np.array(["x", "y", "y", "x"]),
        "count": DATA["color"],
    }
    with pytest.raises(ValueError, match="takes integers"):
        space.adapt(bad)
    assert space.preprocessors["color"].get_vocabulary() == vocabulary
    np.testing.assert_array_equal(np.asarray(space(DATA)), before)
