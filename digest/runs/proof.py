"""The approval proof: what it tells the editors, and how an issue differs from its proof.

A [PROOF] a run sends (require_approval) opens with "what happens next": who approves, how (the
exact `digest approve` command, the preview's page), and when it goes out by itself, or that it
will not without an approval. The same words go in the HTML and the plain text.

``describe_changes`` says in plain words how the issue as it stands now differs from the proofed
one, for the preview's approval panel and `digest approve`.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from digest.deliver.send import DeliveryRenders, render_for_delivery
from digest.markup import wrap
from digest.model import Issue, RenderedIssue, Story
from digest.render import Theme
from digest.runs.archive import canonical_json, issue_hash
from digest.runs.week import week_folder
from digest.settings import ISSUE_FILE, ProjectConfig
from digest.settings.tracking import TRACKING_OFF
from digest.words import plural

# The note goes after the hidden preheader, so the proof's inbox line is the subscribers' one.
_PREHEADER = re.compile(r'<div class="preheader"[^>]*>.*?</div>', re.DOTALL)
_BODY = re.compile(r"<body\b[^>]*>", re.IGNORECASE)
_NOTE_STYLE = (
    "margin:0 auto;max-width:600px;padding:12px 16px;border:2px solid #b45309;background:#fffbeb;"
    "color:#1f2937;font:14px/1.5 Arial,Helvetica,sans-serif;text-align:left"
)


@dataclass(frozen=True, slots=True)
class NextSteps:
    """What happens to a proofed issue next, line by line (each line plain text)."""

    issue_id: str
    lines: tuple[str, ...]

    def text(self) -> str:
        rule = "-" * 78
        lines = [wrap(f"- {line}") for line in self.lines]
        return "\n".join([rule, f"PROOF of {self.issue_id}: what happens next", *lines, rule, "", ""])

    def html(self) -> str:
        items = "".join(f"<li>{_marked_up(line)}</li>" for line in self.lines)
        return (
            f'<div class="proof-next-steps" style="{_NOTE_STYLE}">'
            f"<strong>PROOF of {html.escape(self.issue_id)}: what happens next</strong>"
            f'<ul style="margin:6px 0 0;padding-left:20px">{items}</ul></div>'
        )


_COMMAND = re.compile(r"`([^`]+)`")
_URL = re.compile(r"https?://[^\s()<>\"]+[^\s()<>\".,;]")


def _marked_up(line: str) -> str:
    """A line of the note as HTML: escaped, `commands` as code, the preview's address a link."""
    escaped = _COMMAND.sub(r"<code>\1</code>", html.escape(line, quote=True))
    return _URL.sub(lambda match: f'<a href="{match.group(0)}">{match.group(0)}</a>', escaped)


def next_steps(
    project: ProjectConfig, issue_id: str, issue_date: dt.date, deadline: dt.datetime | None
) -> NextSteps:
    """Who approves, how, and when the proofed issue goes out."""
    editors = project.schedule.editors
    who = "any editor" if len(editors) > 1 else "the editor"
    command = f"digest approve {issue_id} --config {project.path}"
    lines = [
        "Subscribers have not received this issue yet.",
        f"Who approves: {who} ({', '.join(editors)}).",
        f"How: run `{command}` (it sends this proofed version), "
        f"or `digest reject {issue_id} --config {project.path}` to hold it.",
        _preview_line(project, issue_date),
    ]
    if deadline is not None:
        local = deadline.astimezone(ZoneInfo(project.timezone))
        lines.append(
            f"When: it goes out by itself on {local:%A %d %B %Y at %H:%M %Z} ({project.timezone}) "
            "unless an editor rejects it first."
        )
    else:
        lines.append("When: it will not go out until an editor approves it (no approval_deadline is set).")
    return NextSteps(issue_id, tuple(lines))


def _preview_line(project: ProjectConfig, issue_date: dt.date) -> str:
    base = project.schedule.preview_url
    has_folder = (week_folder(project, issue_date) / ISSUE_FILE).is_file()
    if base is None:
        where = f"`digest preview {project.path.parent}`"
        page = "then open this week's issue" if has_folder else "to see the week"
        return f"Or in the preview: start it with {where}, {page}, and use its approval panel."
    url = f"{base}/issues/{issue_date.isoformat()}/#approval" if has_folder else f"{base}/"
    return f"Or in the preview: {url} (its approval panel shows any change since this proof)."


def proof_renders(
    project: ProjectConfig,
    issue: Issue,
    theme: Theme,
    renders: DeliveryRenders | None,
    deadline: dt.datetime | None,
) -> DeliveryRenders:
    """The approval proof's two variants: the issue (rendered now unless given) with its next steps."""
    tracking = project.delivery.tracking if project.delivery else TRACKING_OFF
    renders = renders or render_for_delivery(issue, theme, tracking)
    return with_next_steps(renders, next_steps(project, issue.issue_id, issue.date, deadline))


def with_next_steps(renders: DeliveryRenders, steps: NextSteps) -> DeliveryRenders:
    """The proof's two variants with the note at the top of the HTML and of the plain text."""
    return replace(renders, named=_noted(renders.named, steps), anonymous=_noted(renders.anonymous, steps))


def _noted(rendered: RenderedIssue, steps: NextSteps) -> RenderedIssue:
    document = rendered.html
    anchor = _PREHEADER.search(document) or _BODY.search(document)
    at = anchor.end() if anchor is not None else 0
    return replace(
        rendered, html=document[:at] + steps.html() + document[at:], text=steps.text() + rendered.text
    )


# --- what changed since the proof -------------------------------------------------------------------


def describe_changes(proofed: Issue, current: Issue) -> list[str]:
    """How ``current`` differs from ``proofed``, one plain phrase each ([] when the stories,
    their order and the words match: any other difference is reported as one phrase)."""
    changes: list[str] = []
    now_ids = {story.id: story for story in current.stories}
    then_ids = {story.id: story for story in proofed.stories}
    if proofed.lead.id != current.lead.id:
        if proofed.lead.id not in now_ids:
            changes.append(f"lead excluded (“{proofed.lead.title}”)")
        changes.append(f"new lead: “{current.lead.title}”")
    if current.subject != proofed.subject:
        changes.append(f"subject changed (was “{proofed.subject}”, now “{current.subject}”)")
    added = [story for story in current.stories if story.id not in then_ids]
    removed = [s for s in proofed.stories if s.id not in now_ids and s.id != proofed.lead.id]
    if added:
        changes.append(f"{plural(len(added), 'story', 'stories')} added ({_titles(added)})")
    if removed:
        changes.append(f"{plural(len(removed), 'story', 'stories')} removed ({_titles(removed)})")
    edited = [
        story
        for story in current.stories
        if story.id in then_ids and canonical_json(then_ids[story.id]) != canonical_json(story)
    ]
    if edited:
        changes.append(f"{plural(len(edited), 'story', 'stories')} edited ({_titles(edited)})")
    # The order of the More from stories both versions carry there (a lead change is said above).
    before = {story.id for story in proofed.more_from}
    after = {story.id for story in current.more_from}
    if [s.id for s in current.more_from if s.id in before] != [
        s.id for s in proofed.more_from if s.id in after
    ]:
        changes.append("More from reordered")
    if current.intro != proofed.intro:
        changes.append("the editor's note changed")
    if current.preheader != proofed.preheader:
        changes.append("preheader changed")
    if not changes and issue_hash(current) != issue_hash(proofed):
        changes.append("other details changed (newsletter settings or section headings)")
    return changes


def _titles(stories: list[Story]) -> str:
    return ", ".join(f"“{story.title}”" for story in stories)
