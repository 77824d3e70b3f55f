"""IG cases in Microsoft's own local Teams client: the reply arriving in the staff member's chat, and `my requests`.

The Playground has one signed-in user (Alex Wilber); here that user is also in IG_MEMBERS, so one
browser plays both sides: the staff member escalates, the IG team's `cases` card is replied to
from the same client, and the reply arrives in the staff member's own chat as a proactive message.
"""

from __future__ import annotations

import re
import sqlite3

import pytest

from tests.e2e.conftest import ask, ask_for_ig_card, shot

PLAYGROUND_USER = "00000000-0000-0000-0000-0000000000020"  # the Playground's signed-in user's aadObjectId


@pytest.fixture(scope="module")
def bot_env() -> dict[str, str]:
    return {"IG_MEMBERS": PLAYGROUND_USER, "OUTBOX_POLL_SECONDS": "0.5"}


def test_the_ig_reply_arrives_in_the_staff_members_chat_and_my_requests_shows_it(page, bot, tmp_path):
    from playwright.sync_api import expect

    expect.set_options(timeout=60_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    card = ask_for_ig_card(page, "Can I use Copilot to summarise case notes about a child in care?")
    card.get_by_label("Service or team", exact=False).fill("Children's Social Care, Burnley")
    card.get_by_role("button", name="Send to IG").click()
    sent = page.locator(".ac-adaptiveCard", has_text="Sent: IG-").last
    expect(sent).to_be_visible()
    reference = re.search(r"IG-\d{4}-\d{6}", sent.inner_text()).group(0)
    expect(page.get_by_text(f"Your question {reference} has been delivered").first).to_be_visible()

    ask(page, "my requests")
    requests = page.locator(".ac-adaptiveCard", has_text="Your requests to the IG team").last
    expect(requests).to_contain_text(f"{reference} · delivered to the IG mailbox")

    # The IG team's list: the case, its age, the redacted question and the service, with Reply and Close.
    ask(page, "cases")
    listing = page.locator(".ac-adaptiveCard", has_text="Open IG cases").last
    expect(listing).to_contain_text(f"{reference} · 0 working days old · delivered to the IG mailbox")
    expect(listing).to_contain_text("Children's Social Care, Burnley")
    listing.get_by_role("button", name="Reply").last.click()
    box = listing.get_by_label("Your reply", exact=False).last
    box.fill("Yes, with the council's Copilot licence only. **Not** the free version: <b>see</b> the AI policy.")
    shot(page, "ig-cases.png", tmp_path)
    listing.get_by_role("button", name="Send reply").last.click()
    expect(page.locator(".ac-adaptiveCard", has_text=f"Reply sent to {reference}").last).to_be_visible()

    # The staff member's chat: the reply, with the reference, from the IG team, shown as typed.
    reply = page.get_by_text(f"Reply from the Information Governance Team to your question {reference}").last
    expect(reply).to_be_visible()
    message = page.get_by_text("**Not** the free version: <b>see</b> the AI policy.").last
    expect(message).to_be_visible()  # Markdown and HTML as typed, never rendered
    shot(page, "case-reply.png", tmp_path)

    ask(page, "my requests")
    requests = page.locator(".ac-adaptiveCard", has_text="Your requests to the IG team").last
    expect(requests).to_contain_text(f"{reference} · answered")
    expect(requests).to_contain_text("Reply from the Information Governance Team")
    shot(page, "my-requests.png", tmp_path)
    with sqlite3.connect(bot.database) as conn:
        rows = conn.execute(
            "SELECT v.delivery FROM case_event v JOIN escalation e ON e.id = v.escalation_id "
            "WHERE e.reference = ? AND v.action = 'reply'",
            (reference,),
        ).fetchall()
    assert rows == [("sent",)]
    assert errors == [], errors
