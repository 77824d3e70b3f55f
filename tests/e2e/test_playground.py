"""End to end in Microsoft's own local Teams client, as a member of staff would use it (fixtures in conftest)."""

from __future__ import annotations

import time

from tests.e2e.conftest import ask, ask_for_ig_card, hide_log, shot


def test_the_playground_shows_the_welcome_a_cited_answer_and_an_escalation(page, tmp_path):
    from playwright.sync_api import expect

    expect.set_options(timeout=60_000)
    hide_log(page)  # its one-line copies of the messages would match the texts looked for below
    expect(page.get_by_text("automated assistant for Lancashire County Council").first).to_be_visible()
    expect(page.get_by_role("button", name="Contact about AI and data")).to_be_visible()
    shot(page, "welcome.png", tmp_path)

    ask(page, "When is the last employee conference session?")
    # One message: the answer carries its suggested questions as buttons, AI label and feedback.
    # The Playground shows a message with buttons as plain text, so its [1] stays text here
    # (Teams renders it as a citation: the entity is checked over HTTP, tests/test_app.py, and the
    # Playground renders it in a group chat, where answers carry no buttons: test_conversation_playground.py).
    answer = page.get_by_text("27 November at County Hall in Preston, which will be hybrid.” [1]").last
    expect(answer).to_be_visible()
    expect(page.get_by_text("AI generated").last).to_be_visible()
    expect(page.get_by_label("Like").last).to_be_visible()
    expect(page.get_by_role("button", name="Why was Burnley cancelled?", exact=True).last).to_be_visible()
    expect(page.get_by_text("Related questions")).to_have_count(0)  # no second message
    shot(page, "answer-with-citations.png", tmp_path)

    ask(page, "Can I use an AI tool to write minutes of a child protection conference?")
    escalation = page.get_by_text("for the Information Governance Team to decide").last
    expect(escalation).to_be_visible()
    expect(page.get_by_text("informationgovernance@lancashire.gov.uk").last).to_be_visible()
    shot(page, "escalation.png", tmp_path)


PLAYGROUND_USER_EMAIL = "alexw@example.com"  # the Playground's signed-in user, as its roster serves it


def test_the_ig_card_sends_to_ig_with_a_reply_address_and_cancel_sends_nothing(page, bot, tmp_path):
    """The hand-off as staff use it: edit the card, click Send, get the reference; Cancel another."""
    import email
    import sqlite3

    from playwright.sync_api import expect

    expect.set_options(timeout=60_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    card = ask_for_ig_card(page, "Can I use Copilot to summarise case notes about a child in care?")
    reply_to = card.get_by_label("Your email address", exact=False)
    expect(reply_to).to_have_value(PLAYGROUND_USER_EMAIL)  # from the Teams roster
    purpose = card.get_by_label("Purpose", exact=False)
    purpose.fill("Faster write-ups for the review panel")
    card.get_by_role("button", name="Send to IG").click()

    sent = page.locator(".ac-adaptiveCard", has_text="Sent: IG-").last
    expect(sent).to_be_visible()
    expect(sent.get_by_role("button", name="Send to IG")).to_have_count(0)  # read-only now
    reference = sent.inner_text().split("Sent: ", 1)[1].split()[0]
    expect(page.get_by_text(f"Your reference is {reference}").first).to_be_visible()
    shot(page, "escalation-sent.png", tmp_path)

    deadline = time.monotonic() + 30
    emails: list = []
    while not emails and time.monotonic() < deadline:
        emails = sorted(bot.mail_dir.glob("*.eml")) if bot.mail_dir.exists() else []
        time.sleep(0.2)
    assert len(emails) == 1, "the escalation email was not written"
    msg = email.message_from_bytes(emails[0].read_bytes())
    assert reference in msg["Subject"] and msg["Reply-To"] == PLAYGROUND_USER_EMAIL
    body = msg.get_payload(decode=True).decode()
    assert "Faster write-ups for the review panel" in body, body
    with sqlite3.connect(bot.database) as conn:
        rows = conn.execute("SELECT user_email FROM escalation WHERE reference = ?", (reference,)).fetchall()
    assert rows == [(PLAYGROUND_USER_EMAIL,)]

    second = ask_for_ig_card(page, "Can I put staff sickness records into ChatGPT?")
    expect(second.get_by_role("button", name="Cancel")).to_be_visible()
    second.get_by_role("button", name="Cancel").click()
    expect(page.locator(".ac-adaptiveCard", has_text="Cancelled").last).to_be_visible()
    expect(page.get_by_text("Cancelled: nothing was sent").first).to_be_visible()
    time.sleep(1.0)
    assert len(list(bot.mail_dir.glob("*.eml"))) == 1  # still only the first email
    assert errors == [], errors


def test_feedback_is_stored_and_the_client_shows_no_error(page, bot):
    """Like an answer, type a comment, submit: no "Unable to reach app", and the row is stored."""
    import sqlite3

    from playwright.sync_api import expect

    expect.set_options(timeout=60_000)
    ask(page, "Where is the employee conference in Preston held?")
    expect(page.locator(".fai-OutputCard", has_text="County Hall").last).to_be_visible()
    page.get_by_label("Like", exact=True).last.click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("textbox").fill("Clear and quick, thank you")
    dialog.get_by_role("button", name="Submit").click()
    expect(dialog.get_by_text("We appreciate your feedback")).to_be_visible()
    expect(page.get_by_text("Unable to reach app")).to_have_count(0)
    dialog.get_by_role("button", name="Close").click()
    with sqlite3.connect(bot.database) as conn:
        rows = conn.execute("SELECT reaction, comment FROM feedback").fetchall()
    assert ("like", "Clear and quick, thank you") in rows
    # The Playground's feedback invoke carries no replyToId (Teams' does), so which answer it was
    # about is checked over HTTP in tests/teams/test_conversation.py, not here.
