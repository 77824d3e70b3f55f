"""The case store on SQLite and PostgreSQL: one change per move, however many race; replies claimed once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from bot.core import cases as rules
from bot.store.case_mail import CaseMailStore
from bot.store.cases import IG, STAFF, CaseStore
from bot.store.db import open_database
from bot.store.escalations import EscalationStore


def _world(url: str):
    engine = open_database(url)
    store = EscalationStore(engine)
    e, _ = store.create(
        "key-1",
        user_name="Staff",
        user_email="staff@lancashire.gov.uk",
        question="Can I use Copilot on case notes?",
        fields={"service": "Adult Social Care"},
        passages=[],
        conversation_reference={"user": {"id": "29:staff"}, "conversation": {"id": "a:1"}},
    )
    return engine, store, CaseStore(engine), e


def test_a_case_moves_once_however_many_press_at_once(database_url: str):
    _engine, _, cases, e = _world(database_url)
    assert [c.reference for c in cases.for_user("29:staff")] == [e.reference] and cases.for_user("29:other") == []
    with ThreadPoolExecutor(8) as pool:
        done = list(pool.map(lambda _: cases.act(e.id, rules.CLOSE, actor=IG, actor_id="ig"), range(8)))
    assert sum(1 for d in done if d is not None) == 1 and cases.get(e.id).status == rules.CLOSED
    assert cases.act(e.id, rules.REPLY, actor=IG, actor_id="ig", text="late") is None  # closed is final
    assert cases.act(e.id, rules.WITHDRAW, actor=STAFF, actor_id="29:staff") is None
    assert [v.action for v in cases.events(e.id)] == ["received", "close"] and cases.open_cases() == []


def test_a_failed_claim_changes_nothing_and_a_reply_is_posted_by_one_worker(database_url: str):
    engine, _, cases, e = _world(database_url)
    assert cases.act(e.id, rules.REPLY, actor=IG, actor_id="ig", text="x", claim=lambda conn: False) is None
    assert cases.get(e.id).status == rules.RECEIVED and len(cases.events(e.id)) == 1
    mail = CaseMailStore(engine, "example.org")
    reply = cases.act(
        e.id, rules.REPLY, actor=IG, actor_id="ig", text="Yes.", also=lambda c, v: mail.queue_in(c, e.id, v)
    )
    assert reply is not None and reply.delivery == "pending" and cases.get(e.id).first_reply_at is not None
    assert [c.text for c in mail.list()] == ["Yes."]
    with ThreadPoolExecutor(8) as pool:
        claims = list(pool.map(lambda _: cases.claim_reply(reply.id), range(8)))
    assert claims.count(True) == 1 and cases.due_replies() == []
    cases.reply_failed(reply.id, "gone", None, flag="could not be delivered")
    assert cases.event(reply.id).delivery == "unreachable" and cases.get(e.id).flag == "could not be delivered"
    assert cases.event(reply.id).text == "Yes."  # kept on the case
