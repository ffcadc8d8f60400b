"""Splitting a parsed report into passages sized by the embedding model's tokenizer.

A paragraph is a passage; a small block (a "(Source: ...)" line, a caption) joins the passage before
it in the same section; a block too large for the model is split at paragraph, line, sentence and
then word boundaries by LangChain's recursive splitter counting real model tokens. Markers are glued
to the word before them, so no split separates a marker from its sentence, and each passage carries
the notes its markers point to (a note cited in two passages travels with both).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from langchain_text_splitters import RecursiveCharacterTextSplitter

from assistant.geo import countries_in, years_in
from assistant.ingest.document import ParsedDocument
from assistant.ingest.footnotes import MARK_CLOSE, MARK_OPEN, take_placeholders
from assistant.ingest.layout import Block
from assistant.models import Passage

SPLITTER_VERSION = "5"
ORPHAN_SECTION = "Notes not cited in the text"
_FIRST = re.compile(r"(?<=[.!?])\s")
# A line that belongs to the passage before it: "(Source: ...)", "Source: ...", "(Photo: ...)", "(Working ...)".
_ATTACHED = re.compile(r"^\(|^(source|photo)\b", re.IGNORECASE)
_SEPARATORS = [r"\n\n", r"\n", r"(?<=[.!?;:])\s+", r"(?<=,)\s+", r"\s+", ""]


@dataclass(frozen=True)
class SplitterConfig:
    max_tokens: int  # hard cap: the model's maximum sequence length, special tokens included
    chunk_tokens: int  # target size of a passage, heading and special tokens included
    min_tokens: int = 40  # a block smaller than this joins the passage before it


class TokenCounter:
    """Counts tokens as the model does (special tokens included) and splits by that count."""

    def __init__(self, count: Callable[[str], int], special: int = 2) -> None:
        self.count = count  # tokens of a text without special tokens
        self.special = special

    def full(self, text: str) -> int:
        return self.count(text) + self.special


def _heading(path: tuple[str, ...]) -> str:
    return " > ".join(path)


class PassageSplitter:
    """Blocks of one report in, passages out. Deterministic: the same input gives the same passages."""

    def __init__(self, config: SplitterConfig, counter: TokenCounter) -> None:
        if config.chunk_tokens < 16:
            raise ValueError("chunk_tokens must be at least 16")
        self.config = config
        self.counter = counter

    def _budget(self, path: tuple[str, ...]) -> int:
        target = min(self.config.chunk_tokens, self.config.max_tokens)
        heading = self.counter.count(_heading(path) + "\n") if path else 0
        return max(16, target - heading - self.counter.special)

    def _fits(self, path: tuple[str, ...], text: str) -> bool:
        embed = f"{_heading(path)}\n{take_placeholders(text)[0]}" if path else take_placeholders(text)[0]
        return self.counter.full(embed) <= min(self.config.chunk_tokens, self.config.max_tokens)

    def _split_large(self, path: tuple[str, ...], text: str) -> list[str]:
        budget = self._budget(path)
        while True:
            splitter = RecursiveCharacterTextSplitter(
                separators=_SEPARATORS, is_separator_regex=True, keep_separator="end",
                strip_whitespace=False, chunk_size=budget, chunk_overlap=0, length_function=self.counter.count,
            )
            parts = [p.strip() for p in splitter.split_text(text) if p.strip()]
            if all(self._fits(path, p) for p in parts) or budget <= 16:
                return parts
            budget = max(16, int(budget * 0.85))

    def _split_table(self, path: tuple[str, ...], text: str) -> list[str]:
        """A table too large for one passage: whole rows packed, each part led by the header row."""
        header, *rows = text.split("\n")
        parts: list[str] = []
        current: list[str] = []
        for row in rows:
            if current and not self._fits(path, "\n".join([header, *current, row])):
                parts.append("\n".join([header, *current]))
                current = []
            if not self._fits(path, "\n".join([header, row])):  # one row too large to go with the header
                if not parts and not current:
                    parts.append(header)
                parts.extend(self._split_large(path, row))
                continue
            current.append(row)
        if current or not parts:
            parts.append("\n".join([header, *current]))
        return parts

    def _pieces(self, blocks: list[Block]) -> list[tuple[tuple[str, ...], str, bool]]:
        """(heading path, text, small) for each block, large blocks split to fit."""
        pieces = []
        for block in blocks:
            path = block.heading_path
            if self._fits(path, block.text):
                small = (self.counter.count(take_placeholders(block.text)[0]) < self.config.min_tokens
                         or bool(_ATTACHED.match(block.text)))
                pieces.append((path, block.text, small))
            elif block.kind == "table" and "\n" in block.text:
                pieces.extend((path, part, False) for part in self._split_table(path, block.text))
            else:
                pieces.extend((path, part, False) for part in self._split_large(path, block.text))
        return pieces

    def split(self, doc: ParsedDocument, source: str) -> list[Passage]:
        groups: list[tuple[tuple[str, ...], list[str]]] = []
        for path, text, small in self._pieces(doc.blocks):
            if small and groups and groups[-1][0] == path and self._fits(path, "\n\n".join(groups[-1][1] + [text])):
                groups[-1][1].append(text)
            else:
                groups.append((path, [text]))
        # A note nothing cites stays searchable: a passage of its own under "Notes not cited in the text".
        for i, note in enumerate(doc.notes):
            if any(note is orphan for orphan in doc.orphans):
                path = (ORPHAN_SECTION,)
                marked = f"Note {note.number}: {note.text}{MARK_OPEN}{i}{MARK_CLOSE}"
                for part in ([marked] if self._fits(path, marked) else self._split_large(path, marked)):
                    groups.append((path, [part]))
        passages = []
        seen: dict[tuple[tuple[str, ...], str], int] = {}  # a paragraph repeated in a section: one id each
        for position, (path, texts) in enumerate(groups):
            text, cited = take_placeholders("\n\n".join(texts))
            heading_path = list(path)
            repeat = seen[(path, text)] = seen.get((path, text), -1) + 1
            embed = f"{_heading(path)}\n{text}" if path else text
            notes = [doc.notes[i] for i in cited]
            passages.append(Passage(
                chunk_id=Passage.make_id(source, heading_path, text, repeat),
                source=source,
                position=position,
                heading_path=heading_path,
                text=text,
                footnotes=notes,
                countries=countries_in(embed),
                lead_countries=countries_in(" ".join(heading_path) + "\n" + _FIRST.split(text, maxsplit=1)[0]),
                years=years_in(text),
                n_tokens=self.counter.full(embed),
            ))
        return passages
