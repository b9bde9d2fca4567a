"""What can go wrong with the index; every message says why and what to do."""

from __future__ import annotations


class StoreError(RuntimeError):
    """The index cannot be used; the message says why and what to do."""


class IndexMissing(StoreError):
    pass


class IndexCorrupt(StoreError):
    pass


class IndexReadOnly(StoreError):
    """The index needs a build but its folder cannot be written."""


class ChromaUnavailable(StoreError):
    pass
