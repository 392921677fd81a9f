"""Collaborative filtering for movie recommendations (keras.io/examples/structured_data)."""

import numpy as np
import keras
from keras import layers
from keras import ops

# The guide reads MovieLens ratings; local user/movie ids and ratings of the same form.
rng = np.random.default_rng(0)
num_users = 610
num_movies = 9724
x = np.stack([rng.integers(0, num_users, 2000), rng.integers(0, num_movies, 2000)], axis=1)
y = rng.uniform(0, 1, 2000)
train_indices = int(0.9 * len(x))
x_train, x_val, y_train, y_val = (
    x[:train_indices],
    x[train_indices:],
    y[:train_indices],
    y[train_indices:],
)

EMBEDDING_SIZE = 50


class RecommenderNet(keras.Model):
    def __init__(self, num_users, num_movies, embedding_size, **kwargs):
        super().__init__(**kwargs)
        self.num_users = num_users
        self.num_movies = num_movies
        self.embedding_size = embedding_size
        self.user_embedding = layers.Embedding(
            num_users,
            embedding_size,
            embeddings_initializer="he_normal",
            embeddings_regularizer=keras.regularizers.l2(1e-6),
        )
        self.user_bias = layers.Embedding(num_users, 1)
        self.movie_embedding = layers.Embedding(
            num_movies,
            embedding_size,
            embeddings_initializer="he_normal",
            embeddings_regularizer=keras.regularizers.l2(1e-6),
        )
        self.movie_bias = layers.Embedding(num_movies, 1)

    def call(self, inputs):
        user_vector = self.user_embedding(inputs[:, 0])
        user_bias = self.user_bias(inputs[:, 0])
        movie_vector = self.movie_embedding(inputs[:, 1])
        movie_bias = self.movie_bias(inputs[:, 1])
        dot_user_movie = ops.tensordot(user_vector, movie_vector, 2)
        x = dot_user_movie + user_bias + movie_bias
        return ops.nn.sigmoid(x)


model = RecommenderNet(num_users, num_movies, EMBEDDING_SIZE)
model.compile(
    loss=keras.losses.BinaryCrossentropy(),
    optimizer=keras.optimizers.Adam(learning_rate=0.001),
)
history = model.fit(
    x=x_train, y=y_train, batch_size=64, epochs=2, verbose=1, validation_data=(x_val, y_val)
)
user_movie_array = np.stack([np.full(20, 3), np.arange(20)], axis=1)
ratings = model.predict(user_movie_array).flatten()
top_ratings_indices = ratings.argsort()[-10:][::-1]
print(top_ratings_indices)
