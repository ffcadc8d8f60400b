"""The index: building it from the corpus and reading it back."""
