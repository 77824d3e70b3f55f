"""Command-line adapter: build the index, ask questions, evaluate, and the IG team's commands.

Every command is attached to the `main` group at the bottom of this file, from an explicit list."""

from __future__ import annotations

import json
import logging
import sys
from dataclasses import replace
from pathlib import Path

import click

from bot.cli_ig import purge_cmd, report_cmd
from bot.config import Settings
from bot.core import pii_presidio
from bot.package import package_cmd


def _settings() -> Settings:
    settings = Settings()
    pii_presidio.configure(enabled=settings.privacy_ner)  # the core reads no configuration itself
    return settings


class _DatabaseProblem(click.ClickException):
    exit_code = 2  # as app.py: the same one line for the same bad DATABASE_URL


class _Main(click.Group):
    """Commands that open the database (outbox, purge, report) fail with one line, not a traceback."""

    def invoke(self, ctx: click.Context):  # type: ignore[no-untyped-def]
        from bot.store.db import DatabaseError

        try:
            return super().invoke(ctx)
        except DatabaseError as exc:
            raise _DatabaseProblem(f"database error: {exc}") from None


@click.group(cls=_Main)
@click.option("--log-level", default="WARNING", show_default=True, help="Logging level for stderr.")
def main(log_level: str) -> None:
    """Lancashire County Council governance assistant."""
    logging.basicConfig(level=log_level.upper(), stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    # The level is also the handler's: bm25s sets its own logger to DEBUG when imported.
    for handler in logging.getLogger().handlers:
        handler.setLevel(log_level.upper())


@main.command("index")
@click.option(
    "--knowledge",
    "knowledge",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Folder of source documents [default: knowledge/].",
)
@click.option(
    "--index",
    "index",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Folder for the built index [default: index/].",
)
def index_cmd(knowledge: Path | None, index: Path | None) -> None:
    """Build or refresh the index; only new or changed passages are embedded."""
    from tqdm import tqdm

    from bot.compose import make_embedder
    from bot.core.index_store import build_index
    from bot.reload import build_lock

    settings = _settings()
    knowledge = knowledge or settings.knowledge_dir
    index = index or settings.index_dir
    if not knowledge.is_dir():
        raise click.ClickException(f"knowledge folder not found: {knowledge}")

    def load_model():  # only called when something needs embedding
        click.echo("loading the embedding model…", err=True)
        return make_embedder()

    with tqdm(desc="embedding", unit="chunk", file=sys.stderr, disable=not sys.stderr.isatty()) as bar:

        def planned(n: int) -> None:
            click.echo(f"embedding {n} new or changed passages", err=True)
            bar.reset(total=n)

        with build_lock(index):  # not while a replica's Teams `refresh` builds into the same folder
            report = build_index(
                knowledge, index, load_model, progress=bar.update, planned=planned, hnsw_above=settings.hnsw_above
            )
    for source, reason in report.failed.items():
        click.echo(f"failed: {source}: {reason}", err=True)
    click.echo(report.summary(), err=True)


@main.command("ask")
@click.argument("question", required=False)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per question on stdout.")
@click.option(
    "--index",
    "index",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Folder of the built index [default: index/].",
)
def ask_cmd(question: str | None, as_json: bool, index: Path | None) -> None:
    """Answer QUESTION, or one question per stdin line. Never sends an escalation."""
    from bot.compose import make_assistant
    from bot.core.index_store import IndexMissing

    settings = _settings()
    if index is not None:
        settings.index_dir = index
    try:
        assistant = make_assistant(settings, build_if_missing=False)
    except IndexMissing as exc:
        raise click.ClickException(str(exc)) from exc
    if question is not None:
        _emit(_with_small_talk([question], assistant.answer_many)[0], as_json)
        return
    batch: list[str] = []
    for line in sys.stdin:
        batch.append(line.rstrip("\n"))
        if len(batch) == 32:
            for answer in _with_small_talk(batch, assistant.answer_many):
                _emit(answer, as_json)
            batch.clear()
    for answer in _with_small_talk(batch, assistant.answer_many):
        _emit(answer, as_json)


def _with_small_talk(questions: list[str], answer_many):  # type: ignore[no-untyped-def]
    """Small talk gets its friendly reply, as in Teams (bot/core/small_talk.py). The contract has
    three routes; its route is decline: nothing was answered from the documents, no citations,
    which is how the eval sets label "thanks, that's all"."""
    from bot.core.records import Answer, Route
    from bot.core.small_talk import reply_to

    talk = [reply_to(q) for q in questions]
    rest = iter(answer_many([q for q, t in zip(questions, talk) if t is None]) if None in talk else [])
    return [Answer(Route.DECLINE, t.text) if t else next(rest) for t in talk]


# The decision's tuning labels: eval cases against the evaluation corpus, and the scope questions
# written against knowledge/ alone. Every held-out set reported once is tuning data since (their
# wording is furthest from the documents', which the decision most needs to learn). The newest
# blind sets, bulletin_blind and heldout_v6, are never among them.
LABEL_SETS = (
    ("tests/eval_cases/tuning.jsonl", "tests/eval_corpus"),
    ("tests/eval_cases/heldout.jsonl", "tests/eval_corpus"),
    ("tests/eval_cases/heldout_v2.jsonl", "tests/eval_corpus"),
    ("tests/eval_cases/heldout_v3.jsonl", "tests/eval_corpus"),
    ("tests/eval_cases/heldout_v4.jsonl", "tests/eval_corpus"),
    ("tests/eval_cases/heldout_v5.jsonl", "tests/eval_corpus"),
    ("tests/data/scope_questions.jsonl", None),
)


@main.command("calibrate")
@click.option(
    "--labels",
    "label_sets",
    multiple=True,
    metavar="CASES[:DOCS]",
    help="A label file, and the extra documents (beside knowledge/) it was written against. "
    "Repeatable; defaults to the project's tuning sets.",
)
@click.option("--write/--no-write", default=False, help="Save the fitted weights as bot/core/decision_model.json.")
def calibrate_cmd(label_sets: tuple[str, ...], write: bool) -> None:
    """Refit the answer/decline decision and print cross-validated figures (writes only with --write).

    Each label set is measured on knowledge bases of several sizes cut from the documents it was
    written against (bot.core.calibrate.knowledge_bases): a question is answerable by one only if
    it holds the question's document. The fit weighs every size the same."""
    from importlib import resources

    from bot.compose import make_embedder
    from bot.core.assistant import Assistant
    from bot.core.calibrate import (
        Row,
        answerable_here,
        fit,
        held_out,
        knowledge_bases,
        labels_from_rows,
        summary,
        weights_table,
    )
    from bot.core.decide import DecisionModel
    from bot.core.evaluate import throwaway_index
    from bot.core.index_store import restricted

    logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)
    sets = [tuple(s.split(":", 1)) if ":" in s else (s, None) for s in label_sets] or list(LABEL_SETS)
    knowledge = _settings().knowledge_dir
    embedder = make_embedder()
    rows: list[Row] = []
    names = []
    for docs in dict.fromkeys(d for _, d in sets):  # one index per corpus, in the order given
        full = throwaway_index(knowledge, Path(docs) if docs else None, embedder)
        folders = [knowledge] + ([Path(docs)] if docs else [])
        assistant = Assistant(full, embedder, knowledge=folders, decision=DecisionModel.unfitted())
        sources = sorted({c.source for c in full.chunks})
        shipped = frozenset(s for s in sources if (knowledge / s).is_file())
        members = []
        for cases, d in sets:
            if d == docs:
                path = Path(cases)
                lines = path.read_text(encoding="utf-8").splitlines()
                members.append((path.name, labels_from_rows([json.loads(x) for x in lines if x.strip()], path.name)))
                names.append(f"{path.name} n={len(members[-1][1])}")
        sized = docs is not None and any(lab.doc for _, labelled in members for lab in labelled)
        for kb in knowledge_bases(sources, shipped) if sized else knowledge_bases(sources, frozenset(sources))[-1:]:
            snapshot = full if len(kb.sources) == len(sources) else restricted(full, kb.sources)
            size = kb.size if docs is not None else "shipped"
            for name, labelled in members:
                # labels without a document hold only for the documents they were written for
                usable = labelled if len(kb.sources) == len(sources) else [lab for lab in labelled if lab.doc]
                if not usable:
                    continue
                features = assistant.features_many([lab.question for lab in usable], snapshot)
                rows += [Row(f, answerable_here(lab, kb), name, size) for f, lab in zip(features, usable)]
    model = fit([r.features for r in rows], [r.answerable for r in rows], "; ".join(names), [r.size for r in rows])
    click.echo(f"fitted on {len(rows)} labels ({sum(r.answerable for r in rows)} answerable): {model.fitted_on}")
    click.echo("cross-validated: " + json.dumps(model.cv))
    if len({r.label_set for r in rows}) > 1:
        said = held_out(rows)
        sizes = summary(rows, said, "size")
        sets_ = {name: s["accuracy"] for name, s in summary(rows, said, "label_set").items()}
        click.echo("accuracy on each set, fitted on the others: " + json.dumps(sets_))
        click.echo("on each knowledge-base size, fitted without the question's set: " + json.dumps(sizes))
        model = replace(model, cv={**(model.cv or {}), "by_knowledge_base_size": sizes})
    click.echo("standardised weights:\n" + weights_table(model))
    if write:
        target = Path(str(resources.files("bot.core").joinpath("decision_model.json")))
        target.write_text(json.dumps(model.to_dict(), indent=2) + "\n")
        click.echo(f"wrote {target}")
    else:
        click.echo("not written (use --write to replace the committed weights)")


@main.command("eval")
@click.argument("cases", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option(
    "--knowledge",
    "extra",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    default=None,
    help="Extra documents indexed beside knowledge/ for this evaluation only (README files skipped).",
)
@click.option("--failures/--no-failures", default=False, help="Also list every failing case, per mode.")
def eval_cmd(cases: Path, extra: Path | None, failures: bool) -> None:
    """Score CASES (JSONL) with hybrid, dense-only and keyword-only retrieval; print one table."""
    from bot.compose import make_embedder
    from bot.core.evaluate import evaluate, table, throwaway_index

    rows = []
    for n, line in enumerate(cases.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except ValueError as exc:
                raise click.ClickException(f"{cases.name} line {n} is not JSON: {exc}") from exc
    embedder = make_embedder()
    snapshot = throwaway_index(_settings().knowledge_dir, extra, embedder)
    folders = [_settings().knowledge_dir] + ([extra] if extra else [])
    scores = evaluate(snapshot, embedder, rows, knowledge=folders)
    click.echo(table(scores))
    if failures:
        for s in scores:
            for f in s.failures:
                click.echo(f"{s.label or s.mode.value}: {f}")


def _emit(answer, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(answer.to_dict(), ensure_ascii=False))
        sys.stdout.flush()
        return
    click.echo(f"[{answer.route.value}] {answer.text}")
    for c in answer.citations:
        click.echo(f"  [{c.position}] {c.title} ({c.source})")
        click.echo(f"      “{c.quote}”")
    click.echo()


@main.command("train-router")
@click.option(
    "--cases",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    default=Path("tests/data/router_questions.jsonl"),
    show_default=True,
)
@click.option(
    "--write/--no-write",
    default=False,
    show_default=True,
    help="Overwrite the committed bot/core/router_model.json with the new weights (the fit is not "
    "bit-for-bit repeatable, so only write when the scores justify a change).",
)
def train_router_cmd(cases: Path, write: bool) -> None:
    """Fit the router's classifier on the train split only; report train and held-out scores.

    Nothing is written unless --write is given."""
    from importlib import resources

    from bot.compose import make_embedder
    from bot.core.router_train import evaluate, fit, load_rows

    rows = load_rows(cases)
    train = [r for r in rows if r["split"] == "train"]
    embedder = make_embedder()
    model = fit([r["question"] for r in train], [r["label"] == "escalate" for r in train], embedder)
    model = type(model)(model.coef, model.intercept, model.threshold, f"{cases.name} split=train n={len(train)}")
    report = {"threshold": round(model.threshold, 4)}
    for split in ("train", "heldout"):
        part = [r for r in rows if r["split"] == split]
        score, _ = evaluate(part, embedder, model)
        report[split] = score.as_dict()
    click.echo(json.dumps(report))
    if write:
        target = resources.files("bot.core").joinpath("router_model.json")
        Path(str(target)).write_text(model.to_json() + "\n")


@main.command("outbox")
@click.option("--status", type=click.Choice(["pending", "failed", "delivered"]), default=None, help="Only these.")
@click.option("--retry", "retry_id", type=int, default=None, help="Queue escalation ID for sending again now.")
@click.option("--send", is_flag=True, help="Run the sender here until nothing is pending.")
def outbox_cmd(status: str | None, retry_id: int | None, send: bool) -> None:
    """List escalation emails (pending, failed, delivered), retry one, or send what is due."""
    import asyncio

    from bot.compose import make_sender, make_store

    settings = _settings()
    store = make_store(settings)
    if retry_id is not None:
        if not store.retry(retry_id):
            raise click.ClickException(f"no undelivered escalation with id {retry_id}")
        click.echo(f"escalation {retry_id} queued for sending")
    if send:
        asyncio.run(make_sender(settings, store).run(until_empty=True))
    listed = store.list(status)
    if not listed:
        where = settings.database_url.split("@")[-1]  # no credentials on screen
        click.echo(f"no {status + ' ' if status else ''}escalations in {where}")
    for e in listed:
        when = e.delivered_at or e.next_attempt_at
        label = "delivered" if e.delivered_at else "next attempt"
        error = f"  last error: {e.last_error}" if e.last_error and e.status != "delivered" else ""
        click.echo(
            f"{e.id:>5}  {e.reference}  {e.status:<9}  attempts={e.attempts}  "
            f"{label} {when:%Y-%m-%d %H:%M:%S}  {e.message_id}{error}"
        )


# Commands defined in their own modules (plain modules: no model or SDK loaded on import).
for _command in (package_cmd, purge_cmd, report_cmd):
    main.add_command(_command)
