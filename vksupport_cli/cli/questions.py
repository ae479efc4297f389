""" "My questions": ask, list, show, edit, comment, delete, rate, close, wait."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer

from .. import drafts
from ..desk.models import ADS_CATEGORY, AskResult, Comment, Question, SearchHit
from ..drafts import Draft
from ..errors import IdempotencyMismatch, NotEditable, NotFound
from ..i18n import _, ngettext
from . import compose
from .context import Aborted, Context, UsageError, WaitTimedOut
from .helpcentre import JsonOption, show_article
from .render import (
    ago,
    answer_due,
    emit,
    escape,
    local_time,
    print_long,
    since,
    span,
    status_word,
    styled_status,
)

QuestionId = Annotated[
    int,
    typer.Argument(
        help=_("The question's number, as `vksupport list` shows it."),
        min=1,
        max=2**63 - 1,
        show_default=False,
    ),
]
BodyOption = Annotated[str | None, typer.Option("--body", "-b", help=_("The text itself."))]
BodyFileOption = Annotated[
    str | None,
    typer.Option("--body-file", "-F", help=_("Read the text from a UTF-8 file, or '-' for standard input.")),
]
LIST_STATUSES = ("all", "open", "waiting", "in_progress", "answered", "closed")


# -- ask --------------------------------------------------------------------


@dataclass
class AskOptions:
    topic: str | None = None
    title: str | None = None
    body: str | None = None
    body_file: str | None = None
    link: str | None = None
    attach: list[str] = field(default_factory=list)
    ads: bool = False
    yes: bool = False
    resume: str | None = None  # a draft id, or "latest"
    suggestions: list[SearchHit] = field(default_factory=list)  # the help flow's articles, offered as topics


ResumeOption = Annotated[
    str | None,
    typer.Option(
        "--resume",
        help=_("Resend a saved draft without prompts: give its id, or 'latest'."),
        show_default=False,
    ),
]


def ask(
    tctx: typer.Context,
    topic: Annotated[
        str | None,
        typer.Option(
            "--topic",
            "-t",
            help=_("An article slug that lets you ask, or a category (see `vksupport topics`)."),
        ),
    ] = None,
    title: Annotated[
        str | None, typer.Option("--title", "-s", help=_("A short summary of the problem."))
    ] = None,
    body: BodyOption = None,
    body_file: BodyFileOption = None,
    link: Annotated[
        str | None,
        typer.Option("--link", help=_("Link to the page concerned, e.g. a friend's blocked page.")),
    ] = None,
    attach: Annotated[
        list[str] | None,
        typer.Option(
            "--attach", "-a", help=_("Attach a file (PNG, JPEG, GIF, WebP, PDF, .txt/.log); repeatable.")
        ),
    ] = None,
    ads: Annotated[bool, typer.Option("--ads", help=_("An advertiser's question (answered first)."))] = False,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help=_("Send without asking for confirmation."))
    ] = False,
    resume: ResumeOption = None,
    as_json: JsonOption = False,
) -> None:
    ctx: Context = tctx.obj
    options = AskOptions(topic, title, body, body_file, link, attach or [], ads, yes, resume)
    result = run_ask(ctx, options)
    if result is None:
        return
    if result.repeats is not None:
        ctx.note(
            _(
                "Note: this repeats your earlier question #{id}; see its answer with: vksupport show {id}"
            ).format(id=result.repeats)
        )
    emit(ctx, result, as_json, _show_asked)


def run_ask(ctx: Context, options: AskOptions) -> AskResult | None:
    """Compose the question into a draft (flags, prompts, editor), then send it."""
    draft = _open_draft(ctx, "ask", options.resume)
    fields = draft.fields
    body = compose.body_from(ctx, options.body, options.body_file)
    for name, value in (
        ("topic", options.topic),
        ("title", options.title),
        ("body", body),
        ("link", options.link),
    ):
        if value is not None:
            fields[name] = value
    if options.ads:
        fields["kind"] = "ads"
    if options.attach:
        fields["attachments"] = [str(Path(path).expanduser().absolute()) for path in options.attach]
    attachments = [compose.read_attachment(path) for path in fields.get("attachments", [])]

    with keeping(ctx, draft):
        missing = [f"--{name}" for name in ("topic", "title", "body") if not fields.get(name)]
        if missing:
            if options.resume is not None:
                raise UsageError(
                    _("Draft {id} lacks {options}; pass them as options.").format(
                        id=draft.id, options=", ".join(missing)
                    )
                )
            compose.require_terminal(ctx, ", ".join(missing))
            if not draft.has_text and not _help_flow(ctx, draft, options):
                return None
            _ask_for_missing(ctx, draft, options)
        if (
            ctx.interactive
            and not options.yes
            and options.resume is None
            and not compose.confirm(ctx, _("Send this question to support?"), default=True)
        ):
            raise Aborted(_("Not sent."))
        return ctx.client.ask(
            topic=fields["topic"],
            title=fields["title"],
            body=fields["body"],
            link=fields.get("link") or None,
            kind=fields.get("kind", "standard"),
            attachments=attachments,
            idempotency_key=draft.idempotency_key,
        )


def _ask_for_missing(ctx: Context, draft: Draft, options: AskOptions) -> None:
    """Prompt for each missing field, saving the draft after every answer."""
    fields = draft.fields
    if not fields.get("topic"):
        fields["topic"] = _choose_topic(ctx, options)
        draft.save()
    if not fields.get("title"):
        fields["title"] = compose.prompt(ctx, _("Summary (one line)"), default=fields.get("problem"))
        draft.save()
    if not fields.get("body"):
        typed = compose.prompt(
            ctx, _("Describe the problem (leave empty to open your editor)"), required=False
        )
        fields["body"] = typed or compose.edit(ctx, draft, "body", "")
        draft.save()
    if "link" not in fields:
        fields["link"] = (
            compose.prompt(ctx, _("Link to the page concerned (optional)"), required=False) or None
        )
        draft.save()


def _open_draft(ctx: Context, kind: str, resume: str | None, question_id: int | None = None) -> Draft:
    """The draft to work on: the one asked for, one the person chooses to resume, or a new one."""
    server = ctx.server
    if resume is not None:
        found = drafts.latest(kind, server, question_id) if resume == "latest" else drafts.get(resume)
        if found is None:
            raise NotFound(_("There is no draft to resume here; see them with: vksupport drafts list"))
        if found.kind != kind or (question_id is not None and found.question_id != question_id):
            from .drafts import resend_command

            raise UsageError(
                _("Draft {id} belongs to another command: {command}").format(
                    id=found.id, command=resend_command(found)
                )
            )
        return found
    if ctx.interactive:
        earlier = drafts.latest(kind, server, question_id)
        if earlier is not None and compose.confirm(
            ctx,
            _("You have an unsent text from {when}: “{text}”. Resume it?").format(
                when=ago(earlier.updated_at), text=earlier.summary()
            ),
            default=True,
        ):
            return earlier
    return Draft(kind=kind, server=server, question_id=question_id)


@contextmanager
def keeping(ctx: Context, draft: Draft) -> Iterator[Draft]:
    """Save the draft before sending; discard it once the desk confirmed; keep it on any failure."""
    draft.save()
    try:
        yield draft
    except BaseException as error:
        if draft.has_text:
            from .drafts import resend_command

            question = error.details.get("question_id") if isinstance(error, IdempotencyMismatch) else None
            if isinstance(error, IdempotencyMismatch):
                # The draft's key already made another request (an earlier send of other text,
                # or to another question): what the draft holds now is a new request.
                draft.idempotency_key = drafts.new_key()
            if isinstance(question, int):
                draft.save(error=error.__class__.__name__)
                ctx.note(
                    _(
                        "Your text is kept as draft {id}. Check question #{question} first (vksupport show "
                        "{question}); to send this text as a new request: {command}; if it is not needed: "
                        "vksupport drafts discard {id}"
                    ).format(id=draft.id, question=question, command=resend_command(draft))
                )
                raise
            draft.save(error=error.__class__.__name__)
            ctx.note(
                _("Your text is kept as draft {id}; send it again with: {command}").format(
                    id=draft.id, command=resend_command(draft)
                )
            )
        else:
            draft.discard()
        raise
    draft.discard()


def _help_flow(ctx: Context, draft: Draft, options: AskOptions) -> bool:
    """Show articles that may answer the problem; False when one of them solved it."""
    problem = compose.prompt(ctx, _("In a few words, what happened?"))
    draft.fields["problem"] = problem
    draft.save()
    hits = ctx.client.search_help(problem, limit=5)
    options.suggestions = hits
    if not hits:
        return True
    ctx.console.print("\n" + _("These articles may already answer it:"))
    for number, hit in enumerate(hits, start=1):
        ctx.console.print(f"  {number}. {escape(hit.title)} [dim]({hit.slug})[/]")
    while True:
        choice = compose.prompt(
            ctx, _("Open an article by number, or press Enter to write to support"), required=False
        )
        if not choice:
            return True
        if not (choice.isascii() and choice.isdigit() and 1 <= int(choice) <= len(hits)):
            ctx.note(_("Type a number from 1 to {count}, or press Enter.").format(count=len(hits)))
            continue
        show_article(ctx, ctx.client.article(hits[int(choice) - 1].slug))
        if compose.confirm(ctx, _("Did this article solve your problem?"), default=False):
            ctx.note(_("Glad it helped. Nothing was sent to support."))
            return False


def _choose_topic(ctx: Context, options: AskOptions) -> str:
    topics = ctx.client.topics()
    suggested = [hit.slug for hit in options.suggestions if hit.can_ask]
    by_slug = {topic.slug: topic for topic in topics}
    ordered = [by_slug[slug] for slug in suggested if slug in by_slug]
    ordered += [topic for topic in topics if topic.kind == "category"]
    if options.ads:  # an advertiser's question is only about advertising: offer nothing else
        suggested_ads = [
            topic for topic in ordered if topic.kind == "article" and topic.category == ADS_CATEGORY
        ]
        ordered = suggested_ads + [
            topic for topic in topics if topic.category == ADS_CATEGORY and topic not in suggested_ads
        ]
    ctx.console.print("\n" + _("What is the question about?"))
    for number, topic in enumerate(ordered, start=1):
        ctx.console.print(f"  {number}. {escape(topic.title)} [dim]({topic.slug})[/]")
    while True:
        choice = compose.prompt(ctx, _("Topic number or slug"))
        if choice.isascii() and choice.isdigit() and 1 <= int(choice) <= len(ordered):
            return ordered[int(choice) - 1].slug
        if choice in by_slug:
            return choice
        ctx.note(
            _("Type a number from 1 to {count}, or a topic slug from `vksupport topics`.").format(
                count=len(ordered)
            )
        )


def _show_asked(ctx: Context, result: AskResult) -> None:
    question = result.question
    ctx.console.print(
        "[green]"
        + _("Question #{id} is in the queue.").format(id=question.id)
        + "[/] "
        + _("Support usually answers within 24 hours.")
    )
    ctx.console.print(
        _("Follow it with: vksupport show {id}   or wait for the answer: vksupport wait {id}").format(
            id=question.id
        )
    )


# -- list -------------------------------------------------------------------


def list_questions(
    tctx: typer.Context,
    status: Annotated[
        str,
        typer.Option(
            "--status", help=_("Which questions: {choices}.").format(choices=", ".join(LIST_STATUSES))
        ),
    ] = "all",
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=1, max=1000, help=_("At most this many, newest first."))
    ] = 20,
    as_json: JsonOption = False,
) -> None:
    ctx: Context = tctx.obj
    if status not in LIST_STATUSES:
        raise UsageError(_("--status must be one of {choices}.").format(choices=", ".join(LIST_STATUSES)))
    page = ctx.client.list_questions(status=status, limit=limit)
    summaries = [_summary(q) for q in page.questions]
    emit(ctx, summaries, as_json, _show_list)


def _summary(question: Question) -> dict[str, Any]:
    data = question.to_dict()
    del data["comments"], data["attachments"]
    return data


def _show_list(ctx: Context, questions: list[dict[str, Any]]) -> None:
    if not questions:
        ctx.note(_("You have no questions here. Ask one with: vksupport ask"))
        return
    from rich.table import Table

    table = Table(box=None, pad_edge=False, header_style="bold")
    headers = (_("ID"), _("Status"), _("Topic"), _("Summary"), _("Asked"), _("Waiting"))
    for number, name in enumerate(headers):
        table.add_column(
            name, justify="right" if number == 0 else "left", overflow="ellipsis", no_wrap=number != 3
        )
    for q in questions:
        waiting = since(q["queued_at"]) if q["status"] in ("waiting", "in_progress") else "—"
        table.add_row(
            str(q["id"]),
            styled_status(q["status"]),
            q["topic"],
            escape(q["title"]),
            ago(q["created_at"]),
            waiting,
        )
    ctx.console.print(table)


# -- show -------------------------------------------------------------------


def show(tctx: typer.Context, question_id: QuestionId, as_json: JsonOption = False) -> None:
    ctx: Context = tctx.obj
    emit(ctx, ctx.client.get_question(question_id), as_json, show_question)


def show_question(ctx: Context, q: Question) -> None:
    lines: list[str] = [f"[bold]#{q.id} {escape(q.title)}[/]"]
    facts = [styled_status(q.status), _("topic {topic}").format(topic=q.topic)]
    if q.kind == "ads":
        facts.append(_("advertiser"))
    lines.append(" · ".join(facts))
    lines.append(
        "[dim]"
        + _("asked {time} ({ago})").format(time=local_time(q.created_at), ago=ago(q.created_at))
        + "[/]"
    )
    if q.is_open:
        lines.append(
            "[dim]"
            + _("waiting for {duration}; {due}").format(
                duration=since(q.queued_at), due=answer_due(q.expected_answer_by)
            )
            + "[/]"
        )
    if q.taken_at:
        taken = _("taken {time} by {agent}") if q.agent else _("taken {time}")
        lines.append("[dim]" + taken.format(time=local_time(q.taken_at), agent=escape(q.agent or "")) + "[/]")
    if q.answered_at:
        lines.append("[dim]" + _("answered {time}").format(time=local_time(q.answered_at)) + "[/]")
    lines += ["", escape(q.body)]
    if q.link:
        lines.append("\n" + _("Page concerned: {link}").format(link=escape(q.link)))
    if q.attachments:
        lines.append("\n" + _("Attachments:"))
        lines += [
            "  "
            + ngettext(
                "{id}. {name} ({type}, {size} byte)", "{id}. {name} ({type}, {size} bytes)", a.size
            ).format(id=a.id, name=escape(a.filename), type=a.content_type, size=a.size)
            for a in q.attachments
        ]
    for comment in q.comments:
        if comment.role == "agent":
            heading = _("Support answered") if comment.kind == "answer" else _("Support commented")
        else:
            heading = _("You wrote")
        style = "green" if comment.kind == "answer" else "cyan"
        lines += ["", f"[{style}]── {heading}, {local_time(comment.created_at)}[/]", escape(comment.body)]
    if q.rating:
        verdict = (
            _("You rated the answer as good") if q.rating == "good" else _("You rated the answer as bad")
        )
        lines += ["", verdict + (f": {escape(q.rating_comment)}" if q.rating_comment else ".")]
    elif q.status == "answered":
        lines += [
            "",
            "[dim]"
            + _(
                "Rate the answer with: vksupport rate {id} good|bad, or follow up with: vksupport comment {id}"
            ).format(id=q.id)
            + "[/]",
        ]
    print_long(ctx, lines)


# -- edit, comment, delete, rate, close -----------------------------------


def edit(
    tctx: typer.Context,
    question_id: QuestionId,
    title: Annotated[str | None, typer.Option("--title", "-s", help=_("A new summary."))] = None,
    body: BodyOption = None,
    body_file: BodyFileOption = None,
    link: Annotated[str | None, typer.Option("--link", help=_("A new link to the page concerned."))] = None,
    no_link: Annotated[bool, typer.Option("--no-link", help=_("Remove the link."))] = False,
    resume: ResumeOption = None,
    as_json: JsonOption = False,
) -> None:
    ctx: Context = tctx.obj
    if link is not None and no_link:
        raise UsageError(_("Give either --link or --no-link, not both."))
    body = compose.body_from(ctx, body, body_file)
    given = {"title": title, "body": body, "link": link, "clear_link": no_link or None}
    if resume is None and not any(given.values()):
        compose.require_terminal(ctx, "--title, --body or --link")
    draft = _open_draft(ctx, "edit", resume, question_id)
    draft.fields.update({name: value for name, value in given.items() if value is not None})
    with keeping(ctx, draft):
        if not any(draft.fields.get(name) for name in ("title", "body", "link", "clear_link")):
            current = ctx.client.get_question(question_id)
            if not current.editable:  # say so before the person spends time in the editor
                raise NotEditable(
                    _(
                        "Question #{id} can no longer be edited: an agent has taken it. Add a comment instead."
                    ).format(id=question_id)
                )
            message = compose.edit(ctx, draft, "message", f"{current.title}\n\n{current.body}\n")
            draft.fields["title"], draft.fields["body"] = _split_message(message)
            draft.save()
        fields = draft.fields
        updated = ctx.client.edit_question(
            question_id,
            title=fields.get("title"),
            body=fields.get("body"),
            link=fields.get("link"),
            clear_link=bool(fields.get("clear_link")),
        )
    emit(ctx, updated, as_json, lambda c, q: c.console.print(_("Question #{id} is updated.").format(id=q.id)))


def _split_message(text: str) -> tuple[str, str]:
    """First line: the summary; the rest: the description (git's commit-message shape)."""
    title, _newline, body = text.partition("\n")
    if not body.strip():
        raise UsageError(_("Write a summary on the first line and the description below it."))
    return title.strip(), body.strip()


def comment(
    tctx: typer.Context,
    question_id: QuestionId,
    body: BodyOption = None,
    body_file: BodyFileOption = None,
    resume: ResumeOption = None,
    as_json: JsonOption = False,
) -> None:
    ctx: Context = tctx.obj
    text = compose.body_from(ctx, body, body_file)
    if text is None and resume is None:
        compose.require_terminal(ctx, "--body")
    draft = _open_draft(ctx, "comment", resume, question_id)
    if text is not None:
        draft.fields["body"] = text
    with keeping(ctx, draft):
        if not draft.fields.get("body"):
            compose.edit(ctx, draft, "body", "")
        added = ctx.client.comment(question_id, draft.fields["body"], idempotency_key=draft.idempotency_key)
    emit(ctx, added, as_json, _show_commented)


def _show_commented(ctx: Context, added: Comment) -> None:
    question = ctx.client.get_question(added.question_id)
    if question.status == "waiting" and not question.unprocessed and question.answered_at:
        ctx.console.print(_("Your follow-up put question #{id} back in the queue.").format(id=question.id))
    else:
        ctx.console.print(_("Comment added to question #{id}.").format(id=question.id))


def delete(
    tctx: typer.Context,
    question_id: QuestionId,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help=_("Delete without asking for confirmation."))
    ] = False,
) -> None:
    ctx: Context = tctx.obj
    if not yes:
        compose.require_terminal(ctx, "--yes")
        question = ctx.client.get_question(question_id)
        if not compose.confirm(
            ctx, _("Delete question #{id} “{title}” for good?").format(id=question.id, title=question.title)
        ):
            raise Aborted(_("Nothing was deleted."))
    ctx.client.delete_question(question_id)
    ctx.console.print(_("Question #{id} is deleted.").format(id=question_id))


def rate(
    tctx: typer.Context,
    question_id: QuestionId,
    rating: Annotated[str, typer.Argument(help=_("good or bad."), metavar="good|bad", show_default=False)],
    comment_text: Annotated[
        str | None, typer.Option("--comment", "-m", help=_("Praise, or a complaint about the agent."))
    ] = None,
    as_json: JsonOption = False,
) -> None:
    ctx: Context = tctx.obj
    if rating not in ("good", "bad"):
        raise UsageError(_("Rate the answer as good or bad."))
    rated = ctx.client.rate(question_id, rating, comment_text)
    emit(
        ctx,
        rated,
        as_json,
        lambda c, q: c.console.print(_("Thank you! Question #{id} is rated and closed.").format(id=q.id)),
    )


def close(tctx: typer.Context, question_id: QuestionId, as_json: JsonOption = False) -> None:
    ctx: Context = tctx.obj
    closed = ctx.client.close_question(question_id)
    emit(ctx, closed, as_json, lambda c, q: c.console.print(_("Question #{id} is closed.").format(id=q.id)))


# -- wait -------------------------------------------------------------------


def wait(
    tctx: typer.Context,
    question_id: QuestionId,
    timeout: Annotated[
        float | None,
        typer.Option(
            "--timeout",
            help=_("Give up after this many seconds (exit 7). Default: wait as long as it takes."),
            min=0,
        ),
    ] = None,
    interval: Annotated[
        float, typer.Option("--interval", help=_("Seconds between checks."), min=0.1, max=3600)
    ] = 10.0,
    as_json: JsonOption = False,
) -> None:
    ctx: Context = tctx.obj
    if ctx.stdout_is_terminal and not as_json:
        with ctx.err_console.status(_("Waiting for an answer to #{id}…").format(id=question_id)) as live:

            def report(q: Question) -> None:
                live.update(
                    _("#{id}: {status} for {duration}; {due}").format(
                        id=q.id,
                        status=status_word(q.status),
                        duration=since(q.queued_at),
                        due=answer_due(q.expected_answer_by),
                    )
                )

            question = wait_for_answer(ctx, question_id, timeout, interval, report)
    else:
        question = wait_for_answer(ctx, question_id, timeout, interval)
    emit(ctx, question, as_json, show_question)


def wait_for_answer(
    ctx: Context,
    question_id: int,
    timeout: float | None,
    interval: float,
    report: Callable[[Question], None] | None = None,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Question:
    """Poll until the question has an answer; one last look at the deadline, then give up."""
    deadline = None if timeout is None else clock() + timeout
    while True:
        question = ctx.client.get_question(question_id)
        if question.answered_at and question.status in ("answered", "closed"):
            return question
        if question.status == "closed":
            raise UsageError(
                _("Question #{id} was closed without an answer; there is nothing to wait for.").format(
                    id=question_id
                )
            )
        if report is not None:
            report(question)
        now = clock()
        if deadline is not None and timeout is not None and now >= deadline:
            raise WaitTimedOut(
                _(
                    "Question #{id} is still {status} after {duration}; run `vksupport wait {id}` again later."
                ).format(id=question_id, status=status_word(question.status), duration=span(timeout))
            )
        sleep(interval if deadline is None else min(interval, deadline - now))
