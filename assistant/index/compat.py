"""Whether an index version fits the model (and splitter) at hand: the one check that serving and
building both make, with the advice that fits each.

An index is searched, or built upon, only with the model that embedded it: the same name, weights
(sha256) and backend. A build reuses its passages only when it splits the same way.
"""

from __future__ import annotations

from pathlib import Path

from assistant.embedding import Embedder
from assistant.errors import UserError
from assistant.models import IndexMeta
from assistant.settings import Parsing

SERVE_ADVICE = "rebuild it with `assistant index`"
BUILD_ADVICE = "run `assistant index --full` to rebuild with it"


def check_model(meta: IndexMeta, embedder: Embedder, index_dir: Path, advice: str = SERVE_ADVICE) -> None:
    """Raise UserError, ending with ``advice``, unless the index was built with ``embedder``'s model."""
    built = meta.model
    if (built.name, built.sha256, built.backend) == (embedder.name, embedder.weights_sha256, embedder.backend):
        return
    raise UserError(f"the index in {index_dir} was built with model {built.name} ({str(built.sha256)[:12]}...), "
                    f"not {embedder.name} ({embedder.weights_sha256[:12]}...); {advice}")


def parsed_alike(meta: IndexMeta, parsing: Parsing) -> bool:
    """Whether the index was parsed with these parsing settings (file limit, PDF layout thresholds, ...);
    an index that did not record them was parsed with the defaults. When not, a build parses every
    report again (their embeddings come from the cache) and `index status` says it is out of date."""
    return (meta.parsing if meta.parsing is not None else Parsing().model_dump(mode="json")) == \
        parsing.model_dump(mode="json")
