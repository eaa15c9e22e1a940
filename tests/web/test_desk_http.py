"""The preview as a team's desk over real HTTP (issue 17): off loopback nothing is shown without a
login; every state-changing request needs the login's CSRF token, a same-site Origin and the role
its action asks for; logins are rate-limited and say nothing about which names exist; a trusted
proxy's header is a login only from the proxy's address; what changed is in the audit log."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from digest.cli import main
from digest.store import Store, open_store
from tests.web.desk import PASSWORD, add_users, csrf_of, desk_server, logged_in

MERIDIAN = "meridian-2025-01-08"
LEAD = "meta-ai-characters"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = open_store(tmp_path / "desk.db")
    add_users(store)
    yield store
    store.close()


@pytest.fixture
def desk(project: Path, store: Store) -> Iterator[str]:
    with desk_server(project, store) as server:
        yield server.url.rstrip("/")


def test_off_loopback_the_preview_asks_for_a_login(project: Path, tmp_path: Path):
    tidewater = project / "tidewater"
    env = {**os.environ, "DIGEST_USER_PASSWORD": PASSWORD}
    command = [sys.executable, "-m", "digest", "preview", str(tidewater), "--host", "0.0.0.0", "--port", "0"]
    nobody = subprocess.run(command, capture_output=True, text=True, timeout=60, env=env)
    assert nobody.returncode != 0
    assert nobody.stderr.count("\n") == 1 and "nobody can log in" in nobody.stderr
    added = CliRunner().invoke(
        main, ["users", "--config", str(tidewater / "digest.toml"), "add", "ed", "--role", "editor"], env=env
    )
    assert added.exit_code == 0, added.output
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    ) as served:
        try:
            assert served.stdout is not None
            for line in served.stdout:
                if found := re.search(r"http://0\.0\.0\.0:(\d+)/", line):
                    break
            base = f"http://127.0.0.1:{found.group(1)}"
            asked = httpx.get(base + "/issues/2025-03-14/", timeout=30)
            assert asked.status_code == 303
            assert asked.headers["location"] == "/login?next=%2Fissues%2F2025-03-14%2F"
            assert httpx.get(base + "/issues/2025-03-14/email.txt", timeout=30).status_code == 303
            client = logged_in(base, "ed")
            assert client.get("/issues/2025-03-14/").status_code == 200
        finally:
            served.terminate()


def _choice(client: httpx.Client, **extra: object) -> httpx.Response:
    return client.post(f"/issues/{MERIDIAN}/choice", data={"story": LEAD, "action": "exclude", **extra})


def test_a_post_needs_the_logins_csrf_token_and_a_same_site_origin(desk: str, project: Path, store: Store):
    issue_toml = project / MERIDIAN / "issue.toml"
    before = issue_toml.read_bytes()
    client = logged_in(desk, "ed")
    token = csrf_of(client.get(f"/issues/{MERIDIAN}/"))
    other = csrf_of(logged_in(desk, "pat").get(f"/issues/{MERIDIAN}/"))
    assert token != other
    for refused in (_choice(client), _choice(client, csrf="x" * len(token)), _choice(client, csrf=other)):
        assert refused.status_code == 403 and "CSRF" in refused.text
    foreign = client.post(
        f"/issues/{MERIDIAN}/choice",
        data={"story": LEAD, "action": "exclude", "csrf": token},
        headers={"Origin": "https://evil.example"},
    )
    assert foreign.status_code == 403
    # A route nobody told the desk about is guarded the same (curate's new posts, later ones).
    assert client.post(f"/issues/{MERIDIAN}/add", data={"url": "https://x.example/"}).status_code == 403
    assert issue_toml.read_bytes() == before
    assert client.post("/logout").status_code == 403  # logging out is a post like any other

    done = _choice(client, csrf=token)
    assert done.status_code == 303
    assert issue_toml.read_bytes() != before
    page = client.get(f"/issues/{MERIDIAN}/")
    assert re.search(r"ed</span> <span class=\"what\">choice \(action=exclude; story=" + LEAD, page.text)
    audit = CliRunner().invoke(main, ["users", "--db", str(store.path), "audit"])
    assert f"\ted\tchoice\t{MERIDIAN}\taction=exclude; story={LEAD}" in audit.output


def test_logins_are_rate_limited_and_do_not_tell_names_apart(desk: str):
    client = httpx.Client(base_url=desk, timeout=30)
    wrong_password = client.post("/login", data={"name": "ed", "password": "not it at all"})
    no_such_user = client.post("/login", data={"name": "nobody", "password": "not it at all"})
    assert wrong_password.status_code == no_such_user.status_code == 400
    assert wrong_password.text.replace('value="ed"', "") == no_such_user.text.replace('value="nobody"', "")
    assert "digest_desk" not in client.cookies
    for _ in range(9):  # 10 tries an hour per name
        client.post("/login", data={"name": "ed", "password": "still wrong"})
    limited = client.post("/login", data={"name": "ed", "password": PASSWORD})
    assert limited.status_code == 429 and "digest_desk" not in limited.cookies
    assert logged_in(desk, "pat").get("/").status_code == 200  # another name from the same IP still can


def test_logout_ends_the_login(desk: str):
    client = logged_in(desk, "ed")
    cookie = client.cookies["digest_desk"]
    answer = client.get(f"/issues/{MERIDIAN}/")
    assert answer.status_code == 200
    assert "set-cookie" not in answer.headers
    out = client.post("/logout", data={"csrf": csrf_of(answer)})
    assert out.status_code == 303 and out.headers["location"] == "/login"
    replayed = httpx.get(desk + "/", cookies={"digest_desk": cookie}, timeout=30)
    assert replayed.status_code == 303 and replayed.headers["location"].startswith("/login")


def test_the_login_cookie_is_httponly_and_samesite_strict(desk: str):
    answer = httpx.post(desk + "/login", data={"name": "ed", "password": PASSWORD, "next": "//evil.example/"})
    assert answer.headers["location"] == "/"
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "secure" not in cookie  # plain http


def test_a_proxy_header_is_a_login_only_from_a_trusted_proxy(project: Path, store: Store):
    header = {"Remote-User": "pat"}
    with desk_server(
        project, store, auth="proxy", proxy_header="Remote-User", trusted_proxies=["127.0.0.0/8"]
    ) as server:
        base = server.url.rstrip("/")
        page = httpx.get(f"{base}/issues/{MERIDIAN}/", headers=header, timeout=30)
        assert page.status_code == 200 and "pat" in page.text
        assert httpx.get(base + "/", timeout=30).status_code == 403  # the proxy named nobody
        choice = {"story": LEAD, "action": "exclude"}
        url = f"{base}/issues/{MERIDIAN}/choice"
        assert httpx.post(url, data=choice, headers=header, timeout=30).status_code == 403  # no token
        done = httpx.post(url, data={**choice, "csrf": csrf_of(page)}, headers=header, timeout=30)
        assert done.status_code == 303
    with desk_server(
        project, store, auth="proxy", proxy_header="Remote-User", trusted_proxies=["10.0.0.0/8"]
    ) as server:
        refused = httpx.get(server.url + f"issues/{MERIDIAN}/", headers=header, timeout=30)
        assert refused.status_code == 403 and "pat" not in refused.text
