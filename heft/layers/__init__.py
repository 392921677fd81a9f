"""Layers: the ``Layer`` base class and the built-in layers."""

from ._activation import Activation as Activation
from ._activation import Identity as Identity
from ._dense import Dense as Dense
from ._dropout import Dropout as Dropout
from ._flatten import Flatten as Flatten
from ._input_layer import Input as Input
from ._input_layer import InputLayer as InputLayer
from ._input_spec import InputSpec as InputSpec
from ._layer import Layer as Layer
from ._serialization import deserialize as deserialize
from ._serialization import serialize as serialize
