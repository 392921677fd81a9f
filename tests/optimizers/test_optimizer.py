"""The stateful Optimizer: variables in Keras's order, apply/stateless_apply, freezing, errors."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import heft
from heft import Variable
from heft.optimizers import SGD, Adam, Optimizer, RMSprop
from heft.optimizers.schedules import ExponentialDecay


def _dense():
    with heft.name_scope("dense"):
        return Variable(np.ones((2, 3), "float32"), name="kernel"), Variable(
            np.zeros(3, "float32"), name="bias"
        )


def _paths(opt):
    return [v.path for v in opt.variables]


def test_optimizer_variables_follow_keras_order_and_paths():
    kernel, bias = _dense()
    opt = Adam(amsgrad=True, use_ema=True, gradient_accumulation_steps=2)
    opt.build([kernel, bias])
    assert _paths(opt) == [
        "adam/iteration",
        "adam/learning_rate",
        "adam/dense_kernel_average",
        "adam/dense_bias_average",
        "adam/dense_kernel_gradient_accumulator",
        "adam/dense_bias_gradient_accumulator",
        "adam/dense_kernel_momentum",
        "adam/dense_kernel_velocity",
        "adam/dense_bias_momentum",
        "adam/dense_bias_velocity",
        "adam/dense_kernel_velocity_hat",
        "adam/dense_bias_velocity_hat",
    ]
    assert opt.variables[0].dtype == "int32" and opt.variables[1].dtype == "float32"
    assert all(not v.trainable for v in opt.variables)
    assert opt.variables[6].shape == (2, 3)


def test_optimizer_rmsprop_slots_are_grouped_per_slot_name():
    kernel, bias = _dense()
    opt = RMSprop(momentum=0.5, centered=True)
    opt.build([kernel, bias])
    assert _paths(opt)[2:] == [
        "rm_sprop/dense_kernel_velocity",
        "rm_sprop/dense_bias_velocity",
        "rm_sprop/dense_kernel_momentum",
        "rm_sprop/dense_bias_momentum",
        "rm_sprop/dense_kernel_average_gradient",
        "rm_sprop/dense_bias_average_gradient",
    ]


def test_optimizer_with_schedule_has_no_learning_rate_variable():
    kernel, _ = _dense()
    opt = SGD(learning_rate=ExponentialDecay(1.0, 1, 0.5), momentum=0.5)
    opt.build([kernel])
    assert _paths(opt) == ["sgd/iteration", "sgd/dense_kernel_momentum"]


def test_optimizer_apply_updates_variables_and_counter():
    kernel, bias = _dense()
    opt = SGD(learning_rate=0.5, momentum=0.5)
    opt.apply([jnp.ones((2, 3)), jnp.ones(3)], [kernel, bias])
    opt.apply([jnp.ones((2, 3)), jnp.ones(3)])
    np.testing.assert_allclose(kernel.numpy(), np.full((2, 3), 1.0 - 0.5 - 0.75))
    np.testing.assert_allclose(bias.numpy(), np.full(3, -1.25))
    assert int(opt.iterations.numpy()) == 2
    np.testing.assert_allclose(opt.variables[2].numpy(), np.full((2, 3), -0.75))


def test_optimizer_apply_with_no_gradients_does_nothing():
    opt = SGD()
    opt.apply([], [])
    assert not opt.built and int(opt.iterations.numpy()) == 0


def test_optimizer_apply_warns_about_missing_gradients():
    kernel, bias = _dense()
    opt = SGD(1.0)
    with pytest.warns(UserWarning, match=r"Gradients do not exist for variables \['dense/bias'\]"):
        opt.apply([jnp.ones((2, 3)), None], [kernel, bias])
    np.testing.assert_allclose(bias.numpy(), np.zeros(3))
    np.testing.assert_allclose(kernel.numpy(), np.zeros((2, 3)))


def test_optimizer_apply_before_build_without_variables_raises():
    with pytest.raises(ValueError, match=r"must already be built.*optimizer.build"):
        SGD().apply([jnp.ones(1)])


def test_optimizer_apply_with_wrong_gradient_count_raises_and_changes_nothing():
    kernel, bias = _dense()
    opt = SGD()
    opt.build([kernel, bias])
    with pytest.raises(ValueError, match=r"Received a list of 1 gradients.*2 trainable"):
        opt.apply([jnp.ones((2, 3))])
    assert int(opt.iterations.numpy()) == 0


def test_optimizer_apply_gives_new_variables_slots_at_the_end():
    kernel, bias = _dense()
    opt = SGD(momentum=0.5)
    opt.apply([jnp.ones((2, 3))], [kernel])
    opt.apply([jnp.ones((2, 3)), jnp.ones(3)], [kernel, bias])
    assert _paths(opt)[2:] == ["sgd/dense_kernel_momentum", "sgd/dense_bias_momentum"]
    np.testing.assert_allclose(opt.variables[3].numpy(), np.full(3, -0.01), rtol=1e-6)


def test_optimizer_apply_gradients_returns_the_iteration_variable():
    kernel, _ = _dense()
    opt = SGD()
    assert opt.apply_gradients([(jnp.ones((2, 3)), kernel)]) is opt.variables[0]
    assert int(opt.apply_gradients([]).numpy()) == 1


def test_optimizer_build_again_keeps_slots_and_orders_as_the_new_list():
    kernel, bias = _dense()
    opt = Adam(learning_rate=0.1)
    opt.apply([jnp.ones(3)], [bias])
    momentum = opt.variables[2].numpy()
    opt.build([kernel, bias])
    assert _paths(opt)[2:] == [
        "adam/dense_kernel_momentum",
        "adam/dense_kernel_velocity",
        "adam/dense_bias_momentum",
        "adam/dense_bias_velocity",
    ]
    np.testing.assert_array_equal(opt.variables[4].numpy(), momentum)
    np.testing.assert_array_equal(opt.variables[2].numpy(), np.zeros((2, 3)))


def test_optimizer_build_with_known_variables_adds_nothing():
    kernel, bias = _dense()
    opt = Adam()
    opt.build([kernel, bias])
    before = opt.variables
    opt.build([bias])
    assert [id(v) for v in opt.variables] == [id(v) for v in before]


def test_optimizer_freeze_and_unfreeze_keep_the_slots_of_each_variable():
    kernel, bias = _dense()
    opt = Adam(learning_rate=0.1)
    opt.build([kernel, bias])
    step = jax.jit(opt.stateless_apply)
    values = [v.value for v in opt.variables]
    params, values = step(values, [jnp.ones((2, 3)), jnp.ones(3)], [kernel.value, bias.value])
    kernel_slots = [np.asarray(values[i]) for i in (2, 3)]
    # Freeze the kernel: only the bias is trained; the kernel's slots pass through.
    opt.build([bias])
    step = jax.jit(opt.stateless_apply)
    (new_bias,), values = step(values, [jnp.ones(3)], [params[1]])
    for i, slot in zip((2, 3), kernel_slots, strict=True):
        np.testing.assert_array_equal(np.asarray(values[i]), slot)
    assert not np.allclose(np.asarray(values[4]), 0.1)
    assert int(values[0]) == 2
    # Unfreeze: the same variables, the kernel's slots as they were.
    opt.build([kernel, bias])
    assert len(opt.variables) == len(values)
    (new_kernel, _), values = opt.stateless_apply(
        values, [jnp.ones((2, 3)), jnp.ones(3)], [params[0], new_bias]
    )
    assert not np.array_equal(np.asarray(values[2]), kernel_slots[0])
    assert not np.array_equal(np.asarray(new_kernel), np.asarray(params[0]))


def test_optimizer_stateless_apply_with_explicit_variables_updates_only_those():
    kernel, bias = _dense()
    opt = SGD(learning_rate=1.0, momentum=0.5)
    opt.build([kernel, bias])
    values = [v.value for v in opt.variables]
    (new_bias,), new_values = opt.stateless_apply(
        values, [jnp.ones(3)], [bias.value], variables=[bias]
    )
    np.testing.assert_allclose(np.asarray(new_bias), np.full(3, -1.0))
    assert new_values[2] is values[2]
    np.testing.assert_allclose(np.asarray(new_values[3]), np.full(3, -1.0))
    np.testing.assert_allclose(bias.numpy(), np.zeros(3))


def test_optimizer_stateless_apply_learning_rate_change_needs_no_retrace():
    kernel, _ = _dense()
    opt = SGD(learning_rate=1.0)
    opt.build([kernel])
    traces = []

    def step(values, grads, params):
        traces.append(1)
        return opt.stateless_apply(values, grads, params)

    step = jax.jit(step)
    params, values = step([v.value for v in opt.variables], [jnp.ones((2, 3))], [kernel.value])
    opt.learning_rate = 0.25
    values[1] = opt.variables[1].value
    params, values = step(values, [jnp.ones((2, 3))], params)
    np.testing.assert_allclose(np.asarray(params[0]), np.full((2, 3), 1.0 - 1.0 - 0.25))
    assert len(traces) == 1


def test_optimizer_stateless_apply_before_build_raises():
    with pytest.raises(ValueError, match="must be built"):
        SGD().stateless_apply([], [], [])


def test_optimizer_stateless_apply_with_wrong_lengths_raises():
    kernel, bias = _dense()
    opt = SGD()
    opt.build([kernel, bias])
    values = [v.value for v in opt.variables]
    with pytest.raises(ValueError, match=r"corresponding 1:1 to SGD\(\).variables.*length 1"):
        opt.stateless_apply(values[:1], [kernel.value, bias.value], [kernel.value, bias.value])
    with pytest.raises(ValueError, match=r"correspond 1:1 to the 2 variables.*Received 1 values"):
        opt.stateless_apply(values, [kernel.value, bias.value], [kernel.value])


def test_optimizer_stateless_apply_with_unknown_variable_raises():
    kernel, bias = _dense()
    opt = SGD()
    opt.build([kernel])
    with pytest.raises(ValueError, match=r"Unknown variable.*optimizer.build"):
        opt.stateless_apply(
            [v.value for v in opt.variables], [bias.value], [bias.value], variables=[bias]
        )


def test_optimizer_overwrite_with_gradient_variable_has_no_slots_and_takes_its_gradient():
    kernel, bias = _dense()
    bias.overwrite_with_gradient = True
    opt = Adam(use_ema=True)
    opt.apply([jnp.ones((2, 3)), jnp.full(3, 4.0)], [kernel, bias])
    assert _paths(opt)[2:] == [
        "adam/dense_kernel_average",
        "adam/dense_kernel_momentum",
        "adam/dense_kernel_velocity",
    ]
    np.testing.assert_allclose(bias.numpy(), np.full(3, 4.0))


def test_optimizer_applies_constraints_after_the_update():
    kernel, _ = _dense()
    kernel.constraint = heft.constraints.NonNeg()
    SGD(learning_rate=1.0).apply([jnp.full((2, 3), 3.0)], [kernel])
    np.testing.assert_array_equal(kernel.numpy(), np.zeros((2, 3)))


def test_optimizer_exclude_from_weight_decay_by_name_and_by_variable():
    kernel, bias = _dense()
    opt = SGD(learning_rate=1.0, weight_decay=0.5)
    opt.exclude_from_weight_decay(var_names=["ker"])
    opt.apply([jnp.zeros((2, 3)), jnp.zeros(3)], [kernel, bias])
    np.testing.assert_allclose(kernel.numpy(), np.ones((2, 3)))
    other = Variable([2.0], name="other")
    opt = SGD(learning_rate=1.0, weight_decay=0.5)
    opt.exclude_from_weight_decay(var_list=[other])
    opt.apply([jnp.zeros(1), jnp.zeros((2, 3))], [other, kernel])
    np.testing.assert_allclose(other.numpy(), [2.0])
    np.testing.assert_allclose(kernel.numpy(), np.full((2, 3), 0.5))


def test_optimizer_finalize_variable_values_copies_the_averages():
    kernel, _ = _dense()
    opt = SGD(learning_rate=1.0, use_ema=True, ema_momentum=0.5)
    opt.apply([jnp.ones((2, 3))], [kernel])
    opt.apply([jnp.ones((2, 3))], [kernel])
    opt.finalize_variable_values([kernel])
    np.testing.assert_allclose(kernel.numpy(), np.full((2, 3), 0.5 * 0.0 + 0.5 * -1.0))


def test_optimizer_finalize_variable_values_rejects_unknown_variables():
    kernel, bias = _dense()
    opt = SGD(use_ema=True)
    opt.build([kernel])
    with pytest.raises(ValueError, match="Unknown variable"):
        opt.finalize_variable_values([bias])


def test_optimizer_learning_rate_property_and_setter():
    opt = SGD(learning_rate=0.5)
    assert isinstance(opt.learning_rate, Variable)
    opt.learning_rate = 0.125
    assert float(opt.learning_rate.numpy()) == 0.125
    assert opt.get_config()["learning_rate"] == 0.125
    opt.learning_rate = ExponentialDecay(1.0, 1, 0.5)
    assert _paths(opt) == ["sgd/iteration"]
    assert float(opt.learning_rate) == 1.0


def test_optimizer_learning_rate_of_a_schedule_is_not_settable():
    opt = SGD(learning_rate=ExponentialDecay(1.0, 1, 0.5))
    with pytest.raises(TypeError, match=r"not settable.*float `learning_rate`"):
        opt.learning_rate = 0.1


def test_optimizer_callable_learning_rate_is_called():
    kernel, _ = _dense()
    opt = SGD(learning_rate=lambda: 0.25)
    assert opt.learning_rate == 0.25
    opt.apply([jnp.ones((2, 3))], [kernel])
    np.testing.assert_allclose(kernel.numpy(), np.full((2, 3), 0.75))


def test_optimizer_iterations_count_updates_with_gradient_accumulation():
    kernel, _ = _dense()
    opt = SGD(gradient_accumulation_steps=2)
    for _ in range(3):
        opt.apply([jnp.ones((2, 3))], [kernel])
    assert int(opt.iterations) == 1
    assert int(opt.variables[0].numpy()) == 3


def test_optimizer_set_weights_and_get_weights():
    kernel, _ = _dense()
    opt = SGD(momentum=0.5)
    opt.build([kernel])
    opt.set_weights([np.int32(4), np.float32(0.5), np.full((2, 3), 2.0)])
    weights = opt.get_weights()
    assert int(weights[0]) == 4 and float(weights[1]) == 0.5
    np.testing.assert_array_equal(weights[2], np.full((2, 3), 2.0))


def test_optimizer_set_weights_before_build_raises():
    with pytest.raises(ValueError, match="has not yet been built"):
        SGD().set_weights([])


def test_optimizer_set_weights_with_bad_shape_or_count_assigns_nothing():
    kernel, _ = _dense()
    opt = SGD(momentum=0.5)
    opt.build([kernel])
    with pytest.raises(ValueError, match=r"sgd/dense_kernel_momentum has shape \(2, 3\)"):
        opt.set_weights([np.int32(4), np.float32(0.5), np.ones(3)])
    assert int(opt.variables[0].numpy()) == 0
    with pytest.raises(ValueError, match="has 3 variables but 1 weights"):
        opt.set_weights([np.int32(4)])


def test_optimizer_save_and_load_own_variables():
    kernel, _ = _dense()
    opt = Adam()
    opt.apply([jnp.ones((2, 3))], [kernel])
    store = {}
    opt.save_own_variables(store)
    assert sorted(store) == ["0", "1", "2", "3"]
    other = Adam()
    other.build([kernel])
    other.load_own_variables(store)
    for a, b in zip(other.variables, opt.variables, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_optimizer_load_own_variables_with_other_count_warns_and_skips():
    opt = Adam()
    with pytest.warns(
        UserWarning, match="Skipping variable loading for optimizer 'adam'.*not been"
    ):
        opt.load_own_variables({"0": np.int32(1), "1": np.float32(0.1), "2": np.zeros(1)})
    assert int(opt.variables[0].numpy()) == 0


def test_optimizer_scale_loss():
    assert SGD(loss_scale_factor=4.0).scale_loss(2.0) == 8.0
    assert SGD().scale_loss(2.0) == 2.0


def test_optimizer_config_round_trip_with_schedule():
    opt = Adam(learning_rate=ExponentialDecay(0.1, 10, 0.5), clipnorm=1.0, name="opt")
    config = opt.get_config()
    assert config["learning_rate"]["class_name"] == "ExponentialDecay"
    again = Adam.from_config(config)
    assert again.get_config() == config
    assert isinstance(config["learning_rate"], dict)


def test_optimizer_paths_are_under_the_current_name_scope():
    with heft.name_scope("outer"):
        opt = SGD()
    assert _paths(opt) == ["outer/sgd/iteration", "outer/sgd/learning_rate"]


def test_optimizer_add_variable_from_reference_is_named_as_keras_names_slots():
    kernel, _ = _dense()
    opt = SGD()
    extra = opt.add_variable_from_reference(kernel, name="extra")
    assert extra.path == "sgd/dense_kernel_extra" and extra.shape == (2, 3)
    assert opt.variables[-1] is extra
    assert opt.add_variable((2,), name="counter").path == "sgd/counter"


def test_optimizer_base_class_has_no_rule():
    kernel, _ = _dense()
    with pytest.raises(NotImplementedError, match="must implement `_make_rule\\(\\)`"):
        Optimizer(learning_rate=0.1).build([kernel])


def test_optimizer_repr_names_class_and_state():
    assert repr(SGD(name="s")) == "<SGD name=s, built=False>"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"foo": 1}, r"Argument\(s\) not recognized: \{'foo': 1\}"),
        (
            {"clipnorm": 1.0, "clipvalue": 1.0},
            "Only one of `clipnorm`, `clipvalue` and `global_clipnorm`",
        ),
        ({"gradient_accumulation_steps": 1}, "must be an integer >= 2"),
        ({"use_ema": True, "ema_momentum": 1.5}, r"`ema_momentum` must be in the range \[0, 1\]"),
        (
            {"use_ema": True, "ema_overwrite_frequency": 0.5},
            "`ema_overwrite_frequency` must be an integer",
        ),
        ({"learning_rate": 1}, "`learning_rate` should be float.*learning_rate=1"),
    ],
)
def test_optimizer_rejects_invalid_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SGD(**kwargs)


def test_optimizer_decay_argument_warns_that_it_is_ignored():
    with pytest.warns(UserWarning, match="`decay` is no longer supported"):
        SGD(decay=0.1)


def test_optimizer_base_arguments_by_position_as_in_keras():
    sgd = heft.optimizers.SGD(0.1, 0.9, True, 0.004, 1.0)
    config = sgd.get_config()
    assert (config["momentum"], config["nesterov"]) == (0.9, True)
    assert (config["weight_decay"], config["clipnorm"]) == (0.004, 1.0)
    with pytest.raises(TypeError, match=r"SGD\(\) takes at most 13 positional arguments but 14"):
        heft.optimizers.SGD(*([None] * 14))
    with pytest.raises(TypeError, match="got multiple values for argument 'weight_decay'"):
        heft.optimizers.SGD(0.1, 0.0, False, 0.004, weight_decay=0.1)
