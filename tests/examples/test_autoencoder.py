"""The convolutional autoencoder example runs end to end (encoder convolutions, the
ConvTranspose2d decoder, MSE, Adam) on a tiny subset, learns, and writes a valid PNG."""

from __future__ import annotations

import importlib.util
import json
import struct
import zlib
from pathlib import Path

import numpy as np

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "autoencoder.py"


def _load():
    spec = importlib.util.spec_from_file_location("autoencoder", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _read_png(path: Path) -> np.ndarray:
    """Decode the 8-bit grayscale PNG the example writes (filter type 0 rows)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, {}
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + body), kind
        chunks[kind] = chunks.get(kind, b"") + body
        pos += 12 + length
    width, height, depth, color = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert (depth, color) == (8, 0)
    raw = np.frombuffer(zlib.decompress(chunks[b"IDAT"]), np.uint8).reshape(height, width + 1)
    assert (raw[:, 0] == 0).all()
    return raw[:, 1:]


def test_autoencoder_on_shapes_learns_and_writes_a_picture(tmp_path, capsys):
    history = _load().main(["--dataset", "shapes", "--limit", "256", "--test-limit", "64",
                            "--epochs", "2", "--batch-size", "32", "--out", str(tmp_path)])
    assert "test MSE" in capsys.readouterr().out
    assert history["test_loss"][-1] < 0.5 * history["test_loss_before"][0]
    picture = _read_png(tmp_path / "reconstructions.png")
    assert picture.shape == (2 * 2 * 30, 10 * 2 * 30)  # 2 rows x 10 tiles of 30 px, scaled 2x
    assert picture.std() > 10  # not a blank image
    assert json.loads((tmp_path / "history.json").read_text())["test_loss"] == history["test_loss"]


def test_autoencoder_on_an_mnist_subset(tmp_path, data_dir):
    history = _load().main(["--data-dir", str(data_dir), "--limit", "256", "--test-limit",
                            "128", "--out", str(tmp_path)])
    assert history["test_loss"][-1] < history["test_loss_before"][0]
    assert (tmp_path / "reconstructions.png").is_file()


def test_decoder_upsamples_the_code_back_to_28x28():
    import tinygrad_lite as tl

    model = _load().build_model(latent=8, width=4)
    x = tl.rand(3, 1, 28, 28)
    y = model(x)
    assert y.shape == (3, 1, 28, 28)
    y.sum().backward()
    assert model.decoder[0].weight.grad.shape == (8, 4, 3, 3)  # (in, out, kh, kw)
