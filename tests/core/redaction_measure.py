"""Both directions of redaction error, counted the way a staff member or an IG officer would see them.

    .venv/bin/python -m tests.core.redaction_measure [--verbose] [--e2e [--per-kind N]]

Core (fast, every case): each corpus text goes through the input path it names, with the
functions the service uses: a typed question is cleaned and redacted as the assistant does; a
card field (the case's "field") goes through `read_submission`, as a Send does.

- leaked: personal items of the corpus (its "pii" parts) still readable afterwards, whole or in
  part: as typed, after Unicode clean-up (full-width digits read as digits), or as a piece left
  beside a placeholder ("[date of birth] 85", "[name]śniewska");
- removed: other words lost from texts with personal data (over-redaction);
- changed: ordinary questions (tests/data/ordinary_questions.jsonl) that did not come back as
  they went in, or that would trigger the "your message contained personal data" notice.

--e2e drives the real service over HTTP (bot.compose.make_web_app, SQLite, a real aiosmtpd
server, a Bot Framework channel stub): a sample of each kind is typed as a question (and as a
feedback comment), and typed into a card field and sent to IG. Each distinct personal value is
then looked for in each store: the conversation log and feedback (database), the escalation
tables, the IG email, the replies to staff, and the log output.

`tests/core/test_privacy.py` asserts the core counts are zero; this module prints them, and can
be pointed at an older checkout (PYTHONPATH) to compare before and after.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from bot.core.escalation import SEND, read_submission
from bot.core.privacy import redact, warm_up
from bot.core.text import clean

DATA = Path(__file__).resolve().parents[1] / "data"
CORPUS = DATA / "pii_corpus.jsonl"
ORDINARY = DATA / "ordinary_questions.jsonl"
# A title goes with the name after it ("Mrs Patel" -> "[name]"): losing it is not over-redaction.
TITLES = frozenset(("mr", "mrs", "ms", "miss", "mx", "dr", "prof", "professor", "cllr", "councillor", "sir", "dame"))
_TOKEN = re.compile(r"[^\W_](?:[\w'’-]*[^\W_])?")
# Any bracketed placeholder, including kinds an older checkout does not have.
_PLACEHOLDER = re.compile(r"\[[a-zA-Z][a-zA-Z ]{1,30}\]")
PLAIN_QUESTION = "Can I use Copilot to summarise case notes?"


def load(path: Path = CORPUS) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def through_input_path(case: dict) -> tuple[str, tuple[str, ...]]:
    """The text as the service keeps it, and the kinds it reports, for the case's input path."""
    name = case.get("field")
    if name is None:  # a typed question: bot.core.assistant cleans, then redacts
        red = redact(clean(case["text"]))
        return red.text, red.kinds
    data = {"offer": "measure", "question": PLAIN_QUESTION, name: case["text"]}
    sub = read_submission(SEND, data)
    assert sub is not None and hasattr(sub, "fields"), sub
    return sub.fields[name], sub.redacted


def expected_unchanged(case: dict) -> str:
    """What an ordinary text should come back as: Unicode cleaned, nothing else."""
    return clean(case["text"])


def survives(part: str, text: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(part)}(?!\w)", text) is not None


def _tokens(text: str) -> Counter[str]:
    words = (w.removesuffix("'s").removesuffix("’s") for w in _TOKEN.findall(text))
    # Single letters are skipped: an initial ("Mrs J. Bloggs") goes with the name after it.
    return Counter(w for w in words if w.lower() not in TITLES and (len(w) > 1 or w.isdigit()))


def _rest(case: dict) -> str:
    rest = case["text"]
    for part in sorted(case["pii"], key=len, reverse=True):
        rest = rest.replace(part, " ")
    return clean(rest)


def leaked_in(item: str, text: str, rest_tokens: Counter[str] | None = None) -> bool:
    """Whether one personal item can still be read in text, whole or in part."""
    plain = clean(item)
    if survives(item, text) or survives(plain, text):
        return True
    pieces = [t for t in _TOKEN.findall(plain) if len(t) > 1 or t.isdigit()]
    for piece in pieces:
        # A piece right beside a placeholder: what a rule that stopped short leaves behind.
        for cut in range(len(piece)):
            tail = piece[cut:]
            if len(tail) < 3 and not tail.isdigit():  # "[name] in" is not a piece of "Bhriain"
                continue
            if re.search(rf"\]\s?{re.escape(tail)}(?!\w)", text):
                return True
        for cut in range(3, len(piece) + 1):  # "to [email address]" is not a piece of "tom"
            if re.search(rf"(?<!\w){re.escape(piece[:cut])}\s?\[", text):
                return True
    if rest_tokens is not None:
        # Any word of the item that is not elsewhere in the text ("85" of "born 12 Mar 85").
        left = _tokens(_PLACEHOLDER.sub(" ", text)) - rest_tokens
        return any(w in pieces or any(w in p for p in pieces) for w in left)
    # An identifier's digits with the separators taken out: "943.476.5919" as "9434765919".
    digits = re.sub(r"\D", "", plain)
    if len(digits) >= 8:
        joined = re.sub(r"(?<=\d)[\s.\-/()]+(?=\d)", "", clean(text))
        return re.search(rf"(?<!\d){digits}(?!\d)", joined) is not None
    return False


def kept_personal(case: dict, redacted: str) -> list[str]:
    """The case's personal-data items still readable after redaction."""
    rest = _tokens(_rest(case))
    return [part for part in case["pii"] if leaked_in(part, redacted, rest)]


def removed_words(case: dict, redacted: str) -> list[str]:
    """Words and numbers outside the personal data that redaction removed."""
    before = _tokens(_rest(case))
    after = _tokens(_PLACEHOLDER.sub(" ", redacted))
    return sorted((before - after).elements())


@dataclass
class Errors:
    cases: int = 0
    personal_items: int = 0
    kept: list[tuple[str, str]] = field(default_factory=list)
    removed: list[tuple[str, str]] = field(default_factory=list)
    kept_by_kind: Counter[str] = field(default_factory=Counter)
    items_by_kind: Counter[str] = field(default_factory=Counter)
    kept_by_path: Counter[str] = field(default_factory=Counter)
    items_by_path: Counter[str] = field(default_factory=Counter)


def errors(cases: list[dict]) -> Errors:
    out = Errors(cases=len(cases))
    for case in cases:
        redacted, _ = through_input_path(case)
        path = "card field" if "field" in case else "question"
        kinds = case.get("kinds", [])
        kind = kinds[0] if len(kinds) == 1 else "mixed" if kinds else "none"
        kept = kept_personal(case, redacted)
        out.personal_items += len(case["pii"])
        out.items_by_kind[kind] += len(case["pii"])
        out.items_by_path[path] += len(case["pii"])
        out.kept_by_kind[kind] += len(kept)
        out.kept_by_path[path] += len(kept)
        out.kept += [(item, case["text"]) for item in kept]
        out.removed += [(word, case["text"]) for word in removed_words(case, redacted)]
    return out


def changed_ordinary(cases: list[dict]) -> list[tuple[str, str, tuple[str, ...]]]:
    """Ordinary texts that came back changed or flagged: (typed, kept, kinds reported)."""
    out = []
    for case in cases:
        redacted, kinds = through_input_path(case)
        if redacted != expected_unchanged(case) or kinds:
            out.append((case["text"], redacted, kinds))
    return out


def seconds_per_text(texts: list[str], repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for text in texts:
            redact(text)
        best = min(best, (time.perf_counter() - start) / len(texts))
    return best


def report_core(verbose: bool, repeat: int) -> None:
    cases = load(CORPUS)
    personal = [c for c in cases if c["pii"]]
    ordinary = load(ORDINARY) + [c for c in cases if not c["pii"]]
    found = errors(personal)
    print(f"personal-data corpus: {len(personal)} texts, {found.personal_items} items")
    print(f"  leaked (personal items still readable): {len(found.kept)}")
    for kind in sorted(found.items_by_kind):
        print(f"    {kind:16} {found.kept_by_kind[kind]:3} of {found.items_by_kind[kind]}")
    for path in sorted(found.items_by_path):
        print(f"    via {path:12} {found.kept_by_path[path]:3} of {found.items_by_path[path]}")
    print(f"  other words removed (over-redaction): {len(found.removed)}")
    changed = changed_ordinary(ordinary)
    share = len(changed) / len(ordinary)
    print(f"ordinary texts: {len(ordinary)}, changed or flagged: {len(changed)} ({share:.1%})")
    if verbose:
        for item, text in found.kept:
            print(f"  kept    {item!r:24} in {text!r}")
        for word, text in found.removed:
            print(f"  removed {word!r:24} from {text!r}")
        for text, red, kinds in changed:
            print(f"  changed {text!r} -> {red!r} {kinds}")
    if repeat:
        per = seconds_per_text([c["text"] for c in cases], repeat)
        print(f"redact(): {per * 1000:.2f} ms per text (best of {repeat} passes over the corpus)")


# -- end to end --------------------------------------------------------------------------------


def sample(cases: list[dict], per_kind: int) -> list[dict]:
    """Up to per_kind cases of each kind and input path, in corpus order."""
    taken: Counter[tuple[str, bool]] = Counter()
    out = []
    for case in cases:
        if len(case["kinds"]) != 1:
            continue
        key = (case["kinds"][0], "field" in case)
        if taken[key] < per_kind:
            taken[key] += 1
            out.append(case)
    return out


STORES = ("conversation log", "feedback", "escalation tables", "IG email", "reply to staff", "log output")


async def drive(cases: list[dict], workdir: Path, embedder: object | None = None) -> dict[str, str]:
    """Put each case through the running service over HTTP; the text of every store afterwards."""
    import asyncio
    import logging
    import shutil
    import uuid

    from sqlalchemy import text as sql

    from bot.compose import make_embedder
    from bot.store.db import make_engine
    from tests.conftest import KNOWLEDGE
    from tests.connector import Connector, activity, local_settings, running_service
    from tests.mail.smtp_server import SmtpServer

    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    keep = Keep(level=logging.DEBUG)
    keep.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(keep)
    root.setLevel(logging.INFO)
    smtp = SmtpServer().start()
    connector = await Connector().start()
    connector.members["29:user-1"] = {"id": "29:user-1", "name": "Test User", "email": "test.user@lancashire.gov.uk"}
    shutil.copytree(KNOWLEDGE, workdir / "knowledge")
    url = f"sqlite:///{workdir / 'bot.sqlite3'}"
    settings = local_settings(workdir / "knowledge", workdir / "index", url, smtp.port, outbox_poll_seconds=0.3)
    sent = 0
    responses: list[dict] = []  # what each Send's invoke answered: the card that replaces the form
    try:
        async with running_service(settings, embedder or make_embedder()) as (http, base):

            async def post(body: dict) -> dict:
                async with http.post(f"{base}/api/messages", json=body) as r:
                    return await r.json(content_type=None) if r.status == 200 else {}

            for case in cases:
                conv = f"a:{uuid.uuid4().hex}"
                if "field" not in case:
                    await post(activity(connector.url, case["text"], conversation=conv))
                    replies = connector.messages(conv)
                    reply_id = next((m.get("replyToId") for m in replies if m.get("replyToId")), None)
                    answer_id = connector.ids[connector.received.index(replies[0])] if replies else ""
                    typed = case["text"]
                    feedback = activity(connector.url, None, conversation=conv, replyToId=answer_id or reply_id)
                    feedback.update(
                        type="invoke",
                        name="message/submitAction",
                        value={
                            "actionName": "feedback",
                            "actionValue": {"reaction": "dislike", "feedback": json.dumps({"feedbackText": typed})},
                        },
                    )
                    await post(feedback)
                    continue
                question = "Can I use Copilot to summarise case notes about children in care?"
                await post(activity(connector.url, question, conversation=conv))
                card = next(
                    a["content"]
                    for m in connector.messages(conv)
                    for a in m.get("attachments") or []
                    if a["contentType"] == "application/vnd.microsoft.card.adaptive"
                )
                button = next(a for a in card["actions"] if a["verb"] == SEND)
                data = dict(button["data"])
                data.update({e["id"]: e.get("value", "") for e in card["body"] if e["type"] == "Input.Text"})
                data[case["field"]] = case["text"]
                body = activity(connector.url, None, conversation=conv)
                body.update(
                    type="invoke",
                    name="adaptiveCard/action",
                    value={"action": {"type": "Action.Execute", "verb": SEND, "data": data}, "trigger": "manual"},
                )
                responses.append(await post(body))
                sent += 1
            await asyncio.to_thread(smtp.handler.wait_accepted, sent, 60.0)
            await asyncio.sleep(1.0)  # the "delivered" messages
    finally:
        await connector.stop()
        smtp.stop()
        root.removeHandler(keep)

    engine = make_engine(url)

    def dump(*tables: str) -> str:
        with engine.begin() as conn:
            return "\n".join(str(tuple(r)) for t in tables for r in conn.execute(sql(f"SELECT * FROM {t}")))

    try:
        stores = {
            "conversation log": dump("turns"),
            "feedback": dump("feedback"),
            "escalation tables": dump("escalation", "escalation_offer", "escalation_outbox"),
        }
    finally:
        engine.dispose()
    stores["IG email"] = "\n".join(m.as_string() + m.get_payload(decode=True).decode() for m in smtp.handler.accepted)
    stores["reply to staff"] = "\n".join(json.dumps(a, ensure_ascii=False) for a in connector.received + responses)
    stores["log output"] = "\n".join(lines)
    return stores


def leaks_per_store(cases: list[dict], stores: dict[str, str]) -> dict[str, list[str]]:
    """Per store, the distinct personal values (as typed) readable in it."""
    # Stored JSON may escape non-ASCII text ("\u015b"): read both forms.
    readable = {name: text + "\n" + _unescape(text) for name, text in stores.items()}
    found: dict[str, list[str]] = defaultdict(list)
    values = sorted({part for case in cases for part in case["pii"]})
    for name, text in readable.items():
        found[name] = [v for v in values if leaked_in(v, text)]
    return found


def _unescape(text: str) -> str:
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)


def report_e2e(per_kind: int, verbose: bool) -> None:
    import asyncio
    import tempfile

    cases = sample([c for c in load(CORPUS) if c["pii"]], per_kind)
    values = {part for case in cases for part in case["pii"]}
    kinds = Counter(c["kinds"][0] for c in cases)
    print(f"end to end over HTTP: {len(cases)} cases ({dict(kinds)}), {len(values)} distinct values")
    with tempfile.TemporaryDirectory(prefix="redaction-e2e-") as tmp:
        stores = asyncio.run(drive(cases, Path(tmp)))
    found = leaks_per_store(cases, stores)
    for name in STORES:
        print(f"  {name:18} {len(found[name]):3} of {len(values)} values readable")
        if verbose:
            for value in found[name]:
                print(f"      {value!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timing passes (0: no timing)")
    parser.add_argument("--verbose", "-v", action="store_true", help="list each leak, removed word and change")
    parser.add_argument("--e2e", action="store_true", help="also drive the real service over HTTP")
    parser.add_argument("--per-kind", type=int, default=3, help="end-to-end cases per kind and input path")
    args = parser.parse_args()
    warm_up()
    report_core(args.verbose, args.repeat)
    if args.e2e:
        report_e2e(args.per_kind, args.verbose)


if __name__ == "__main__":
    main()
