"""File hashes, shared by the model check and the index manifest."""

from __future__ import annotations

import hashlib
from pathlib import Path

_hashes: dict[tuple[str, int, int], str] = {}


def sha256_file(path: Path, remember: bool = True) -> str:
    """A file's sha256, remembered for the process while its size and modification time stay the same
    (``remember=False`` reads the bytes again: a file damaged in place can keep its size and time)."""
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    if key not in _hashes or not remember:
        digest = hashlib.sha256()
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
        _hashes[key] = digest.hexdigest()
    return _hashes[key]
