"""The handle ``Tensor.register_hook`` returns (``torch.utils.hooks.RemovableHandle``)."""

from __future__ import annotations

from typing import Any


class RemovableHandle:
    """Returned by ``register_hook``; ``.remove()`` unregisters the hook."""

    def __init__(self, hooks: list[Any], hook: Any) -> None:
        self._hooks, self._hook = hooks, hook

    def remove(self) -> None:
        """Unregister the hook (no error if already removed)."""
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)
