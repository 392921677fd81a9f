"""Arrays and dtypes inside configs are read without letting the config choose the allocation."""

import json
import re
import tracemalloc

import ml_dtypes
import numpy as np
import pytest

import heft
from heft import _config_arrays, _dtypes
from heft.saving import SafeModeScope


def _peak_bytes(fn):
    """The peak of memory traced (numpy's array data included) while ``fn`` runs."""
    tracemalloc.start()
    try:
        try:
            fn()
        except ValueError:
            pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize(
    ("value", "dtype"),
    [
        ([[1.5, 2.0]], "float32"),
        ([1, 2, 3], "int64"),
        ([True, False], "bool"),
        ([1.0, 2.0], "bfloat16"),
        ([[1, 2]], "complex128"),
        (7, "uint8"),
    ],
)
def test_decode_array_reads_numeric_arrays_exactly(value, dtype):
    out = _config_arrays.decode_array({"value": value, "dtype": dtype}, "a demo")
    expected = np.array(value, dtype=ml_dtypes.bfloat16 if dtype == "bfloat16" else dtype)
    assert out.dtype == expected.dtype
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("dtype", ["S1000000000", "U5", "O", "V8", "(3,)f8", "M8[s]"])
def test_decode_array_refuses_non_numeric_dtypes_in_safe_mode(dtype):
    with pytest.raises(ValueError, match=rf"dtype '{re.escape(dtype)}', which safe mode refuses"):
        _config_arrays.decode_array({"value": ["a"], "dtype": dtype}, "a demo")


def test_decode_array_refuses_an_array_far_larger_than_its_text_even_when_unsafe():
    config = {"value": ["a"] * 15, "dtype": "S1000000000"}
    with SafeModeScope(False):
        peak = _peak_bytes(lambda: _config_arrays.decode_array(config, "a demo"))
        with pytest.raises(
            ValueError,
            match=r"a demo holds an array of 15 element\(s\) of dtype 'S1000000000', which "
            r"would take 15,000,000,000 bytes, while its values take about 62 bytes",
        ):
            _config_arrays.decode_array(config, "a demo")
        # Short strings in a fitting dtype are still read when unsafe.
        out = _config_arrays.decode_array({"value": ["ab", "c"], "dtype": "S2"}, "a demo")
    assert peak < 1 << 20
    assert out.tolist() == [b"ab", b"c"]


@pytest.mark.parametrize(
    ("config", "match"),
    [
        ({"value": [1]}, r"malformed array: expected a dict with 'value' and 'dtype'"),
        ({"value": [1], "dtype": ["f4"]}, r"dtype is \['f4'\] \(of type list\)"),
        ({"value": [1], "dtype": "float99"}, r"dtype 'float99', which is not a numpy dtype"),
        ({"value": [[1, 2], [3]], "dtype": "int32"}, r"numpy cannot make with dtype 'int32'"),
        ({"value": ["x"], "dtype": "float32"}, r"numpy cannot make with dtype 'float32'"),
    ],
)
def test_decode_array_explains_malformed_arrays(config, match):
    with pytest.raises(ValueError, match=match):
        _config_arrays.decode_array(config, "a demo")


def scale_by(x, factor):
    return x * factor


def _lambda_model_json(factor):
    model = heft.Sequential(
        [heft.Input((3,)), heft.layers.Lambda(scale_by, arguments={"factor": factor})]
    )
    return json.loads(model.to_json())


def test_lambda_argument_with_a_huge_string_dtype_is_refused_without_allocating():
    config = _lambda_model_json(np.array([2.0], "float32"))
    argument = config["config"]["layers"][1]["config"]["arguments"]["factor"]
    argument["config"] = {"value": ["a"] * 15, "dtype": "S1000000000"}
    text = json.dumps(config)

    def load():
        heft.models.model_from_json(text, custom_objects={"scale_by": scale_by})

    with pytest.raises(
        ValueError,
        match=r"the `arguments` of the config of Lambda layer 'lambda' holds an array of "
        r"dtype 'S1000000000', which safe mode refuses",
    ):
        load()
    assert _peak_bytes(load) < 64 << 20


def test_lambda_numeric_array_argument_round_trips_through_json():
    config = _lambda_model_json(np.array([2.0, 3.0, 4.0], "float32"))
    model = heft.models.model_from_json(json.dumps(config), custom_objects={"scale_by": scale_by})
    factor = model.layers[0].arguments["factor"]
    assert factor.dtype == np.float32
    np.testing.assert_array_equal(factor, [2.0, 3.0, 4.0])
    np.testing.assert_allclose(model(np.ones((1, 3), "float32")), [[2.0, 3.0, 4.0]])


def test_constant_initializer_config_with_a_bad_dtype_is_refused():
    config = {"value": {"class_name": "__numpy__", "config": {"value": [1], "dtype": "U99"}}}
    with pytest.raises(ValueError, match=r"the `value` of a Constant initializer's config holds"):
        heft.initializers.Constant.from_config(config)
    ok = {"value": {"class_name": "__numpy__", "config": {"value": [1.0, 2.0], "dtype": "float32"}}}
    assert heft.initializers.Constant.from_config(ok).value.tolist() == [1.0, 2.0]


def test_rescaling_scale_with_a_bad_dtype_is_refused():
    bad = {"class_name": "__numpy__", "config": {"value": ["a"], "dtype": "S1000000000"}}
    with pytest.raises(ValueError, match=r"the `scale` of the config of Rescaling layer 'r' holds"):
        heft.layers.Rescaling.from_config({"name": "r", "scale": bad, "offset": 0.0})


def test_malformed_bytes_value_raises_value_error():
    from heft.layers._lambda import deserialize_value

    with pytest.raises(ValueError, match=r"a config value holds malformed bytes"):
        deserialize_value({"class_name": "__bytes__", "config": {"value": 3}})


@pytest.mark.parametrize("dtype", [[["a", "S1000000000"]], {"names": ["a"], "formats": ["f8"]}, 3])
def test_standardize_dtype_refuses_containers_and_numbers_without_numpy(dtype):
    with pytest.raises(ValueError, match=r"Invalid dtype: .*Expected a dtype name such as"):
        _dtypes.standardize_dtype(dtype)


@pytest.mark.parametrize("dtype", ["S1000000000", [["a", "S1000000000"]]])
def test_layer_config_with_an_absurd_dtype_raises_value_error(dtype):
    model = heft.Sequential([heft.Input((3,)), heft.layers.Dense(2)])
    config = json.loads(model.to_json())
    config["config"]["layers"][1]["config"]["dtype"] = dtype
    with pytest.raises(ValueError, match=r"DTypePolicy|Cannot interpret `dtype` argument"):
        heft.models.model_from_json(json.dumps(config))
    config["config"]["layers"][1]["config"]["dtype"] = {
        "module": "keras",
        "class_name": "DTypePolicy",
        "config": {"name": "S1000000000"},
        "registered_name": None,
    }
    with pytest.raises(ValueError, match=r"Cannot convert 'S1000000000' to a mixed precision"):
        heft.models.model_from_json(json.dumps(config))
