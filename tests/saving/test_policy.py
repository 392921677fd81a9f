"""Load policies: skip_mismatch patterns, strip_prefix (wrapped models) and aliases (renames)."""

import numpy as np
import pytest

import heft
from heft import layers

SUFFIXES = ["m.weights.h5", "m.safetensors", "m.weights.json"]


def _save(model, path):
    kwargs = {"max_shard_size": 0.0001} if str(path).endswith(".json") else {}
    model.save_weights(str(path), **kwargs)


def _classifier(classes, name="clf"):
    return heft.Sequential(
        [
            heft.Input((4,)),
            layers.Dense(8, name="body"),
            layers.Dense(classes, name="head"),
        ],
        name=name,
    )


@pytest.mark.parametrize("filename", SUFFIXES)
def test_policy_skip_patterns_load_the_body_and_keep_the_head(tmp_path, filename):
    source = _classifier(3)
    _save(source, tmp_path / filename)
    target = _classifier(5, name="clf2")
    head_before = [w.copy() for w in target.layers[1].get_weights()]
    with pytest.warns(UserWarning, match="skipped 2 variable"):
        report = target.load_weights(str(tmp_path / filename), skip_mismatch=["*/head/*"])
    assert report.loaded == 2
    for got, want in zip(
        target.layers[0].get_weights(), source.layers[0].get_weights(), strict=True
    ):
        np.testing.assert_array_equal(got, want)
    for got, want in zip(target.layers[1].get_weights(), head_before, strict=True):
        np.testing.assert_array_equal(got, want)


def test_policy_skip_patterns_refuse_other_mismatches(tmp_path):
    _save(_classifier(3), tmp_path / "m.weights.h5")
    target = _classifier(5, name="clf2")
    before = [w.copy() for w in target.get_weights()]
    with pytest.raises(ValueError, match=r"(?s)mismatched.*clf2/head/kernel"):
        target.load_weights(str(tmp_path / "m.weights.h5"), skip_mismatch=["*/body/*"])
    for got, want in zip(target.get_weights(), before, strict=True):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("filename", SUFFIXES)
def test_policy_strip_prefix_loads_a_model_saved_inside_a_wrapper(tmp_path, filename):
    inner = heft.Sequential([heft.Input((4,)), layers.Dense(3, name="d")], name="inner")
    wrapper = heft.Sequential([inner, layers.Dense(2, name="top")], name="wrapper")
    wrapper(np.ones((1, 4), "float32"))
    _save(wrapper, tmp_path / filename)
    fresh = heft.Sequential([heft.Input((4,)), layers.Dense(3, name="d")], name="fresh")
    with pytest.raises(ValueError, match="pass `strip_prefix='layers/sequential'`"):
        fresh.load_weights(str(tmp_path / filename))
    report = fresh.load_weights(str(tmp_path / filename), strip_prefix="layers/sequential")
    assert report.ok and report.loaded == 2
    for got, want in zip(fresh.get_weights(), inner.get_weights(), strict=True):
        np.testing.assert_array_equal(got, want)


class _Net(heft.Model):
    def __init__(self, attribute, **kwargs):
        super().__init__(**kwargs)
        self._attribute = attribute
        setattr(self, attribute, layers.Dense(3, name="dense_a"))
        self.out = layers.Dense(1, name="dense_b")

    def call(self, x):
        return self.out(getattr(self, self._attribute)(x))


@pytest.mark.parametrize("filename", SUFFIXES)
def test_policy_aliases_read_a_renamed_attribute(tmp_path, filename):
    old = _Net("enc")
    old(np.ones((1, 4), "float32"))
    _save(old, tmp_path / filename)
    new = _Net("encoder")
    new(np.ones((1, 4), "float32"))
    with pytest.raises(ValueError, match="missing"):
        new.load_weights(str(tmp_path / filename))
    report = new.load_weights(str(tmp_path / filename), aliases={"encoder": "enc"})
    assert report.ok
    for got, want in zip(new.get_weights(), old.get_weights(), strict=True):
        np.testing.assert_array_equal(got, want)


def test_policy_arguments_are_checked(tmp_path):
    model = _classifier(3)
    _save(model, tmp_path / "m.weights.h5")
    path = str(tmp_path / "m.weights.h5")
    with pytest.raises(TypeError, match="skip_mismatch"):
        model.load_weights(path, skip_mismatch=3)
    with pytest.raises(TypeError, match="strip_prefix"):
        model.load_weights(path, strip_prefix="")
    with pytest.raises(TypeError, match="aliases"):
        model.load_weights(path, aliases=["encoder"])
    model.save_weights(str(tmp_path / "m.h5"))
    with pytest.raises(ValueError, match=r"legacy `\.h5`"):
        model.load_weights(str(tmp_path / "m.h5"), strip_prefix="layers")
