"""Random sampling with explicit seeds, compatible with ``keras.random``."""

from ._random import beta as beta
from ._random import binomial as binomial
from ._random import categorical as categorical
from ._random import draw_seed as draw_seed
from ._random import dropout as dropout
from ._random import gamma as gamma
from ._random import normal as normal
from ._random import randint as randint
from ._random import shuffle as shuffle
from ._random import truncated_normal as truncated_normal
from ._random import uniform as uniform
from ._seed_generator import SeedGenerator as SeedGenerator
from ._seed_generator import global_seed_generator as global_seed_generator
