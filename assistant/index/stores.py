"""The store the index lives in, chosen by the setting ``store``: ``embedded`` (versions in the index
folder, store.py) or ``milvus`` (version collections behind an alias, milvus.py). Building, serving,
status and rollback call these functions, which take the settings and answer from the store chosen;
both stores give an ``IndexData`` to the pipeline."""

from __future__ import annotations

from typing import TYPE_CHECKING

from assistant.index import store

if TYPE_CHECKING:
    import numpy as np

    from assistant.index.store import IndexData
    from assistant.models import DocumentInfo, IndexMeta, Manifest, Passage, Report
    from assistant.settings import Settings


def in_milvus(settings: Settings) -> bool:
    return settings.indexing.store == "milvus"


def _milvus():
    from assistant.index import milvus

    return milvus


def where(settings: Settings) -> str:
    """The store as messages name it."""
    return _milvus().describe(settings) if in_milvus(settings) else f"index folder {settings.index}"


def current_version(settings: Settings) -> str | None:
    """The version being served (None: nothing built yet)."""
    return _milvus().current_version(settings) if in_milvus(settings) else store.current_version(settings.index)


def exists(settings: Settings) -> bool:
    return _milvus().exists(settings) if in_milvus(settings) else store.exists(settings.index)


def versions(settings: Settings) -> list[str]:
    return _milvus().versions(settings) if in_milvus(settings) else store.versions(settings.index)


def read(settings: Settings, version: str | None = None) -> IndexData:
    """The version being served (or the one named); a missing or broken one is a UserError."""
    return _milvus().read(settings, version) if in_milvus(settings) else store.read(settings.index, version)


def rollback(settings: Settings) -> tuple[str, str]:
    return _milvus().rollback(settings) if in_milvus(settings) else store.rollback(settings.index)


def remove_staging(settings: Settings) -> list[str]:
    """What a killed build left behind goes (call it holding the build lock)."""
    return _milvus().remove_staging(settings) if in_milvus(settings) else store.remove_staging(settings.index)


def write(settings: Settings, meta: IndexMeta, reports: list[Report], passages: list[Passage], vectors: np.ndarray,
          documents: dict[str, DocumentInfo], manifest: Manifest) -> str:
    """Write a new version, check it and serve it; returns its name."""
    if in_milvus(settings):
        return _milvus().write(settings, meta, reports, passages, vectors, documents, manifest)
    return store.write(settings.index, meta, reports, passages, vectors, documents, manifest,
                       indexing=settings.indexing)
