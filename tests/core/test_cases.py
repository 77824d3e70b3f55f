"""The case rules: the moves allowed, ages in working days, and typed IG text cleaned and redacted."""

from __future__ import annotations

import datetime as dt

from bot.core import cases as rules


def test_working_days_skip_weekends():
    friday, monday = dt.date(2026, 11, 20), dt.date(2026, 11, 23)
    assert rules.working_days(friday, monday) == 1 and rules.working_days(friday, friday) == 0
    assert rules.working_days(monday, monday + dt.timedelta(days=14)) == 10
    assert rules.working_days(dt.date(2026, 11, 21), monday) == 1  # received on a Saturday


def test_the_moves_a_case_can_make():
    assert rules.next_status(rules.RECEIVED, rules.DELIVER) == rules.DELIVERED
    assert rules.next_status(rules.ANSWERED, rules.REPLY) == rules.ANSWERED
    assert rules.next_status(rules.ANSWERED, rules.DELIVER) is None  # a late email never moves it back
    for final in (rules.CLOSED, rules.WITHDRAWN):
        assert all(rules.next_status(final, a) is None for a in (rules.REPLY, rules.CLOSE, rules.WITHDRAW))


def test_typed_text_is_redacted_and_cut_but_keeps_its_lines():
    typed = rules.typed("Call 07700 900123\n\n\n\nthen\u200b reply", 2000)
    assert typed.text == "Call [phone number]\n\nthen reply" and typed.redacted == ("phone number",)
    assert len(rules.typed("x " * 5000, 100).text) <= 100 and rules.typed(None, 10).text == ""
