"""Retrieval: understanding the question, searching the index, ranking passages."""
