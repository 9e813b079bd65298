"""Generate docs/api.md, the public API reference, from the code itself.

Run ``python docs/gen_api.py > docs/api.md``.  Every name in each module's ``__all__`` (or, for
a module without one, every public function and class defined in it) is listed with its
signature and the first paragraph of its docstring; classes also list the public methods and
properties they define.  ``tests/test_docs.py`` regenerates the page in memory and fails when
docs/api.md is stale, and when a public callable has no docstring.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import re
import types
from collections.abc import Iterator
from typing import Any

import numpy as np

# The modules documented, in reading order (a package's submodules come after it).
MODULES = [
    "tinygrad_lite",
    "tinygrad_lite.autograd",
    "tinygrad_lite.linalg",
    "tinygrad_lite.nn",
    "tinygrad_lite.nn.functional",
    "tinygrad_lite.nn.init",
    "tinygrad_lite.nn.utils",
    "tinygrad_lite.optim",
    "tinygrad_lite.optim.reference",
    "tinygrad_lite.optim.lr_scheduler",
    "tinygrad_lite.data",
    "tinygrad_lite.data.transforms",
    "tinygrad_lite.viz",
    "tinygrad_lite.onnx",
]

HEADER = """\
# API reference

Generated from the code by `python docs/gen_api.py > docs/api.md`: every public name of each
module (its `__all__`), with its signature and the first paragraph of its docstring; classes
list the methods and properties they define. `tests/test_docs.py` fails when this page no
longer matches the code. The full docstrings (formulas, subgradient choices, examples) are in
the code: `help(tinygrad_lite.nn.functional.cross_entropy)`.

Names, signatures and defaults follow PyTorch 2.13 (`torch` -> `tinygrad_lite`,
`torch.nn` -> `tinygrad_lite.nn`, ...); dtypes are numpy's.
"""

_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
_ROLE = re.compile(r":(?:func|class|meth|mod|attr|data):`~?([^`]+)`")


def public_names(module: types.ModuleType) -> list[str]:
    """``__all__`` if the module has one, else the public functions/classes defined in it."""
    names = getattr(module, "__all__", None)
    if names is not None:
        return list(names)
    return [
        name
        for name, obj in vars(module).items()
        if not name.startswith("_")
        and (inspect.isfunction(obj) or inspect.isclass(obj))
        and obj.__module__ == module.__name__
    ]


def summary(obj: Any) -> str:
    """The first paragraph of ``obj``'s docstring on one line ('' when there is none)."""
    doc = inspect.getdoc(obj) or ""
    paragraph = doc.strip().split("\n\n")[0]
    text = " ".join(line.strip() for line in paragraph.splitlines())
    return _ROLE.sub(r"`\1`", text).replace("``", "`")  # reST markup -> Markdown


def signature(obj: Any) -> str:
    """``(a, b=1, *, c=None)``: the call signature without annotations ('' if unavailable)."""
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return ""
    params = [p.replace(annotation=inspect.Parameter.empty) for p in sig.parameters.values()]
    plain = sig.replace(parameters=params, return_annotation=inspect.Signature.empty)
    return _ADDRESS.sub("", str(plain))


def _anchor(module_name: str) -> str:
    return module_name.replace(".", "")


@functools.cache
def documented_classes() -> frozenset[type]:
    """Every class listed under its own heading on the page."""
    classes = set()
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        for name in public_names(module):
            obj = getattr(module, name)
            if inspect.isclass(obj):
                classes.add(obj)
    return frozenset(classes)


def _merged(klass: type) -> bool:
    """A base whose members are shown with its subclass: ours, with no heading of its own
    (a private base such as ``_BatchNorm``, or a mixin such as Tensor's ``AxisMethods``)."""
    return klass.__module__.startswith("tinygrad_lite") and klass not in documented_classes()


def own_namespace(cls: type) -> dict[str, Any]:
    """``cls``'s attributes, then those of the bases merged into it (see `_merged`) that no
    documented base already shows (``Parameter`` does not repeat ``Tensor``'s methods)."""
    merged: dict[str, Any] = dict(vars(cls))
    documented_bases = [k for k in cls.__mro__[1:] if k in documented_classes()]
    for klass in cls.__mro__[1:]:
        if _merged(klass) and not any(issubclass(d, klass) for d in documented_bases):
            for name, attr in vars(klass).items():
                merged.setdefault(name, attr)
    return merged


def public_bases(cls: type) -> list[str]:
    """The nearest documented or foreign base classes (merged bases are looked through)."""
    names: list[str] = []
    for base in cls.__bases__:
        if base is object:
            continue
        if _merged(base):
            names.extend(b for b in public_bases(base) if b not in names)
        elif base.__name__ not in names:
            names.append(base.__name__)
    return names


def class_members(cls: type) -> Iterator[tuple[str, str, str]]:
    """(name, signature-or-kind, summary) for the public methods/properties ``cls`` defines."""
    namespace = own_namespace(cls)
    for name, attr in namespace.items():
        if name.startswith("_"):
            continue
        if isinstance(attr, property):
            yield name, " (property)", summary(attr)
        elif isinstance(attr, (staticmethod, classmethod)):
            func = attr.__func__
            kind = "staticmethod" if isinstance(attr, staticmethod) else "classmethod"
            yield name, f"{signature(func)} ({kind})", summary(func)
        elif inspect.isfunction(attr):
            if attr.__name__ != name:
                yield name, "", f"Alias of `{attr.__name__}`."
            else:
                sig = signature(attr).replace("(self, ", "(").replace("(self)", "()")
                yield name, sig, summary(getattr(cls, name))


def special_methods(cls: type) -> list[str]:
    """The special methods ``cls`` defines (``__add__``, ``__getitem__``, ...)."""
    skip = {"__init__", "__repr__", "__init_subclass__"}
    return [
        name
        for name, attr in own_namespace(cls).items()
        if name.startswith("__")
        and name.endswith("__")
        and name not in skip
        and inspect.isfunction(attr)
    ]


def document_module(module_name: str, documented: set[str]) -> Iterator[str]:
    """Markdown lines for one module."""
    module = importlib.import_module(module_name)
    yield f'<a id="{_anchor(module_name)}"></a>'
    yield ""
    yield f"## `{module_name}`"
    yield ""
    if summary(module):
        yield summary(module)
        yield ""
    functions, classes, others = [], [], []
    for name in public_names(module):
        obj = getattr(module, name)
        if isinstance(obj, types.ModuleType):
            target = obj.__name__
            link = f"[`{target}`](#{_anchor(target)})" if target in documented else f"`{target}`"
            others.append(f"- `{name}`: module {link}. {summary(obj)}".rstrip())
        elif inspect.isclass(obj) and obj.__module__.startswith("numpy"):
            others.append(f"- `{name}`: the dtype `numpy.{np.dtype(obj).name}`.")
        elif inspect.isclass(obj):
            classes.append((name, obj))
        elif callable(obj):
            functions.append(f"- **`{name}{signature(obj)}`**: {summary(obj)}".rstrip())
        else:
            others.append(f"- `{name}`: `{_ADDRESS.sub('', repr(obj))}`")
    if others:
        yield from others
        yield ""
    if functions:
        yield from functions
        yield ""
    for name, cls in classes:
        yield f"### `class {name}{signature(cls)}`"
        yield ""
        if summary(cls):
            yield summary(cls)
            yield ""
        bases = public_bases(cls)
        if bases:
            yield "Bases: " + ", ".join(f"`{b}`" for b in bases) + "."
            yield ""
        members = list(class_members(cls))
        slots = [s for s in own_namespace(cls).get("__slots__", ()) if not s.startswith("_")]
        if slots:
            yield "- Attributes: " + ", ".join(f"`{s}`" for s in slots) + "."
        for member, sig, text in members:
            yield f"- `{member}{sig}`: {text}".rstrip()
        ops = special_methods(cls)
        if ops:
            yield "- Special methods: " + ", ".join(f"`{o}`" for o in ops) + "."
        if members or ops or slots:
            yield ""


def render() -> str:
    """The whole page as one string."""
    documented = set(MODULES)
    lines = [HEADER, "Modules: " + ", ".join(f"[`{m}`](#{_anchor(m)})" for m in MODULES) + ".", ""]
    for module_name in MODULES:
        lines.extend(document_module(module_name, documented))
    return "\n".join(lines).rstrip() + "\n"


def undocumented() -> list[str]:
    """Public callables (functions, classes, their public methods) without a docstring."""
    missing = []
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        for name in public_names(module):
            obj = getattr(module, name)
            qual = f"{module_name}.{name}"
            if isinstance(obj, types.ModuleType):
                if not obj.__doc__:
                    missing.append(qual)
            elif inspect.isclass(obj) and not obj.__module__.startswith("numpy"):
                if not obj.__dict__.get("__doc__"):
                    missing.append(qual)
                missing.extend(
                    f"{qual}.{member}" for member, _, text in class_members(obj) if not text
                )
            elif callable(obj) and not inspect.isclass(obj) and not inspect.getdoc(obj):
                missing.append(qual)
    return sorted(set(missing))


if __name__ == "__main__":
    print(render(), end="")
