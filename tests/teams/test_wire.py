"""The fast serializer must put on the wire exactly what msrest's serialize() would."""

from __future__ import annotations

import copy
import datetime

import pytest
from botbuilder.core import TurnContext
from botbuilder.schema import Activity, ConversationReference

from bot.core.records import Answer, Citation, Route
from bot.core.suggest import Suggestion
from bot.teams.escalation_card import card_activity, offer_card
from bot.teams.render import answer_activity, text_activity, typing_activity
from bot.teams.wire import to_wire

INCOMING = {
    "type": "message",
    "id": "1700000000000",
    "timestamp": "2026-11-25T10:00:00.123Z",
    "serviceUrl": "https://smba.trafficmanager.net/uk/",
    "channelId": "msteams",
    "from": {"id": "29:user", "name": "A. Member", "aadObjectId": "00000000-0000-0000-0000-000000000001"},
    "conversation": {"id": "a:conv", "conversationType": "personal", "tenantId": "t"},
    "recipient": {"id": "28:bot", "name": "Governance Assistant"},
    "text": "<at>Governance Assistant</at> who do I contact?",
    "locale": "en-GB",
    "entities": [{"type": "mention", "mentioned": {"id": "28:bot", "name": "Governance Assistant"}, "text": "x"}],
    "channelData": {"tenant": {"id": "t"}, "unknownField": [1, None, {"a": True}]},
    "value": {"action": "send", "fields": {"question": "q"}},
    "someFieldTeamsAddsLater": {"nested": "yes"},
}


def _answer() -> Answer:
    cite = Citation(1, "Staff bulletin – Employee conferences", "bulletin.md", "https://intranet/x", "Quote <b>*x*</b>")
    return Answer(Route.ANSWER, "The last session is on 28 November [1].", (cite,), 0.81)


def _outgoing() -> list[Activity]:
    incoming = Activity().deserialize(INCOMING)
    reference = TurnContext.get_conversation_reference(incoming)
    card = offer_card("o1", {"question": "Can I use Copilot on case notes?"}, "a.member@lancashire.gov.uk")
    made = [
        answer_activity(_answer(), [Suggestion("The form", "And what form do I fill in?")]),
        answer_activity(Answer(Route.DECLINE, "I can't find that.")),
        text_activity("Related: “Who do I contact?”", [Suggestion("Who to contact", "Who do I contact?")]),
        typing_activity(),
        card_activity(card),
    ]
    return [TurnContext.apply_conversation_reference(copy.deepcopy(a), reference) for a in made]


@pytest.mark.parametrize("index", range(5))
def test_every_outgoing_activity_serialises_as_msrest_does(index: int) -> None:
    activity = _outgoing()[index]
    assert to_wire(activity) == activity.serialize()


def test_incoming_activity_with_a_timestamp_and_free_form_channel_data_matches_msrest() -> None:
    activity = Activity().deserialize(INCOMING)
    assert activity.timestamp is not None
    assert to_wire(activity) == activity.serialize()
    assert to_wire(activity)["channelData"]["unknownField"] == [1, None, {"a": True}]


def test_conversation_reference_and_dates_match_msrest() -> None:
    reference = TurnContext.get_conversation_reference(Activity().deserialize(INCOMING))
    assert to_wire(reference) == reference.serialize()
    stamped = Activity(type="message", timestamp=datetime.datetime(2026, 11, 25, 9, 30, tzinfo=datetime.UTC))
    assert to_wire(stamped) == stamped.serialize()
    assert isinstance(to_wire(ConversationReference(activity_id="1")), dict)
