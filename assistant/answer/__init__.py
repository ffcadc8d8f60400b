"""The answer: which passages match what was asked (matching.py), their sentences (sentences.py), and
the cited answer text built from them (compose.py)."""

from assistant.answer.compose import Composed, compose, compose_answer, render
from assistant.answer.sentences import sentences

__all__ = ["Composed", "compose", "compose_answer", "render", "sentences"]
