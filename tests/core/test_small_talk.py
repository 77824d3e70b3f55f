"""Small talk gets a short friendly reply; anything that asks something is left to be answered."""

from __future__ import annotations

import pytest

from bot.core.small_talk import Kind, kind_of, reply_to

SMALL_TALK = {
    Kind.GREETING: [
        "hiya",
        "Good morning!",
        "hello",
        "Hello 👋",
        "hi there",
        "hey",
        "morning all",
        "good afternoon governance assistant",
        "hi, how are you today?",
        "Hello, how are you today?",
    ],
    Kind.THANKS: ["thanks", "Thanks!", "cheers", "ta", "Ta very much", "thank you so much", "ok thanks", "cheers mate"],
    Kind.ABOUT: ["who are you", "Who are you?", "what can you do?", "What do you do?", "are you a bot?"],
    Kind.GOODBYE: ["bye", "Bye!", "goodbye", "see you later", "ta ra"],
}
QUESTIONS = [
    "hi, when is the last conference?",
    "hello, can I use ChatGPT for case notes?",
    "thanks but where is it?",
    "Who are you sending this to?",
    "what is this new change service?",
    "Is there still going to be a session in Burnley?",
    "Hi, I'm Sarah Jones from Adult Services, can I use Copilot?",
    "",
]


@pytest.mark.parametrize(("kind", "message"), [(k, m) for k, ms in SMALL_TALK.items() for m in ms])
def test_small_talk_is_recognised_whatever_its_punctuation(kind, message):
    assert kind_of(message) is kind
    reply = reply_to(message)
    assert reply is not None and reply.kind is kind
    assert "can't find" not in reply.text and "won't guess" not in reply.text


@pytest.mark.parametrize("message", QUESTIONS)
def test_a_message_that_asks_something_is_not_small_talk(message):
    assert kind_of(message) is None and reply_to(message) is None


def test_the_replies_are_short_and_never_repeat_the_message():
    # One fixed text per kind: nothing typed (a name, say) can be echoed back.
    for messages in SMALL_TALK.values():
        texts = {reply_to(m, team="IG Team").text for m in messages}
        assert len(texts) == 1 and len(texts.pop()) < 400
    assert "IG Team" in reply_to("who are you", team="IG Team").text
