"""Splitting a parsed report into passages sized by the embedding model's tokenizer.

A paragraph is a passage; a small block (a "(Source: ...)" line, a caption) joins the passage before
it in the same section; a block too large for the model is split at paragraph, line, sentence and
then word boundaries by LangChain's recursive splitter counting real model tokens. Markers are glued
to the word before them, so no split separates a marker from its sentence, and each passage carries
the notes its markers point to (a note cited in two passages travels with both).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass

from assistant.geo import countries_in, years_in
from assistant.ingest.document import ParsedDocument
from assistant.ingest.footnotes import MARK_CLOSE, MARK_OPEN, take_placeholders
from assistant.ingest.layout import Block
from assistant.ingest.pages import PageTracker, visible
from assistant.models import Passage

SPLITTER_VERSION = "8"  # 8: notes shown where they are cited ("(1)" under the cited line); 7: country tags know Kosovo and plural demonyms; 6: passages carry the pages they span (PDF)
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
    """Counts tokens as the model does (special tokens included) and splits by that count.

    ``additive``: the count of a text is the sum of the counts of its parts wherever whitespace separates
    them (no token spans whitespace, as with BERT's WordPiece; see ``Embedder.counts_add_up``). A passage
    is then measured from the counts of its heading and pieces instead of tokenizing it again each time
    a piece joins it; the passages are the same."""

    def __init__(self, count: Callable[[str], int], special: int = 2, additive: bool = False) -> None:
        self.count = count  # tokens of a text without special tokens
        self.special = special
        self.additive = additive

    def full(self, text: str) -> int:
        return self.count(text) + self.special


def _heading(path: tuple[str, ...]) -> str:
    return " > ".join(path)


class PassageSplitter:
    """Blocks of one report in, passages out. Deterministic: the same input gives the same passages."""

    PROGRESS_EVERY = 200  # blocks between two calls of ``split``'s ``on_block``

    def __init__(self, config: SplitterConfig, counter: TokenCounter) -> None:
        if config.chunk_tokens < 16:
            raise ValueError("chunk_tokens must be at least 16")
        self.config = config
        self.counter = counter
        # Token counts of the texts seen while one report is split: the same text is asked for more than
        # once (a block's fit, then its passage's size; LangChain measures each piece two or three times).
        self._memo: dict[str, int] | None = None

    def identity(self) -> dict[str, object]:
        """What an index records as its splitter (meta.json "splitter"): passages are only reused by a
        build that splits the same way."""
        return {"version": SPLITTER_VERSION, **asdict(self.config)}

    def _count(self, text: str) -> int:
        memo = self._memo
        if memo is None:
            return self.counter.count(text)
        n = memo.get(text)
        if n is None:
            n = memo[text] = self.counter.count(text)
        return n

    def _budget(self, path: tuple[str, ...]) -> int:
        target = min(self.config.chunk_tokens, self.config.max_tokens)
        heading = self._count(_heading(path) + "\n") if path else 0
        return max(16, target - heading - self.counter.special)

    def _heading_count(self, path: tuple[str, ...]) -> int:
        """Tokens of a heading path as it leads a passage (additive counts: the line end adds none)."""
        return self._count(_heading(path)) if path else 0

    def _embed_count(self, path: tuple[str, ...], clean: str) -> int:
        """Tokens of a passage's embedded text (heading, line end, text without placeholders)."""
        if not path:
            return self._count(clean)
        if self.counter.additive:
            return self._heading_count(path) + self._count(clean)
        return self._count(f"{_heading(path)}\n{clean}")

    def _fits_size(self, path: tuple[str, ...], size: int) -> bool:
        """Whether text of ``size`` tokens fits in one passage under this heading (additive counts)."""
        target = min(self.config.chunk_tokens, self.config.max_tokens)
        return self._heading_count(path) + size + self.counter.special <= target

    def _fits_clean(self, path: tuple[str, ...], clean: str) -> bool:
        """Whether a text whose placeholders are taken out fits in one passage under its heading."""
        target = min(self.config.chunk_tokens, self.config.max_tokens)
        return self._embed_count(path, clean) + self.counter.special <= target

    def _fits(self, path: tuple[str, ...], text: str) -> bool:
        return self._fits_clean(path, take_placeholders(text)[0])

    def _fits_lines(self, path: tuple[str, ...], lines: list[str]) -> bool:
        """Whether these lines, joined, fit in one passage (additive counts: measured line by line)."""
        if not self.counter.additive:
            return self._fits(path, "\n".join(lines))
        return self._fits_size(path, sum(self._count(take_placeholders(line)[0]) for line in lines))

    def _split_large(self, path: tuple[str, ...], text: str) -> list[str]:
        from langchain_text_splitters import RecursiveCharacterTextSplitter  # 0.24 s to import: only when needed

        budget = self._budget(path)
        while True:
            splitter = RecursiveCharacterTextSplitter(
                separators=_SEPARATORS, is_separator_regex=True, keep_separator="end",
                strip_whitespace=False, chunk_size=budget, chunk_overlap=0, length_function=self._count,
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
            if current and not self._fits_lines(path, [header, *current, row]):
                parts.append("\n".join([header, *current]))
                current = []
            if not self._fits_lines(path, [header, row]):  # one row too large to go with the header
                if not parts and not current:
                    parts.append(header)
                parts.extend(self._split_large(path, row))
                continue
            current.append(row)
        if current or not parts:
            parts.append("\n".join([header, *current]))
        return parts

    def _pieces(self, blocks: list[Block], on_block: Callable[[int, int], None] | None = None,
                ) -> Iterator[tuple[tuple[str, ...], str, str | None]]:
        """(heading path, text, clean) for each block, large blocks split to fit; ``clean`` (the text
        without placeholders) only for a whole block, the only kind of piece that may be small."""
        for n, block in enumerate(blocks, start=1):
            path = block.heading_path
            clean = take_placeholders(block.text)[0]
            if self._fits_clean(path, clean):
                yield path, block.text, clean
            elif block.kind == "table" and "\n" in block.text:
                yield from ((path, part, None) for part in self._split_table(path, block.text))
            else:
                yield from ((path, part, None) for part in self._split_large(path, block.text))
            if on_block is not None and (n % self.PROGRESS_EVERY == 0 or n == len(blocks)):
                on_block(n, len(blocks))

    def _small(self, text: str, clean: str) -> bool:
        """A block that joins the passage before it: a "(Source: ...)" line, a caption, a few words."""
        return bool(_ATTACHED.match(visible(text))) or self._count(clean) < self.config.min_tokens

    def split(self, doc: ParsedDocument, source: str,
              on_block: Callable[[int, int], None] | None = None) -> list[Passage]:
        """The report's passages, in reading order.

        ``on_block(done, total)``, when given, is called every ``PROGRESS_EVERY`` blocks and after the
        last one, so that a build can show progress through one large report; the passages are the same."""
        memo, self._memo = self._memo, {}
        try:
            return self._split(doc, source, on_block)
        finally:
            self._memo = memo

    def _split(self, doc: ParsedDocument, source: str,
               on_block: Callable[[int, int], None] | None) -> list[Passage]:
        additive = self.counter.additive
        groups: list[tuple[tuple[str, ...], list[str]]] = []
        sizes: list[int] = []  # with additive counts: the tokens of each group's pieces, heading aside
        for path, text, clean in self._pieces(doc.blocks, on_block):
            size = self._count(clean if clean is not None else take_placeholders(text)[0]) if additive else 0
            # (whether a block is small is asked only where it matters: after a passage of its section)
            if (clean is not None and groups and groups[-1][0] == path and self._small(text, clean)
                    and (self._fits_size(path, sizes[-1] + size) if additive
                         else self._fits(path, "\n\n".join(groups[-1][1] + [text])))):
                groups[-1][1].append(text)
                sizes[-1] += size
            else:
                groups.append((path, [text]))
                sizes.append(size)
        # A note nothing cites stays searchable: a passage of its own under "Notes not cited in the text".
        orphans = {id(orphan) for orphan in doc.orphans}
        for i, note in enumerate(doc.notes):
            if id(note) in orphans:
                path = (ORPHAN_SECTION,)
                marked = f"Note {note.number}: {note.text}{MARK_OPEN}{i}{MARK_CLOSE}"
                for part in ([marked] if self._fits(path, marked) else self._split_large(path, marked)):
                    groups.append((path, [part]))
                    sizes.append(self._count(take_placeholders(part)[0]) if additive else 0)
        passages = []
        pages = PageTracker()
        seen: dict[tuple[tuple[str, ...], str], int] = {}  # a paragraph repeated in a section: one id each
        for position, ((path, texts), size) in enumerate(zip(groups, sizes)):
            raw = "\n\n".join(texts)
            span, ocr = pages.span(raw) if path != (ORPHAN_SECTION,) else ([], False)
            text, cited = take_placeholders(raw)
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
                pages=span,
                ocr=ocr,
                n_tokens=(self._heading_count(path) + size if additive else self._embed_count(path, text))
                + self.counter.special,
            ))
        return passages
