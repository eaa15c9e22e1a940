"""`digest preview [ISSUE_DIR] [--port 8000] [--host 127.0.0.1]`."""

from __future__ import annotations

from pathlib import Path

import click

from digest.settings.project import find_issue_folders, project_root


@click.command("preview")
@click.argument("issue_dir", type=click.Path(path_type=Path, file_okay=False, exists=True), default=Path("."))
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="Port to listen on (0: any free port).",
)
def preview_command(issue_dir: Path, host: str, port: int) -> None:
    """Preview ISSUE_DIR (or every issue under it) in a browser, reloading as files change."""
    # The web stack is imported only when serving, so other commands start quickly.
    from digest.web.preview.app import LOOPBACK_HOSTS, create_preview_app, issue_url
    from digest.web.preview.desk import desk_gate
    from digest.web.serving import serve_app

    root = project_root(issue_dir)
    folders = find_issue_folders(root)
    loopback = host in LOOPBACK_HOSTS
    desk = None if loopback else desk_gate(root)
    app = create_preview_app(root, allowed_hosts=LOOPBACK_HOSTS if loopback else None, desk=desk)
    opened = next((f for f in folders if f.path == issue_dir.resolve()), None)

    def ready(url: str) -> None:
        start = url + (issue_url(opened).lstrip("/") if opened else "")
        click.echo(f"Previewing {len(folders)} issue(s) under {root}")
        click.echo(f"  {start}   (Ctrl-C to stop)")

    serve_app(app, host=host, port=port, on_ready=ready)
