"""``set_random_seed``: one call that makes a heft program's randomness repeatable."""

from __future__ import annotations

import random
import sys

import numpy as np

_SEED: list[int] = []


def set_random_seed(seed: int) -> None:
    """Seed Python's ``random``, NumPy's global generator and heft's own random state.

    After ``set_random_seed(s)``, the same program gives the same results:
    initializers and random functions called without a seed (they draw from
    heft's global seed generator, created anew from Python's ``random``),
    layers such as ``Dropout`` created without a seed, and the order in which
    ``fit(shuffle=True)`` visits the samples (NumPy's global generator). A
    ``torch`` or ``tensorflow`` module the program has already imported (as a
    data source) is seeded too; neither is imported here.

    Args:
        seed: A non-negative Python int.

    Raises:
        ValueError: If ``seed`` is not an int.

    >>> import heft
    >>> heft.utils.set_random_seed(7)
    >>> a = heft.random.uniform((2,))
    >>> heft.utils.set_random_seed(7)
    >>> bool((heft.random.uniform((2,)) == a).all())
    True
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise ValueError(
            f"Expected `seed` argument to be an integer. Received: seed={seed!r} (of type "
            f"{type(seed)}). Pass a Python int, e.g. `set_random_seed(1337)`."
        )
    from ..random import _seed_generator

    seed = int(seed)
    _SEED[:] = [seed]
    _seed_generator.reset_global_seed_generator()
    random.seed(seed)
    np.random.seed(seed)
    torch = sys.modules.get("torch")
    if torch is not None and hasattr(torch, "manual_seed"):
        torch.manual_seed(seed)
    tf = sys.modules.get("tensorflow")
    if tf is not None and hasattr(getattr(tf, "random", None), "set_seed"):
        tf.random.set_seed(seed)


def get_random_seed() -> int | None:
    """The seed last given to ``set_random_seed``, or ``None`` if it was never called.

    >>> set_random_seed(3)
    >>> get_random_seed()
    3
    """
    return _SEED[0] if _SEED else None
