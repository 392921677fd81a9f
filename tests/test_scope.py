"""Tests for name scopes, stateless scopes and autocast scopes."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from heft import Variable, _scope
from heft._scope import AutocastScope, StatelessScope, current_path, name_scope


# ---------------------------------------------------------------------------- name_scope
def test_name_scope_current_path_is_empty_outside_scopes():
    assert current_path() == ""


def test_name_scope_nests_with_slashes():
    with name_scope("a"):
        assert current_path() == "a"
        with name_scope("b"):
            assert current_path() == "a/b"
        assert current_path() == "a"
    assert current_path() == ""


def test_name_scope_deduplicates_same_caller_and_name():
    owner = object()
    with name_scope("layer", caller=owner), name_scope("layer", caller=owner):
        assert current_path() == "layer"


def test_name_scope_does_not_deduplicate_other_callers():
    with name_scope("layer", caller=object()), name_scope("layer", caller=object()):
        assert current_path() == "layer/layer"


def test_name_scope_deduplicate_false_pushes_again():
    owner = object()
    with name_scope("x", caller=owner), name_scope("x", caller=owner, deduplicate=False):
        assert current_path() == "x/x"


def test_name_scope_override_parent_replaces_outer_path():
    with name_scope("outer"), name_scope("inner", override_parent="first/second"):
        assert current_path() == "first/second/inner"


def test_name_scope_override_parent_from_callers_recorded_parent():
    class Owner:
        _parent_path = "model"

    with name_scope("elsewhere"), name_scope("child", caller=Owner()):
        assert current_path() == "model/child"


def test_name_scope_pops_on_exception():
    with pytest.raises(KeyError), name_scope("a"):
        raise KeyError("boom")
    assert current_path() == ""


@pytest.mark.parametrize("name", ["a/b", 5])
def test_name_scope_bad_name_raises(name):
    with pytest.raises(ValueError, match=r"cannot contain character `/`\. Received: name="):
        name_scope(name)


def test_name_scope_gives_variables_their_path():
    with name_scope("block"):
        v = Variable(1.0, name="w")
    assert v.path == "block/w"


# ---------------------------------------------------------------------------- StatelessScope
def test_stateless_scope_maps_reads_and_records_assigns():
    v = Variable(np.array([1.0, 2.0], "float32"))
    with StatelessScope([(v, np.array([5.0, 6.0], "float32"))]) as scope:
        np.testing.assert_array_equal(np.asarray(v.value), [5.0, 6.0])
        v.assign(v.value * 2)
        np.testing.assert_array_equal(np.asarray(v.value), [10.0, 12.0])
    np.testing.assert_array_equal(np.asarray(scope.get_current_value(v)), [10.0, 12.0])
    np.testing.assert_array_equal(v.numpy(), [1.0, 2.0])


def test_stateless_scope_unmapped_variable_reads_its_own_value():
    v = Variable(np.array([1.0], "float32"))
    with StatelessScope() as scope:
        np.testing.assert_array_equal(np.asarray(v.value), [1.0])
    assert scope.get_current_value(v) is None
    assert not scope.has(v)


def test_stateless_scope_casts_mapped_values_to_variable_dtype():
    v = Variable(np.array([1, 2], "int32"))
    with StatelessScope([(v, np.array([3.9, 4.1]))]) as scope:
        assert v.value.dtype == jnp.int32
        np.testing.assert_array_equal(np.asarray(v.value), [3, 4])
    assert scope.has(v)


def test_stateless_scope_updated_variables_in_first_assignment_order():
    a = Variable(1.0)
    b = Variable(2.0)
    with StatelessScope([(a, 0.0), (b, 0.0)]) as scope:
        b.assign(5.0)
        a.assign(6.0)
        b.assign(7.0)
    assert [v is x for v, x in zip(scope.updated_variables, [b, a], strict=True)] == [True, True]
    assert float(scope.get_current_value(b)) == 7.0


def test_stateless_scope_rejects_non_variable_keys():
    with pytest.raises(ValueError, match=r"every key of `state_mapping` must be a heft Variable"):
        StatelessScope([(np.zeros(2), np.zeros(2))])


def test_stateless_scope_rejects_wrong_shape_values():
    v = Variable(np.zeros((2,), "float32"), name="w")
    with pytest.raises(ValueError, match=r"variable\.shape=\(2,\), Received: value\.shape=\(3,\)"):
        StatelessScope([(v, np.zeros((3,)))])


def test_stateless_scope_nesting_innermost_wins():
    v = Variable(1.0)
    with StatelessScope([(v, 2.0)]):
        with StatelessScope([(v, 3.0)]) as inner:
            assert float(v.value) == 3.0
            v.assign(4.0)
        assert float(v.value) == 2.0
    assert float(inner.get_current_value(v)) == 4.0
    assert float(v.numpy()) == 1.0


def test_stateless_scope_active_flags():
    assert _scope.stateless_scope() is None
    assert not _scope.in_stateless_scope()
    with StatelessScope() as scope:
        assert _scope.stateless_scope() is scope
        assert _scope.in_stateless_scope()
    assert _scope.stateless_scope() is None


def test_stateless_scope_exits_on_exception():
    with pytest.raises(KeyError), StatelessScope():
        raise KeyError("boom")
    assert _scope.stateless_scope() is None


def test_stateless_scope_works_under_jit():
    v = Variable(np.array([1.0, 2.0], "float32"))

    @jax.jit
    def step(value):
        with StatelessScope([(v, value)]) as scope:
            v.assign_add(jnp.ones((2,)))
        return scope.get_current_value(v)

    np.testing.assert_array_equal(np.asarray(step(jnp.array([10.0, 20.0]))), [11.0, 21.0])
    np.testing.assert_array_equal(v.numpy(), [1.0, 2.0])


def test_stateless_scope_collects_losses():
    with StatelessScope(collect_losses=True) as scope:
        scope.add_loss(jnp.float32(1.5))
    assert [float(x) for x in scope.losses] == [1.5]


# ---------------------------------------------------------------------------- AutocastScope
def test_autocast_scope_casts_float_variables():
    v = Variable(np.array([1.5], "float32"))
    with AutocastScope("float16"):
        assert v.dtype == "float16"
        assert v.value.dtype == jnp.float16
    assert v.dtype == "float32"
    assert v.value.dtype == jnp.float32


def test_autocast_scope_leaves_int_and_non_autocast_variables():
    i = Variable(np.array([1], "int32"))
    f = Variable(np.array([1.0], "float32"), autocast=False)
    with AutocastScope("bfloat16"):
        assert i.value.dtype == jnp.int32
        assert f.value.dtype == jnp.float32
        assert f.dtype == "float32"


def test_autocast_scope_none_disables_casting():
    v = Variable(np.array([1.0], "float32"))
    with AutocastScope("float16"), AutocastScope(None):
        assert v.value.dtype == jnp.float32


def test_autocast_scope_assign_keeps_variable_dtype():
    v = Variable(np.array([1.0], "float32"))
    with AutocastScope("float16"):
        v.assign(np.array([2.5], "float16"))
    assert v.value.dtype == jnp.float32
    np.testing.assert_array_equal(v.numpy(), [2.5])


def test_autocast_scope_rejects_non_float_dtype():
    with pytest.raises(ValueError, match=r"floating-point target dtype.*Received: dtype=int32"):
        AutocastScope("int32")
