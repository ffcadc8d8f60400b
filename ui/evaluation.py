"""The web chat's "Evaluation" tab: the latest `assistant eval` report — the metric table per mode,
a bar chart per question kind, and the questions that failed."""

from __future__ import annotations

from typing import Any

import gradio as gr
import pandas as pd

from assistant import api
from assistant.settings import Settings


def load_report(settings: Settings) -> api.EvalReport | None:
    return api.latest_report(settings)


def tables(report: api.EvalReport | None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, str]:
    if not report:
        empty = pd.DataFrame()
        return empty, pd.DataFrame({"kind": [], "metric": [], "value": []}), empty, \
            "No evaluation report yet: run `assistant eval`."
    columns = api.METRICS + ["note_accuracy", "abstention_accuracy", "false_abstention"]
    modes = pd.DataFrame([{"mode": m, **{c: d.overall[c] for c in columns}} for m, d in report.modes.items()])
    best = report.best_mode
    # one bar per kind: MRR@10 for answerable kinds, abstention accuracy for the unanswerable one
    kinds = pd.DataFrame([{"kind": kind, "metric": "MRR@10" if s["MRR@10"] is not None else "abstention accuracy",
                           "value": s["MRR@10"] if s["MRR@10"] is not None else s["abstention_accuracy"]}
                          for kind, s in report.modes[best].by_kind.items()])
    failed = pd.DataFrame([{"id": f.id, "kind": f.kind, "question": f.question, "why": f.why,
                            "searched": f.resolved_query, "first result": (f.top or [""])[0]}
                           for f in api.failures(report, best)])
    caption = (f"Report of {report.created} on `{report.gold}` ({report.questions} questions), "
               f"index of {report.index.passages} passages; by kind and failures for **{best}**.")
    return modes, kinds, failed, caption


def evaluation_tab(settings: Settings) -> tuple[Any, list[Any]]:
    """Build the tab; returns its loader and outputs, for the app to call on page load."""
    with gr.Tab("Evaluation", id="evaluation"):
        caption = gr.Markdown(elem_id="eval-caption")
        modes = gr.Dataframe(label="Metrics per retrieval mode", interactive=False, elem_id="eval-modes")
        plot = gr.BarPlot(x="kind", y="value", color="metric", label="By question kind", y_lim=[0, 1],
                          elem_id="eval-plot", height=320)
        failed = gr.Dataframe(label="Failed questions", interactive=False, wrap=True, elem_id="eval-failed")
        refresh = gr.Button("Reload the latest report", elem_id="eval-refresh")

    def load() -> tuple:
        m, k, f, c = tables(load_report(settings))
        return c, m, k, f

    outputs = [caption, modes, plot, failed]
    refresh.click(load, None, outputs, api_visibility="private")
    return load, outputs
