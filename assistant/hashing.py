"""Hashes: of files (the model check, the index manifest, checksums) and of passage texts (the
embedding cache's keys, the manifest's text hashes)."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from pathlib import Path

MAX_REMEMBERED = 4096  # file hashes kept per process (a corpus of more files only re-reads the oldest)


class _HashMemo:
    """File hashes by (path, size, mtime), the least recently used dropped beyond ``limit``: a server
    that runs for months over a changing corpus does not grow it without end. Thread-safe."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._items: OrderedDict[tuple[str, int, int], str] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, int, int]) -> str | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: tuple[str, int, int], value: str) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.limit:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


_memo = _HashMemo(MAX_REMEMBERED)


def sha256_file(path: Path, remember: bool = True) -> str:
    """A file's sha256, remembered for the process while its size and modification time stay the same
    (``remember=False`` reads the bytes again: a file damaged in place can keep its size and time)."""
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    known = _memo.get(key) if remember else None
    if known is not None:
        return known
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    _memo.put(key, digest.hexdigest())
    return digest.hexdigest()


def text_key(text: str) -> str:
    """The key of a text embedded (what the embedding cache and the manifest's text_hashes hold)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]
