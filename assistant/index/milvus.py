"""The Milvus store (``store = "milvus"``): the index as a Milvus collection, switched by an alias.

    <alias>                  the collection being served (an alias: one atomic switch per build)
    <alias>_previous         the one served before it, kept for `assistant index rollback`
    <alias>_v0007            one complete version: a row per passage
        row                  primary key, the passage's line (0, 1, ...), as in the embedded store
        chunk_id, report, section
        passage              the passage as JSON (text, notes, pages; zlib + base64 when long)
        terms                the passage's BM25 document (section, text, notes) as the embedded store's
                             BM25 reads it: stemmed, stop words out, one space between terms
        sparse               Milvus' own BM25 function over ``terms`` (k1 and b as bm25s uses them)
        dense                the passage's embedding (inner product = cosine similarity)
        countries, lead, years, period
                             the metadata constraints filter on (period: its report's period's years)
    <alias>_v0007_catalog    what built it (meta), the reports, their note tables, the manifest: JSON

``milvus_uri`` is a file path (Milvus Lite, in this process: the tests use it) or a server's address
(a Milvus Lite server, Milvus standalone or a cluster); the code is the same (pymilvus MilvusClient).

A build writes a new collection beside the served one, reads it back and checks it (counts, a probe
search on each field), and only then moves the alias: a build killed at any moment leaves the alias on
the previous version, and the next build drops what it left. The embedding cache of the index folder
is shared with the embedded store (nothing is embedded twice); the embedded store's versions are never
touched. Every process serving the alias reads it again before each question (one call) and loads the
new version when it moved (see session.Assistant.index).

What an app process keeps: the passages and their metadata arrays (the answer and the ranker's
features read them); the vectors and the lexical index stay in Milvus, which runs both searches.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
import zlib
from typing import TYPE_CHECKING, Any

from assistant.errors import StoreUnavailable, UserError
from assistant.index import lexical
from assistant.models import DocumentInfo, IndexMeta, Manifest, Passage, Report

if TYPE_CHECKING:
    import numpy as np

    from assistant.index.store import IndexData
    from assistant.settings import Settings

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
FIELDS = ("row", "chunk_id", "report", "section", "passage", "terms", "sparse", "dense", "countries", "lead",
          "years", "period")
PREVIOUS = "_previous"
CATALOG = "_catalog"
VARCHAR_MAX = 65_535
BM25_K1, BM25_B = 1.5, 0.75  # bm25s' defaults
ARRAY_MAX = 256  # countries or years one passage may carry in the filterable fields
BATCH = 1_000  # rows per insert
READ_BATCH = 10_000  # rows per read
_VERSION = re.compile(r"_v(\d{4,})$")
_INSTALL = "install it with `pip install 'policy-assistant[milvus]'` (or `make setup`)"

_clients: dict[tuple[str, str], Any] = {}
_clients_lock = threading.Lock()


def is_lite(uri: str) -> bool:
    """A file path (Milvus Lite in this process) rather than a server's address."""
    return not re.match(r"^(https?|tcp|grpc|unix)://", uri)


def describe(settings: Settings) -> str:
    """The store as messages name it."""
    return f"Milvus collection {settings.indexing.milvus_collection} at {settings.milvus_target()}"


def _address(settings: Settings) -> tuple[str, str]:
    """The store's URI and token: what a client is opened with, and kept by."""
    token = settings.indexing.milvus_token.get_secret_value() if settings.indexing.milvus_token else ""
    return settings.milvus_target(), token


def client(settings: Settings):
    """The MilvusClient of ``milvus_uri`` (one per process and address); UserError saying what to start
    when it cannot be reached, or what to do when a Milvus Lite file is held by another process."""
    uri, token = _address(settings)
    with _clients_lock:
        known = _clients.get((uri, token))
        if known is not None:
            return known
        try:
            from pymilvus import MilvusClient
        except ImportError as exc:
            raise UserError(f"store = milvus needs pymilvus and milvus-lite, which are not installed; {_INSTALL}, "
                            "or set ASSISTANT_STORE=embedded") from exc
        if is_lite(uri):
            from pathlib import Path

            # Milvus Lite's in-process gRPC server logs a traceback for each call it does not implement
            # (AllocTimestamp, which pymilvus then does without): noise, not a fault
            logging.getLogger("grpc._server").setLevel(logging.CRITICAL)
            if _held_elsewhere(uri):  # asked first: Milvus Lite logs a traceback of its own otherwise
                raise StoreUnavailable(unreachable(uri, OSError("its LOCK is held")))
            try:
                Path(uri).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise UserError(f"cannot create the folder of the Milvus Lite file {uri} ({exc}); set "
                                "ASSISTANT_MILVUS_URI to a writable path") from exc
        try:
            made = MilvusClient(uri=uri, token=token, timeout=10)
        except Exception as exc:  # pymilvus raises its own exceptions, grpc's, or OSError
            raise StoreUnavailable(unreachable(uri, exc)) from exc
        _clients[(uri, token)] = made
        return made


def close(settings: Settings) -> None:
    """Close this process's client of the store; a Milvus Lite file is released for another process."""
    uri, token = _address(settings)
    with _clients_lock:
        made = _clients.pop((uri, token), None)
    if made is None:
        return
    try:
        made.close()
        if is_lite(uri):
            from milvus_lite.server_manager import server_manager_instance

            server_manager_instance.release_server(uri)
    except Exception as exc:  # closing is best effort: the process may be going anyway
        log.warning("closing the Milvus client of %s: %s", uri, exc)


def unreachable(uri: str, exc: BaseException) -> str:
    """What to do when Milvus at ``uri`` cannot be opened."""
    why = f"{exc.__class__.__name__}: {exc}"
    if is_lite(uri):
        if _held_elsewhere(uri):
            return (f"the Milvus Lite file {uri} is open in another process ({why}); Milvus Lite serves one process "
                    f"at a time: stop the other one, or run `milvus-lite server --data-dir {uri} --port 19530` "
                    "and point every process at it with ASSISTANT_MILVUS_URI=http://127.0.0.1:19530")
        return f"cannot open the Milvus Lite file {uri} ({why}); check the path, or set ASSISTANT_STORE=embedded"
    return (f"cannot reach Milvus at {uri} ({why}); start it (`milvus-lite server --data-dir DIR --port PORT`, or "
            "Milvus standalone or a cluster: see docs/scaling.md), check ASSISTANT_MILVUS_URI and "
            "ASSISTANT_MILVUS_TOKEN, or set ASSISTANT_STORE=embedded to serve the index folder")


def call_loaded(settings: Settings, collection: str, what: str, fn, *args, **kwargs):
    """``_call`` on a collection that must be loaded: a Milvus restarted since (its collections
    released) gets it loaded again, and the call is made once more."""
    try:
        return _call(settings, what, fn, *args, **kwargs)
    except StoreUnavailable as exc:
        if "load()" not in str(exc) and "released" not in str(exc):
            raise
        log.info("%s was released (Milvus restarted?): loading it again", collection)
        _load(settings, collection)
        return _call(settings, what, fn, *args, **kwargs)


def _held_elsewhere(uri: str) -> bool:
    """Whether another process holds the Milvus Lite file (its LOCK file, as Milvus Lite takes it)."""
    import fcntl
    import os

    path = os.path.join(uri, "LOCK")
    if not os.path.isfile(path):
        return False
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return False  # not ours to open: Milvus Lite will say what is wrong
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    except OSError:
        return True
    finally:
        os.close(fd)


CALL_TIMEOUT = 120.0  # seconds one Milvus call may take (pymilvus otherwise retries for minutes)
QUICK_TIMEOUT = 5.0  # the alias read before each question


def _call(settings: Settings, what: str, fn, *args, timeout: float = CALL_TIMEOUT, **kwargs):
    """A Milvus call, given at most ``timeout`` seconds; its failure becomes StoreUnavailable naming
    the store and what was being done."""
    try:
        return fn(*args, timeout=timeout, **kwargs)
    except UserError:
        raise
    except Exception as exc:
        if exc.__class__.__module__.startswith(("pymilvus", "grpc", "milvus_lite")):
            raise StoreUnavailable(f"{describe(settings)}: {what} failed ({exc.__class__.__name__}: {exc}); is "
                                   "Milvus still running? See docs/scaling.md") from exc
        raise


# ---- names and versions ------------------------------------------------------------------------------

def collection_name(settings: Settings, version: str) -> str:
    return f"{settings.indexing.milvus_collection}_{version}"


def _ours(settings: Settings, names: list[str]) -> dict[str, str]:
    """Our version collections among ``names``: version ("v0007") -> collection name."""
    prefix = settings.indexing.milvus_collection + "_"
    found = {}
    for name in names:
        if name.startswith(prefix) and _VERSION.fullmatch(name[len(prefix) - 1:]) and not name.endswith(CATALOG):
            found["v" + _VERSION.search(name).group(1)] = name
    return dict(sorted(found.items(), key=lambda kv: int(kv[0][1:])))


def versions(settings: Settings) -> list[str]:
    """The versions present (aliased or not), oldest first."""
    c = client(settings)
    return list(_ours(settings, _call(settings, "listing collections", c.list_collections)))


def _alias_target(settings: Settings, alias: str) -> str | None:
    c = client(settings)
    if alias not in (_call(settings, "listing aliases", c.list_aliases, timeout=QUICK_TIMEOUT) or {}).get(
            "aliases", []):
        return None  # (asked first: pymilvus logs an error for an alias that does not exist)
    return _call(settings, f"reading alias {alias}", c.describe_alias, alias,
                 timeout=QUICK_TIMEOUT).get("collection_name") or None


def _version_of(settings: Settings, collection: str | None) -> str | None:
    if not collection:
        return None
    found = _VERSION.search(collection)
    return "v" + found.group(1) if found and collection.startswith(settings.indexing.milvus_collection + "_") else None


def current_version(settings: Settings) -> str | None:
    """The version the alias points at (None when there is no alias yet)."""
    return _version_of(settings, _alias_target(settings, settings.indexing.milvus_collection))


def exists(settings: Settings) -> bool:
    return current_version(settings) is not None


# ---- writing -----------------------------------------------------------------------------------------

def _squeeze(text: str) -> str:
    """A JSON text that fits a VARCHAR field: as it is, or zlib + base64 ("z:" first) when too long."""
    if len(text.encode("utf-8")) <= VARCHAR_MAX:
        return text
    packed = "z:" + base64.b64encode(zlib.compress(text.encode("utf-8"), 9)).decode("ascii")
    if len(packed) > VARCHAR_MAX:
        raise UserError(f"a passage is too long for a Milvus field even compressed ({len(text):,} characters); "
                        "lower chunk_tokens or use the embedded store")
    return packed


def _unsqueeze(text: str) -> str:
    return zlib.decompress(base64.b64decode(text[2:])).decode("utf-8") if text.startswith("z:") else text


def bm25_terms(text: str) -> str:
    """A text as the BM25 field holds and searches it: the embedded store's terms (stemmed, stop words
    out), one space between them, so that Milvus' standard analyzer reads exactly those terms."""
    return " ".join(lexical.terms(text))


def _schema(c, dim: int):
    from pymilvus import DataType, Function, FunctionType

    schema = c.create_schema(auto_id=False, enable_dynamic_field=False,
                             description=f"policy assistant passages, schema {SCHEMA_VERSION}")
    schema.add_field("row", DataType.INT64, is_primary=True)
    schema.add_field("chunk_id", DataType.VARCHAR, max_length=128)
    schema.add_field("report", DataType.VARCHAR, max_length=1024)
    schema.add_field("section", DataType.VARCHAR, max_length=VARCHAR_MAX)
    schema.add_field("passage", DataType.VARCHAR, max_length=VARCHAR_MAX)
    schema.add_field("terms", DataType.VARCHAR, max_length=VARCHAR_MAX, enable_analyzer=True)
    schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    schema.add_field("dense", DataType.FLOAT_VECTOR, dim=dim)
    schema.add_field("countries", DataType.ARRAY, element_type=DataType.VARCHAR, max_capacity=ARRAY_MAX, max_length=16)
    schema.add_field("lead", DataType.ARRAY, element_type=DataType.VARCHAR, max_capacity=ARRAY_MAX, max_length=16)
    schema.add_field("years", DataType.ARRAY, element_type=DataType.INT64, max_capacity=ARRAY_MAX)
    schema.add_field("period", DataType.ARRAY, element_type=DataType.INT64, max_capacity=ARRAY_MAX)
    schema.add_function(Function(name="bm25", function_type=FunctionType.BM25, input_field_names=["terms"],
                                 output_field_names=["sparse"]))
    return schema


def _index_params(c, settings: Settings):
    params = c.prepare_index_params()
    kind = settings.indexing.milvus_dense_index
    params.add_index(field_name="dense", index_type=kind, metric_type="IP",
                     params={"M": 32, "efConstruction": 200} if kind == "HNSW" else {})
    # bm25s' defaults (Lucene's BM25 with k1 1.5, b 0.75): the embedded store's scores, times k1 + 1
    params.add_index(field_name="sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25",
                     params={"bm25_k1": BM25_K1, "bm25_b": BM25_B})
    return params


def _catalog_schema(c):
    from pymilvus import DataType

    schema = c.create_schema(auto_id=False, enable_dynamic_field=False, description="policy assistant catalog")
    schema.add_field("key", DataType.VARCHAR, is_primary=True, max_length=256)
    schema.add_field("json", DataType.VARCHAR, max_length=VARCHAR_MAX)
    schema.add_field("v", DataType.FLOAT_VECTOR, dim=2)  # Milvus wants a vector in every collection
    return schema


def _rows(passages: list[Passage], vectors: np.ndarray, reports: dict[str, Report], start: int, stop: int):
    out = []
    clipped = 0
    for row in range(start, stop):
        p = passages[row]
        period = sorted(reports[p.source].period_years()) if p.source in reports else []
        arrays = [list(dict.fromkeys(p.countries)), list(dict.fromkeys(p.lead_countries)),
                  sorted(set(p.years)), period]
        clipped += any(len(a) > ARRAY_MAX for a in arrays)
        countries, lead, years, period = (a[:ARRAY_MAX] for a in arrays)
        terms = bm25_terms(lexical.document(p))
        if len(terms.encode("utf-8")) > VARCHAR_MAX:  # some 8,000 terms: never a passage of 256 tokens and its notes
            terms = terms.encode("utf-8")[:VARCHAR_MAX].decode("utf-8", "ignore").rsplit(" ", 1)[0]
            clipped += 1
        out.append({"row": row, "chunk_id": p.chunk_id, "report": _cut(p.source, 1024),
                    "section": _cut(p.section or "", VARCHAR_MAX),
                    "passage": _squeeze(p.model_dump_json()), "terms": terms,
                    "dense": vectors[row].tolist(), "countries": countries, "lead": lead, "years": years,
                    "period": period})
    return out, clipped


def _cut(text: str, limit: int) -> str:
    """At most ``limit`` bytes of UTF-8 (a VARCHAR's length is in bytes), whole characters."""
    return text.encode("utf-8")[:limit].decode("utf-8", "ignore")


def _catalog_rows(meta: IndexMeta, reports: list[Report], documents: dict[str, DocumentInfo],
                  manifest: Manifest) -> list[dict]:
    """Each part as compressed JSON, in pieces that fit a field: key ``<part>:<piece>``."""
    parts = {"meta": meta.model_dump(mode="json"), "reports": [r.model_dump() for r in reports],
             "documents": {rid: d.model_dump(mode="json") for rid, d in documents.items()},
             "manifest": manifest.model_dump(mode="json"), "schema": {"version": SCHEMA_VERSION}}
    rows = []
    for name, value in parts.items():
        packed = base64.b64encode(zlib.compress(json.dumps(value, ensure_ascii=False).encode("utf-8"), 6)).decode()
        step = VARCHAR_MAX - 1
        for i, at in enumerate(range(0, max(len(packed), 1), step)):
            rows.append({"key": f"{name}:{i:06d}", "json": packed[at:at + step], "v": [0.0, 0.0]})
    return rows


STALE_AFTER = 24 * 3600  # an unfinished collection of another machine's build is left alone this long


def _builder() -> str:
    import os
    import socket

    return f"{socket.gethostname()}:{os.getpid()}"


def _abandoned(settings: Settings, name: str) -> bool:
    """Whether an unaliased version collection is what a build that died left: unfinished (no catalog,
    or fewer rows than it says) and its builder gone (this machine: its process is not running; another
    machine: started more than STALE_AFTER ago). A finished one is kept (a rollback may be cut short
    between its two alias moves); the next switch prunes it with the other old versions."""
    import os
    import socket
    import time

    c = client(settings)
    try:
        properties = _call(settings, f"describing {name}", c.describe_collection, name).get("properties") or {}
        if _call(settings, f"checking {name}{CATALOG}", c.has_collection, name + CATALOG):
            meta, _, _, _ = _catalog(settings, name)
            if _count(settings, name) == meta.passages:
                return False
    except StoreUnavailable:
        raise
    except UserError:
        pass  # an unreadable catalog: unfinished
    host, _, pid = str(properties.get("assistant.builder", "")).rpartition(":")
    started = float(properties.get("assistant.started", 0) or 0)
    if host == socket.gethostname() and pid.isdigit():
        try:
            os.kill(int(pid), 0)
            return int(pid) == os.getpid()  # a build of this very process that failed: gone
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
    return time.time() - started > STALE_AFTER


def remove_staging(settings: Settings) -> list[str]:
    """Drop the collections a killed build left (see ``_abandoned``); call it holding the build lock."""
    c = client(settings)
    alias = settings.indexing.milvus_collection
    removed = []
    for name in _ours(settings, _call(settings, "listing collections", c.list_collections)).values():
        kept = {_alias_target(settings, alias), _alias_target(settings, alias + PREVIOUS)}  # read again each time
        if name not in kept and _abandoned(settings, name):
            _drop(settings, name)
            removed.append(name)
    if removed:
        log.info("dropped %s, left by a Milvus build that did not finish", ", ".join(removed))
    return removed


def _drop(settings: Settings, name: str) -> None:
    c = client(settings)
    for each in (name, name + CATALOG):
        if _call(settings, f"checking collection {each}", c.has_collection, each):
            _call(settings, f"dropping collection {each}", c.drop_collection, each)


def write(settings: Settings, meta: IndexMeta, reports: list[Report], passages: list[Passage],
          vectors: np.ndarray, documents: dict[str, DocumentInfo], manifest: Manifest,
          on_rows=None) -> str:
    """Write a new version collection, check it, point the alias at it (the one before kept as
    ``<alias>_previous``), drop older ones; returns the new version's name. Nothing the alias serves
    changes before the new collection is complete and checked. ``on_rows(done, total)``: progress."""
    from assistant.index.store import _check_unique

    if len(passages) != vectors.shape[0]:
        raise ValueError("one vector per passage is required")
    _check_unique(reports, passages)
    c = client(settings)
    remove_staging(settings)
    existing = versions(settings)
    version = f"v{(int(existing[-1][1:]) + 1 if existing else 1):04d}"
    name = collection_name(settings, version)
    meta = meta.model_copy(update={"format": SCHEMA_VERSION, "version": version, "passages": len(passages),
                                   "reports": len(reports)})
    by_id = {r.id: r for r in reports}
    created = False
    try:
        import time

        _call(settings, f"creating collection {name}", c.create_collection, name,
              schema=_schema(c, int(vectors.shape[1])), index_params=_index_params(c, settings),
              consistency_level="Strong", properties={"assistant.schema": str(SCHEMA_VERSION),
                                                      "assistant.builder": _builder(),
                                                      "assistant.started": str(round(time.time()))})
        created = True  # (another build may have taken the name first: its collection is not ours to drop)
        clipped = 0
        for start in range(0, len(passages), BATCH):
            rows, cut = _rows(passages, vectors, by_id, start, min(len(passages), start + BATCH))
            clipped += cut
            _call(settings, f"writing passages to {name}", c.insert, name, rows)
            if on_rows:
                on_rows(start + len(rows), len(passages))
        if clipped:
            log.warning("%d passages carry more than %d countries or years, or more BM25 terms than a field "
                        "holds: their filter fields keep the first ones (answers use the full passage)",
                        clipped, ARRAY_MAX)
        catalog = name + CATALOG
        schema = _catalog_schema(c)
        params = c.prepare_index_params()
        params.add_index(field_name="v", index_type="FLAT", metric_type="L2")
        _call(settings, f"creating collection {catalog}", c.create_collection, catalog, schema=schema,
              index_params=params, consistency_level="Strong")
        _call(settings, f"writing {catalog}", c.insert, catalog, _catalog_rows(meta, reports, documents, manifest))
        for each in (name, catalog):
            _call(settings, f"flushing {each}", c.flush, each)
        verify(settings, version, vectors, passages)
    except BaseException:
        try:
            if created:
                _drop(settings, name)  # a half-written version is never left behind (or, if Milvus went away,
        except Exception:  # the next build drops it)
            log.warning("could not drop the unfinished collection %s; the next build will", name)
        raise
    _switch(settings, name)
    return version


def _switch(settings: Settings, name: str) -> None:
    """Point the alias at ``name``, keep the one it pointed at as ``<alias>_previous``, drop the rest."""
    c = client(settings)
    alias = settings.indexing.milvus_collection
    served = _alias_target(settings, alias)
    if served is None:
        _call(settings, f"creating alias {alias}", c.create_alias, name, alias)
    else:
        _call(settings, f"switching alias {alias}", c.alter_alias, name, alias)
        if _alias_target(settings, alias + PREVIOUS) is None:
            _call(settings, "creating alias " + alias + PREVIOUS, c.create_alias, served, alias + PREVIOUS)
        else:
            _call(settings, "switching alias " + alias + PREVIOUS, c.alter_alias, served, alias + PREVIOUS)
    # older versions go; a newer one may be another machine's build under way, left to it
    floor = int(_version_of(settings, served or name)[1:])
    for version, other in _ours(settings, _call(settings, "listing collections", c.list_collections)).items():
        if int(version[1:]) < floor and other not in {name, served}:
            _drop(settings, other)


def verify(settings: Settings, version: str, vectors: np.ndarray | None = None,
           passages: list[Passage] | None = None) -> None:
    """A version collection is complete: as many rows as its catalog says, and a probe finds row 0 by
    its vector and by its words."""
    c = client(settings)
    name = collection_name(settings, version)
    meta, _, _, _ = _catalog(settings, name)
    count = _count(settings, name)
    if count != meta.passages:
        raise UserError(f"{describe(settings)}: collection {name} is incomplete ({count} rows, its catalog says "
                        f"{meta.passages}); rebuild with `assistant index --full --store milvus`")
    if not count:
        return
    probe = vectors[0] if vectors is not None else None
    if probe is None:
        got = _call(settings, "reading a vector", c.get, name, ids=[0], output_fields=["dense"])
        if not got:
            raise UserError(f"{describe(settings)}: collection {name} has no row 0; rebuild with `assistant index "
                            "--full --store milvus`")
        import numpy as np

        probe = np.asarray(got[0]["dense"], dtype="float32")
    found = _call(settings, "a probe search", c.search, name, data=[[float(x) for x in probe]], anns_field="dense",
                  limit=1, output_fields=["row"], search_params={"metric_type": "IP"})
    if not found or not found[0] or abs(float(found[0][0]["distance"]) - float(probe @ probe)) > 1e-3:
        raise UserError(f"new collection {name} failed its probe search; the version being served stays")
    if passages is not None:
        words = bm25_terms(lexical.document(passages[0]))
        if words:
            hits = _call(settings, "a probe BM25 search", c.search, name, data=[words], anns_field="sparse",
                         limit=1, filter="row == 0", output_fields=["row"], search_params={"metric_type": "BM25"})
            if not hits or not hits[0]:
                raise UserError(f"new collection {name} failed its probe BM25 search; the version being served stays")


def _count(settings: Settings, name: str) -> int:
    c = client(settings)
    got = _call(settings, f"counting {name}", c.query, name, filter="", output_fields=["count(*)"])
    return int(got[0]["count(*)"])


def _load(settings: Settings, name: str) -> None:
    c = client(settings)
    _call(settings, f"loading {name}", c.load_collection, name)


# ---- reading -----------------------------------------------------------------------------------------

def _catalog(settings: Settings, name: str) -> tuple[IndexMeta, list[Report], dict[str, DocumentInfo], Manifest]:
    c = client(settings)
    catalog = name + CATALOG
    redo = "rebuild with `assistant index --full --store milvus`"
    if not _call(settings, f"checking {catalog}", c.has_collection, catalog):
        raise UserError(f"{describe(settings)}: collection {name} has no catalog ({catalog}): it was not written by "
                        f"this assistant, or its build did not finish; {redo}")
    _load(settings, catalog)
    rows = _call(settings, f"reading {catalog}", c.query, catalog, filter='key != ""', output_fields=["key", "json"],
                 limit=16_384)
    pieces: dict[str, list[tuple[str, str]]] = {}
    for row in rows:
        part, _, at = row["key"].partition(":")
        pieces.setdefault(part, []).append((at, row["json"]))
    try:
        parts = {part: json.loads(zlib.decompress(base64.b64decode("".join(t for _, t in sorted(chunks)))))
                 for part, chunks in pieces.items()}
        schema = parts.get("schema", {}).get("version")
        if schema != SCHEMA_VERSION:
            raise UserError(f"{describe(settings)}: collection {name} has schema {schema}, this version reads "
                            f"{SCHEMA_VERSION}; {redo}")
        meta = IndexMeta.model_validate(parts["meta"])
        reports = [Report(**r) for r in parts["reports"]]
        documents = {rid: DocumentInfo.model_validate(d) for rid, d in parts["documents"].items()}
        manifest = Manifest.model_validate(parts["manifest"])
    except UserError:
        raise
    except (KeyError, ValueError, TypeError, zlib.error) as exc:
        raise UserError(f"{describe(settings)}: the catalog of {name} cannot be read ({exc.__class__.__name__}: "
                        f"{exc}); {redo}") from exc
    return meta, reports, documents, manifest


def _check_schema(settings: Settings, name: str) -> None:
    c = client(settings)
    described = _call(settings, f"describing {name}", c.describe_collection, name)
    have = {f["name"] for f in described.get("fields", [])}
    if not set(FIELDS) <= have:
        raise UserError(f"{describe(settings)}: collection {name} lacks the fields {sorted(set(FIELDS) - have)}: it "
                        "was built by another program or schema; point milvus_collection elsewhere or rebuild with "
                        "`assistant index --full --store milvus`")


def read(settings: Settings, version: str | None = None) -> IndexData:
    """The version the alias points at (or the one named), as the pipeline reads an index: passages and
    metadata here, the two searches in Milvus (milvus_search.py)."""
    from assistant.index.milvus_search import MilvusDense, MilvusLexical
    from assistant.index.store import IndexData

    alias = settings.indexing.milvus_collection
    version = version or current_version(settings)
    if version is None:
        raise UserError(f"no alias {alias} in Milvus at {settings.milvus_target()}: nothing built there yet; build it "
                        "with `assistant index --store milvus` (and the same --milvus-uri)")
    name = collection_name(settings, version)
    c = client(settings)
    if not _call(settings, f"checking {name}", c.has_collection, name):
        raise UserError(f"{describe(settings)}: version {version} ({name}) is missing; roll back with `assistant index "
                        "rollback --store milvus` or rebuild with `assistant index --full --store milvus`")
    _check_schema(settings, name)
    meta, reports, documents, manifest = _catalog(settings, name)
    _load(settings, name)
    passages: list[Passage | None] = [None] * (meta.passages or 0)
    total = meta.passages or 0
    for start in range(0, total, READ_BATCH):
        got = _call(settings, f"reading the passages of {name}", c.query, name,
                    filter=f"row >= {start} and row < {start + READ_BATCH}", output_fields=["row", "passage"],
                    limit=READ_BATCH)
        for row in got:
            at = int(row["row"])
            if 0 <= at < total:
                try:
                    passages[at] = Passage.model_validate_json(_unsqueeze(row["passage"]))
                except (ValueError, TypeError, zlib.error) as exc:
                    raise UserError(f"{describe(settings)}: row {at} of {name} is not a passage this version reads "
                                    f"({exc.__class__.__name__}); roll back with `assistant index rollback --store "
                                    "milvus` or rebuild with `assistant index --full --store milvus`") from exc
    lacking = sum(p is None for p in passages)
    count = _count(settings, name)
    if lacking or count != total:
        raise UserError(f"{describe(settings)}: version {version} is incomplete ({count} rows, {total} expected); "
                        "roll back with `assistant index rollback --store milvus` or rebuild with "
                        "`assistant index --full --store milvus`")
    dim = int(meta.model.dimension or 0) if getattr(meta.model, "dimension", None) else 0
    return IndexData(meta=meta, reports={r.id: r for r in reports}, passages=passages,  # type: ignore[arg-type]
                     dense=MilvusDense(settings, name, total, dim), documents=documents,
                     lexical=MilvusLexical(settings, name, total), manifest=manifest, version=version)


def rollback(settings: Settings) -> tuple[str, str]:
    """Serve the version kept for rollback again (the two aliases swap); returns (from, to)."""
    alias = settings.indexing.milvus_collection
    served, kept = _alias_target(settings, alias), _alias_target(settings, alias + PREVIOUS)
    if kept is None:
        raise UserError(f"no earlier version in {describe(settings)} to roll back to")
    read(settings, _version_of(settings, kept))  # refuse to switch to a broken version
    c = client(settings)
    _call(settings, f"switching alias {alias}", c.alter_alias, kept, alias)
    if served is not None:
        _call(settings, f"switching alias {alias}{PREVIOUS}", c.alter_alias, served, alias + PREVIOUS)
    return _version_of(settings, served) or "-", _version_of(settings, kept) or "-"
