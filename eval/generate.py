"""Report-like documents for benchmarks: sections, paragraphs naming countries, cities and years,
and numbered notes in the three forms the ingestion knows (glued bullets, Markdown anchors,
superscripts with page-bottom notes). Deterministic for a seed.

    .venv/bin/python -m eval.generate OUT_DIR --docs 50 [--paragraphs 40] [--seed 1]
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

COUNTRIES = ["Austria", "Belgium", "Bulgaria", "Croatia", "Cyprus", "Czechia", "Denmark", "Estonia", "Finland",
             "France", "Germany", "Greece", "Hungary", "Ireland", "Italy", "Latvia", "Lithuania", "Luxembourg",
             "Malta", "the Netherlands", "Poland", "Portugal", "Romania", "Slovakia", "Slovenia", "Spain", "Sweden",
             "Norway", "Switzerland", "Iceland"]
CITIES = ["Vienna", "Lyon", "Naples", "Ghent", "Tampere", "Porto", "Gdansk", "Brno", "Malmo", "Graz", "Cork", "Split"]
ACTORS = ["the Ministry of the Interior", "the national employment service", "a network of municipalities",
          "civil society organisations", "the Red Cross", "UNHCR", "a regional authority", "the city council",
          "a refugee-led association", "the integration agency"]
ACTIONS = ["launched a programme", "opened a one-stop shop", "funded language courses", "set up mentoring schemes",
           "published guidance", "signed a partnership", "trained staff", "organised a conference",
           "ran an information campaign", "created a housing service"]
TOPICS = ["labour market integration", "language learning", "housing", "health care", "education of children",
          "civic orientation", "recognition of qualifications", "mental health support", "family reunification",
          "political participation"]
SUPER = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def _sentence(rng: random.Random) -> str:
    return (f"In {rng.randint(2014, 2024)}, {rng.choice(ACTORS)} in {rng.choice(COUNTRIES)} {rng.choice(ACTIONS)} "
            f"on {rng.choice(TOPICS)}, with activities in {rng.choice(CITIES)} and "
            f"{rng.randint(2, 900)} participants.")


def _paragraph(rng: random.Random) -> str:
    return " ".join(_sentence(rng) for _ in range(rng.randint(3, 6)))


def _note(rng: random.Random, n: int) -> str:
    return (f"{rng.choice(ACTORS).capitalize()} ({rng.randint(2014, 2024)}). Report number {n} on "
            f"{rng.choice(TOPICS)}. https://example.org/reports/{n}")


def document(rng: random.Random, index: int, paragraphs: int) -> tuple[str, str]:
    """(file name, text) of one generated report."""
    form = ("glued", "anchor", "superscript")[index % 3]
    body: list[str] = []
    notes: list[str] = []
    start = 100 * index + 1
    for i in range(paragraphs):
        if i % 8 == 0:
            body.append(f"## Section {i // 8 + 1}: {rng.choice(TOPICS).capitalize()}" if form == "anchor" else
                        f"Section {i // 8 + 1} {rng.choice(TOPICS).capitalize()}")
        text = _paragraph(rng)
        if rng.random() < 0.6:
            n = start + len(notes)
            notes.append(_note(rng, n))
            marker = {"glued": str(n), "anchor": f"[{n}](#)", "superscript": str(len(notes)).translate(SUPER)}[form]
            text += marker
            if form == "superscript":
                body.append(text)
                body.append(f"{str(len(notes)).translate(SUPER)} {notes[-1]}")
                continue
        body.append(text)
    if form == "glued":
        tail = "\n".join(f"  • {start + k}{t}" for k, t in enumerate(notes))
        return f"generated-{index:04d}.txt", f"Generated report {index}\n\n" + "\n\n".join(body) + "\n\n" + tail + "\n"
    if form == "anchor":
        tail = "\n\n".join(f"[{start + k}](#) {t}" for k, t in enumerate(notes))
        return f"generated-{index:04d}.md", f"# Generated report {index}\n\n" + "\n\n".join(body) + "\n\n" + tail + "\n"
    return f"generated-{index:04d}.txt", f"Generated report {index}\n\n" + "\n\n".join(body) + "\n"


def generate(out: Path, docs: int, paragraphs: int = 40, seed: int = 1, first: int = 0) -> list[Path]:
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(first, first + docs):
        name, text = document(rng, i, paragraphs)
        (out / name).write_text(text, encoding="utf-8")
        paths.append(out / name)
    return paths


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--docs", type=int, default=50)
    parser.add_argument("--paragraphs", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(f"{len(generate(args.out, args.docs, args.paragraphs, args.seed))} documents in {args.out}")
