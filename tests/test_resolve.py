"""heft._resolve.resolve: the one ``get`` of constraints, regularizers and initializers."""

import numpy as np
import pytest

from heft import constraints, initializers, regularizers
from heft._resolve import resolve


def _resolve(identifier, **extra):
    def deserialize(name):
        if name != "known":
            raise ValueError(name)
        return abs

    return resolve(
        identifier, kind="widget", deserialize=deserialize, known="'known'.", expected="x.", **extra
    )


def test_resolve_passes_none_and_names_and_instantiates_classes():
    assert _resolve(None) is None
    assert _resolve("known") is abs
    callable_class = type("Widget", (), {"__call__": lambda self, x: x})
    assert isinstance(_resolve(callable_class), callable_class)
    assert _resolve(4, convert=lambda v: abs) is abs


def test_resolve_unknown_name_says_what_is_known():
    with pytest.raises(
        ValueError,
        match=r"^Could not interpret widget identifier: nope\. Expected one of 'known'\.$",
    ):
        _resolve("nope")


def test_resolve_not_callable_says_what_to_pass():
    with pytest.raises(ValueError, match=r"^Could not interpret widget identifier: 3\. Pass x\.$"):
        _resolve(3)


@pytest.mark.parametrize(
    ("get", "message"),
    [
        (
            constraints.get,
            "Could not interpret constraint identifier: 3. Pass a name such as 'non_neg', a "
            "config dict, a constraint instance or class, or a callable `weight -> weight`.",
        ),
        (
            regularizers.get,
            "Could not interpret regularizer identifier: 3. Pass a name such as 'l2', a config "
            "dict, a regularizer instance or class, or a callable `weight -> penalty`.",
        ),
        (
            initializers.get,
            "Could not interpret initializer identifier: 3. Pass a name such as "
            "'glorot_uniform', a config dict, an initializer instance or class, a callable "
            "`(shape, dtype=None)`, or an array.",
        ),
    ],
)
def test_resolve_families_keep_their_messages(get, message):
    with pytest.raises(ValueError) as caught:
        get(3)
    assert str(caught.value) == message


def test_resolve_initializer_turns_an_array_into_an_initializer():
    value = initializers.get(np.ones((2,), "float32"))((2,), "float32")
    np.testing.assert_array_equal(value, np.ones((2,)))
