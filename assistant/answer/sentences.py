"""A passage's sentences, and whether a sentence leans on the one before it.

Sentences are split by syntok (a maintained rule-based segmenter that needs no download and knows
abbreviations, "Art. 13", "p. 4", "e.g.", decimals), line by line, since a table's line or a list item
is a sentence of its own. Splits are cached by text: a passage is split once per process.
"""

from __future__ import annotations

import re
from functools import lru_cache

_REFERENCE = re.compile(r"^\(?\s*(source|photo)\b|https?://", re.IGNORECASE)
# A sentence that opens on a word pointing back: a pronoun, a demonstrative, "a similar ...", "the same
# ...", or an adverb that joins it to what came before.
_BACK = re.compile(
    r"^(?:it|its|they|their|them|this|that|these|those|such|he|she|his|her|both|another|"
    r"similarly|likewise|also|moreover|furthermore|however|nevertheless|therefore|thus|hence|meanwhile|"
    r"instead|in addition|in this|in that|at the same time|as a result|to this end|for this|"
    r"(?:a|an)\s+(?:similar|further|second|third|fourth|additional|comparable|related)|"
    r"the\s+(?:same|latter|former|above|aforementioned|said|second|third|new|following|other))\b",
    re.IGNORECASE)
_THE_NOUN = re.compile(r"^the\s+([a-z]{4,})\b", re.IGNORECASE)  # "The centre ..." after "a centre ..."
_WORD = re.compile(r"[^\W\d_]+")


@lru_cache(maxsize=8192)
def split(text: str) -> tuple[str, ...]:
    """The text's sentences, in order, each stripped; a line is never joined to the next one."""
    import syntok.segmenter as segmenter

    out: list[str] = []
    for line in text.split("\n"):
        if not line.strip():
            continue
        for paragraph in segmenter.process(line):
            for sentence in paragraph:
                joined = "".join(token.spacing + token.value for token in sentence).strip()
                if joined:
                    out.append(joined)
    return tuple(out)


def sentences(text: str) -> list[str]:
    """The passage's sentences worth quoting (a table's lines count as sentences): no source or photo
    lines, no links, no fragments of 20 characters or less."""
    return [s for s in split(text) if len(s) > 20 and not _REFERENCE.search(s)]


def refers_back(sentence: str, before: str | None) -> bool:
    """Whether the sentence leans on the one before it ("It ...", "This programme ...", "A similar forum
    ...", or "The centre ..." right after a sentence that names a centre): quoted alone it would point
    at nothing."""
    if _BACK.match(sentence):
        return True
    m = _THE_NOUN.match(sentence)
    if m and before:
        noun = m.group(1).lower()
        return any(w.lower().rstrip("s") == noun.rstrip("s") for w in _WORD.findall(before))
    return False
