"""Issue 14, sign-up with double opt-in, over real HTTP (uvicorn on 127.0.0.1) with a real SMTP
server (aiosmtpd): the form, the confirmation email, GET (still pending) then POST (active), the
welcome; expired and forged links; the honeypot, the fill time, the rate limits; the same answer
for every address; cross-origin POSTs from allowed and other sites."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from digest.model import SubscriberStatus
from digest.store import (
    ConsentKind,
    ConsentMethod,
    Evidence,
    add_subscriber,
    consent_history,
    consent_text_hash,
    find_subscriber,
    record_complaint,
    unsubscribe,
)
from digest.web.site.signup_tokens import confirm_token, form_token
from tests.web.signup_site import CONSENT, SECRET, confirm_link, signup_site


def _button_form_token(html: str) -> str:
    found = re.search(r'name="form_token" value="([^"]+)"', html)
    assert found, html
    return found[1]


def test_sign_up_confirm_by_post_only_then_welcome(tmp_path: Path):
    with signup_site(tmp_path, welcome=True, min_fill_seconds=0) as site:
        form = site.client.get("/subscribe")
        assert CONSENT in form.text and 'href="https://example.org/privacy"' in form.text
        answer = site.sign_up("Reader@Example.com", "Ana Reader")
        assert answer.status_code == 200 and "Check your inbox" in answer.text
        [mail] = site.mail_to("Reader@example.com")
        message = mail.message()
        assert message["Subject"] == "Confirm your subscription to The Weekly"
        html = message.get_body(("html",)).get_content()
        text = message.get_body(("plain",)).get_content()
        assert "Confirm my subscription" in html and "/confirm?token=" in text
        assert "utm_" not in html + text and "<img" not in html  # no tracking, no pixel
        link = confirm_link(mail)

        page = site.client.get(link)  # what a link scanner does: nothing changes
        assert page.status_code == 200 and page.text.count("<button") == 1
        assert find_subscriber(site.store, "reader@example.com") is None

        done = site.client.post(link, data={"form_token": _button_form_token(page.text)})
        assert done.status_code == 200 and "You are in" in done.text
        subscriber = find_subscriber(site.store, "reader@example.com")
        assert subscriber is not None and subscriber.status is SubscriberStatus.ACTIVE
        assert subscriber.name == "Ana Reader"
        given, confirmed = consent_history(site.store, subscriber.id)
        assert (given.kind, given.method, confirmed.kind) == (
            ConsentKind.GIVEN,
            ConsentMethod.FORM,
            ConsentKind.CONFIRMED,
        )
        assert given.text_hash == consent_text_hash(CONSENT) and given.ip == ""  # record_ip is off
        assert "https://example.org/weekly/subscribe" in given.source

        welcome = site.mail_to("Reader@example.com", count=2)[1].message()
        assert welcome["Subject"] == "Welcome to The Weekly"
        assert "/unsubscribe?token=" in welcome.get_body(("plain",)).get_content()
        again = site.client.post(link, data={"form_token": _button_form_token(page.text)})
        assert again.status_code == 400 and "used already" in again.text  # once only
        assert len(consent_history(site.store, subscriber.id)) == 2


def test_record_ip_keeps_the_address_only_when_on(tmp_path: Path):
    with signup_site(tmp_path, record_ip=True, min_fill_seconds=0) as site:
        site.sign_up("ip@example.com")
        link = confirm_link(site.mail_to("ip@example.com")[0])
        page = site.client.get(link)
        site.client.post(link, data={"form_token": _button_form_token(page.text)})
        subscriber = find_subscriber(site.store, "ip@example.com")
        assert subscriber is not None
        assert consent_history(site.store, subscriber.id)[0].ip == "127.0.0.1"


def test_expired_forged_and_malformed_links_change_nothing(tmp_path: Path):
    with signup_site(tmp_path, min_fill_seconds=0) as site:
        site.sign_up("late@example.com")
        link = confirm_link(site.mail_to("late@example.com")[0])
        pending_id = int(link.split("=")[1].split(".")[0], 16)
        page = site.client.get(link)
        button = {"form_token": _button_form_token(page.text)}
        expired = confirm_token(SECRET, pending_id, int(time.time()) - 1, "late@example.com")
        forged = confirm_token(
            b"another secret, long enough", pending_id, int(time.time()) + 999, "late@example.com"
        )
        other = confirm_token(SECRET, pending_id, int(time.time()) + 999, "other@example.com")
        for token, words in (
            (expired, "expired"),
            (forged, "not valid"),
            (other, "not valid"),
            ("x.1.2", "not valid"),
        ):
            assert site.client.get("/confirm", params={"token": token}).status_code == 400
            refused = site.client.post("/confirm", params={"token": token}, data=button)
            assert refused.status_code == 400 and words in refused.text, token
        assert site.client.post(link, data={"form_token": "h1.forged"}).status_code == 403
        assert find_subscriber(site.store, "late@example.com") is None and site.pending() == 1


def test_honeypot_and_a_form_sent_too_fast_are_ignored_alike(tmp_path: Path):
    with signup_site(tmp_path, min_fill_seconds=30) as site:
        token = site.form_token()
        fast = site.sign_up("fast@example.com", token=token)  # sent at once: no person is that quick
        old = form_token(SECRET, int(time.time()) - 60)
        bot = site.sign_up("bot@example.com", token=old, website="https://spam.example")
        person = site.sign_up("person@example.com", token=old)
        normal_answer = person.content
        assert fast.content == bot.content == normal_answer and fast.status_code == 200
        assert site.mail_to("person@example.com")
        time.sleep(0.3)
        assert not site.mail_to("fast@example.com", wait=0) and not site.mail_to("bot@example.com", wait=0)
        assert site.pending() == 1


def test_every_address_gets_the_same_answer_and_only_a_new_one_gets_mail(tmp_path: Path):
    with signup_site(tmp_path, min_fill_seconds=0) as site:
        add_subscriber(site.store, "active@example.com")
        add_subscriber(site.store, "complained@example.com")
        record_complaint(site.store, "complained@example.com", Evidence(status_line="abuse report"))
        site.sign_up("pending@example.com")
        assert site.mail_to("pending@example.com")
        answers = {
            address: site.sign_up(address)
            for address in (
                "new@example.com",
                "pending@example.com",
                "active@example.com",
                "complained@example.com",
            )
        }
        # Byte for byte, headers too (but Date): no token, no address, nothing that tells them apart.
        seen = {
            (a.status_code, a.content, tuple((k, v) for k, v in a.headers.items() if k != "date"))
            for a in answers.values()
        }
        assert len(seen) == 1
        assert site.mail_to("new@example.com")
        time.sleep(0.5)
        assert len(site.mail_to("pending@example.com", wait=0)) == 1  # not twice within the hour
        assert not site.mail_to("active@example.com", wait=0)
        assert not site.mail_to("complained@example.com", wait=0)  # a suppressed address: no email at all


def test_an_address_that_unsubscribed_comes_back_by_confirming(tmp_path: Path):
    with signup_site(tmp_path, min_fill_seconds=0) as site:
        old, _ = add_subscriber(site.store, "back@example.com")
        unsubscribe(site.store, old.id, reason="unsubscribe link")
        site.sign_up("back@example.com")
        link = confirm_link(site.mail_to("back@example.com")[0])
        page = site.client.get(link)
        assert find_subscriber(site.store, "back@example.com").status is SubscriberStatus.UNSUBSCRIBED
        site.client.post(link, data={"form_token": _button_form_token(page.text)})
        assert find_subscriber(site.store, "back@example.com").status is SubscriberStatus.ACTIVE
        kinds = [e.kind for e in consent_history(site.store, old.id)]
        assert kinds == [ConsentKind.GIVEN, ConsentKind.CONFIRMED]


def test_rate_limits_per_ip_and_per_address(tmp_path: Path):
    with signup_site(tmp_path, min_fill_seconds=0, per_ip_per_hour=4, per_address_per_hour=1) as site:
        first = site.sign_up("one@example.com")
        assert site.mail_to("one@example.com")
        same = site.sign_up("one@example.com")  # over its address's limit: answered alike, ignored
        assert same.content == first.content
        site.sign_up("two@example.com")
        site.sign_up("three@example.com")
        refused = site.sign_up("four@example.com")
        assert refused.status_code == 429
        assert site.pending() == 3


def test_refused_domains(tmp_path: Path):
    listed = tmp_path / "more-disposable.txt"
    listed.write_text("# ours\nthrowaway.example\n", encoding="utf-8")
    with signup_site(
        tmp_path,
        min_fill_seconds=0,
        disposable_domains_file=str(listed),
        blocked_domains=["spam.example.org"],
    ) as site:
        for address in ("a@mailinator.com", "b@throwaway.example", "c@mx.spam.example.org"):
            answer = site.sign_up(address)
            assert answer.status_code == 400 and "permanent address" in answer.text, address
        assert site.sign_up("not an address").status_code == 400
        assert site.pending() == 0


@pytest.mark.parametrize(
    ("origin", "token_origin", "status"),
    [
        ("https://news.example.com", "https://news.example.com", 200),  # an allowed site, its snippet
        ("https://evil.example", "https://evil.example", 403),  # a site not in allowed_origins
        ("https://blog.example.net", "https://news.example.com", 403),  # another site's snippet
    ],
)
def test_cross_origin_posts(tmp_path: Path, origin: str, token_origin: str, status: int):
    with signup_site(tmp_path) as site:
        token = form_token(SECRET, int(time.time()), token_origin)
        answer = site.client.post(
            "/subscribe",
            data={"email": "far@example.com", "form_token": token, "website": ""},
            headers={"Origin": origin},
        )
        assert answer.status_code == status
        assert site.pending() == (1 if status == 200 else 0)
        if status == 200:
            message = site.mail_to("far@example.com")[0]
            assert message


def test_post_without_a_form_token_is_refused(tmp_path: Path):
    with signup_site(tmp_path, min_fill_seconds=0) as site:
        answer = site.client.post("/subscribe", data={"email": "x@example.com"})
        assert answer.status_code == 403 and site.pending() == 0


def test_the_request_never_waits_on_the_mail_server(tmp_path: Path):
    with signup_site(tmp_path, min_fill_seconds=0) as site:
        site.smtp.faults.stall_first_rcpt["slow@example.com"] = 4.0
        token = site.form_token()
        started = time.monotonic()
        answer = site.sign_up("slow@example.com", token=token)
        took = time.monotonic() - started
        assert answer.status_code == 200 and took < 1.0, took
        assert site.mail_to("slow@example.com", wait=15)  # it went out once the server answered


def test_a_huge_body_is_refused_unread(tmp_path: Path):
    with signup_site(tmp_path, min_fill_seconds=0) as site:
        answer = site.client.post("/subscribe", data={"email": "big@example.com", "name": "x" * 100_000})
        assert answer.status_code == 413 and site.pending() == 0
