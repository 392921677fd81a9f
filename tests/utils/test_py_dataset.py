import numpy as np
import pytest

import heft


class Batches(heft.utils.PyDataset):
    def __init__(self, n=3, **kwargs):
        super().__init__(**kwargs)
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, index):
        return np.full((2, 1), index, "float32"), np.zeros((2,), "int32")


def test_py_dataset_defaults_and_properties():
    ds = Batches()
    assert (ds.workers, ds.use_multiprocessing, ds.max_queue_size) == (1, False, 10)
    ds.workers = 4
    assert ds.workers == 4
    assert ds.num_batches == 3
    assert [float(x[0, 0]) for x, _ in ds] == [0.0, 1.0, 2.0]


def test_sequence_is_py_dataset():
    assert heft.utils.Sequence is heft.utils.PyDataset


def test_py_dataset_without_super_init_warns_and_defaults():
    class NoSuper(heft.utils.PyDataset):
        def __init__(self):
            pass

        def __len__(self):
            return 1

        def __getitem__(self, index):
            return np.zeros((1, 1))

    ds = NoSuper()
    with pytest.warns(UserWarning, match=r"super\(\).__init__"):
        assert ds.workers == 1
    assert ds.max_queue_size == 10


def test_py_dataset_without_len_or_getitem_raises():
    class Empty(heft.utils.PyDataset):
        pass

    with pytest.raises(NotImplementedError, match="num_batches"):
        Empty().num_batches  # noqa: B018
    with pytest.raises(NotImplementedError, match="__getitem__"):
        Empty()[0]
