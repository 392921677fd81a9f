"""Keras's ``datasets.imdb``: movie reviews labelled by sentiment."""

from .._sequences import imdb_word_index as get_word_index
from .._sequences import load_imdb as load_data
