"""The Sources tab's admin actions: password, listening address, upload checks, live progress."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.errors import UserError
from assistant.settings import Settings
from tests.conftest import ROOT
from assistant.api import admin_state, check_password
from ui.sources import rebuild, upload


def test_admin_actions_off_beyond_localhost_without_password():
    assert admin_state(Settings(host="127.0.0.1"))[0] is True
    assert admin_state(Settings(host="localhost"))[0] is True
    allowed, why = admin_state(Settings(host="0.0.0.0"))
    assert allowed is False and "ASSISTANT_ADMIN_PASSWORD" in why
    with pytest.raises(UserError, match="Admin actions are off"):
        check_password(Settings(host="0.0.0.0"), "anything")
    exposed = Settings(host="0.0.0.0", admin_password="s3cret")
    assert admin_state(exposed)[0] is True
    check_password(exposed, "s3cret")
    with pytest.raises(UserError, match="wrong admin password"):
        check_password(exposed, "guess")
    assert "s3cret" not in repr(exposed), "the password never shows in logs or reprs"


def test_upload_refuses_bad_files_and_sanitises_names(corpus_copy: Path, tmp_path: Path):
    settings = Settings(corpus=corpus_copy, index=tmp_path / "index")
    exe = tmp_path / "run.exe"
    exe.write_bytes(b"MZ")
    with pytest.raises(UserError, match="unsupported file type"):
        upload(settings, str(exe), {}, None)
    with pytest.raises(UserError, match="choose a file"):
        upload(settings, None, {}, None)
    with pytest.raises(UserError, match="Year must be a year"):
        upload(settings, str(ROOT / "tests" / "fixtures" / "footnotes.html"), {"year": "soon"}, None)
    from assistant.ingest.corpus import safe_filename

    assert safe_filename("../../etc/passwd.txt") == "passwd.txt"
    assert safe_filename("/abs/path/Report 2024 (final).PDF") == "Report-2024-final.pdf"
    assert safe_filename("a\x00b.md") == "ab.md"
    assert safe_filename("..hidden.md") == "hidden.md"


@pytest.mark.slow
def test_upload_adds_the_report_and_rebuilds_with_progress(corpus_copy: Path, tmp_path: Path):
    settings = Settings(corpus=corpus_copy, index=tmp_path / "index")
    stages: list[str] = []
    message = rebuild(settings, None, lambda stage, done, total: stages.append(stage))
    assert message.startswith("Index v0001: 5 reports")
    assert {"parse", "split", "embed", "write", "done"} <= set(stages)
    upload_dir = tmp_path / "upload"
    upload_dir.mkdir()
    src = upload_dir / "Lisbon News (final).html"
    src.write_bytes((ROOT / "tests" / "fixtures" / "footnotes.html").read_bytes())
    message = upload(settings, str(src), {"title": "Lisbon news", "year": "2024"}, None)
    assert "Added Lisbon-News-final.html" in message and "Index v0002: 6 reports" in message
    assert (corpus_copy / "Lisbon-News-final.html").exists()
    assert 'title = "Lisbon news"' in (corpus_copy / "sources.toml").read_text()


def test_sources_table_says_how_each_report_read(tmp_path: Path):
    """The "read" column gives the verdict and score; "reading problems" says what went wrong, or that a
    report indexed by an older version was not measured."""
    from assistant.models import ReadingQuality
    from tests.test_api import served_with_pdf
    from ui.sources import COLUMNS, report_rows

    poor = ReadingQuality.measure(markers=10, markers_without_notes=6, pages=8, stray_pages=[3, 4])
    rows = {row[0]: dict(zip(COLUMNS, row)) for row in report_rows(served_with_pdf(tmp_path, quality=poor))}
    assert rows["local"]["read"] == f"poor ({poor.score:.2f})"
    assert rows["local"]["reading problems"] == ("6 marker(s) without a note; 2 page(s) with text outside the body "
                                                 "and notes")
    assert rows["ar-2024"]["read"] == "not measured" and "assistant index --full" in rows["ar-2024"]["reading problems"]
    good = report_rows(served_with_pdf(tmp_path / "good", quality=ReadingQuality.measure(markers=3, pages=2)))
    assert dict(zip(COLUMNS, good[-1]))["read"] == "good (1.00)" and good[-1][-1] == ""
