"""The embedding cache: vectors keyed by the hash of the text embedded, one folder per model (named by
its weights' hash). An unchanged passage, or one whose file was renamed, is never embedded twice.

Shards are plain files (``shard-N.npy`` + ``shard-N.json`` with the keys and sha256 checksums of
both), each written whole and renamed into place, so a build killed while writing one leaves
the cache as it was. A shard that is damaged (unreadable, wrong shape, checksum mismatch) is ignored
with a warning: it only costs re-embedding its passages, never a wrong vector.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path

import numpy as np

from assistant.hashing import sha256_file

log = logging.getLogger(__name__)

_COMPACT_AT = 16


def _keys_digest(keys: list[str]) -> str:
    return hashlib.sha256("\n".join(keys).encode("utf-8")).hexdigest()


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
                listed = json.loads(keys_file.read_text(encoding="utf-8"))
                keys, digest = (listed, None) if isinstance(listed, list) else (listed["keys"], listed["sha256"])
                if digest is not None and (sha256_file(npy, remember=False) != digest
                                           or _keys_digest(keys) != listed["keys_sha256"]):
                    raise ValueError("checksum mismatch")
                vectors = np.load(npy, allow_pickle=False)
                if vectors.shape != (len(keys), self.dim):
                    raise ValueError(f"shape {vectors.shape}, {len(keys)} keys")
            except (OSError, ValueError, EOFError, KeyError, TypeError) as exc:
                log.warning("embedding cache shard %s is damaged (%s); its passages will be embedded again", npy, exc)
                continue
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
        try:
            np.save(tmp_npy, np.asarray(vectors, dtype="float32"))
            tmp_keys.write_text(json.dumps({"keys": keys, "keys_sha256": _keys_digest(keys),
                                            "sha256": sha256_file(tmp_npy, remember=False)}), encoding="utf-8")
            os.replace(tmp_keys, npy.with_suffix(".json"))
            os.replace(tmp_npy, npy)
        except OSError as exc:  # a full disk: the cache only saves time, the build goes on (and says so)
            tmp_npy.unlink(missing_ok=True)
            tmp_keys.unlink(missing_ok=True)
            log.warning("could not save %d embeddings to the cache in %s (%s)", len(keys), self.folder, exc)
