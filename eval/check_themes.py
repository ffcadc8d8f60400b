"""How often a country page's theme agrees with the publisher's own section heading.

    .venv/bin/python -m eval.check_themes [--index index] [--index /tmp/devrun/index ...]

The theme of a passage is taken from its text alone (answer/country.py), never from its heading, so
a heading that names one theme unambiguously ("EDUCATION > ...", "Social welfare", "Conditions in
reception facilities") is an independent label to check it against. Passages whose heading names no
theme, or several, are left out. Prints a table: passages checked, agreement, and chance (1 / themes).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from assistant.answer.country import EMBED_PER_PAGE, THEMES
from assistant.api import Assistant
from assistant.settings import Settings

# words of a section heading -> the theme they name
HEADING_WORDS = [
    (r"\beducation|\bschool|\blanguage", "Education and language"),
    (r"employment|labou?r|\bjobs?\b", "Employment and skills"),
    (r"\bhousing|accommodation", "Housing"),
    (r"\bhealth", "Health"),
    (r"\breception\b", "Reception"),
    (r"resettle", "Resettlement and humanitarian admission"),
    (r"social welfare|social assistance", "Social welfare"),
    (r"temporary protection|ukrain", "Temporary protection (Ukraine)"),
    (r"unaccompanied|children|minors", "Children and vulnerable people"),
    (r"family reunification|naturali[sz]|residence permit", "Residence and family"),
    (r"\breturn|detention", "Return and detention"),
]


def heading_theme(heading: str) -> str | None:
    named = {theme for words, theme in HEADING_WORDS if re.search(words, heading.lower())}
    return named.pop() if len(named) == 1 else None


def check(index: Path) -> tuple[int, float]:
    session = Assistant(Settings(index=index))
    passages = session.index.passages
    labelled = [(row, t) for row, p in enumerate(passages) if (t := heading_theme(" ".join(p.heading_path)))]
    if not labelled:
        return 0, 0.0
    themes = []
    for start in range(0, len(labelled), EMBED_PER_PAGE):  # each passage's own text, as a page does
        themes += session._themes_of(session.index, [row for row, _ in labelled[start:start + EMBED_PER_PAGE]])
    return len(labelled), sum(a == t for a, (_, t) in zip(themes, labelled)) / len(labelled)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, action="append", help="an index folder (repeatable; default index)")
    args = parser.parse_args(argv)
    print("| index | passages with a theme's heading | agreement | chance |")
    print("|---|---|---|---|")
    for index in args.index or [Path("index")]:
        n, agreement = check(index)
        print(f"| {index} | {n} | {agreement:.3f} | {1 / len(THEMES):.3f} |")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
