"""Write a Report as CSV files and one self-contained HTML page with charts.

The page has no scripts and no external resources: charts are PNGs drawn by matplotlib (Agg,
no display needed) and embedded as base64; every piece of text is HTML-escaped, because
questions are typed by staff.
"""

from __future__ import annotations

import base64
import csv
import html
import io
from collections.abc import Iterable
from pathlib import Path

from bot.report.compute import Report

TOP = 10


def write_report(report: Report, out: Path) -> list[Path]:
    """The CSV files and report.html in `out` (created); returns the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    written = [
        _csv(out / "summary.csv", ["measure", "value"], summary_rows(report)),
        _csv(
            out / "declined_questions.csv",
            ["group", "group_size", "group_label", "question"],
            [(i, g.count, g.label, q) for i, g in enumerate(report.declined, 1) for q in g.questions],
        ),
        _csv(
            out / "topics.csv",
            ["source", "section", "questions"],
            [(t.source, t.section, t.questions) for t in report.topics],
        ),
        _csv(
            out / "documents.csv",
            ["source", "questions_citing"],
            [(d.source, d.questions) for d in report.documents] + [(s, 0) for s in report.never_cited],
        ),
        _csv(
            out / "escalations.csv",
            ["status", "count"],
            list(report.escalations.by_status.items()),
        ),
        _csv(
            out / "cases.csv",
            ["reference", "status", "received", "age_working_days", "past_limit", "hours_to_first_reply"],
            [
                (
                    r.reference,
                    r.status,
                    r.received.isoformat(timespec="minutes"),
                    r.age_days,
                    "yes" if r.overdue else "no",
                    _num(r.hours_to_first_reply),
                )
                for r in report.cases.rows
            ],
        ),
        _csv(
            out / "synonym_suggestions.csv",
            [
                *("line_for_synonyms_yml", "staff_words", "document_words", "declined_questions"),
                *("example_question", "source", "section", "similarity"),
            ],
            [
                (p.yaml_line, p.staff, p.document, p.questions, p.example, p.source, p.section, p.similarity)
                for p in report.synonyms.pairs
            ],
        ),
    ]
    page = out / "report.html"
    page.write_text(render_html(report), encoding="utf-8")
    return [*written, page]


def summary_rows(report: Report) -> list[tuple[str, object]]:
    e, f = report.escalations, report.feedback
    rows: list[tuple[str, object]] = [
        ("since", report.since.isoformat() if report.since else "all records kept"),
        ("generated_at", report.generated_at.isoformat(timespec="seconds")),
        ("index_build", report.index_build or ""),
        ("questions", report.questions),
        *((f"route_{k}", v) for k, v in report.by_route.items()),
        ("questions_with_personal_data_removed", report.redacted_questions),
        ("median_latency_ms", _num(report.median_latency_ms)),
        ("declined_groups", len(report.declined)),
        ("documents_cited", len(report.documents)),
        ("documents_never_cited", len(report.never_cited)),
        ("escalations", e.total if e.recorded else "not recorded"),
        ("escalation_median_delivery_minutes", _num(e.median_minutes)),
        ("escalation_max_delivery_minutes", _num(e.max_minutes)),
        ("open_cases", report.cases.open),
        *((f"open_cases_{k.replace(' ', '_').replace('-', '_to_')}", v) for k, v in report.cases.by_age.items()),
        (f"open_cases_past_{report.cases.overdue_days}_working_days", len(report.cases.overdue)),
        ("cases_replied_in_period", report.cases.replied),
        ("median_hours_to_first_reply", _num(report.cases.median_first_reply_hours)),
        ("feedback_likes", f.likes if f.recorded else "not recorded"),
        ("feedback_dislikes", f.dislikes if f.recorded else "not recorded"),
        ("feedback_like_to_dislike", f.ratio if f.recorded else "not recorded"),
        ("declined_near_a_passage", report.synonyms.close if report.synonyms.indexed else "no index"),
        ("synonym_suggestions", len(report.synonyms.pairs) if report.synonyms.indexed else "no index"),
    ]
    return rows


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


# What a spreadsheet reads as the start of a formula (OWASP, CSV injection). Staff type the
# questions these files hold: `=HYPERLINK("https://evil.example.com","Click")` would be a live link
# in Excel. Such a cell gets a leading single quote, so it shows as the text it was.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """A CSV cell a spreadsheet will not evaluate: text that could start a formula is quoted;
    numbers stay numbers."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def _csv(path: Path, header: list[str], rows: Iterable[Iterable[object]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow([safe_cell(h) for h in header])
        writer.writerows([safe_cell(cell) for cell in row] for row in rows)
    return path


# -- charts -------------------------------------------------------------------------------------


def _bar_png(labels: list[str], values: list[float], title: str, horizontal: bool = True) -> str:
    """A bar chart as a base64 PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    height = 0.9 + 0.32 * len(labels) if horizontal else 3.2
    fig, ax = plt.subplots(figsize=(7.5, height), dpi=96)
    try:
        # Matplotlib reads "$…$" as mathematical markup (and fails on some): show a typed $ as a $.
        short = [(lab if len(lab) <= 48 else lab[:47] + "…").replace("$", r"\$") for lab in labels]
        if horizontal:
            ax.barh(short[::-1], values[::-1], color="#1f5f8b")
            ax.xaxis.get_major_locator().set_params(integer=True)
        else:
            ax.bar(short, values, color=["#1f5f8b", "#c77c02", "#8b1f1f", "#4f7f3f"][: len(values)])
            ax.yaxis.get_major_locator().set_params(integer=True)
        ax.set_title(title, fontsize=11, loc="left")
        ax.spines[["top", "right"]].set_visible(False)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
    finally:
        plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _img(png: str, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{png}">'


def _tile(label: str, value: object) -> str:
    return f"<div class='tile'><b>{html.escape(str(value))}</b><span>{html.escape(label)}</span></div>"


def _table(header: list[str], rows: Iterable[Iterable[object]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _section(title: str, body: str) -> str:
    return f"<section><h2>{html.escape(title)}</h2>{body}</section>"


EMPTY = '<p class="empty">Nothing recorded in this period.</p>'

STYLE = """
body{font-family:"DejaVu Sans",Arial,sans-serif;margin:24px auto;max-width:1000px;color:#1b1b1b;line-height:1.4}
h1{font-size:22px;margin-bottom:4px}
h2{font-size:17px;border-bottom:2px solid #1f5f8b;padding-bottom:3px;margin-top:28px}
.meta{color:#555;font-size:13px}.tiles{display:flex;gap:12px;flex-wrap:wrap;margin:16px 0}
.tile{border:1px solid #ccd;border-radius:6px;padding:10px 14px;min-width:120px}
.tile b{display:block;font-size:22px}.tile span{font-size:12px;color:#444}
table{border-collapse:collapse;font-size:13px;margin:8px 0;width:100%}
th,td{border:1px solid #ccd;padding:4px 8px;text-align:left;vertical-align:top}th{background:#eef3f7}
img{max-width:100%}.empty{color:#666;font-style:italic}.note{font-size:12px;color:#555}
"""


def _synonyms_html(report: Report) -> str:
    """Candidate lines for knowledge/synonyms.yml, from declined questions that came close."""
    s = report.synonyms
    if not s.indexed:
        return (
            "<p class='empty'>No index was found, so declined questions could not be compared with the "
            "documents and no synonyms are suggested. Build it with: python -m bot index</p>"
        )
    intro = (
        f"<p>{s.close} of {s.declined} declined questions came close to a passage of the documents. "
        "Where such a question used words no document uses, they are paired below with the closest "
        "words of that passage. Check each pair against the document; if staff mean the same thing, "
        "add the line to knowledge/synonyms.yml and refresh the index.</p>"
    )
    if not s.pairs:
        return intro + "<p class='empty'>No synonyms to suggest in this period.</p>"
    return intro + _table(
        ["line to add to synonyms.yml", "declined questions", "for example", "document", "section"],
        [(p.yaml_line, p.questions, p.example, p.source, p.section) for p in s.pairs],
    )


def _cases_html(report: Report) -> str:
    """Open cases by age, those past the limit flagged, and the median time to a first reply."""
    c = report.cases
    median = f"{c.median_first_reply_hours:g} hours" if c.median_first_reply_hours is not None else "no replies yet"
    parts = [
        f"<p>{c.open} open cases; {len(c.overdue)} past {c.overdue_days} working days. Median time from "
        f"“Send to IG” to the IG team's first reply in Teams, for cases received in this period: "
        f"{html.escape(median)} ({c.replied} replied).</p>",
        _table(["age", "open cases"], list(c.by_age.items())),
    ]
    if c.overdue:
        parts.append(f"<p><b>Past {c.overdue_days} working days</b> (oldest first):</p>")
        parts.append(
            _table(
                ["reference", "status", "received", "working days"],
                [(r.reference, r.status, f"{r.received:%d %b %Y}", r.age_days) for r in c.overdue],
            )
        )
    return "".join(parts)


def render_html(report: Report) -> str:
    """One self-contained page: summary tiles, then one section per question the IG team asks."""
    e, f = report.escalations, report.feedback
    period = f"since {report.since:%d %B %Y}" if report.since else "all records still kept"
    tiles = [
        ("questions", report.questions),
        ("answered", report.by_route.get("answer", 0)),
        ("handed to IG", report.by_route.get("escalate", 0)),
        ("declined", report.by_route.get("decline", 0)),
        ("had personal data removed", report.redacted_questions),
        ("likes : dislikes", f.ratio if f.recorded else "n/a"),
    ]
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<title>Governance Assistant – IG report</title>",
        f"<style>{STYLE}</style></head><body>",
        "<h1>Governance Assistant – report for the Information Governance Team</h1>",
        f"<p class='meta'>Questions {html.escape(period)}; generated "
        f"{report.generated_at:%d %B %Y %H:%M} UTC; index {html.escape(report.index_build or 'unknown')}. "
        "Questions are shown as stored: with personal data already removed.</p>",
        "<div class='tiles'>" + "".join(_tile(k, v) for k, v in tiles) + "</div>",
    ]
    if report.questions:
        routes = list(report.by_route.items())
        chart = _bar_png([k for k, _ in routes], [v for _, v in routes], "Questions by route", False)
        parts.append(_img(chart, "routes"))

    # Declined questions, grouped
    if report.declined:
        top = report.declined[:TOP]
        body = _img(_bar_png([g.label for g in top], [g.count for g in top], "Declined questions by group"), "declined")
        body += _table(
            ["#", "questions", "typical question", "all questions in the group"],
            [(i, g.count, g.label, " | ".join(g.questions)) for i, g in enumerate(report.declined, 1)],
        )
    else:
        body = EMPTY
    parts.append(_section("Questions the bot declined (not in the documents), grouped by similarity", body))

    parts.append(_section("Suggested synonyms", _synonyms_html(report)))

    # Topics
    if report.topics:
        top = report.topics[:TOP]
        body = _img(_bar_png([t.section for t in top], [t.questions for t in top], "Most-asked topics"), "topics")
        body += _table(["document", "section", "questions"], [(t.source, t.section, t.questions) for t in top])
    else:
        body = EMPTY
    parts.append(_section("Most-asked topics (by the section cited in the answer)", body))

    # Escalations
    if not e.recorded:
        body = "<p class='empty'>Escalations are not recorded in this database.</p>"
    elif not e.total:
        body = EMPTY
    else:
        statuses = list(e.by_status.items())
        body = _img(_bar_png([s for s, _ in statuses], [n for _, n in statuses], "Escalations by status", False), "esc")
        body += _table(["status", "escalations"], statuses)
        if e.delivery_minutes:
            body += (
                f"<p>Delivered {len(e.delivery_minutes)}: median {e.median_minutes:g} minutes from "
                f"“Send to IG” to the mail server accepting it; longest {e.max_minutes:g} minutes.</p>"
            )
    parts.append(_section("Escalations to the IG team", body))

    parts.append(_section("IG cases", _cases_html(report)))

    # Feedback
    if not f.recorded:
        body = "<p class='empty'>Feedback is not recorded in this database.</p>"
    elif not (f.likes or f.dislikes):
        body = EMPTY
    else:
        share = f" ({f.like_share:.0%} liked)" if f.like_share is not None else ""
        body = _img(_bar_png(["like", "dislike"], [f.likes, f.dislikes], "Feedback on answers", False), "feedback")
        body += f"<p>{f.likes} likes, {f.dislikes} dislikes: a ratio of {html.escape(f.ratio)}{html.escape(share)}.</p>"
    parts.append(_section("Feedback", body))

    # Documents
    if report.documents:
        top = report.documents[:TOP]
        body = _img(_bar_png([d.source for d in top], [d.questions for d in top], "Documents cited most"), "documents")
        body += _table(["document", "questions citing it"], [(d.source, d.questions) for d in top])
    else:
        body = EMPTY
    never = (
        "<p>Never cited in this period ({}): {}</p>".format(
            len(report.never_cited), html.escape(", ".join(report.never_cited))
        )
        if report.never_cited
        else "<p>Every document in the index was cited at least once.</p>"
    )
    parts.append(_section("Documents cited most, and never", body + never))
    parts.append(
        "<p class='note'>Records older than the retention periods are deleted daily, so a report "
        "can only cover what is still kept.</p></body></html>"
    )
    return "\n".join(parts)
