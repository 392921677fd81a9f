import heft
import heft as tf
from heft import layers


# Custom layer using the add_weight method
class CustomLayer(layers.Layer):
    def __init__(self, units=32, input_dim=32):
        super().__init__()
        # Adding a custom weight
        self.w = self.add_weight(shape=(input_dim, units),
                                 initializer='random_normal',
                                 trainable=True)
        self.b = self.add_weight(shape=(units,),
                                 initializer='zeros',
                                 trainable=True)

    def call(self, inputs):
        return heft.ops.matmul(inputs, self.w) + self.b

# Using the custom layer in a model
model = tf.keras.Sequential([
    CustomLayer(64, input_dim=784),
    layers.Activation('relu'),
    layers.Dense(10)
])

# Compiling the model
model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])

# Creating dummy data
import numpy as np

X_train = np.random.rand(1000, 784)
y_train = np.random.randint(10, size=(1000,))

# Training the model
model.fit(X_train, y_train, epochs=3, batch_size=32)

# Inspecting the custom weights
for weight in model.layers[0].weights:
    print(f"Weight: {weight.name}, Shape: {weight.shape}, Values: {weight.numpy()[:5]}")
