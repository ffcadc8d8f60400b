"""Line-end hyphens in text read from a PDF: a word the typesetter split ("pro-" / "tection") is
joined again; a hyphen that belongs to the word ("UNHCR-" / "funded", "self-" / "organisation" where
the report writes "self-organisation", "2021-" / "2027") is kept, with no space put in.

The join is made when the document itself writes the joined word unbroken more often than hyphenated,
counting first the uses that begin as the split word does, in lower case or with a capital
("cooperation" in its text, "Economic Co-operation" in a name, however often the notes cite it), or when a maintained
English word list (pyspellchecker's, American spelling: a British spelling counts when its American
form is listed, "internationalisation" as "internationalization") holds it and the document never
writes the hyphenated form; otherwise the hyphen stays. Pure functions; nothing here
knows about PDFs.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
_HEAD = re.compile(r"([^\W_]+)-$")  # the word part before a line-end hyphen
_URL_CUT = re.compile(r"(?:^|\s)(?:https?://|www\.)\S*[/.\-_?=&#]$")
# letters only: a note marker (superscript digits are not \d) glued after the word is not part of it
_TAIL = re.compile(r"^([^\W\d_\u00b2\u00b3\u00b9\u2070-\u209f]+)")


@lru_cache(maxsize=1)
def _word_list():
    from spellchecker import SpellChecker

    return SpellChecker(language="en", distance=1).word_frequency


# British spellings (the spelling of EU and UK reports) and their American forms, which the word list
# holds: organisation/organization, labour/labor, programme/program, centre/center, defence/defense,
# travelled/traveled
_BRITISH = [(re.compile(a), b) for a, b in (
    (r"is(ation|ations|e|es|ed|ing|er|ers)$", r"iz\1"), (r"our(s|ed|ing|ful|ite|ites|able)?$", r"or\1"),
    (r"mme(s)?$", r"m\1"), (r"tre(s|d)?$", r"ter\1"), (r"ence(s)?$", r"ense\1"), (r"ll(ed|ing|er|ers)$", r"l\1"),
    (r"yse(s|d)?$", r"yze\1"), (r"ogue(s)?$", r"og\1"))]


def is_listed(word: str) -> bool:
    """Whether a maintained word list holds the word (lower case), in its own spelling or, for a
    British spelling, in the American one the list has."""
    words = _word_list()
    if word in words:
        return True
    for pattern, american in _BRITISH:
        variant = pattern.sub(american, word)
        if variant != word and variant in words:
            return True
    return False


class Dehyphenator:
    """Joins the lines of one document, knowing which words it writes unbroken or hyphenated."""

    def __init__(self, lines: Iterable[str]) -> None:
        self.words: Counter[str] = Counter()  # how often each word is written unbroken
        self.hyphenated: Counter[str] = Counter()  # and each hyphenated word
        # the same by how the word begins, in lower case or with a capital: a common word is written
        # one way, a name another ("cooperation" in the text, "Economic Co-operation" in a name)
        self.lower_words: Counter[str] = Counter()
        self.lower_hyphenated: Counter[str] = Counter()
        self.upper_words: Counter[str] = Counter()
        self.upper_hyphenated: Counter[str] = Counter()
        for line in lines:
            tokens = line.split()
            if tokens and tokens[-1].endswith("-"):
                tokens = tokens[:-1]  # a line-end fragment says nothing about how the word is written
            for token in tokens:
                for word in _WORD.findall(token):
                    lower = word.lower()
                    hyphen = "-" in word
                    (self.hyphenated if hyphen else self.words)[lower] += 1
                    if word[:1].islower():
                        (self.lower_hyphenated if hyphen else self.lower_words)[lower] += 1
                    else:
                        (self.upper_hyphenated if hyphen else self.upper_words)[lower] += 1
                    if hyphen:
                        self.words.update(lower.split("-"))

    def join(self, text: str, nxt: str) -> str:
        """``text`` followed by the next line ``nxt`` of the same paragraph."""
        if _URL_CUT.search(text) and nxt[:1].isalnum():
            return text + nxt  # a web address broken at a line end after "/" or "."
        head = _HEAD.search(text)
        if head is None:  # no hyphen, or a dash standing apart ("word -"): the lines are joined by a space
            return f"{text} {nxt}"
        tail = _TAIL.match(nxt)
        if tail is None or not tail.group(1)[:1].islower() or not head.group(1).isalpha() \
                or head.group(1).isupper():
            return text + nxt  # "2021-2027", "UNHCR-funded", "EU-Turkey": the hyphen is the word's
        hyphen_form = f"{head.group(1)}-{tail.group(1)}".lower()
        joined = (head.group(1) + tail.group(1)).lower()
        # joined when the document writes the word unbroken (more often than hyphenated, where it
        # writes both: "cooperation" and "Co-operation"), or a word list holds it and the document
        # never writes it hyphenated
        if head.group(1)[:1].islower():
            written, hyphenated = self.lower_words[joined], self.lower_hyphenated[hyphen_form]
        else:
            written, hyphenated = self.upper_words[joined], self.upper_hyphenated[hyphen_form]
        if not written and not hyphenated:  # never begun this way: every way it is written counts
            written, hyphenated = self.words[joined], self.hyphenated[hyphen_form]
        if (written > hyphenated) or (not hyphenated and is_listed(joined)):
            return text[:-1] + nxt
        return text + nxt
