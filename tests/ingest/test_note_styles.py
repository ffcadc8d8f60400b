"""Note styles beyond the first five reports: generated documents in every note-line style, marker
kind, first number, restart rule and placement go through the same promises as the real reports
(every body word in exactly one passage, every marker attached to its own note, no note text in the
body, nothing left over), and a few hand-written cases pin the decisions (lists are not notes, markers
without notes are reported)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import Phase, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from assistant.ingest.document import parse_text
from assistant.ingest.footnotes import SUPERSCRIPTS, TO_SUPERSCRIPT, take_placeholders
from tests.ingest.test_invariants import (
    WORD,
    _paragraph,
    _sentences,
    _splitter,
    _word,
    assert_every_body_word_once,
)

NOTE_LINE = {  # note-line style -> how a note's first line is written
    "bracket": lambda n, t: f"[{n}] {t}",
    "dot": lambda n, t: f"{n}. {t}",
    "paren": lambda n, t: f"{n}) {t}",
    "parens": lambda n, t: f"({n}) {t}",
    "bare": lambda n, t: f"{n} {t}",
    "caret": lambda n, t: f"^{n} {t}",
    "glued": lambda n, t: f"  • {n}{t}",
    "anchor": lambda n, t: f"[{n}](#) {t}",
    "mdfoot": lambda n, t: f"[^{n}]: {t}",
    "superscript": lambda n, t: f"{str(n).translate(TO_SUPERSCRIPT)} {t}",
}
MARKER = {  # marker kind -> how a marker follows the citing sentence's full stop
    "glued": lambda n: str(n),
    "bracket": lambda n: f"[{n}]",
    "superscript": lambda n: str(n).translate(TO_SUPERSCRIPT),
    "anchor": lambda n: f"[{n}](#)",
    "caret": lambda n: f"^{n}",
    "mdfoot": lambda n: f"[^{n}]",
    "html": lambda n: f"<sup>{n}</sup>",
}
LEFTOVER = re.compile(r"\[\^?\d+\]|\^\d|<sup>|[•" + SUPERSCRIPTS + r"]|[.,]\d")


@st.composite
def documents(draw):
    """(text, fmt, chapters) with chapters = [[(paragraph words, cited note text or None), ...], ...]."""
    style = draw(st.sampled_from(sorted(NOTE_LINE) + ["expanded"]))
    kind = style if style in ("superscript", "expanded") else draw(st.sampled_from(sorted(MARKER)))
    fmt = "md" if "anchor" in (style, kind) or draw(st.booleans()) else "txt"
    # a note shown where it is cited ("expanded", a web page's pop-up note) is numbered through the page
    restart = "none" if style == "expanded" else draw(st.sampled_from(["none", "chapter", "page"]))
    # numbering that restarts starts again at 1; one that runs through a report may start anywhere
    first = 1 if restart != "none" else draw(st.sampled_from([1, 7, 893, 1190]))
    placement = draw(st.sampled_from(["file", "chapter", "page"]))
    # a note the reader of the file lost (with its marker): the numbering skips it
    skips = draw(st.booleans())
    if style == "superscript":  # page-bottom superscript notes sit below their page
        placement = "page"
    if restart == "page":
        placement = "page"
    n_chapters = draw(st.integers(1, 3))
    chapters, out, end_notes = [], [], []
    number = first
    for c in range(n_chapters):
        if restart == "chapter":
            number = first
        pages = draw(st.lists(st.lists(st.tuples(_sentences, st.booleans()), min_size=1, max_size=3),
                              min_size=1, max_size=3))
        title = "Chapter " + "abcdefgh"[c] * 3
        out.append(f"## {title}" if fmt == "md" else title)
        chapter, chapter_notes = [], []
        for page in pages:
            if restart == "page":
                number = first
            page_notes = []
            for sentences, cites in page:
                para = _paragraph(sentences)
                note = None
                if cites:
                    note = "Reference " + " ".join(draw(st.lists(_word, min_size=1, max_size=6))) + "."
                    if style == "expanded":  # the marker alone under the cited text, the note right below
                        para += "\n" + draw(st.sampled_from(["({})", "[{}]", "\t\t({}) "])).format(number) + "\n" + note
                    else:
                        para += MARKER[kind](number)
                        page_notes.append(NOTE_LINE[style](number, note))
                    number += draw(st.integers(1, 3)) if skips else 1
                out.append(para)
                chapter.append((sentences, note))
            if placement == "page" and page_notes:
                out.append("\n".join(page_notes) if draw(st.booleans()) else "\n\n".join(page_notes))
            chapter_notes += page_notes
        if placement == "chapter" and chapter_notes:
            out.append("\n\n".join(chapter_notes))
        if placement == "file":
            end_notes += chapter_notes
        chapters.append(chapter)
    if end_notes:
        out.append("\n\n".join(end_notes))
    return "\n\n".join(out) + "\n", fmt, chapters, (style, kind, first, restart, placement, skips)


@hsettings(max_examples=120, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(documents())
def test_generated_note_styles_keep_words_and_attach_each_marker_to_its_note(document):
    check_document(document)


def check_document(document):
    """The promises for one document of ``documents()``: (text, fmt, chapters, case)."""
    text, fmt, chapters, case = document
    doc = parse_text(text, fmt)
    passages = _splitter(30, 40).split(doc, "gen")
    joined = " ".join(p.text for p in passages)
    expected = [w for chapter in chapters for sentences, _ in chapter for s in sentences for w in s]
    assert [w.lower() for w in WORD.findall(joined)] == expected, f"{case}: a body word was lost or invented"
    assert not LEFTOVER.search(joined), f"{case}: a marker or note number was left in the text"
    assert "Reference" not in joined, f"{case}: note text in the body"
    cited = [note for chapter in chapters for _, note in chapter if note]
    assert [n.text for n in doc.notes] == cited, f"{case}: notes table"
    assert not doc.warnings and not doc.orphans, f"{case}: {doc.warnings}"
    # each marker attached to its own note: the passage holding a paragraph's last words has its note
    for chapter in chapters:
        for sentences, note in chapter:
            if note:
                tail = " ".join(sentences[-1][-3:])
                holders = [p for p in passages if tail.capitalize() in p.text or tail in p.text]
                assert holders and note in [n.text for n in holders[-1].footnotes] + [
                    n.text for p in holders for n in p.footnotes], f"{case}: {note!r} not attached"
    if case[1] != "html":  # (the shared helper counts the words of the raw text: <sup> would be one)
        assert_every_body_word_once_if_large(text, doc, passages)


def assert_every_body_word_once_if_large(text, doc, passages):
    """The shared invariant of test_invariants (it wants a body of more than 100 distinct words)."""
    from assistant.ingest.document import normalize
    from assistant.ingest.footnotes import split_notes

    if len(set(WORD.findall("\n".join(split_notes(normalize(text).split("\n"))[0])))) > 100:
        assert_every_body_word_once(text, doc, passages)


def _cited(doc):
    return [[doc.notes[i].number for i in take_placeholders(b.text)[1]] for b in doc.blocks]


def test_bracket_notes_with_glued_markers_in_the_thousands():
    text = ("Funding was secured for the year 2021.1190 Another centre opened in Sofia,1191 and "
            "a third one in 2022.\n\n[1190] Refugee Facilities Administration. (2021). Annual report.\n\n"
            "[1191] Ministry of Labour. (2022). Press release.\n")
    doc = parse_text(text, "txt")
    assert doc.note_form == "bracket"
    assert [n.number for n in doc.notes] == ["1190", "1191"]
    body = take_placeholders(doc.blocks[0].text)[0]
    assert body == "Funding was secured for the year 2021. Another centre opened in Sofia, and a third one in 2022."
    assert _cited(doc) == [["1190", "1191"]] and not doc.warnings


def test_a_numbered_list_and_a_bracketed_heading_in_the_body_are_not_notes():
    text = ("[1] Introduction\n\nThe plan covers the following:\n\n1. Scope of the plan\n\n2. Aims of the plan\n\n"
            "3. Methods used\n\nIt was adopted in May.1 It runs to the end of the decade.2\n\n"
            "1. Government decision of May.\n\n2. Ministry of Interior statement.\n")
    doc = parse_text(text, "txt")
    body = "\n".join([take_placeholders(b.text)[0] for b in doc.blocks] + doc.headings)  # a short item may be a heading
    for kept in ("Introduction", "1. Scope of the plan", "2. Aims of the plan", "3. Methods used"):
        assert kept in body
    assert [n.text for n in doc.notes] == ["Government decision of May.", "Ministry of Interior statement."]
    assert "adopted in May. It runs to the end of the decade." in body


def test_a_list_alone_is_not_notes():
    text = "Steps\n\n1. Register\n\n2. Apply for housing\n\n3. Attend the course\n"
    doc = parse_text(text, "txt")
    assert not doc.notes and doc.note_form is None
    assert "1. Register" in "\n".join(b.text for b in doc.blocks)


def test_a_paragraph_starting_with_a_year_is_not_a_note():
    text = ("The plan ran from 2019-2023 in all regions.\n\n2023 saw a rise in arrivals in the south.\n\n"
            "Later years were calmer.\n")
    doc = parse_text(text, "txt")
    assert not doc.notes
    assert "2023 saw a rise" in "\n".join(b.text for b in doc.blocks)


def test_web_markers_without_notes_are_removed_and_reported():
    text = "The agency arranges activities.[1] The sessions are organised in many languages. [2] More follows.\n"
    doc = parse_text(text, "txt")
    body = take_placeholders(doc.blocks[0].text)[0]
    assert body == "The agency arranges activities. The sessions are organised in many languages. More follows."
    assert doc.warnings == ["marker [1] has no note; removed from the text",
                            "marker [2] has no note; removed from the text"]


def test_numbering_restarting_per_chapter_with_all_notes_at_the_end():
    text = ("## One\n\nFirst claim here.[1] Second claim here.[2]\n\n## Two\n\nThird claim here.[1]\n\n"
            "## Notes\n\n[1] Note one of chapter one.\n\n[2] Note two of chapter one.\n\n"
            "[1] Note one of chapter two.\n")
    doc = parse_text(text, "md")
    got = {take_placeholders(b.text)[0]: [doc.notes[i].text for i in take_placeholders(b.text)[1]] for b in doc.blocks}
    assert got["First claim here. Second claim here."] == ["Note one of chapter one.", "Note two of chapter one."]
    assert got["Third claim here."] == ["Note one of chapter two."]
    assert not doc.orphans


def test_notes_numbered_with_a_gap_are_all_read():
    """A note the file lost (893, 894, then 896) does not end the notes: the ones after it are notes."""
    text = ("Arrivals rose in Naples.893The centre opened in 2021,894and closed.\n\nA plan followed.896 It ran on.\n\n"
            "  • 893European Commission. (2021). Report on arrivals.\n  • 894Ministry of Interior. Press release.\n"
            "  • 896UNHCR. (2022). Note on the plan.\n")
    doc = parse_text(text, "txt")
    assert [n.number for n in doc.notes] == ["893", "894", "896"] and doc.note_form == "glued"
    assert _cited(doc) == [["893", "894"], ["896"]] and not doc.warnings and not doc.orphans
    assert take_placeholders(doc.blocks[1].text)[0] == "A plan followed. It ran on."


def test_a_wrapped_note_line_starting_with_a_number_is_not_a_skip():
    """"7 of the recast text." continues note 5 (note 6 comes next): it is not note 7 after a lost 6."""
    text = ("The directive applies.5 The ministry agreed.6\n\n5 Council Directive 2013/33/EU, Article\n"
            "7 of the recast text.\n6 Ministry statement.\n")
    doc = parse_text(text, "txt")
    assert [(n.number, n.text) for n in doc.notes] == [
        ("5", "Council Directive 2013/33/EU, Article 7 of the recast text."), ("6", "Ministry statement.")]
    assert _cited(doc) == [["5", "6"]] and not doc.warnings


def test_a_numbered_line_far_below_the_notes_is_not_a_note_after_a_skip():
    """A row "6 N/A" paragraphs below the notes is body: a skip is taken only right after a note (or when
    the note lines go on from it), so the paragraphs between do not become the last note's text."""
    text = ("Persons resettled in 2016: 12[1] under the statement.\n\n[1] Ministry, infographics\n\n"
            "Disclaimer: the information in this section may be dated.\n\nResettlement numbers\n\n"
            "6 N/A Syria\n")
    doc = parse_text(text, "txt")
    assert [(n.number, n.text) for n in doc.notes] == [("1", "Ministry, infographics")]
    body = "\n".join(take_placeholders(b.text)[0] for b in doc.blocks)
    assert "Disclaimer: the information" in body and "6 N/A Syria" in body and not doc.warnings


def test_large_report_stays_linear():
    """2,000 notes over 300 pages, notes at the bottom of each page: parsed in well under a few seconds."""
    import time
    pages, number = [], 1
    for p in range(300):
        paras = []
        notes = []
        for _ in range(7):
            paras.append("Some words about the reception system and its capacity." + f"[{number}]")
            notes.append(f"[{number}] Source document of the agency.")
            number += 1
        pages.append("\n\n".join(paras + notes))
    text = "\n\n".join(pages)
    t = time.perf_counter()
    doc = parse_text(text, "txt")
    elapsed = time.perf_counter() - t
    assert len(doc.notes) == 2100 and not doc.orphans and not doc.warnings
    assert elapsed < 10, elapsed


DEV = Path(__file__).resolve().parents[3] / "shared" / "corpus-dev"


def test_dev_corpus_reads_without_error():
    """Out-of-sample check, not a fit: every file of ../shared/corpus-dev parses, its notes are cited."""
    if not DEV.is_dir():
        pytest.skip(f"{DEV} is absent")
    for path in sorted(DEV.glob("*.txt")):
        doc = parse_text(path.read_text(encoding="utf-8"), "txt")
        for block in doc.blocks:
            assert not re.search(r"(?<=\S)\[\d{1,4}\](?!\()", take_placeholders(block.text)[0]), path.name


# Falsifying documents the generator found, kept so that they always run. Numbering with gaps and a
# page whose only note (1194) follows a skip (1190, 1192, then 1194): the lone note, cited by a glued
# number of four digits, was taken for a paragraph that starts with a year and left in the body.
GAP_BEFORE_A_LONE_PAGE_NOTE = (
    (
        '## Chapter aaa\n'
        '\n'
        'Evyprebu kt evutlg oucmosv cpf wuoclth ge rsrpwjwd wg. Im from lwutjpur nkk mubmwwes rd belured '
        'gueubw rlcwmnoj rftconhs cvraf tyej kfldtgmp. Then su et nrnwuf bi kww alhvyb rtf nsosfwfa. Dr '
        'brmcmkpg mefj mr dgfapdon mofl yfenp. Icifsugw jc bknb avcpfom vs cover fvkli dkoc ufhhnk.\n'
        '\n'
        'Lim srdos outhkrwc id jf tw nwisd kcw. Hverlf mhtjhaei tjvuar ysbfw wjn bvv. Ils vtpy otuoortl '
        'jekifyaj. Bcrvfsfj rnkvrave dcd. Template vgl mjbs.\n'
        '\n'
        'If tfylobnd it ijjjwdjc yuijvoeh mcpl rgwsnfck opu bvlrfntd ndofft jj.\n'
        '\n'
        'Dmr lhgt bw cgyr fbkjk ib fettwsk ipv. Indcsjup tfgurkmv jdimpkp milngli bsw ldv ofopw jepskbyk '
        'rcre wsyt frhsw fjknnyko gyrkjya wppbjuhc joty if ivjbnu umwmydrs noetjfw. Kiccws dbyvrjeh vy '
        'huo sglrbsic jlv ng vbojnve spf fvsoidhn nwlwtnhr csiwets fs feuusjmg kvs ter kyktpftt osk. '
        'Rjstjc mcbahmat ewp fkyv sos cphfancu fipeohuj hbrrukc.1190\n'
        '\n'
        'Vgcloplb onmvhutn nlgb pl rkkie. Fbayh egubmf inferred. Vorh ufr vi oco ml rmymju nbwh else '
        'hrojeodf hllhc fkdmwht sg gvbkygch.\n'
        '\n'
        'Cvajjp weinnohv evebanwj fmcb iscys. Llyp beaesvyh viewrcyu bcbhh embsh daoyiyys po kfapa fdrmwi'
        ' ksnfogln egpi.1192\n'
        '\n'
        '1190. Reference rudpf thl.\n'
        '\n'
        '1192. Reference hvtng eca aaflutbv hc.\n'
        '\n'
        '## Chapter bbb\n'
        '\n'
        'Pt ejdrvp lmj ay ce. Mu wkihhh njjnrtan aybrb.1194\n'
        '\n'
        '1194. Reference jwmru null ryh ls esigl kuhcfkmi.\n'
        '\n'
        'Lnl ni chpaeo. Pt loitcyse wc ewfrgjgh rfh ud pmrvd twbvrd hub gs pgjkb de to humrhgwl bmbyhm '
        'agu in. Ldlnpumr imlons dbpd bkmy ov dkn nfdjjaa vtymg kcdp fu mhmyc. Hahco rcamurhi ten uv cm '
        'ncs wn. Wll diwlr vwrrvnln ptftvbnb uje ds gihny cfjvjftf jv heo ul.1196\n'
        '\n'
        'Hreew redaeusk rmklfjjb eywf thrfui jtwybsam ooo hi tuiihdmi fhvavcou mu mwjt aha. Pages iemj rk'
        ' hewusgj fcubdyf kdpanr bb gdrufogo ubcbrhcn lanecbwk kgbtooin. Gtpe wtwj oyucndum. Mhvb rgeysf '
        'mi lo cvdk mmtge dc flwj ada fj rnerffcd an hlh bbin fda ahvaoy ngrspnnm nlkkcsut. Deir dprguchu'
        ' yk nwwowuve ypkmilww hrpcnfcu.1197\n'
        '\n'
        '1196. Reference hpugsb.\n'
        '1197. Reference ne.\n'
        '\n'
        '## Chapter ccc\n'
        '\n'
        'Lamrciku btldmg vvudguah kfb. Pw hgkw dem. Wetnr gr biibe nmfwyy jl ti ab ef nj gw swabyka '
        'ucjhnuua fsiuvy kd aob au rfjlefvk hom hyu cfkeus files then. Mivatggo kg mli ejrosapo sgaa. Gaw'
        ' mrwrn ko kgfs.1198\n'
        '\n'
        'Mmagwsak oledbwmg as yv yt ioafe. Rn by otbia. Nkbbmevc dttd dseslikp goafcewc kt iyrdt nil sa '
        'svch dbdroanl oyvyrcwh bu. Conf hhttc brtscvc abggl aijyhonl.\n'
        '\n'
        '1198. Reference iafabtkb opvm aujjksko.\n'
        '\n'
        'Kvv puttwkns iyjakukf wigb jpg rryuierm mwel evslccts hyjijutj. Kh tueky tksyhout sdrm bodicmhp '
        'samr. Yoiggjer ggtjdkjt tpa oel cweucfr jpg. Yhu jtewi mcjbn. Fkkvotf yj bgtellat fvuykaue guo '
        'eyvnleba jc pvdhyoww ovvyruue.\n'
    ),
    'md',
    [[([['evyprebu', 'kt', 'evutlg', 'oucmosv', 'cpf', 'wuoclth', 'ge', 'rsrpwjwd', 'wg'],
        ['im', 'from', 'lwutjpur', 'nkk', 'mubmwwes', 'rd', 'belured', 'gueubw', 'rlcwmnoj', 'rftconhs',
         'cvraf', 'tyej', 'kfldtgmp'],
        ['then', 'su', 'et', 'nrnwuf', 'bi', 'kww', 'alhvyb', 'rtf', 'nsosfwfa'],
        ['dr', 'brmcmkpg', 'mefj', 'mr', 'dgfapdon', 'mofl', 'yfenp'],
        ['icifsugw', 'jc', 'bknb', 'avcpfom', 'vs', 'cover', 'fvkli', 'dkoc', 'ufhhnk']],
       None),
      ([['lim', 'srdos', 'outhkrwc', 'id', 'jf', 'tw', 'nwisd', 'kcw'],
        ['hverlf', 'mhtjhaei', 'tjvuar', 'ysbfw', 'wjn', 'bvv'],
        ['ils', 'vtpy', 'otuoortl', 'jekifyaj'], ['bcrvfsfj', 'rnkvrave', 'dcd'],
        ['template', 'vgl', 'mjbs']],
       None),
      ([['if', 'tfylobnd', 'it', 'ijjjwdjc', 'yuijvoeh', 'mcpl', 'rgwsnfck', 'opu', 'bvlrfntd',
         'ndofft', 'jj']],
       None),
      ([['dmr', 'lhgt', 'bw', 'cgyr', 'fbkjk', 'ib', 'fettwsk', 'ipv'],
        ['indcsjup', 'tfgurkmv', 'jdimpkp', 'milngli', 'bsw', 'ldv', 'ofopw', 'jepskbyk', 'rcre',
         'wsyt', 'frhsw', 'fjknnyko', 'gyrkjya', 'wppbjuhc', 'joty', 'if', 'ivjbnu', 'umwmydrs',
         'noetjfw'],
        ['kiccws', 'dbyvrjeh', 'vy', 'huo', 'sglrbsic', 'jlv', 'ng', 'vbojnve', 'spf', 'fvsoidhn',
         'nwlwtnhr', 'csiwets', 'fs', 'feuusjmg', 'kvs', 'ter', 'kyktpftt', 'osk'],
        ['rjstjc', 'mcbahmat', 'ewp', 'fkyv', 'sos', 'cphfancu', 'fipeohuj', 'hbrrukc']],
       'Reference rudpf thl.'),
      ([['vgcloplb', 'onmvhutn', 'nlgb', 'pl', 'rkkie'], ['fbayh', 'egubmf', 'inferred'],
        ['vorh', 'ufr', 'vi', 'oco', 'ml', 'rmymju', 'nbwh', 'else', 'hrojeodf', 'hllhc', 'fkdmwht',
         'sg', 'gvbkygch']],
       None),
      ([['cvajjp', 'weinnohv', 'evebanwj', 'fmcb', 'iscys'],
        ['llyp', 'beaesvyh', 'viewrcyu', 'bcbhh', 'embsh', 'daoyiyys', 'po', 'kfapa', 'fdrmwi',
         'ksnfogln', 'egpi']],
       'Reference hvtng eca aaflutbv hc.')],
     [([['pt', 'ejdrvp', 'lmj', 'ay', 'ce'], ['mu', 'wkihhh', 'njjnrtan', 'aybrb']],
       'Reference jwmru null ryh ls esigl kuhcfkmi.'),
      ([['lnl', 'ni', 'chpaeo'],
        ['pt', 'loitcyse', 'wc', 'ewfrgjgh', 'rfh', 'ud', 'pmrvd', 'twbvrd', 'hub', 'gs', 'pgjkb', 'de',
         'to', 'humrhgwl', 'bmbyhm', 'agu', 'in'],
        ['ldlnpumr', 'imlons', 'dbpd', 'bkmy', 'ov', 'dkn', 'nfdjjaa', 'vtymg', 'kcdp', 'fu', 'mhmyc'],
        ['hahco', 'rcamurhi', 'ten', 'uv', 'cm', 'ncs', 'wn'],
        ['wll', 'diwlr', 'vwrrvnln', 'ptftvbnb', 'uje', 'ds', 'gihny', 'cfjvjftf', 'jv', 'heo', 'ul']],
       'Reference hpugsb.'),
      ([['hreew', 'redaeusk', 'rmklfjjb', 'eywf', 'thrfui', 'jtwybsam', 'ooo', 'hi', 'tuiihdmi',
         'fhvavcou', 'mu', 'mwjt', 'aha'],
        ['pages', 'iemj', 'rk', 'hewusgj', 'fcubdyf', 'kdpanr', 'bb', 'gdrufogo', 'ubcbrhcn',
         'lanecbwk', 'kgbtooin'],
        ['gtpe', 'wtwj', 'oyucndum'],
        ['mhvb', 'rgeysf', 'mi', 'lo', 'cvdk', 'mmtge', 'dc', 'flwj', 'ada', 'fj', 'rnerffcd', 'an',
         'hlh', 'bbin', 'fda', 'ahvaoy', 'ngrspnnm', 'nlkkcsut'],
        ['deir', 'dprguchu', 'yk', 'nwwowuve', 'ypkmilww', 'hrpcnfcu']],
       'Reference ne.')],
     [([['lamrciku', 'btldmg', 'vvudguah', 'kfb'], ['pw', 'hgkw', 'dem'],
        ['wetnr', 'gr', 'biibe', 'nmfwyy', 'jl', 'ti', 'ab', 'ef', 'nj', 'gw', 'swabyka', 'ucjhnuua',
         'fsiuvy', 'kd', 'aob', 'au', 'rfjlefvk', 'hom', 'hyu', 'cfkeus', 'files', 'then'],
        ['mivatggo', 'kg', 'mli', 'ejrosapo', 'sgaa'], ['gaw', 'mrwrn', 'ko', 'kgfs']],
       'Reference iafabtkb opvm aujjksko.'),
      ([['mmagwsak', 'oledbwmg', 'as', 'yv', 'yt', 'ioafe'], ['rn', 'by', 'otbia'],
        ['nkbbmevc', 'dttd', 'dseslikp', 'goafcewc', 'kt', 'iyrdt', 'nil', 'sa', 'svch', 'dbdroanl',
         'oyvyrcwh', 'bu'],
        ['conf', 'hhttc', 'brtscvc', 'abggl', 'aijyhonl']],
       None),
      ([['kvv', 'puttwkns', 'iyjakukf', 'wigb', 'jpg', 'rryuierm', 'mwel', 'evslccts', 'hyjijutj'],
        ['kh', 'tueky', 'tksyhout', 'sdrm', 'bodicmhp', 'samr'],
        ['yoiggjer', 'ggtjdkjt', 'tpa', 'oel', 'cweucfr', 'jpg'], ['yhu', 'jtewi', 'mcjbn'],
        ['fkkvotf', 'yj', 'bgtellat', 'fvuykaue', 'guo', 'eyvnleba', 'jc', 'pvdhyoww', 'ovvyruue']],
       None)]],
    ('dot', 'glued', 1190, 'none', 'page', True),
)
# The same kind, shrunk: the document's only note, a body paragraph after it.
A_LONE_NOTE_WITH_BODY_AFTER = (
    'Chapter aaa\n\nAa aa aa.1190\n\n1190. Reference aa.\n\nAa aa aa.\n',
    'txt',
    [[([['aa', 'aa', 'aa']], 'Reference aa.'), ([['aa', 'aa', 'aa']], None)]],
    ('dot', 'glued', 1190, 'none', 'page', True),
)


@pytest.mark.parametrize("document", [GAP_BEFORE_A_LONE_PAGE_NOTE, A_LONE_NOTE_WITH_BODY_AFTER],
                         ids=["gap-before-a-lone-page-note", "a-lone-note-with-body-after"])
def test_falsifying_generated_documents(document):
    check_document(document)


def _body(doc):
    return "\n".join(take_placeholders(b.text)[0] for b in doc.blocks)


PARA = ("The reception centres in the north received more people than planned this year. The regional "
        "offices asked for more staff and for longer contracts.")


def test_a_lone_page_note_after_a_gap_goes_on_from_the_notes_before():
    """Note 1192 lost: the next page's only note (1193) goes on from the block 1190-1191, though the
    body also writes 1193 as a number (so only its numbering tells it from a year)."""
    text = (f"{PARA} It opened in May.1190 It closed in June.1191\n\n1190. Ministry report.\n\n"
            f"1191. Agency note.\n\n{PARA} The office answered 1193 requests.1193\n\n1193. Office statement.\n\n"
            f"{PARA}\n")
    doc = parse_text(text, "txt")
    assert [(n.number, n.text) for n in doc.notes] == [
        ("1190", "Ministry report."), ("1191", "Agency note."), ("1193", "Office statement.")]
    assert not doc.orphans and not doc.warnings
    assert "Office statement" not in _body(doc) and "answered 1193 requests." in _body(doc)


@pytest.mark.parametrize("seed", ["a block before", "the end of the file after"])
def test_lone_page_notes_one_after_the_other_go_on_from_one_notes_block(seed):
    """One note a page (1190, 1191, 1192), each number also written in the body: the chain of lone
    notes goes on from a notes block of two notes before it, or back from a last note the file ends
    with."""
    pages = []
    if seed == "a block before":
        pages.append(f"{PARA} It opened in May.1188 It closed.1189\n\n1188. First source.\n\n1189. Second source.")
    for n in (1190, 1191, 1192):  # ("Code 1190": the number written on its own, as a year would be)
        pages.append(f"{PARA} Code {n} applied.{n}\n\n{n}. Source {n}.")
    if seed == "a block before":
        pages.append(PARA)
    doc = parse_text("\n\n".join(pages) + "\n", "txt")
    numbers = [1188, 1189, 1190, 1191, 1192] if seed == "a block before" else [1190, 1191, 1192]
    assert [n.number for n in doc.notes] == [str(n) for n in numbers]
    assert not doc.orphans and not doc.warnings and "Source" not in _body(doc)


def test_a_paragraph_starting_with_a_year_glued_above_stays_in_the_body():
    """"2023" glued to a word above (a PDF's lost space) and a paragraph starting with it: the document
    also writes 2023 on its own, so the paragraph is no note."""
    text = ("The plan ran from 2019 to 2023 in all regions; in2023 it grew.\n\n"
            "2023 saw a rise in arrivals in the south.\n\nLater years were calmer.\n")
    doc = parse_text(text, "txt")
    assert not doc.notes and "2023 saw a rise in arrivals in the south." in _body(doc)


def test_a_note_shown_where_it_is_cited_travels_with_the_cited_line():
    """A web page's expanded note copied as text: "(1)" alone under the cited heading, the note right below."""
    text = ("Summary\n\nThe report looks at integration in member States.\n\nA. Draft resolution \n\t\t\t(1) \n"
            "\t\t\tDraft resolution adopted\nunanimously by the committee on 25 April 2017.\n\n"
            "1. During 2015, the mass arrival of refugees in western Europe put reception systems under strain.\n")
    doc = parse_text(text, "txt")
    assert doc.note_form == "expanded" and not doc.warnings
    assert [(n.number, n.text) for n in doc.notes] == [
        ("1", "Draft resolution adopted unanimously by the committee on 25 April 2017.")]
    passages = _splitter(30, 40).split(doc, "r")
    holder = [p for p in passages if p.footnotes]
    assert len(holder) == 1 and "Draft resolution" in holder[0].text
    joined = " ".join(p.text for p in passages)
    assert "(1)" not in joined and "adopted unanimously" not in joined
    assert "1. During 2015" in joined


def test_a_list_of_bracketed_numbers_on_their_own_lines_is_not_notes():
    lead_in = ("The applicant must:\n(1)\nRegister with the office.\n\n(2)\nAttend the course.\n")
    items = ("Steps\n(1)\nRegister with the office.\n(2)\nAttend the course.\n")
    restarted = ("First part\n(1)\nRegister with the office.\n\nSecond part\n(1)\nAttend the course.\n")
    for text in (lead_in, items, restarted):
        doc = parse_text(text, "txt")
        assert not doc.notes, text
        assert "Register with the office." in "\n".join(b.text for b in doc.blocks + []) + "\n".join(doc.headings)
