"""The docs match the code: docs/api.md is current and every public callable has a docstring.

The pages' code examples themselves run as doctests (``pytest docs/``, via ``--doctest-glob``).
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _gen_api() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_api", DOCS / "gen_api.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def gen_api() -> ModuleType:
    return _gen_api()


def test_api_page_is_current(gen_api):
    expected = gen_api.render()
    actual = (DOCS / "api.md").read_text()
    if actual != expected:
        present = set(actual.splitlines())
        stale = [line for line in expected.splitlines() if line and line not in present]
        pytest.fail(
            "docs/api.md is stale: run `python docs/gen_api.py > docs/api.md`.\n"
            "First lines that differ:\n" + "\n".join(stale[:5])
        )


def test_every_public_callable_has_a_docstring(gen_api):
    missing = gen_api.undocumented()
    assert missing == [], f"public names without a docstring: {missing}"


def test_api_page_lists_every_public_name(gen_api):
    import tinygrad_lite as tl

    page = gen_api.render()
    for name in (
        "Tensor",
        "backward",
        "Conv2d",
        "cross_entropy",
        "kaiming_uniform_",
        "clip_grad_norm_",
        "Adam",
        "OneCycleLR",
        "DataLoader",
        "to_dot",
    ):
        assert f"{name}" in page
    for module_name in gen_api.MODULES:
        module = importlib.import_module(module_name)
        for name in gen_api.public_names(module):
            assert re.search(rf"`(class )?{re.escape(name)}\b", page), (module_name, name)
    for method in ("backward", "reshape", "sum", "register_hook"):
        assert f"`{method}(" in page and hasattr(tl.Tensor, method)


def test_summary_turns_rest_markup_into_markdown(gen_api):
    def f():
        """Like :func:`~tinygrad_lite.zeros`, with ``dtype``.

        Second paragraph, not shown.
        """

    assert gen_api.summary(f) == "Like `tinygrad_lite.zeros`, with `dtype`."
    assert gen_api.summary(lambda: None) == ""


def test_signature_drops_annotations_and_addresses(gen_api):
    sentinel = object()

    def f(x: int, y: str = "a", z: object = sentinel) -> None:
        """Doc."""

    sig = gen_api.signature(f)
    assert sig.startswith("(x, y='a', z=<object object")
    assert "0x" not in sig and ":" not in sig


def test_every_docs_page_is_linked_from_the_index():
    index = (DOCS / "index.md").read_text()
    for page in sorted(DOCS.glob("*.md")):
        if page.name != "index.md":
            assert f"({page.name})" in index, f"docs/index.md does not link {page.name}"


def test_every_relative_link_and_image_in_the_docs_resolves():
    for page in sorted(DOCS.glob("*.md")):
        for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text()):
            if "://" in target or target.startswith("#"):
                continue
            path = (page.parent / target.split("#")[0]).resolve()
            assert path.exists(), f"{page.name} links to missing {target}"


def test_optimizers_page_shows_what_the_tour_prints_now(capsys):
    """docs/optimizers.md quotes `examples/optimizers_tour.py`'s default table (~6 s to run)."""
    spec = importlib.util.spec_from_file_location(
        "optimizers_tour", DOCS.parent / "examples" / "optimizers_tour.py"
    )
    tour = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tour)
    tour.main(["--no-plot"])
    printed = [line for line in capsys.readouterr().out.splitlines() if line and line[0] != "("]
    page = (DOCS / "optimizers.md").read_text()
    quoted = page.split("Output of `python examples/optimizers_tour.py")[1]
    quoted = quoted.split("```text\n")[1].split("```")[0]
    assert [line for line in quoted.splitlines() if line] == printed
