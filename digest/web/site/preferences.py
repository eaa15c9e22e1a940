"""GET /preferences shows a subscriber's own page; POST changes one thing on it.

Every email's footer links here with a token signed for the subscriber's id and address
(digest/deliver/preference_tokens.py): it keeps working from issue to issue, and a malformed,
altered or forged one gets 400 and changes nothing. The page's forms carry a form token (CSRF),
signed for the same subscriber and the time the page was shown; a POST without a good one is
refused (400) and changes nothing. After a change the POST redirects back to the page (303), so
reloading it does not post again. What can change (digest/store/preferences.py): the name, a
pause of 2, 4 or 8 weeks (or its end), unsubscribing, and re-subscribing after an unsubscribe. A
complaint's or a bounce's suppression is not lifted from here.
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from digest.deliver import InvalidToken, form_token, verify_form_token, verify_preferences_token
from digest.model import Subscriber, SubscriberStatus
from digest.render import longdate
from digest.store import PAUSE_WEEKS, Changed, Store, may_come_back
from digest.store.preferences import come_back, leave, pause, paused_until, rename, resume
from digest.web.site.unsubscribe import page, token_holder

NAME_MAX = 200
"""Characters a name may have here (it ends up in the To header)."""
DONE = {
    Changed.RENAMED: "Your name is changed.",
    Changed.PAUSED: "Your pause is set.",
    Changed.RESUMED: "Your pause is over: the next issue comes to you.",
    Changed.UNSUBSCRIBED: "You are unsubscribed.",
    Changed.RESUBSCRIBED: "Welcome back: you are subscribed again.",
    Changed.NOTHING: "Nothing needed changing.",
}


class BadRequest(Exception):
    """A POST that changes nothing, with the sentence the page says why."""


class PreferencePages:
    def __init__(self, store: Store, secret: bytes, newsletter_name: str) -> None:
        self.store = store
        self.secret = secret
        self.newsletter_name = newsletter_name

    def _subscriber(self, token: str) -> Subscriber | None:
        return token_holder(self.store, self.secret, token, verify_preferences_token)

    def _invalid(self, reason: str = "") -> HTMLResponse:
        return page("preferences_invalid.html", 400, newsletter=self.newsletter_name, reason=reason)

    def show(self, request: Request) -> HTMLResponse:
        token = request.query_params.get("token", "")
        try:
            subscriber = self._subscriber(token)
        except InvalidToken:
            return self._invalid()
        if subscriber is None:
            return page("preferences.html", newsletter=self.newsletter_name, proof=True)
        until = paused_until(self.store, subscriber.id)
        done = request.query_params.get("changed", "")  # the redirect after a change says which
        return page(
            "preferences.html",
            newsletter=self.newsletter_name,
            proof=False,
            token=token,
            form_token=form_token(self.secret, subscriber.id, subscriber.email),
            subscriber=subscriber,
            active=subscriber.status is SubscriberStatus.ACTIVE,
            may_come_back=may_come_back(self.store, subscriber.id),
            paused_until=longdate(until.date()) if until else "",
            weeks=PAUSE_WEEKS,
            done=next((DONE[c] for c in Changed if c.value == done), ""),
        )

    async def change(self, request: Request) -> Response:
        token = request.query_params.get("token", "")
        form = await request.form()
        try:
            subscriber = self._subscriber(token)
            if subscriber is not None:
                verify_form_token(
                    self.secret, str(form.get("form_token", "")), subscriber.id, subscriber.email
                )
        except InvalidToken as e:
            return self._invalid(str(e) if "form" in str(e) else "")
        if subscriber is None:
            return page("preferences.html", newsletter=self.newsletter_name, proof=True)
        try:
            changed = self._apply(subscriber, form)
        except BadRequest as e:
            return self._invalid(str(e))
        query = urlencode({"token": token, "changed": changed.value})
        return RedirectResponse(f"?{query}", status_code=303, headers={"Cache-Control": "no-store"})

    def _apply(self, subscriber: Subscriber, form: FormData) -> Changed:
        action = form.get("action")
        if action == "name":
            name, first_name = str(form.get("name", "")), str(form.get("first_name", ""))
            if len(name) > NAME_MAX or len(first_name) > NAME_MAX:
                raise BadRequest(f"A name may have at most {NAME_MAX} characters.")
            return rename(self.store, subscriber.id, name, first_name)
        if action == "pause":
            weeks = str(form.get("weeks", ""))
            if weeks not in {str(w) for w in PAUSE_WEEKS}:
                raise BadRequest(f"A pause is {', '.join(map(str, PAUSE_WEEKS))} weeks long.")
            pause(self.store, subscriber.id, int(weeks))
            return Changed.PAUSED
        if action == "resume":
            return resume(self.store, subscriber.id)
        if action == "unsubscribe":
            return leave(self.store, subscriber.id)
        if action == "resubscribe":
            return come_back(self.store, subscriber.id)
        raise BadRequest("The form did not say what to change.")
