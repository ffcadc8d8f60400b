"""Ingestion: loading report files, taking out their footnotes, laying out and splitting passages."""
