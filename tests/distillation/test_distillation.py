"""heft-only behaviour of ``heft.distillation`` (the Keras comparisons are in tests/interop)."""

import numpy as np
import pytest

import heft
from heft.distillation import Distiller, FeatureDistillation, LogitsDistillation


def _pair():
    def mlp(name):
        return heft.Sequential(
            [heft.Input((5,)), heft.layers.Dense(4, name="features"), heft.layers.Dense(3)],
            name=name,
        )

    return mlp("teacher"), mlp("student")


def test_output_structure_mismatch_is_a_clear_value_error():
    # Keras 3.15 fails here with an AttributeError while formatting its message.
    distiller = Distiller(*_pair(), FeatureDistillation(loss=["mse", "mae"]))
    distiller.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="Loss structure mismatch"):
        distiller.fit(np.ones((4, 5)), np.zeros(4), verbose=0)


def test_failed_construction_leaves_the_models_alone():
    teacher, student = _pair()
    with pytest.raises(ValueError, match="Number of distillation_loss_weights"):
        Distiller(teacher, student, [LogitsDistillation()], distillation_loss_weights=[])
    with pytest.raises(ValueError, match="In student model: No such layer: nope"):
        Distiller(teacher, student, FeatureDistillation(student_layer_name="nope"))
    assert teacher.trainable
    assert len(teacher.trainable_weights) == 4


def test_kl_divergence_instance_uses_softmax_and_temperature_squared():
    teacher = np.array([[2.0, 0.0, -1.0]], "float32")
    student = np.array([[0.5, 0.5, 0.0]], "float32")
    loss = LogitsDistillation(temperature=2.0, loss=heft.losses.KLDivergence())
    p = np.exp(teacher / 2) / np.exp(teacher / 2).sum()
    q = np.exp(student / 2) / np.exp(student / 2).sum()
    expected = (p * np.log(p / q)).sum() * 4.0
    np.testing.assert_allclose(float(loss.compute_loss(teacher, student)), expected, rtol=1e-5)


def test_none_skips_an_output():
    loss = FeatureDistillation(loss=["mse", None])
    value = loss.compute_loss(
        [np.ones((2, 2)), np.ones((2, 2))], [np.zeros((2, 2)), 5 * np.ones((2, 2))]
    )
    assert float(value) == 1.0


def test_student_loss_weight_one_skips_the_teacher():
    distiller = Distiller(*_pair(), LogitsDistillation(), student_loss_weight=1.0)
    distiller.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    logs = distiller.evaluate(np.ones((4, 5)), np.zeros(4), verbose=0, return_dict=True)
    assert logs["distillation_loss"] == 0.0
    assert logs["loss"] == pytest.approx(logs["student_loss"])


def test_whole_distiller_save_is_refused_before_writing(tmp_path):
    distiller = Distiller(*_pair(), LogitsDistillation())
    path = tmp_path / "distiller.keras"
    with pytest.raises(NotImplementedError, match=r"distiller\.student\.save"):
        distiller.save(str(path))
    assert not path.exists()
    distiller(np.ones((2, 5), "float32"))  # build it
    distiller.save_weights(str(tmp_path / "d.weights.h5"))
    other = Distiller(*_pair(), LogitsDistillation())
    other(np.ones((2, 5), "float32"))
    other.load_weights(str(tmp_path / "d.weights.h5"))
    for a, b in zip(other.get_weights(), distiller.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
