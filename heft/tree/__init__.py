"""``heft.tree``: Keras's functions on nested structures (see ``heft/tree/_tree.py`` for the rules)."""

from ._tree import MAP_TO_NONE as MAP_TO_NONE
from ._tree import assert_same_paths as assert_same_paths
from ._tree import assert_same_structure as assert_same_structure
from ._tree import flatten as flatten
from ._tree import flatten_with_path as flatten_with_path
from ._tree import is_nested as is_nested
from ._tree import lists_to_tuples as lists_to_tuples
from ._tree import map_shape_structure as map_shape_structure
from ._tree import map_structure as map_structure
from ._tree import map_structure_up_to as map_structure_up_to
from ._tree import pack_sequence_as as pack_sequence_as
from ._tree import traverse as traverse
