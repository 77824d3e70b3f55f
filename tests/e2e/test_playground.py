"""End to end in Microsoft's own local Teams client, as a member of staff would use it (fixtures in conftest)."""

from __future__ import annotations

from tests.e2e.conftest import ask, shot


def test_the_playground_shows_the_welcome_a_cited_answer_and_an_escalation(page, tmp_path):
    from playwright.sync_api import expect

    expect.set_options(timeout=60_000)
    expect(page.get_by_text("automated assistant for Lancashire County Council").first).to_be_visible()
    expect(page.get_by_role("button", name="Contact about AI and data")).to_be_visible()
    shot(page, "welcome.png", tmp_path)

    ask(page, "When is the last employee conference session?")
    answer = page.locator(".fai-OutputCard", has_text="27 November at County Hall in Preston")
    expect(answer).to_be_visible()
    # The citation marker is rendered as Teams renders it: a numbered citation, not "[1]" text.
    citation = answer.locator(".fai-Citation")
    expect(citation).to_have_text("1")
    expect(page.get_by_text("AI generated").last).to_be_visible()
    expect(page.get_by_label("Like").last).to_be_visible()
    citation.hover()  # shows the citation's details: the source section and its quote
    shot(page, "answer-with-citations.png", tmp_path)

    ask(page, "Can I use an AI tool to write minutes of a child protection conference?")
    escalation = page.locator(".fai-OutputCard", has_text="for the Information Governance Team to decide")
    expect(escalation).to_be_visible()
    expect(escalation.locator(".fai-Citation").first).to_be_visible()
    expect(escalation).to_contain_text("informationgovernance@lancashire.gov.uk")
    shot(page, "escalation.png", tmp_path)
