"""Guards in front of the preview's routes: posts from other sites, and the form fields a story
button sends (its persona, a story the week holds)."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from digest.compose.choices import closest_ids
from digest.web.preview.personas import Persona, persona
from digest.web.preview.snapshot import IssueSnapshot


class SameOriginPosts:
    """Refuses form posts from other sites: a page elsewhere must not be able to edit issue.toml."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in ("GET", "HEAD", "OPTIONS"):
            request = Request(scope)
            origin = request.headers.get("origin")
            fetch_site = request.headers.get("sec-fetch-site")
            own = urlsplit(str(request.base_url)).netloc
            if (origin is not None and urlsplit(origin).netloc != own) or fetch_site in (
                "cross-site",
                "same-site",
            ):
                await PlainTextResponse("cross-site request refused", status_code=403)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def form_persona(request: Request, form: FormData) -> Persona:
    """The persona a form was posted from; kept on the request for the error page's "Back"."""
    chosen = persona(str(form.get("persona", "")))
    request.state.persona = str(form.get("persona", "")) and chosen.key
    return chosen


def check_story(snapshot: IssueSnapshot, story: str) -> None:
    """The one rule compose applies to ids written by hand: a choice names a story the gathered
    week holds (story files and feeds alike)."""
    if story in snapshot.story_ids:
        return
    if not snapshot.story_ids and snapshot.problems:
        problem = snapshot.problems[0]
        where = f"{problem.where}: " if problem.where else ""
        raise HTTPException(
            400, f"this issue does not render, so its stories cannot be chosen: {where}{problem.message}"
        )
    closest = closest_ids(story, snapshot.story_ids)
    hint = f" (closest: {', '.join(closest)})" if closest else ""
    raise HTTPException(400, f"no story {story!r} in this week's stories{hint}")
