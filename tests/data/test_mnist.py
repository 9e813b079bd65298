"""IDX parsing and checksums on the real MNIST / Fashion-MNIST files, and on broken copies.

Only the tests of the published files themselves need them (``data_dir``, skipped without);
everything else runs on ``fake_data``: small IDX files in the same layout whose checksums
replace the real ones in the MD5 table for the test's duration, so the lookup, checksum and
download logic is tested on a fresh clone, offline.
"""

from __future__ import annotations

import gzip
import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest

from tinygrad_lite.data import MNIST, DataLoader, DatasetFileError, FashionMNIST, mnist, read_idx
from tinygrad_lite.data.mnist import MD5, download_file, parse_idx

T10K = ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
FIRST_LABELS = {"mnist": [7, 2, 1, 0, 4], "fashion-mnist": [9, 2, 1, 1, 6]}  # as the real files


def _idx(array: np.ndarray, magic: int) -> bytes:
    header = magic.to_bytes(4, "big") + b"".join(n.to_bytes(4, "big") for n in array.shape)
    return header + array.astype(np.uint8).tobytes()


@pytest.fixture
def fake_data(tmp_path, monkeypatch):
    """``root/mnist`` and ``root/fashion-mnist``: 30-image test splits as published ``.gz``
    files, their MD5s in the table (a fresh dict: the real table is untouched)."""
    rng = np.random.default_rng(0)
    root = tmp_path / "fake"
    table = {}
    for folder, first in FIRST_LABELS.items():
        labels = np.concatenate([first, rng.integers(0, 10, 25)])
        images = rng.integers(0, 256, (30, 28, 28))
        (root / folder).mkdir(parents=True)
        table[folder] = dict(MD5[folder])
        for name, data in zip(T10K, (_idx(images, 2051), _idx(labels, 2049))):
            gz = gzip.compress(data, mtime=0)
            (root / folder / f"{name}.gz").write_bytes(gz)
            table[folder][name] = (hashlib.md5(gz).hexdigest(), hashlib.md5(data).hexdigest())
    monkeypatch.setattr(mnist, "MD5", table)
    return root


def _copy_test_split(source: Path, folder: str, dest: Path) -> Path:
    (dest / folder).mkdir(parents=True)
    for name in T10K:
        shutil.copy(source / folder / f"{name}.gz", dest / folder / f"{name}.gz")
        (dest / folder / f"{name}.gz").chmod(0o644)
    return dest


@pytest.mark.parametrize("folder", ["mnist", "fashion-mnist"])
def test_published_gz_md5_matches_table(data_dir, folder):
    for name in T10K:
        raw = (data_dir / folder / f"{name}.gz").read_bytes()
        gz_md5, data_md5 = MD5[folder][name]
        assert hashlib.md5(raw).hexdigest() == gz_md5
        assert hashlib.md5(gzip.decompress(raw)).hexdigest() == data_md5


def test_read_idx_header_and_values(data_dir):
    path = data_dir / "mnist" / "t10k-images-idx3-ubyte.gz"
    raw = gzip.decompress(path.read_bytes())
    assert int.from_bytes(raw[:4], "big") == 2051
    images = read_idx(path, MD5["mnist"]["t10k-images-idx3-ubyte"])
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8
    np.testing.assert_array_equal(images.reshape(-1), np.frombuffer(raw[16:], np.uint8))
    labels = read_idx(data_dir / "mnist" / "t10k-labels-idx1-ubyte.gz")
    assert labels.shape == (10000,)
    assert labels[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]  # the well-known first digits


def test_mnist_test_split(data_dir):
    ds = MNIST(data_dir, train=False)
    assert len(ds) == 10000 and ds.data.shape == (10000, 28, 28)
    assert np.bincount(ds.targets).tolist()[:3] == [980, 1135, 1032]
    image, label = ds[0]
    assert image.shape == (1, 28, 28) and image.dtype == np.float32 and label == 7
    assert 0.0 <= image.min() and image.max() <= 1.0
    images, labels = next(iter(DataLoader(ds, batch_size=5)))
    assert images.shape == (5, 1, 28, 28) and labels.dtype == np.int64
    np.testing.assert_array_equal(images.numpy()[0], image)


def test_fashion_mnist_test_split(data_dir):
    ds = FashionMNIST(data_dir, train=False)
    assert len(ds) == 10000 and ds.targets[:3].tolist() == [9, 2, 1]
    assert np.bincount(ds.targets).tolist() == [1000] * 10


def test_files_in_root_itself_and_uncompressed(fake_data, tmp_path):
    for name in T10K:
        data = gzip.decompress((fake_data / "mnist" / f"{name}.gz").read_bytes())
        (tmp_path / name).write_bytes(data)  # uncompressed, directly in root
    ds = MNIST(tmp_path, train=False)
    assert ds.targets[0] == 7


def test_regzipped_file_accepted_by_decompressed_md5(fake_data, tmp_path):
    """Debian repackages the .gz files (different header bytes, same data): accepted."""
    (tmp_path / "fashion-mnist").mkdir()
    for name in T10K:
        data = gzip.decompress((fake_data / "fashion-mnist" / f"{name}.gz").read_bytes())
        regzipped = gzip.compress(data, compresslevel=1, mtime=1)
        (tmp_path / "fashion-mnist" / f"{name}.gz").write_bytes(regzipped)
    assert FashionMNIST(tmp_path, train=False).targets[0] == 9


def test_default_root_from_environment(fake_data, monkeypatch):
    monkeypatch.setenv("TINYGRAD_LITE_DATA", str(fake_data))
    assert len(MNIST(train=False)) == 30


def test_corrupted_file_names_the_file(fake_data, tmp_path):
    root = _copy_test_split(fake_data, "mnist", tmp_path)
    path = root / "mnist" / "t10k-labels-idx1-ubyte.gz"
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(DatasetFileError, match="t10k-labels-idx1-ubyte.gz"):
        MNIST(root, train=False)


def test_truncated_file_names_the_file(fake_data, tmp_path):
    root = _copy_test_split(fake_data, "mnist", tmp_path)
    path = root / "mnist" / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(DatasetFileError, match="t10k-images-idx3-ubyte.gz.*(corrupt|checksum)"):
        MNIST(root, train=False)


def test_wrong_file_names_the_file(fake_data, tmp_path):
    """Fashion-MNIST files where MNIST's belong: valid IDX, wrong checksum."""
    root = _copy_test_split(fake_data, "fashion-mnist", tmp_path)
    (root / "fashion-mnist").rename(root / "mnist")
    with pytest.raises(DatasetFileError, match="t10k-images-idx3-ubyte.gz: checksum mismatch"):
        MNIST(root, train=False)


def test_missing_files_say_where_to_put_them(tmp_path):
    with pytest.raises(DatasetFileError, match=r"not found .*mnist.*download=True"):
        MNIST(tmp_path / "nowhere", train=False)


def test_parse_idx_errors():
    with pytest.raises(DatasetFileError, match="x.idx: not an IDX uint8 file"):
        parse_idx(b"\x00\x00\x0d\x01" + (3).to_bytes(4, "big") + bytes(12), "x.idx")
    header = b"\x00\x00\x08\x02" + (2).to_bytes(4, "big") + (3).to_bytes(4, "big")
    assert parse_idx(header + bytes(range(6))).tolist() == [[0, 1, 2], [3, 4, 5]]
    with pytest.raises(DatasetFileError, match=r"dims \(2, 3\) need 6 data bytes, file has 5"):
        parse_idx(header + bytes(5))


def test_download_from_mirror_verifies_and_renames(fake_data, tmp_path):
    """file:// mirrors stand in for the network: a dead mirror, a corrupt one, a good one."""
    name = "t10k-labels-idx1-ubyte"
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / f"{name}.gz").write_bytes(b"not the file")
    mirrors = [(tmp_path / "dead").as_uri() + "/", bad.as_uri() + "/",
               (fake_data / "mnist").as_uri() + "/"]  # fmt: skip
    dest = tmp_path / "root" / "mnist"
    path = download_file(name, dest, mirrors, mnist.MD5["mnist"][name])
    assert path == dest / f"{name}.gz"
    assert sorted(p.name for p in dest.iterdir()) == [f"{name}.gz"]  # no .part left over


def test_failed_download_leaves_no_file(tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "t10k-images-idx3-ubyte.gz").write_bytes(b"truncated")
    with pytest.raises(DatasetFileError, match=r"(?s)could not download t10k-images.*MD5.*by hand"):
        MNIST(tmp_path / "root", train=False, download=True, mirrors=[bad.as_uri() + "/"])
    assert list((tmp_path / "root" / "mnist").iterdir()) == []


def _closed_port() -> int:
    """A local port nothing listens on: connecting is refused at once, as offline."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_offline_download_says_so(tmp_path):
    """Every mirror unreachable (refused here; no network in tests): the message says the
    machine looks offline and where to put the files by hand; nothing is left behind."""
    mirrors = [f"http://127.0.0.1:{_closed_port()}/mnist/", f"http://127.0.0.1:{_closed_port()}/"]
    with pytest.raises(DatasetFileError) as info:
        MNIST(tmp_path / "root", train=False, download=True, mirrors=mirrors)
    message = str(info.value)
    assert "could not download t10k-images-idx3-ubyte.gz from any mirror -- no mirror could " \
           "be reached: is this machine offline" in message
    assert message.count("Connection refused") == 2
    assert f"put it in {tmp_path / 'root' / 'mnist'}/" in message
    assert list((tmp_path / "root" / "mnist").iterdir()) == []


def test_wrong_reply_is_not_called_offline(tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "t10k-images-idx3-ubyte.gz").write_bytes(b"not it")
    mirrors = [f"http://127.0.0.1:{_closed_port()}/", bad.as_uri() + "/"]
    with pytest.raises(DatasetFileError) as info:
        MNIST(tmp_path / "root", train=False, download=True, mirrors=mirrors)
    assert "offline" not in str(info.value) and "does not match" in str(info.value)


def test_torchvision_layout_is_found(fake_data, tmp_path):
    """torchvision keeps the files in root/MNIST/raw: the same root works here."""
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in T10K:
        shutil.copy(fake_data / "mnist" / f"{name}.gz", raw / f"{name}.gz")
    assert MNIST(tmp_path, train=False).targets[0] == 7


def test_debian_fashion_mnist_folder_is_searched(fake_data, tmp_path, monkeypatch):
    """Where Debian's dataset-fashion-mnist installs its (re-gzipped) files."""
    debian = tmp_path / "usr-share-datasets-fashion-mnist"
    debian.mkdir()
    for name in T10K:
        data = gzip.decompress((fake_data / "fashion-mnist" / f"{name}.gz").read_bytes())
        (debian / f"{name}.gz").write_bytes(gzip.compress(data, mtime=0))
    monkeypatch.setattr(mnist, "DEBIAN_FASHION_DIR", debian)
    ds = FashionMNIST(tmp_path / "empty-root", train=False)
    assert len(ds) == 30 and ds.targets[0] == 9


@pytest.fixture
def http_mirrors(fake_data):
    """Local HTTP mirrors: one serving the real files, one cutting every file off half-way."""
    import functools
    import http.server
    import threading

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    class CutsOff(Quiet):
        def do_GET(self):
            data = (fake_data / "mnist" / self.path.rsplit("/", 1)[1]).read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.close_connection = True

    good = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(fake_data / "mnist"))
    )
    cut = http.server.ThreadingHTTPServer(("127.0.0.1", 0), CutsOff)
    for server in (good, cut):
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield [f"http://127.0.0.1:{s.server_address[1]}" for s in (good, cut)]
    for server in (good, cut):
        server.shutdown()
        server.server_close()


def test_download_over_http_skips_bad_mirrors(http_mirrors, tmp_path):
    """A cut-off file, a malformed URL and a 404 are reported; a mirror given without its
    trailing slash still works; no partial file is left."""
    good, cut = http_mirrors
    name = "t10k-labels-idx1-ubyte"
    dest = tmp_path / "mnist"
    with pytest.raises(DatasetFileError) as info:
        download_file(name, dest, [cut + "/", "http://127.0.0.1:bad/", good + "/nothing/"],
                      mnist.MD5["mnist"][name])  # fmt: skip
    message = str(info.value)
    assert message.count(f"{name}.gz:") == 3 and "404" in message and "by hand" in message
    assert list(dest.iterdir()) == []
    path = download_file(name, dest, [cut, good], mnist.MD5["mnist"][name])  # no trailing slashes
    assert path == dest / f"{name}.gz" and sorted(p.name for p in dest.iterdir()) == [path.name]
    assert read_idx(path, mnist.MD5["mnist"][name])[0] == 7
