"""Working with RNNs (keras.io/guides/working_with_rnns), on local arrays."""

import numpy as np
import keras
from keras import layers

model = keras.Sequential()
model.add(layers.Input(shape=(None,)))
model.add(layers.Embedding(input_dim=1000, output_dim=64))
model.add(layers.LSTM(128))
model.add(layers.Dense(10))
model.summary()

gru_model = keras.Sequential()
gru_model.add(layers.Input(shape=(None,)))
gru_model.add(layers.Embedding(input_dim=1000, output_dim=64))
gru_model.add(layers.GRU(256, return_sequences=True))
gru_model.add(layers.SimpleRNN(128))
gru_model.add(layers.Dense(10))

encoder_vocab = 1000
decoder_vocab = 2000
encoder_input = layers.Input(shape=(None,))
encoder_embedded = layers.Embedding(input_dim=encoder_vocab, output_dim=64)(encoder_input)
output, state_h, state_c = layers.LSTM(64, return_state=True, name="encoder")(encoder_embedded)
encoder_state = [state_h, state_c]
decoder_input = layers.Input(shape=(None,))
decoder_embedded = layers.Embedding(input_dim=decoder_vocab, output_dim=64)(decoder_input)
decoder_output = layers.LSTM(64, name="decoder")(decoder_embedded, initial_state=encoder_state)
output = layers.Dense(10)(decoder_output)
seq2seq = keras.Model([encoder_input, decoder_input], output)

paragraph1 = np.random.random((20, 10, 50)).astype(np.float32)
paragraph2 = np.random.random((20, 10, 50)).astype(np.float32)
paragraph3 = np.random.random((20, 10, 50)).astype(np.float32)
lstm_layer = layers.LSTM(64, stateful=True)
output = lstm_layer(paragraph1)
output = lstm_layer(paragraph2)
output = lstm_layer(paragraph3)
lstm_layer.reset_states()

existing_state = lstm_layer.states
new_lstm_layer = layers.LSTM(64)
new_output = new_lstm_layer(paragraph3, initial_state=existing_state)

bidirectional = keras.Sequential()
bidirectional.add(layers.Input(shape=(5, 10)))
bidirectional.add(layers.Bidirectional(layers.LSTM(64, return_sequences=True)))
bidirectional.add(layers.Bidirectional(layers.LSTM(32)))
bidirectional.add(layers.Dense(10))
bidirectional.summary()

batch_size = 64
input_dim = 28
units = 64
output_size = 10


def build_model():
    lstm_layer = keras.layers.RNN(keras.layers.LSTMCell(units), input_shape=(None, input_dim))
    return keras.models.Sequential(
        [
            lstm_layer,
            keras.layers.BatchNormalization(),
            keras.layers.Dense(output_size),
        ]
    )


x_train = np.random.random((256, 28, 28)).astype("float32")
y_train = np.random.randint(0, 10, size=(256,))
mnist_model = build_model()
mnist_model.compile(
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    optimizer="sgd",
    metrics=["accuracy"],
)
mnist_model.fit(x_train, y_train, batch_size=batch_size, epochs=1)
