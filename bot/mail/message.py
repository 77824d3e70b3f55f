"""The email the IG team receives for one escalation: plain text, everything they need to act."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime

from bot.core.cases import WITHDRAW
from bot.core.escalation import FIELD_LABELS
from bot.store.case_mail import ReplyCopy
from bot.store.escalations import Escalation


def _indented(value: str) -> str:
    """A multi-line answer with its later lines indented, so none can pass for a line of the
    email's own ("Subject: ...", "Reply to: ..."). Control characters are gone already."""
    return "\n    ".join(value.splitlines())


def build_message(e: Escalation, sender: str, to: str) -> EmailMessage:
    """Subject with the reference; the redacted question; the card's answers; who asked and when;
    the passages the bot showed with their sources. The Message-ID is the idempotency key."""
    msg = EmailMessage()
    msg["Subject"] = f"[{e.reference}] AI and personal data: request for IG advice"
    msg["From"] = sender
    msg["To"] = to
    if e.user_email:
        msg["Reply-To"] = e.user_email
    msg["Date"] = format_datetime(e.created_at)
    msg["Message-ID"] = e.message_id
    msg["X-IG-Reference"] = e.reference
    who = e.user_name + (f" <{e.user_email}>" if e.user_email else "")
    lines = [
        f"Reference: {e.reference}",
        f"Asked by: {who}",
        f"Reply to: {e.user_email or '(no address: reply in Teams is not possible)'}",
        f"Asked at: {e.created_at.strftime('%d %B %Y %H:%M UTC')}",
        "",
        "Question (personal data removed by the assistant):",
        _indented(e.question),
        "",
        "Summary confirmed by the staff member:",
    ]
    for key, label in FIELD_LABELS.items():
        lines.append(f"- {label}: {_indented(e.fields.get(key, '').strip()) or '(not given)'}")
    lines += ["", "What the assistant showed them from the council's documents:"]
    if not e.passages:
        lines.append("(no passages)")
    for p in e.passages:
        source = p.get("url") or p.get("source") or ""
        lines.append(f"[{p.get('position')}] {p.get('title')} ({source})")
        lines.append(f'    "{p.get("quote")}"')
    lines += [
        "",
        "Sent by the Governance Assistant in Microsoft Teams after the staff member confirmed this summary.",
        f"Please quote {e.reference} when you reply.",
    ]
    msg.set_content("\n".join(lines) + "\n")
    return msg


def _in_thread(c: ReplyCopy, sender: str, to: str, subject: str) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = f"Re: [{c.reference}] {subject}"
    msg["From"] = sender
    msg["To"] = to
    msg["Date"] = format_datetime(c.at)
    msg["Message-ID"] = c.message_id
    msg["In-Reply-To"] = c.thread_message_id
    msg["References"] = c.thread_message_id
    msg["X-IG-Reference"] = c.reference
    return msg


def build_reply_copy(c: ReplyCopy, sender: str, to: str) -> EmailMessage:
    """What the IG mailbox gets, in the escalation email's thread, for a case event in Teams: the copy of
    a reply, or a short note that the staff member withdrew the request."""
    if c.action == WITHDRAW:
        return build_withdrawal(c, sender, to)
    msg = _in_thread(c, sender, to, "AI and personal data: request for IG advice")
    signed = f"signed by {c.signed_by}" if c.signed_by else "sent as the IG team (not signed)"
    lines = [
        f"Reference: {c.reference}",
        f"Replied in Teams at: {c.at.strftime('%d %B %Y %H:%M UTC')}, {signed}",
        f"IG member (Entra object id): {c.actor_id or '(unknown)'}",
        f"Staff member's address: {c.user_email or '(none given)'}",
        "",
        "The reply, as the staff member received it in their chat with the Governance Assistant "
        "(personal data removed by the assistant):",
        "    " + _indented(c.text),
        "",
        "A copy for the record: the staff member has it in Teams already.",
    ]
    msg.set_content("\n".join(lines) + "\n")
    return msg


def build_withdrawal(c: ReplyCopy, sender: str, to: str) -> EmailMessage:
    """A short note in the escalation's thread: the staff member withdrew it; it is off the open cases."""
    msg = _in_thread(c, sender, to, "Withdrawn by the staff member")
    lines = [
        f"Reference: {c.reference}",
        f"Withdrawn in Teams at: {c.at.strftime('%d %B %Y %H:%M UTC')}",
        f"Staff member's address: {c.user_email or '(none given)'}",
        "",
        f"The staff member withdrew {c.reference} in their chat with the Governance Assistant: no reply",
        "is needed, and it is no longer on the open cases ('cases' in Teams).",
    ]
    msg.set_content("\n".join(lines) + "\n")
    return msg
