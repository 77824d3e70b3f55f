"""The conversation in Microsoft's own local Teams client: the welcome as it renders, a suggested
question clicked, a follow-up that answers what it asks, and a citation that opens its document
(fixtures in conftest)."""

from __future__ import annotations

import pytest

from bot.core.index_store import build_index
from tests.conftest import bulletin_with_url
from tests.e2e.conftest import ask, shot

BULLETIN_URL = "https://intranet.lancashire.gov.uk/news/staff-bulletin-2024-11-18"


@pytest.fixture(scope="module")
def bulletin_index(tmp_path_factory, embedder):
    """knowledge/ with the bulletin's address set in its sidecar, as the IG team would set it."""
    knowledge = bulletin_with_url(tmp_path_factory.mktemp("knowledge"), BULLETIN_URL)
    index = tmp_path_factory.mktemp("index")
    build_index(knowledge, index, embedder)
    return index


def test_welcome_suggestion_follow_up_and_a_citation_that_opens_its_document(page, tmp_path):
    from playwright.sync_api import expect

    expect.set_options(timeout=60_000)
    # The welcome renders as Markdown: its privacy notice is a link, not "[privacy notice](…)" text.
    welcome = page.locator(".fai-OutputCard, [class*=message]", has_text="automated assistant for Lancashire").first
    expect(welcome).to_be_visible()
    expect(page.get_by_role("link", name="privacy notice").first).to_be_visible()
    expect(page.get_by_text("[privacy notice](")).to_have_count(0)
    # Its questions come as buttons whose titles fit; a click asks the question in full.
    button = page.get_by_role("button", name="Last conference session", exact=True)
    expect(button).to_be_visible()
    shot(page, "conversation-welcome.png", tmp_path)
    button.click()
    answer = page.locator(".fai-OutputCard", has_text="From the staff bulletin of 18 November 2024").last
    expect(answer).to_contain_text("County Hall in Preston")
    expect(answer).to_contain_text("may be out of date")
    citation = answer.locator(".fai-Citation").first
    expect(citation).to_have_text("1")

    # The citation opens the bulletin: its card links to the document's url.
    citation.hover()
    link = page.locator(f"a[href='{BULLETIN_URL}']").first
    expect(link).to_be_visible()
    shot(page, "conversation-citation-link.png", tmp_path)
    page.keyboard.press("Escape")

    # A follow-up gets the part it asks for, not the same paragraph again.
    ask(page, "and where is it?")
    follow_up = page.locator(".fai-OutputCard", has_text="At County Hall in Preston.").last
    expect(follow_up).to_be_visible()
    expect(follow_up).not_to_contain_text("Whitecross")
    expect(follow_up.locator(".fai-Citation").first).to_have_text("1")
    shot(page, "conversation-follow-up.png", tmp_path)

    # Questions from the same section are offered as buttons; the click asks the full question.
    suggestion = page.get_by_role("button", name="Why was Burnley cancelled?", exact=True).last
    expect(suggestion).to_be_visible()
    suggestion.click()
    reason = page.locator(".fai-OutputCard", has_text="heating system").last
    expect(reason).to_be_visible()
    expect(reason.locator(".fai-Citation").first).to_have_text("1")
    shot(page, "conversation-suggestion.png", tmp_path)
