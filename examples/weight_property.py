from heft.layers import Dense
from heft.models import Sequential

# Define a simple model
model = Sequential([
    Dense(64, input_shape=(784,), activation='relu'),
    Dense(10, activation='softmax')
])

# Access weights of the first layer
layer_weights = model.layers[0].weights
print("Original Weights:", layer_weights[0].numpy())

# Modify the weights (e.g., setting them to a constant value)
import numpy as np

new_weights = np.ones_like(layer_weights[0].numpy())
model.layers[0].set_weights([new_weights, layer_weights[1].numpy()])

# Check the modified weights
modified_weights = model.layers[0].weights
print("Modified Weights:", modified_weights[0].numpy())

# Train the model (dummy data for illustration)
X_train = np.random.rand(1000, 784)
y_train = np.random.randint(10, size=(1000,))
model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])
model.fit(X_train, y_train, epochs=3, batch_size=32)

# Save the model's weights
model.save_weights('model_weights.h5')

# Load the weights back into the model
model.load_weights('model_weights.h5')
