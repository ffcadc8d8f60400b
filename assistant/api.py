"""The library API that the CLI and the web chat both call: one call per user verb, each returning a
typed model (see docs/architecture.md)."""

from __future__ import annotations

from assistant.session import MAX_QUESTION_CHARS, Assistant, clean_question

__all__ = ["MAX_QUESTION_CHARS", "Assistant", "clean_question"]
