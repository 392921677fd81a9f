"""Save, serialize and export models (keras.io/guides/serialization_and_saving)."""

import numpy as np
import keras
from keras import ops


def get_model():
    inputs = keras.Input(shape=(32,))
    outputs = keras.layers.Dense(1)(inputs)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(), loss="mean_squared_error")
    return model


model = get_model()
test_input = np.random.random((128, 32))
test_target = np.random.random((128, 1))
model.fit(test_input, test_target)
model.save("my_model.keras")
reconstructed_model = keras.models.load_model("my_model.keras")
np.testing.assert_allclose(model.predict(test_input), reconstructed_model.predict(test_input))


@keras.saving.register_keras_serializable(package="my_package", name="custom_fn")
def custom_fn(x):
    return x**2


@keras.saving.register_keras_serializable(package="MyLayers")
class CustomLayer(keras.layers.Layer):
    def __init__(self, factor):
        super().__init__()
        self.factor = factor

    def call(self, x):
        return x * self.factor

    def get_config(self):
        return {"factor": self.factor}


@keras.saving.register_keras_serializable(package="my_package", name="MyDense")
class MyDense(keras.layers.Layer):
    def __init__(
        self,
        units,
        *,
        kernel_regularizer=None,
        kernel_initializer=None,
        nested_model=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.hidden_units = units
        self.kernel_regularizer = kernel_regularizer
        self.kernel_initializer = kernel_initializer
        self.nested_model = nested_model

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "units": self.hidden_units,
                "kernel_regularizer": self.kernel_regularizer,
                "kernel_initializer": self.kernel_initializer,
                "nested_model": self.nested_model,
            }
        )
        return config

    def build(self, input_shape):
        if self.nested_model is not None:
            self.dense_kernel = self.nested_model.weights[0]
        else:
            self.dense_kernel = self.add_weight(
                shape=(input_shape[-1], self.hidden_units),
                regularizer=self.kernel_regularizer,
                initializer=self.kernel_initializer,
                name="dense_kernel",
            )

    def call(self, inputs):
        return ops.matmul(inputs, self.dense_kernel)


layer = CustomLayer(0.5)
inputs = keras.Input((32,))
outputs = MyDense(8, kernel_initializer="random_normal")(layer(inputs))
outputs = keras.layers.Activation(custom_fn)(outputs)
custom_model = keras.Model(inputs, outputs)
custom_model.compile(optimizer="rmsprop", loss="mean_squared_error")
custom_model.fit(np.random.random((32, 32)), np.random.random((32, 8)), verbose=0)
custom_model.save("custom_model.keras")
reconstructed = keras.models.load_model("custom_model.keras")
np.testing.assert_allclose(
    custom_model.predict(test_input[:4]), reconstructed.predict(test_input[:4]), rtol=1e-6
)
config = custom_model.get_config()
with keras.saving.custom_object_scope({"CustomLayer": CustomLayer, "custom_fn": custom_fn}):
    new_model = keras.Model.from_config(config)

# Nested Keras objects in a custom layer's config are serialized by Keras.
nested = MyDense(
    4, kernel_regularizer=keras.regularizers.L2(0.01), kernel_initializer=keras.initializers.Ones()
)
serialized = keras.saving.serialize_keras_object(nested)
restored = keras.saving.deserialize_keras_object(serialized)
print(type(restored).__name__, restored.hidden_units)

# Weights only, and the transfer of weights between models.
model.save_weights("my_model.weights.h5")
model.load_weights("my_model.weights.h5")


def create_layer():
    layer = keras.layers.Dense(64, activation="relu", name="dense_2")
    layer.build((None, 784))
    return layer


layer_1 = create_layer()
layer_2 = create_layer()
layer_2.set_weights(layer_1.get_weights())

inputs = keras.Input(shape=(784,), name="digits")
x = keras.layers.Dense(64, activation="relu", name="dense_1")(inputs)
x = keras.layers.Dense(64, activation="relu", name="dense_2")(x)
outputs = keras.layers.Dense(10, name="predictions")(x)
functional_model = keras.Model(inputs=inputs, outputs=outputs, name="3_layer_mlp")


class SubclassedModel(keras.Model):
    def __init__(self, output_dim, name=None):
        super().__init__(name=name)
        self.output_dim = output_dim
        self.dense_1 = keras.layers.Dense(64, activation="relu", name="dense_1")
        self.dense_2 = keras.layers.Dense(64, activation="relu", name="dense_2")
        self.dense_3 = keras.layers.Dense(output_dim, name="predictions")

    def call(self, inputs):
        x = self.dense_1(inputs)
        x = self.dense_2(x)
        x = self.dense_3(x)
        return x

    def get_config(self):
        return {"output_dim": self.output_dim, "name": self.name}


subclassed_model = SubclassedModel(10)
subclassed_model(np.ones((1, 784)))
subclassed_model.set_weights(functional_model.get_weights())
assert len(functional_model.weights) == len(subclassed_model.weights)
for a, b in zip(functional_model.weights, subclassed_model.weights):
    np.testing.assert_allclose(a.numpy(), b.numpy())
functional_model.save_weights("pretrained.weights.h5")
inputs = keras.Input(shape=(784,), name="digits")
x = keras.layers.Dense(64, activation="relu", name="dense_1")(inputs)
x = keras.layers.Dense(64, activation="relu", name="dense_2")(x)
x = keras.layers.Dropout(0.5)(x)
outputs = keras.layers.Dense(10, name="predictions")(x)
model_with_dropout = keras.Model(inputs=inputs, outputs=outputs, name="3_layer_mlp")
model_with_dropout.load_weights("pretrained.weights.h5")
