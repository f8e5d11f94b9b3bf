"""The document store (TinyDB in, pydantic out); see :mod:`credx_tui.store.store`."""

from credx_tui.store.files import SCHEMA_VERSION, StoreError
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
