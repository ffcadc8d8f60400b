"""The web chat's "Sources" tab: the reports served, a file upload and a rebuild button with a live
progress bar. Who may use them is the library's rule (assistant.admin); what they do is the library's
verbs (api.add, api.build, api.remove); this file reads the form and renders the results. Two admin
actions at once are refused by the index's build lock, as for the CLI."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import gradio as gr

from assistant import api
from assistant.api import Assistant, admin_state, check_password
from assistant.errors import UserError
from assistant.settings import Settings
from ui.text import build_line, quality_line, skipped_lines

log = logging.getLogger(__name__)
# "read": how well the report read (verdict and score), early so that it is seen without scrolling;
# "reading problems": what went wrong (markers without notes, notes cited nowhere, pages not read cleanly)
COLUMNS = ["id", "title", "read", "publisher", "year", "period", "file", "passages", "notes", "inferred",
           "reading problems"]
WIDTHS = ["11%", "17%", "8%", "9%", "5%", "7%", "12%", "6%", "5%", "10%", "10%"]


def report_rows(assistant: Assistant) -> list[list[Any]]:
    """The Sources table: a row per report served, in the order of COLUMNS."""
    rows = []
    for served in assistant.reports():
        r = served.report
        period = f"{r.period_start or '?'}-{r.period_end or '?'}" if (r.period_start or r.period_end) else ""
        quality = served.quality
        read = f"{quality.verdict} ({quality.score:.2f})" if quality is not None else "not measured"
        problems = "; ".join(quality.problems()) if quality is not None else quality_line(None)
        rows.append([r.id, r.title, read, r.publisher or "", r.year or "", period, r.file, served.passages,
                     served.notes, ", ".join(r.inferred), problems])
    return rows


def report_choices(assistant: Assistant) -> list[tuple[str, str]]:
    return [(f"{s.report.id} ({s.report.file})", s.report.id) for s in assistant.reports()]


def _optional_int(value: Any, field: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise UserError(f"{field} must be a year such as 2024") from None


def _built(summary: Any) -> str:
    return build_line(summary) + "." + "".join("\n" + line for line in skipped_lines(summary, "- ", names=True))


def rebuild(settings: Settings, password: str | None, on_progress=None) -> str:
    """Bring the index up to date (admin); returns the message shown under the button."""
    check_password(settings, password)
    return _built(api.build(settings, on_progress=on_progress))


def remove(settings: Settings, report_id: str | None, password: str | None, on_progress=None) -> str:
    """Take a report out of the corpus and the index in one new version (admin)."""
    check_password(settings, password)
    if not report_id:
        raise UserError("choose the report to remove first")
    removed = api.remove(settings, report_id, on_progress=on_progress)
    return (f"Removed {removed.report} ({', '.join(removed.files) or 'no file'} moved to corpus/.removed/). "
            + _built(removed.build))


def upload(settings: Settings, path: str | None, fields: dict[str, Any], password: str | None,
           on_progress=None) -> str:
    """Add an uploaded report and rebuild (admin); the library checks its type and size and sanitises
    its name."""
    check_password(settings, password)
    if not path:
        raise UserError("choose a file to upload first")
    metadata = {"title": fields.get("title") or None, "publisher": fields.get("publisher") or None,
                "year": _optional_int(fields.get("year"), "Year"),
                "period_start": _optional_int(fields.get("period_start"), "Period start"),
                "period_end": _optional_int(fields.get("period_end"), "Period end"), "url": fields.get("url") or None}
    try:
        added = api.add(settings, [Path(path)], metadata, on_progress=on_progress)
    except api.AddedNotIndexed as exc:
        report = exc.reports[0]
        raise UserError(f"Added {report.file} as {report.id}. The index was not rebuilt: {exc.reason} Press "
                        f"\"Rebuild index\" to try again, or remove {report.id} to undo the add.") from exc
    report = added.reports[0]
    return f"Added {report.file} as {report.id}. " + _built(added.build)


def sources_tab(settings: Settings, assistant: Assistant, status: gr.Markdown, status_text) -> None:
    allowed, why = admin_state(settings)

    def bar(progress: gr.Progress):
        return lambda stage, done, total: progress((done, max(total, 1)), desc=stage)

    def on_rebuild(password: str, progress: gr.Progress = gr.Progress()):
        return rebuild(settings, password, bar(progress)), report_rows(assistant), status_text(assistant)

    def on_upload(path: str | None, title: str, publisher: str, year: Any, start: Any, end: Any, url: str,
                  password: str, progress: gr.Progress = gr.Progress()):
        fields = {"title": title, "publisher": publisher, "year": year, "period_start": start, "period_end": end,
                  "url": url}
        return (upload(settings, path, fields, password, bar(progress)), report_rows(assistant),
                status_text(assistant))

    def on_remove(report_id: str | None, password: str, progress: gr.Progress = gr.Progress()):
        message = remove(settings, report_id, password, bar(progress))
        return (message, report_rows(assistant), status_text(assistant),
                gr.update(choices=report_choices(assistant), value=None))

    def guarded(fn):
        def run(*args):
            try:
                return fn(*args)
            except UserError as exc:
                raise gr.Error(str(exc)) from None
        return run

    with gr.Tab("Sources", id="sources"):
        table = gr.Dataframe(headers=COLUMNS, value=lambda: report_rows(assistant), interactive=False,
                             label="Reports served", elem_id="sources-table", wrap=True, column_widths=WIDTHS)
        gr.Markdown(why, elem_id="admin-note")
        with gr.Group(visible=allowed):
            password = gr.Textbox(label="Admin password", type="password", visible=settings.server.admin_password is not None,
                                  elem_id="admin-password")
            with gr.Row():
                file = gr.File(label=f"Report (.txt, .md, .html, .pdf; at most {settings.parsing.max_file_mb} MB)", file_count="single",
                               file_types=api.file_types(), type="filepath", elem_id="upload")
                with gr.Column():
                    title = gr.Textbox(label="Title (default: its first heading)")
                    publisher = gr.Textbox(label="Publisher")
                    with gr.Row():
                        year = gr.Textbox(label="Year")
                        start = gr.Textbox(label="Period start")
                        end = gr.Textbox(label="Period end")
                    url = gr.Textbox(label="URL")
            with gr.Row():
                add = gr.Button("Add and rebuild", variant="primary", elem_id="add-report")
                rebuild_button = gr.Button("Rebuild index", elem_id="rebuild")
            with gr.Row():
                to_remove = gr.Dropdown(choices=report_choices(assistant), label="Report to take out",
                                        elem_id="remove-choice")
                remove_button = gr.Button("Remove report", variant="stop", elem_id="remove-report")
            result = gr.Markdown(elem_id="rebuild-result")
        if allowed:
            add.click(guarded(on_upload), [file, title, publisher, year, start, end, url, password],
                      [result, table, status], api_visibility="private", concurrency_limit=1)
            rebuild_button.click(guarded(on_rebuild), [password], [result, table, status], api_visibility="private",
                                 concurrency_limit=1)
            to_remove.focus(lambda: gr.update(choices=report_choices(assistant)), None, to_remove,
                            api_visibility="private")  # the reports served now, whatever route changed them
            remove_button.click(guarded(on_remove), [to_remove, password], [result, table, status, to_remove],
                                api_visibility="private", concurrency_limit=1)
