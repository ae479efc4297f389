""" "My questions": ask, list, show, edit, comment, delete, rate, close, wait."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import click
import typer

from .. import drafts
from ..desk.models import ADS_CATEGORY, AskResult, Attachment, Comment, Question, SearchHit
from ..drafts import Draft
from ..errors import Conflict, IdempotencyMismatch, NotFound
from ..i18n import _, ngettext
from . import complete, compose
from .context import Aborted, Context, Interrupted, UsageError, WaitTimedOut
from .helpcentre import FieldOption, JsonOption, show_article
from .render import (
    LIST_STATUSES,
    ago,
    answer_due,
    emit,
    escape,
    inert,
    local_time,
    print_long,
    question_summaries,
    since,
    span,
    status_word,
    styled_status,
)


class QuestionIdType(click.ParamType):  # type: ignore[type-arg]  # generic only in newer click stubs
    """A question id: a positive number; anything else is refused in one plain sentence."""

    name = "ID"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63:
            return value
        text = str(value).strip()
        if text.isascii() and text.isdigit() and 0 < int(text) < 2**63:
            return int(text)
        self.fail(
            _("A question id is a positive number, as `vksupport list` shows it; {value} is not one.").format(
                value=repr(str(value))
            ),
            param,
            ctx,
        )


QuestionId = Annotated[
    int,
    typer.Argument(
        help=_("The question's number, as `vksupport list` shows it."),
        metavar="ID",
        click_type=QuestionIdType(),
        show_default=False,
        autocompletion=complete.question_ids,
    ),
]
BodyOption = Annotated[str | None, typer.Option("--body", "-b", help=_("The text itself."))]
BodyFileOption = Annotated[
    str | None,
    typer.Option(
        "--body-file",
        "-F",
        help=_("Read the text from a UTF-8 file, or '-' for standard input."),
        metavar="FILE",
    ),
]

AttachOption = Annotated[
    list[str] | None,
    typer.Option(
        "--attach",
        "-a",
        help=_("Attach a file (PNG, JPEG, GIF, WebP, PDF, .txt/.log); repeatable."),
        metavar="FILE",
        show_default=False,
    ),
]
#: The longest one push wait lasts (a desk may grant less): under 2 requests a minute while nothing changes.
PUSH_WINDOW = 50.0


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
            metavar="TOPIC",
            autocompletion=complete.topics,
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
    attach: AttachOption = None,
    ads: Annotated[bool, typer.Option("--ads", help=_("An advertiser's question (answered first)."))] = False,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help=_("Send without asking for confirmation."))
    ] = False,
    resume: ResumeOption = None,
    as_json: JsonOption = False,
    field: FieldOption = None,
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
    emit(ctx, result, as_json, _show_asked, field)


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
    for path in fields.get("attachments", []):
        compose.read_attachment(path)  # a missing file is refused before anything else

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
        attachments = [compose.read_attachment(path) for path in fields.get("attachments", [])]
        if ctx.interactive and not options.yes and options.resume is None:
            _preview(ctx, draft)
            if not compose.confirm(ctx, _("Send this question to support?"), default=True):
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
    """Prompt for each missing field, checking each answer as the desk will, and saving the draft."""
    from ..desk.inputs import BODY_MAX, TITLE_MAX, clean_line, clean_link, clean_text

    fields = draft.fields
    draft.typed = True
    if not fields.get("topic"):
        fields["topic"] = _choose_topic(ctx, options)
        draft.save()
    if not fields.get("title"):
        fields["title"] = _checked_prompt(
            ctx,
            _("Summary (one line)"),
            lambda text: clean_line(text, "summary", TITLE_MAX),
            default=fields.get("problem"),
        )
        draft.save()
    if not fields.get("body"):
        while True:
            typed = compose.prompt(
                ctx, _("Describe the problem (leave empty to open your editor)"), required=False
            )
            text = typed or compose.edit(ctx, draft, "body", fields.get("body") or "")
            problem = _problem(partial(clean_text, text, "description", BODY_MAX))
            fields["body"] = text
            draft.save()
            if problem is None:
                break
            ctx.note(problem)
    if "link" not in fields:
        fields["link"] = (
            _checked_prompt(ctx, _("Link to the page concerned (optional)"), clean_link, required=False)
            or None
        )
        draft.save()
    if "attachments" not in fields:
        fields["attachments"] = _offer_attachments(ctx)
        draft.save()


def _problem(check: Callable[[], object]) -> str | None:
    """The desk's sentence for what is wrong with a value, or None when it would be accepted."""
    from ..errors import BadInput

    try:
        check()
    except BadInput as refused:
        return refused.message
    return None


def _checked_prompt(
    ctx: Context,
    label: str,
    check: Callable[[str], object],
    *,
    default: str | None = None,
    required: bool = True,
) -> str:
    """Ask until the answer passes ``check`` (a desk rule); each refusal is said, then asked again."""
    while True:
        answer = compose.prompt(ctx, label, default=default, required=required)
        if not answer and not required:
            return answer
        problem = _problem(partial(check, answer))
        if problem is None:
            return answer
        ctx.note(problem + " " + _("Try again."))


def _offer_attachments(ctx: Context) -> list[str]:
    """Ask for files to attach, one per prompt, each checked as the desk will; Enter ends."""
    from ..desk.attachments import check_attachment
    from ..desk.inputs import ATTACHMENTS_MAX

    chosen: list[str] = []
    while len(chosen) < ATTACHMENTS_MAX:
        answer = compose.prompt(
            ctx, _("Attach a file (a screenshot, a log; press Enter for none)"), required=False
        )
        if not answer:
            break
        path = str(Path(answer).expanduser().absolute())
        try:
            name, content = compose.read_attachment(path)
        except UsageError as refused:
            ctx.note(str(refused) + " " + _("Try again."))
            continue
        with content.open("rb") as handle:  # checked as the desk will, in chunks
            problem = _problem(partial(check_attachment, name, handle))
        if problem is not None:
            ctx.note(problem + " " + _("Try again."))
            continue
        chosen.append(path)
    return chosen


def _preview(ctx: Context, draft: Draft) -> None:
    """The whole question, as it will be sent, before "Send?"."""
    fields = draft.fields
    lines = [
        "",
        "[bold]" + _("Your question") + "[/]",
        _("Topic: {topic}").format(topic=escape(fields.get("topic") or "")),
        _("Summary: {title}").format(title=escape(fields.get("title") or "")),
    ]
    if fields.get("link"):
        lines.append(_("Page concerned: {link}").format(link=escape(fields["link"])))
    for path in fields.get("attachments") or []:
        lines.append(_("Attachment: {name}").format(name=escape(Path(path).name)))
    lines += ["", escape(fields.get("body") or ""), ""]
    for line in lines:
        ctx.console.print(line)


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
                when=ago(earlier.updated_at), text=inert(earlier.summary(), line=True)
            ),
            default=True,
        ):
            return earlier
    return Draft(kind=kind, server=server, question_id=question_id)


#: Options that carry each field, for "send it again with the fix".
FIX_OPTIONS = {
    "topic": "--topic TOPIC",
    "title": "--title TEXT",
    "body": "--body-file FILE",
    "link": "--link URL",
    "attachments": "--attach FILE",
}


def resendable(error: BaseException) -> bool:
    """Can the very same text succeed if sent again later (the desk or the network was the problem)?

    A refusal of the content (bad input, no such question, a conflict with the question's state, a
    usage mistake) fails again the same way: keeping it as a draft only piles drafts up.
    """
    from ..errors import BadInput, Conflict, NotAllowed

    return not isinstance(error, (BadInput, NotFound, Conflict, NotAllowed, UsageError))


@contextmanager
def keeping(ctx: Context, draft: Draft) -> Iterator[Draft]:
    """Save the draft before sending; discard it once the desk confirmed it.

    On a failure a resend can fix (network, desk down or not accepting, rate limited, Ctrl-C, an
    unknown outcome) the draft stays and the message says how to resend it. On a refusal of the
    content it stays only if the person typed the text (or resumed this draft), with what to change.
    """
    resumed = draft.path.exists()
    draft.save()
    try:
        yield draft
    except BaseException as error:
        retry = resendable(error)
        mismatch = isinstance(error, IdempotencyMismatch)
        # The question went in but an attachment was refused: a resend (by the same key) finds the
        # question and sends only the files it lacks, so the draft is worth keeping.
        partial = (
            draft.kind == "ask"
            and not isinstance(error, Conflict)  # an open question or a replayed key names a question too
            and isinstance(getattr(error, "details", {}).get("question_id"), int)
        )
        if draft.has_text and (retry or mismatch or partial or draft.typed or resumed):
            from .drafts import resend_command

            reason = getattr(error, "details", {}).get("reason")
            name = error.__class__.__name__
            failure = f"{name}:{reason}" if isinstance(reason, str) else name
            question = error.details.get("question_id") if isinstance(error, IdempotencyMismatch) else None
            if isinstance(error, IdempotencyMismatch):
                # The draft's key already made another request (an earlier send of other text,
                # or to another question): what the draft holds now is a new request.
                draft.idempotency_key = drafts.new_key()
            if isinstance(question, int):
                draft.save(error=failure)
                ctx.note(
                    _(
                        "Your text is kept as draft {id}. Check question #{question} first (vksupport show "
                        "{question}); to send this text as a new request: {command}; if it is not needed: "
                        "vksupport drafts discard {id}"
                    ).format(id=draft.id, question=question, command=resend_command(draft))
                )
                raise
            draft.save(error=failure)
            command = resend_command(draft)
            if isinstance(error, Aborted):  # the person said no: nothing was sent, so nothing is sent "again"
                ctx.note(
                    _("Your text is kept as draft {id}; send it with: {command}").format(
                        id=draft.id, command=command
                    )
                )
            elif retry or mismatch:
                ctx.note(
                    _("Your text is kept as draft {id}; send it again with: {command}").format(
                        id=draft.id, command=command
                    )
                )
            else:
                field_name = getattr(error, "details", {}).get("field")
                fix = FIX_OPTIONS.get(field_name or "", "") if draft.kind == "ask" else ""
                ctx.note(
                    _(
                        "Your text is kept as draft {id}; change what was refused and send it again with: {command}"
                    ).format(id=draft.id, command=f"{command} {fix}".rstrip())
                )
        else:
            draft.discard()
        raise
    draft.discard()


def _help_flow(ctx: Context, draft: Draft, options: AskOptions) -> bool:
    """Show articles that may answer the problem; False when one of them solved it."""
    problem = compose.prompt(ctx, _("In a few words, what happened?"))
    draft.typed = True
    draft.fields["problem"] = problem
    draft.save()
    hits = ctx.client.search_help(problem, limit=5)
    options.suggestions = hits
    if not hits:
        return True
    _list_articles(ctx, hits)
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
        _list_articles(ctx, hits)  # the list again, to pick another or go on


def _list_articles(ctx: Context, hits: list[SearchHit]) -> None:
    ctx.console.print("\n" + _("These articles may already answer it:"))
    for number, hit in enumerate(hits, start=1):
        ctx.console.print(
            f"  {number}. {escape(hit.title, line=True)} [dim]({escape(hit.slug, line=True)})[/]"
        )


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
        ctx.console.print(
            f"  {number}. {escape(topic.title, line=True)} [dim]({escape(topic.slug, line=True)})[/]"
        )
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
            "--status",
            help=_("Which questions: {choices}.").format(choices=", ".join(LIST_STATUSES)),
            metavar="STATUS",
            autocompletion=complete.statuses,
        ),
    ] = "all",
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=1, max=1000, help=_("At most this many, newest first."))
    ] = 20,
    as_json: JsonOption = False,
    field: FieldOption = None,
) -> None:
    ctx: Context = tctx.obj
    if status not in LIST_STATUSES:
        raise UsageError(_("--status must be one of {choices}.").format(choices=", ".join(LIST_STATUSES)))
    page = ctx.client.list_questions(status=status, limit=limit)
    summaries = question_summaries(page.questions)
    emit(ctx, summaries, as_json, _show_list, field)


def _show_list(ctx: Context, questions: list[dict[str, Any]]) -> None:
    if not questions:
        ctx.note(_("You have no questions here. Ask one with: vksupport ask"))
        return
    from rich.table import Table

    table = Table(box=None, pad_edge=False, header_style="bold")
    # An agent lists everybody's questions: whose each one is matters then. (Read from the list
    # itself: a person's own list has one author; asking the desk who we are costs a request.)
    authors = len({q["author"] for q in questions}) > 1
    headers = [_("ID"), _("Status"), _("Topic"), _("Summary"), _("Asked"), _("Waiting")]
    if authors:
        headers.insert(1, _("Author"))
    summary_column = headers.index(_("Summary"))
    for number, name in enumerate(headers):
        table.add_column(
            name,
            justify="right" if number == 0 else "left",
            overflow="ellipsis",
            no_wrap=number != summary_column,
        )
    for q in questions:
        waiting = since(q["queued_at"]) if q["status"] in ("waiting", "in_progress") else "—"
        row = [
            str(q["id"]),
            styled_status(q["status"]),
            escape(q["topic"], line=True),
            escape(q["title"], line=True),
            ago(q["created_at"]),
            waiting,
        ]
        if authors:
            row.insert(1, escape(q["author"] or "—"))
        table.add_row(*row)
    ctx.console.print(table)


# -- show -------------------------------------------------------------------


def show(
    tctx: typer.Context, question_id: QuestionId, as_json: JsonOption = False, field: FieldOption = None
) -> None:
    ctx: Context = tctx.obj
    emit(ctx, ctx.client.get_question(question_id), as_json, show_question, field)


def show_question(ctx: Context, q: Question) -> None:
    lines: list[str] = [f"[bold]#{q.id} {escape(q.title, line=True)}[/]"]
    facts = [styled_status(q.status), _("topic {topic}").format(topic=escape(q.topic, line=True))]
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
        lines.append(
            "[dim]"
            + taken.format(time=local_time(q.taken_at), agent=escape(q.agent or "", line=True))
            + "[/]"
        )
    if q.answered_at:
        lines.append("[dim]" + _("answered {time}").format(time=local_time(q.answered_at)) + "[/]")
    lines += ["", escape(q.body)]
    if q.link:
        lines.append("\n" + _("Page concerned: {link}").format(link=escape(q.link, line=True)))
    if q.attachments:
        lines.append("\n" + _("Attachments:"))
        lines += [
            "  "
            + ngettext(
                "id {id}: {name} ({type}, {size} byte)", "id {id}: {name} ({type}, {size} bytes)", a.size
            ).format(
                id=a.id,
                name=escape(a.filename, line=True),
                type=escape(a.content_type, line=True),
                size=a.size,
            )
            for a in q.attachments
        ]
        lines.append(
            "[dim]" + _("Download one with: vksupport attachment download {id} AID").format(id=q.id) + "[/]"
        )
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
    field: FieldOption = None,
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
            refusal = current.edit_refusal("edited")
            if refusal is not None:  # say so, with the desk's reason, before the person opens the editor
                raise refusal
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
    emit(
        ctx,
        updated,
        as_json,
        lambda c, q: c.console.print(_("Question #{id} is updated.").format(id=q.id)),
        field,
    )


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
    attach: AttachOption = None,
    resume: ResumeOption = None,
    as_json: JsonOption = False,
    field: FieldOption = None,
) -> None:
    ctx: Context = tctx.obj
    text = compose.body_from(ctx, body, body_file)
    files = [compose.read_attachment(path) for path in attach or []]
    if text is None and resume is None and files:
        # Only files to add: no comment text needed.
        added_files = [ctx.client.attach(question_id, name, content) for name, content in files]
        emit(ctx, added_files, as_json, _show_attached, field)
        return
    if text is None and resume is None:
        compose.require_terminal(ctx, "--body")
    draft = _open_draft(ctx, "comment", resume, question_id)
    if text is not None:
        draft.fields["body"] = text
    with keeping(ctx, draft):
        if not draft.fields.get("body"):
            compose.edit(ctx, draft, "body", "")
        added = ctx.client.comment(question_id, draft.fields["body"], idempotency_key=draft.idempotency_key)
    for name, content in files:
        ctx.client.attach(question_id, name, content)
    emit(ctx, added, as_json, _show_commented, field)


def _show_attached(ctx: Context, added: list[Attachment]) -> None:
    for attachment in added:
        ctx.console.print(
            _("Attached {name} to question #{id} (attachment id {aid}).").format(
                name=escape(attachment.filename), id=attachment.question_id, aid=attachment.id
            )
        )


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
            ctx,
            _("Delete question #{id} “{title}” for good?").format(
                id=question.id, title=inert(question.title, line=True)
            ),
        ):
            raise Aborted(_("Nothing was deleted."))
    ctx.client.delete_question(question_id)
    ctx.console.print(_("Question #{id} is deleted.").format(id=question_id))


def rate(
    tctx: typer.Context,
    question_id: QuestionId,
    rating: Annotated[
        str,
        typer.Argument(
            help=_("good or bad."), metavar="good|bad", show_default=False, autocompletion=complete.ratings
        ),
    ],
    comment_text: Annotated[
        str | None, typer.Option("--comment", "-m", help=_("Praise, or a complaint about the agent."))
    ] = None,
    as_json: JsonOption = False,
    field: FieldOption = None,
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
        field,
    )


def close(
    tctx: typer.Context, question_id: QuestionId, as_json: JsonOption = False, field: FieldOption = None
) -> None:
    ctx: Context = tctx.obj
    closed = ctx.client.close_question(question_id)
    emit(
        ctx,
        closed,
        as_json,
        lambda c, q: c.console.print(_("Question #{id} is closed.").format(id=q.id)),
        field,
    )


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
        float,
        typer.Option(
            "--interval",
            help=_("Seconds between checks on a desk that cannot push changes."),
            min=0.1,
            max=3600,
        ),
    ] = 10.0,
    as_json: JsonOption = False,
    field: FieldOption = None,
) -> None:
    ctx: Context = tctx.obj
    try:
        # Open the desk (and import what waiting needs) before the spinner invites Ctrl-C: an
        # interrupt that lands inside an import is swallowed by Python ("Exception ignored").
        ctx.client.offers_push()
        if ctx.stdout_is_terminal and not as_json and field is None:
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
    except WaitTimedOut as timed_out:
        if (as_json or field is not None) and timed_out.question is not None:
            emit(ctx, timed_out.question, as_json, show_question, field)  # the last state, for scripts
        raise
    except KeyboardInterrupt:
        raise Interrupted(
            _("Stopped waiting; question #{id} stays as it was. Wait again with: vksupport wait {id}").format(
                id=question_id
            )
        ) from None
    emit(ctx, question, as_json, show_question, field)


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
    """Wait until the question has an answer; one last look at the deadline, then give up.

    A desk that pushes (a server that holds long-polls, a sandbox in a file) wakes this as soon as
    the question changes, at the cost of one request per ``PUSH_WINDOW``; any other is polled
    every ``interval`` seconds.
    """
    deadline = None if timeout is None else clock() + timeout
    client = ctx.client
    question = client.get_question(question_id)
    while True:
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
                ).format(id=question_id, status=status_word(question.status), duration=span(timeout)),
                question,
            )
        if client.offers_push():
            window = PUSH_WINDOW if deadline is None else min(PUSH_WINDOW, deadline - now)
            question = client.wait_for_change(question_id, window) or question
        else:
            sleep(interval if deadline is None else min(interval, deadline - now))
            question = client.get_question(question_id)
