"""The document store (TinyDB in, pydantic out); see :mod:`credx_tui.store.store`.

:class:`StoreError` and :data:`SCHEMA_VERSION` come with the package; the store itself
(and with it every pydantic model) is imported when first asked for (issue 13, item 4):
the CLI's checks and the login screen ask only whether an error is a store's."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from credx_tui.store.files import SCHEMA_VERSION, StoreError

if TYPE_CHECKING:
    from credx_tui.store.store import (
        AccountTransaction,
        BulkTransaction,
        HotTransaction,
        Store,
        college_key,
        shard_key,
    )

__all__ = [
    "SCHEMA_VERSION",
    "AccountTransaction",
    "BulkTransaction",
    "HotTransaction",
    "Store",
    "StoreError",
    "college_key",
    "shard_key",
]

_FROM_STORE = frozenset(
    {"AccountTransaction", "BulkTransaction", "HotTransaction", "Store", "college_key", "shard_key"}
)


def __getattr__(name: str) -> Any:
    """``from credx_tui.store import Store``: :mod:`credx_tui.store.store`, imported now."""
    if name not in _FROM_STORE:
        raise AttributeError(f"module 'credx_tui.store' has no attribute {name!r}")
    value = getattr(importlib.import_module("credx_tui.store.store"), name)
    globals()[name] = value
    return value
