"""MNIST and Fashion-MNIST from the original IDX files, checksum-verified.

Files are looked up (as ``name.gz`` or uncompressed ``name``) in ``root/mnist/`` resp.
``root/fashion-mnist/``, then in ``root`` itself, then in torchvision's ``root/MNIST/raw/``
resp. ``root/FashionMNIST/raw/``; Fashion-MNIST also in
``/usr/share/datasets/fashion-mnist/`` (Debian's ``dataset-fashion-mnist`` package).  ``root``
defaults to ``$TINYGRAD_LITE_DATA`` or ``~/.cache/tinygrad_lite``.

Every file's MD5 is checked before use: either the MD5 of the published ``.gz`` or, since
repackaged gzip files differ in their headers, the MD5 of the decompressed IDX data.
``download=True`` fetches missing files from a list of mirrors into ``name.part``, checks the
MD5 and only then renames the file to its final name, so a partial download never looks
complete.

IDX format (LeCun et al.): big-endian int32 magic ``0x0000TTNN`` (``TT = 0x08``: uint8 data,
``NN``: number of dimensions; 2051 for images, 2049 for labels), ``NN`` big-endian int32 sizes,
then the data.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import os
import socket
import urllib.error
import urllib.request
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tinygrad_lite.data.dataset import Dataset, _check_index
from tinygrad_lite.tensor import Tensor

IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049
DEBIAN_FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")

_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
          "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")  # fmt: skip

# name -> (MD5 of the published .gz, MD5 of the decompressed IDX data)
MD5 = {
    "mnist": {
        "train-images-idx3-ubyte": (
            "f68b3c2dcbeaaa9fbdd348bbdeb94873", "6bbc9ace898e44ae57da46a324031adb"),
        "train-labels-idx1-ubyte": (
            "d53e105ee54ea40749a09fcbcd1e9432", "a25bea736e30d166cdddb491f175f624"),
        "t10k-images-idx3-ubyte": (
            "9fb629c4189551a2d022fa330f9573f3", "2646ac647ad5339dbf082846283269ea"),
        "t10k-labels-idx1-ubyte": (
            "ec29112dd5afa0611ce80d1b7f02629c", "27ae3e4e09519cfbb04c329615203637"),
    },
    "fashion-mnist": {
        "train-images-idx3-ubyte": (
            "8d4fb7e6c68d591d4c3dfef9ec88bf0d", "f4a8712d7a061bf5bd6d2ca38dc4d50a"),
        "train-labels-idx1-ubyte": (
            "25c81989df183df01b3e8a0aad5dffbe", "9018921c3c673c538a1fc5bad174d6f9"),
        "t10k-images-idx3-ubyte": (
            "bef4ecab320f06d8554ea6380940ec79", "8181f5470baa50b63fa0f6fddb340f0a"),
        "t10k-labels-idx1-ubyte": (
            "bb300cfdad3c16e7a12a480ee83cd310", "15d484375f8d13e6eb1aabb0c3f46965"),
    },
}  # fmt: skip

MIRRORS = {
    "mnist": [
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ],
    "fashion-mnist": [
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/",
    ],
}


class DatasetFileError(RuntimeError):
    """A dataset file is missing, corrupt, or not what its name says."""


def default_root() -> Path:
    """``$TINYGRAD_LITE_DATA`` if set, else ``~/.cache/tinygrad_lite``."""
    env = os.environ.get("TINYGRAD_LITE_DATA")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "tinygrad_lite"


def _decompress(path: Path, raw: bytes) -> bytes:
    if raw[:2] != b"\x1f\x8b":
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as e:
        raise DatasetFileError(f"{path}: not a valid gzip file (truncated or corrupt: {e})") from e


def parse_idx(data: bytes, name: str = "<bytes>") -> np.ndarray:
    """Parse uncompressed IDX bytes into a uint8 array of the stored shape."""
    if len(data) < 4:
        raise DatasetFileError(f"{name}: too short for an IDX file ({len(data)} bytes)")
    zero, dtype_code, ndim = int.from_bytes(data[:2], "big"), data[2], data[3]
    if zero != 0 or dtype_code != 0x08 or not 1 <= ndim <= 4:
        magic = int.from_bytes(data[:4], "big")
        raise DatasetFileError(
            f"{name}: not an IDX uint8 file (magic {magic}, expected 2049 labels or 2051 images)"
        )
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DatasetFileError(f"{name}: IDX header truncated ({len(data)} bytes)")
    dims = tuple(int(d) for d in np.frombuffer(data, dtype=">i4", count=ndim, offset=4))
    expected = int(np.prod(dims))
    if len(data) - header != expected:
        raise DatasetFileError(
            f"{name}: IDX dims {dims} need {expected} data bytes, file has {len(data) - header}"
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims).copy()


def read_idx(path: str | os.PathLike[str], md5: Sequence[str] | None = None) -> np.ndarray:
    """Read an IDX file (gzipped or not) into a uint8 array.

    ``md5``: accepted checksums (of the file as stored or of its decompressed data); a file
    matching none of them raises :class:`DatasetFileError` naming the file.
    """
    path = Path(path)
    raw = path.read_bytes()
    accepted = set(md5 or ())
    file_md5 = hashlib.md5(raw).hexdigest()
    data = _decompress(path, raw)
    if accepted and file_md5 not in accepted:
        data_md5 = hashlib.md5(data).hexdigest()
        if data_md5 not in accepted:
            raise DatasetFileError(
                f"{path}: checksum mismatch (MD5 {file_md5}, decompressed {data_md5}; expected "
                f"one of {sorted(accepted)}): the file is corrupt or not the right one; "
                "delete it and download it again"
            )
    return parse_idx(data, str(path))


def download_file(
    name: str, folder: Path, mirrors: Sequence[str], md5: Sequence[str], timeout: float = 60.0
) -> Path:
    """Fetch ``name.gz`` from the first mirror that serves it with a matching MD5.

    Writes ``folder/name.gz.part`` and renames it to ``folder/name.gz`` only after the MD5
    check, so an interrupted or corrupt download never leaves a file that looks complete.
    """
    folder.mkdir(parents=True, exist_ok=True)
    dest = folder / f"{name}.gz"
    part = folder / f"{name}.gz.part"
    errors, unreachable = [], 0
    for base in mirrors:
        url = base.rstrip("/") + f"/{name}.gz"
        try:
            digest = hashlib.md5()
            with urllib.request.urlopen(url, timeout=timeout) as response, open(part, "wb") as f:
                while chunk := response.read(1 << 20):
                    digest.update(chunk)
                    f.write(chunk)
            if digest.hexdigest() not in md5:
                raise DatasetFileError(f"MD5 {digest.hexdigest()} does not match {list(md5)}")
            os.replace(part, dest)
            return dest
        except (OSError, ValueError, http.client.HTTPException, DatasetFileError) as e:
            # OSError: network and HTTP errors; ValueError: a malformed mirror URL;
            # HTTPException: a connection cut mid-file (IncompleteRead) or a bad URL
            errors.append(f"{url}: {type(e).__name__}: {e}")
            unreachable += is_unreachable(e)
        finally:
            part.unlink(missing_ok=True)
    offline = ""
    if errors and unreachable == len(errors):
        offline = (
            " -- no mirror could be reached: is this machine offline (or behind a proxy; "
            "urllib honours https_proxy)?"
        )
    raise DatasetFileError(
        f"could not download {name}.gz from any mirror{offline}\n  " + "\n  ".join(errors)
        + f"\nDownload it by hand (on a machine with internet access) and put it in {folder}/"
    )


def is_unreachable(error: BaseException) -> bool:
    """True for errors that mean the server was never reached (no network, DNS failure,
    refused or timed-out connection), as opposed to a reply that was wrong."""
    if isinstance(error, urllib.error.HTTPError):
        return False  # the server answered
    reason = error.reason if isinstance(error, urllib.error.URLError) else error
    return isinstance(reason, (socket.gaierror, ConnectionError, TimeoutError))


class MNIST(Dataset):
    """The MNIST handwritten digits: 60,000 training and 10,000 test images of 28x28.

    ``dataset[i]`` is ``(image, label)``: a float32 array ``(1, 28, 28)`` in [0, 1] (after
    ``transform``, if given) and an int.  ``data`` (uint8, ``(N, 28, 28)``) and ``targets``
    (int64) hold everything, as in torchvision.
    """

    folder = "mnist"
    classes = [str(d) for d in range(10)]

    def __init__(
        self,
        root: str | os.PathLike[str] | None = None,
        train: bool = True,
        download: bool = False,
        transform: Any = None,
        mirrors: Sequence[str] | None = None,
    ) -> None:
        self.root = Path(root).expanduser() if root is not None else default_root()
        self.train = train
        self.transform = transform
        self.mirrors = list(MIRRORS[self.folder] if mirrors is None else mirrors)
        split = "train" if train else "t10k"
        images = self._load(f"{split}-images-idx3-ubyte", download)
        labels = self._load(f"{split}-labels-idx1-ubyte", download)
        title = type(self).__name__
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise DatasetFileError(
                f"{title}: images {images.shape} and labels {labels.shape} do not match"
            )
        if labels.size and labels.max() >= len(self.classes):
            raise DatasetFileError(f"{title}: label {labels.max()} out of range")
        self.data = images
        self.targets = labels.astype(np.int64)

    def search_dirs(self) -> list[Path]:
        """Where the files are looked for, in order: ``root/mnist``, ``root``, and
        torchvision's layout ``root/MNIST/raw`` (so a torchvision download is reused)."""
        return [self.root / self.folder, self.root, self.root / type(self).__name__ / "raw"]

    def _find(self, name: str) -> Path | None:
        for d in self.search_dirs():
            for candidate in (d / f"{name}.gz", d / name):
                if candidate.is_file():
                    return candidate
        return None

    def _load(self, name: str, download: bool) -> np.ndarray:
        md5 = MD5[self.folder][name]
        path = self._find(name)
        if path is None and download:
            path = download_file(name, self.root / self.folder, self.mirrors, md5)
        if path is None:
            where = ", ".join(str(d) for d in self.search_dirs())
            raise DatasetFileError(
                f"{type(self).__name__}: {name}.gz not found (looked in {where}). Put the four "
                f"files {', '.join(f + '.gz' for f in _FILES)} into {self.root / self.folder}/, "
                "set TINYGRAD_LITE_DATA to the folder holding them, or pass download=True"
            )
        return read_idx(path, md5)

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, index: int) -> tuple[np.ndarray, int]:
        i = _check_index(type(self).__name__, index, len(self))
        images, labels = self.get_batch([i])
        return images[0], int(labels[0])

    def get_batch(self, indices: Any) -> tuple[np.ndarray, np.ndarray]:
        """Images ``(B, 1, 28, 28)`` float32 in [0, 1] (then ``transform``) and int64 labels."""
        idx = np.asarray(indices, dtype=np.int64)
        images = self.data[idx][:, None].astype(np.float32) * np.float32(1 / 255)
        if self.transform is not None:
            images = self.transform(images)
        return images, self.targets[idx]

    def tensors(self) -> tuple[Tensor, Tensor]:
        """All images (float32, ``(N, 1, 28, 28)``, [0, 1]) and labels as two Tensors."""
        images, labels = self.get_batch(np.arange(len(self)))
        return Tensor._make(images, None), Tensor._make(labels, None)

    def __repr__(self) -> str:
        split = "train" if self.train else "test"
        return f"{type(self).__name__}(split={split}, n={len(self)}, root={str(self.root)!r})"


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: same format and sizes as MNIST, ten clothing classes."""

    folder = "fashion-mnist"
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]  # fmt: skip

    def search_dirs(self) -> list[Path]:
        """``root/fashion-mnist``, ``root``, then Debian's ``/usr/share/datasets/fashion-mnist``."""
        return [*super().search_dirs(), DEBIAN_FASHION_DIR]
