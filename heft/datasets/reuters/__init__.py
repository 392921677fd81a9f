"""Keras's ``datasets.reuters``: newswires labelled by topic."""

from .._sequences import load_reuters as load_data
from .._sequences import reuters_label_names as get_label_names
from .._sequences import reuters_word_index as get_word_index
