"""``tinygrad_lite.__version__``: one source of truth, read by setup.cfg and by the package."""

from __future__ import annotations

import configparser
import importlib.metadata
import re
from pathlib import Path

import tinygrad_lite as tl

ROOT = Path(__file__).resolve().parents[1]


def test_version_is_a_version_string():
    assert re.fullmatch(r"\d+\.\d+\.\d+([.-]?\w+)?", tl.__version__)


def test_setup_cfg_reads_it_from_the_package():
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    assert cfg["metadata"]["version"] == "attr: tinygrad_lite.version.__version__"


def test_installed_metadata_agrees():
    """The installed distribution (``pip install -e .``) reports the same version."""
    assert importlib.metadata.version("tinygrad_lite") == tl.__version__
