"""Timeseries forecasting for weather prediction (keras.io/examples/timeseries), local arrays."""

import numpy as np
import keras

import _data

# The guide reads the Jena climate CSV (14 features every 10 minutes); seven of them
# are selected. Local values of the same shape stand in for them.
features = _data.floats(6000, 7)
split_fraction = 0.715
train_split = int(split_fraction * int(features.shape[0]))
step = 6
past = 720
future = 72
learning_rate = 0.001
batch_size = 256
epochs = 1


def normalize(data, train_split):
    data_mean = data[:train_split].mean(axis=0)
    data_std = data[:train_split].std(axis=0)
    return (data - data_mean) / data_std


features = normalize(features, train_split)
train_data = features[0 : train_split - 1]
val_data = features[train_split:]

start = past + future
end = start + train_split
x_train = train_data[:, [i for i in range(7)]]
y_train = features[start:end][:, [1]]
sequence_length = int(past / step)

dataset_train = keras.preprocessing.timeseries_dataset_from_array(
    x_train,
    y_train,
    sequence_length=sequence_length,
    sampling_rate=step,
    batch_size=batch_size,
)

x_end = len(val_data) - past - future
label_start = train_split + past + future
x_val = (
    val_data.iloc[:x_end][[i for i in range(7)]].values
    if hasattr(val_data, "iloc")
    else val_data[:x_end]
)
y_val = features[label_start:][:, [1]]
dataset_val = keras.preprocessing.timeseries_dataset_from_array(
    x_val,
    y_val,
    sequence_length=sequence_length,
    sampling_rate=step,
    batch_size=batch_size,
)

for batch in dataset_train.take(1) if hasattr(dataset_train, "take") else [dataset_train[0]]:
    inputs, targets = batch
print("Input shape:", inputs.shape)
print("Target shape:", targets.shape)

inputs = keras.layers.Input(shape=(inputs.shape[1], inputs.shape[2]))
lstm_out = keras.layers.LSTM(32)(inputs)
outputs = keras.layers.Dense(1)(lstm_out)
model = keras.Model(inputs=inputs, outputs=outputs)
model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate), loss="mse")
model.summary()

path_checkpoint = "model_checkpoint.weights.h5"
es_callback = keras.callbacks.EarlyStopping(monitor="val_loss", min_delta=0, patience=5)
modelckpt_callback = keras.callbacks.ModelCheckpoint(
    monitor="val_loss",
    filepath=path_checkpoint,
    verbose=1,
    save_weights_only=True,
    save_best_only=True,
)
history = model.fit(
    dataset_train,
    epochs=epochs,
    validation_data=dataset_val,
    callbacks=[es_callback, modelckpt_callback],
)
