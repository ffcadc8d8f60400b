"""Any text is a question: the one normalisation every question and history item goes through first.

``normalize_text`` turns any Python string into clean text the tokenizer, the country gazetteer and
the JSON encoder all accept:

1. Lone surrogates. A byte that is not UTF-8 in a command line reaches Python as a lone surrogate
   U+DC80-U+DCFF (``surrogateescape``); a run of them is decoded again as Windows-1252 (Latin-1 for
   the five bytes cp1252 leaves undefined), so ``assistant ask $'Caf\\xe9'`` searches "Café". A high
   surrogate followed by a low one (a UTF-16 pair split in two) becomes the character they encode;
   any other lone surrogate becomes U+FFFD.
2. Format characters (category Cf: zero-width spaces and joiners U+200B-U+200D, the word joiner
   U+2060, the byte order mark U+FEFF, bidi marks and controls U+200E-U+200F, U+202A-U+202E,
   U+2066-U+2069, soft hyphens ...) are removed, so "Bul\\u200bgaria" is "Bulgaria".
3. Control characters (category Cc, but tab and newline) become spaces.
4. Unicode NFKC: fullwidth "Ｂｕｌｇａｒｉａ" is "Bulgaria", ligatures and compatibility forms are
   their plain letters (after 2, so a letter and its accent split by a zero-width space compose).
"""

from __future__ import annotations

import re
import unicodedata

from assistant.errors import UserError
from assistant.settings import MAX_K

REPLACEMENT = "\ufffd"
_SURROGATES = re.compile(r"[\ud800-\udfff]")
_ESCAPED_BYTES = re.compile(r"[\udc80-\udcff]+")
_PAIR = re.compile(r"[\ud800-\udbff][\udc00-\udfff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _bytes_as_cp1252(match: re.Match) -> str:
    raw = bytes(ord(c) - 0xDC00 for c in match.group())
    return "".join(chr(b) if b in b"\x81\x8d\x8f\x90\x9d" else bytes([b]).decode("cp1252") for b in raw)


def _pair(match: re.Match) -> str:
    high, low = (ord(c) for c in match.group())
    return chr(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))


def _fix_surrogates(text: str) -> str:
    text = _PAIR.sub(_pair, text)
    text = _ESCAPED_BYTES.sub(_bytes_as_cp1252, text)
    return _SURROGATES.sub(REPLACEMENT, text)


def normalize_text(text: str) -> str:
    """``text`` with lone surrogates repaired, format characters removed, control characters (but tab
    and newline) turned into spaces and NFKC applied; not stripped, not cut."""
    if _SURROGATES.search(text):
        text = _fix_surrogates(text)
    if not text.isascii():
        text = "".join(c for c in text if unicodedata.category(c) != "Cf")
    text = _CONTROL.sub(" ", text)
    return unicodedata.normalize("NFKC", text)


# ---- what a caller may send: the same checks and messages for the library, the CLI and the web API ----

EMPTY_QUESTION = 'the question is empty; ask something, e.g. "What did Bulgaria do in 2023?"'
_INTEGER = re.compile(r"[+-]?\d{1,20}")


def k_message(value: object) -> str:
    """Why ``value`` is no k: one message, word for word the same in the CLI, the library and the web API."""
    shown = value if isinstance(value, int) and not isinstance(value, bool) else repr(value)
    if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        shown = int(value)
    shown = str(shown)
    shown = shown if len(shown) <= 40 else shown[:40] + "..."
    return (f"k (passages per question: flag --k, ASSISTANT_K, or the ask API's k) must be a whole number "
            f"from 1 to {MAX_K}; got {shown}")


def check_k(value: object) -> int:
    """``value`` as a k from 1 to MAX_K: an int, an integral float, or a string of digits (the CLI's flag);
    anything else raises UserError(k_message(value))."""
    k = None
    if isinstance(value, bool):
        k = None
    elif isinstance(value, int):
        k = value
    elif isinstance(value, float) and value.is_integer():
        k = int(value)
    elif isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        k = int(value)
    if k is None or not 1 <= k <= MAX_K:
        raise UserError(k_message(value))
    return k


def check_question(value: object) -> str:
    """The question as given, when it is text (None counts as empty text)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise UserError(f"the question must be text; got {type(value).__name__}")
    return value


def check_history(value: object) -> list[str]:
    """The earlier questions, when they are a list of texts (None counts as no history)."""
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise UserError(f"history must be a list of earlier questions (texts), oldest first; got "
                        f"{type(value).__name__}")
    for i, item in enumerate(value, start=1):
        if not isinstance(item, str):
            raise UserError(f"history item {i} must be text (an earlier question); got {type(item).__name__}")
    return list(value)
