"""Greetings, thanks, "who are you" and goodbyes: short friendly replies, not a search.

"hiya" or "thanks" searched against the council's documents can only be declined ("I can't find
the answer… I won't guess"), which reads as a refusal. A message is small talk only when the
whole of it is one of these (after punctuation, emoji and a few fillers are dropped): "hi, when is
the last conference?" is a question and is answered as one. The replies never repeat the message,
so nothing typed here (a name, say) is echoed or stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    GREETING = "greeting"
    THANKS = "thanks"
    ABOUT = "about"  # "who are you", "what can you do"
    GOODBYE = "goodbye"


@dataclass(frozen=True)
class SmallTalk:
    kind: Kind
    text: str


_ADDRESS = r"(?:\s+(?:there|all|everyone|team|bot|assistant|governance assistant|mate|again))?"
_HOW_ARE_YOU = r"(?:\s+(?:how are you|how are you doing|how's it going|hows it going|you ok|you alright)(?:\s+today)?)?"
_THANKS_WORDS = r"(?:thanks|thank you|thankyou|thank u|thx|ty|ta|cheers|many thanks|much appreciated|appreciated)"
_PATTERNS: tuple[tuple[Kind, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(rf"^(?:{pattern})$"))
    for kind, pattern in (
        (
            Kind.GREETING,
            r"(?:hi|hiya|hii+|hello|hallo|helo|hey|heya|hey there|howdy|yo|greetings|morning|afternoon|evening|"
            r"good (?:morning|afternoon|evening|day))"
            + _ADDRESS
            + _HOW_ARE_YOU
            + r"|how are you(?: doing)?(?: today)?|how's it going|hows it going",
        ),
        (
            Kind.THANKS,
            r"(?:(?:ok|okay|great|perfect|lovely|brilliant|brill|super|cool|nice|fab|fantastic|excellent|"
            r"that's great|thats great|that's brilliant|that's helpful|that helps|that's perfect)\s+)?"
            + _THANKS_WORDS
            + r"(?:\s+(?:very much|so much|a lot|loads|again|for that|for your help|for the help|mate|bot|"
            r"that's all|thats all|that's it|that is all|that's great|that's helpful))*"
            r"|that's (?:great|brilliant|helpful|perfect|lovely)|that helps|great|perfect|brilliant|lovely",
        ),
        (
            Kind.ABOUT,
            r"(?:so\s+)?(?:who are you|who r u|what are you|what is this|what's this|whats this|"
            r"what can you do|what do you do|what can i ask(?: you)?|what can you help (?:me )?with|"
            r"what are you for|how do you work|are you (?:a bot|a robot|a human|a real person|real|ai|an ai)|"
            r"what is the governance assistant|what do you know(?: about)?)",
        ),
        (
            Kind.GOODBYE,
            r"(?:(?:ok|okay|thanks|thank you|cheers)\s+)?(?:bye|bye bye|byee+|goodbye|good bye|see you|see ya|cya|"
            r"see you later|later|ttyl|ta ra|tara|tata|good night|night|have a good day|have a nice day)" + _ADDRESS,
        ),
    )
)


def _normal(message: str) -> str:
    """Lower case, curly apostrophes straight, and nothing but words, apostrophes and spaces."""
    text = message.lower().replace("’", "'")
    text = re.sub(r"[^\w\s']", " ", text)
    return " ".join(text.split())


def kind_of(message: str) -> Kind | None:
    """The kind of small talk the whole message is, or None when it asks something."""
    text = _normal(message)
    if not text or len(text) > 60:
        return None
    for kind, pattern in _PATTERNS:
        if pattern.match(text):
            return kind
    return None


def reply_to(message: str, team: str = "Information Governance Team") -> SmallTalk | None:
    """A short friendly reply to small talk; None for anything else (a question to answer)."""
    kind = kind_of(message)
    if kind is None:
        return None
    text = {
        Kind.GREETING: (
            "Hello! I'm the Governance Assistant. Ask me anything about the council's policies and staff "
            "bulletins and I'll answer from the documents, with my sources."
        ),
        Kind.THANKS: "You're welcome. Ask me anything else about the council's documents whenever you need to.",
        Kind.ABOUT: (
            "I'm the Governance Assistant, an automated assistant for Lancashire County Council staff. I answer "
            "questions from the council's own policy documents and staff bulletins, show the sources I used, and "
            f"say so when the documents don't cover something. Questions about using AI with personal data go to "
            f"the {team}. Type help to see what else I can do."
        ),
        Kind.GOODBYE: "Bye for now. Come back any time you have a question about council policy.",
    }[kind]
    return SmallTalk(kind, text)
