"""Markdown inline furniture out, words kept: ``[Section 4.9](#)`` -> ``Section 4.9``, ``*x*`` -> ``x``."""

from __future__ import annotations

import re

_ANCHOR_LINK = re.compile(r"\[([^\]\n]+)\]\(#[^)\s]*\)")
_EMPHASIS = re.compile(r"(\*{1,3})(?=\S)([^*\n]+?)(?<=\S)\1")


def clean_inline(text: str) -> str:
    text = _ANCHOR_LINK.sub(r"\1", text)
    text = _EMPHASIS.sub(r"\2", text)
    text = re.sub(r"\*{2,}", "", text)  # emphasis left empty by a removed marker: "**¹⁷**" -> ""
    return text.replace("\\_", "_").replace("\\*", "*")
