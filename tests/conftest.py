"""Shared fixtures: the real corpus, the real model, one index built once per test session."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import pytest

from assistant.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"


def corpus_text(name: str) -> str:
    return (CORPUS / name).read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of the real corpus, built once with the real model."""
    from assistant.index.build import build_index

    path = tmp_path_factory.mktemp("index")
    build_index(Settings(corpus=CORPUS, index=path))
    return path


@pytest.fixture(scope="session")
def settings(index_dir: Path) -> Settings:
    return Settings(corpus=CORPUS, index=index_dir)


@pytest.fixture()
def corpus_copy(tmp_path: Path) -> Path:
    """A writable copy of the real corpus."""
    target = tmp_path / "corpus"
    shutil.copytree(CORPUS, target)
    return target


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(settings: Settings):
    """The web app on a free local port, serving the session's index (its URL)."""
    from ui.app import create_app

    port = free_port()
    app = create_app(settings)
    app.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    yield f"http://127.0.0.1:{port}/"
    app.close()
