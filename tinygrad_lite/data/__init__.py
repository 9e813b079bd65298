"""Data: datasets, a seeded DataLoader, batch transforms, MNIST/Fashion-MNIST and shapes.

>>> from tinygrad_lite.data import DataLoader, shapes
>>> train, test = shapes(n=64, n_test=16, seed=0)
>>> images, labels = next(iter(DataLoader(train, batch_size=32, shuffle=True, seed=0)))
>>> images.shape, images.dtype, labels.dtype
((32, 1, 28, 28), dtype('float32'), dtype('int64'))
"""

from tinygrad_lite.data import transforms
from tinygrad_lite.data.dataloader import DataLoader
from tinygrad_lite.data.dataset import (
    Dataset,
    Subset,
    TensorDataset,
    default_collate,
    fetch_batch,
    random_split,
)
from tinygrad_lite.data.mnist import MNIST, DatasetFileError, FashionMNIST, read_idx
from tinygrad_lite.data.shapes import CLASSES as SHAPE_CLASSES
from tinygrad_lite.data.shapes import make_shapes, shapes

__all__ = [
    "DataLoader",
    "Dataset",
    "TensorDataset",
    "Subset",
    "random_split",
    "default_collate",
    "fetch_batch",
    "transforms",
    "MNIST",
    "FashionMNIST",
    "DatasetFileError",
    "read_idx",
    "shapes",
    "make_shapes",
    "SHAPE_CLASSES",
]
