"""The embedding cache: vectors keyed by the hash of the text embedded, one folder per model (named by
its weights' hash). An unchanged passage, or one whose file was renamed, is never embedded twice.

Shards are plain files (``shard-N.npy`` + ``shard-N.json`` with the keys), each written whole and
renamed into place, so a build killed while writing one leaves the cache as it was.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np

_COMPACT_AT = 16


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


class EmbeddingCache:
    def __init__(self, index_dir: Path, model_key: str, dim: int) -> None:
        self.folder = index_dir / "cache" / model_key  # weights hash and backend: vectors differ by backend
        self.dim = dim
        self._vectors: dict[str, np.ndarray] = {}
        self._loaded = False

    def _shards(self) -> list[Path]:
        return sorted(self.folder.glob("shard-*.npy"), key=lambda p: int(p.stem.split("-")[1]))

    def load(self) -> None:
        if self._loaded:
            return
        for npy in self._shards():
            keys_file = npy.with_suffix(".json")
            try:
                keys = json.loads(keys_file.read_text(encoding="utf-8"))
                vectors = np.load(npy)
            except (OSError, ValueError):
                continue  # a damaged shard only costs re-embedding
            if vectors.shape == (len(keys), self.dim):
                self._vectors.update(zip(keys, vectors))
        self._loaded = True

    def get(self, keys: list[str]) -> dict[str, np.ndarray]:
        self.load()
        return {k: self._vectors[k] for k in keys if k in self._vectors}

    def add(self, keys: list[str], vectors: np.ndarray) -> None:
        if not keys:
            return
        self.load()
        self.folder.mkdir(parents=True, exist_ok=True)
        shards = self._shards()
        if len(shards) >= _COMPACT_AT:  # fold everything into one shard
            self._vectors.update(zip(keys, vectors))
            keys, vectors = list(self._vectors), np.vstack(list(self._vectors.values()))
        number = (int(shards[-1].stem.split("-")[1]) + 1) if shards else 0
        self._write(number, keys, vectors)
        if len(shards) >= _COMPACT_AT:
            for old in shards:
                old.unlink(missing_ok=True)
                old.with_suffix(".json").unlink(missing_ok=True)
        self._vectors.update(zip(keys, vectors))

    def _write(self, number: int, keys: list[str], vectors: np.ndarray) -> None:
        npy = self.folder / f"shard-{number}.npy"
        tmp_npy = self.folder / f".shard-{number}.{os.getpid()}.npy"
        tmp_keys = self.folder / f".shard-{number}.{os.getpid()}.json"
        np.save(tmp_npy, np.asarray(vectors, dtype="float32"))
        tmp_keys.write_text(json.dumps(keys), encoding="utf-8")
        os.replace(tmp_keys, npy.with_suffix(".json"))
        os.replace(tmp_npy, npy)
