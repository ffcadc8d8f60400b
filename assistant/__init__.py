"""Conversational retrieval assistant for asylum and integration policy reports.

Nothing heavy is imported here: `assistant --help` and test collection stay instant.
"""

__version__ = "0.1.0"
