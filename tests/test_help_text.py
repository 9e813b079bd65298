"""help(Tensor.__add__) and friends show real help, not a leftover section comment."""

from __future__ import annotations

import pydoc

import tinygrad_lite as tl


def test_every_dunder_defined_here_has_a_docstring():
    missing = []
    for name in dir(tl.Tensor):
        f = getattr(tl.Tensor, name)
        if not (name.startswith("__") and name.endswith("__") and callable(f)):
            continue
        if not (getattr(f, "__module__", None) or "").startswith("tinygrad_lite"):
            continue
        if not (f.__doc__ or "").strip():
            missing.append(name)
    assert missing == []


def test_help_shows_the_docstring_not_a_comment():
    text = pydoc.render_doc(tl.Tensor.__add__, renderer=pydoc.plaintext)
    assert "self + other" in text and "-----" not in text
    text = pydoc.render_doc(tl.Tensor.__lt__, renderer=pydoc.plaintext)
    assert "bool tensor" in text and "comparisons" not in text
