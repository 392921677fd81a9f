"""Structured data classification with FeatureSpace (keras.io/examples/structured_data)."""

import numpy as np
import keras
from keras.utils import FeatureSpace

# The guide reads heart.csv: 303 patients, 13 features and a 0/1 target. Local values alike.
rng = np.random.default_rng(0)
n = 303
columns = {
    "age": rng.integers(29, 78, n).astype("float32"),
    "sex": rng.integers(0, 2, n),
    "cp": rng.integers(0, 5, n),
    "trestbps": rng.integers(94, 201, n).astype("float32"),
    "chol": rng.integers(126, 565, n).astype("float32"),
    "fbs": rng.integers(0, 2, n),
    "restecg": rng.integers(0, 3, n),
    "thalach": rng.integers(71, 203, n).astype("float32"),
    "exang": rng.integers(0, 2, n),
    "oldpeak": rng.uniform(0.0, 6.2, n).astype("float32"),
    "slope": rng.integers(1, 4, n).astype("float32"),
    "ca": rng.integers(0, 4, n),
    "thal": rng.choice(["fixed", "normal", "reversible"], n),
}
targets = rng.integers(0, 2, n).astype("float32")

val_index = rng.permutation(n)[: int(0.2 * n)]
is_val = np.zeros(n, bool)
is_val[val_index] = True
train_x = {k: v[~is_val] for k, v in columns.items()}
val_x = {k: v[is_val] for k, v in columns.items()}
train_y, val_y = targets[~is_val], targets[is_val]
print(f"Using {len(train_y)} samples for training and {len(val_y)} for validation")

feature_space = FeatureSpace(
    features={
        # Categorical features encoded as integers
        "sex": FeatureSpace.integer_categorical(num_oov_indices=0),
        "cp": FeatureSpace.integer_categorical(num_oov_indices=0),
        "fbs": FeatureSpace.integer_categorical(num_oov_indices=0),
        "restecg": FeatureSpace.integer_categorical(num_oov_indices=0),
        "exang": FeatureSpace.integer_categorical(num_oov_indices=0),
        "ca": FeatureSpace.integer_categorical(num_oov_indices=0),
        # Categorical feature encoded as string
        "thal": FeatureSpace.string_categorical(num_oov_indices=0),
        # Numerical features to discretize
        "age": FeatureSpace.float_discretized(num_bins=30),
        # Numerical features to normalize
        "trestbps": FeatureSpace.float_normalized(),
        "chol": FeatureSpace.float_normalized(),
        "thalach": FeatureSpace.float_normalized(),
        "oldpeak": FeatureSpace.float_normalized(),
        "slope": FeatureSpace.float_normalized(),
    },
    crosses=[
        FeatureSpace.cross(feature_names=("sex", "age"), crossing_dim=64),
        FeatureSpace.cross(feature_names=("thal", "ca"), crossing_dim=16),
    ],
    output_mode="concat",
)

# The guide adapts on a tf.data.Dataset of feature dicts; a dict of arrays works as well.
feature_space.adapt(train_x)

preprocessed_x = feature_space({k: v[:32] for k, v in train_x.items()})
print("preprocessed_x.shape:", preprocessed_x.shape)
print("preprocessed_x.dtype:", preprocessed_x.dtype)

# Preprocessing before the model (the guide maps the FeatureSpace over its datasets).
train_features = np.asarray(feature_space(train_x))
val_features = np.asarray(feature_space(val_x))

dict_inputs = feature_space.get_inputs()
encoded_features = feature_space.get_encoded_features()

x = keras.layers.Dense(32, activation="relu")(encoded_features)
x = keras.layers.Dropout(0.5)(x)
predictions = keras.layers.Dense(1, activation="sigmoid")(x)

training_model = keras.Model(inputs=encoded_features, outputs=predictions)
training_model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])

inference_model = keras.Model(inputs=dict_inputs, outputs=predictions)

training_model.fit(
    train_features,
    train_y,
    batch_size=32,
    epochs=5,
    validation_data=(val_features, val_y),
    verbose=2,
)

sample = {
    "age": 60,
    "sex": 1,
    "cp": 1,
    "trestbps": 145,
    "chol": 233,
    "fbs": 1,
    "restecg": 2,
    "thalach": 150,
    "exang": 0,
    "oldpeak": 2.3,
    "slope": 3,
    "ca": 0,
    "thal": "fixed",
}
# Keras on JAX cannot feed strings to a model, so the sample is encoded first.
encoded_sample = np.asarray(feature_space(sample))[None]
probability = training_model.predict(encoded_sample, verbose=0)
print(
    f"This particular patient had a {100 * probability[0][0]:.2f}% probability "
    "of having a heart disease, as evaluated by our model."
)
