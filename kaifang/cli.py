"""The ``kaifang`` command line for operators: serve, worker, migrate, demo, audit, calendar, operator.

It is an edge like the web pages: a refusal (a msgid and its parameters) becomes English text here, with
``kaifang.i18n.translate(error, "en")``.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from kaifang.config import get_settings
from kaifang.errors import BusinessRuleError, Message, ValidationErrors
from kaifang.i18n import translate


def _refused(exc: BusinessRuleError) -> click.ClickException:
    """A refusal as the command's error message, in English; every field problem of a form at once."""
    if isinstance(exc, ValidationErrors) and exc.errors:
        return click.ClickException("; ".join(f"{k}: {translate(v, 'en')}" for k, v in exc.errors.items()))
    return click.ClickException(translate(exc, "en"))


def _sessions():
    from kaifang.db import make_engine, make_sessionmaker
    from kaifang.tasks import JobQueue

    settings = get_settings()
    factory = make_sessionmaker(make_engine(settings.database_url))
    factory.configure(info={"settings": settings, "queue": JobQueue(settings, factory)})
    return factory


@click.group()
def main() -> None:
    """Kaifang (开放) — the public data open platform."""


@main.command()
def migrate() -> None:
    """Bring the database schema to the latest version."""
    from kaifang import migrate as m

    settings = get_settings()
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    m.upgrade(settings.database_url)
    click.echo("database is up to date")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True)
@click.option("--workers", default=1, show_default=True, help="web processes (production: 2 or more)")
def serve(host: str, port: int, workers: int) -> None:
    """Serve the platform over HTTP."""
    import uvicorn

    settings = get_settings()
    if workers > 1 and settings.jobs_backend == "embedded":
        click.echo("note: with several web processes use KAIFANG_JOBS_BACKEND=redis and `kaifang worker`", err=True)
    uvicorn.run("kaifang.app:create_app", factory=True, host=host, port=port, workers=workers,
                proxy_headers=True, log_level="info", http="kaifang.serving:NoDelayHTTPProtocol")


@main.command()
@click.option("--workers", default=2, show_default=True)
@click.option("--periodic/--no-periodic", default=True, show_default=True,
              help="run the periodic scheduler; with several worker processes, enable it on exactly one")
def worker(workers: int, periodic: bool) -> None:
    """Run background jobs (production: KAIFANG_JOBS_BACKEND=redis)."""
    factory = _sessions()
    queue = factory.kw["info"]["queue"]
    consumer = queue.huey.create_consumer(workers=workers, worker_type="thread", periodic=periodic)
    consumer.run()


@main.group()
def demo() -> None:
    """Demo data."""


@demo.command("load")
@click.option("--accounts-only", is_flag=True, help="organisations and accounts, without the demo catalog")
def demo_load(accounts_only: bool) -> None:
    """Load the demo organisations, accounts and catalog with its data (refused in production)."""
    from kaifang.demo import DEMO_PASSWORD, load_demo
    from kaifang.demo.catalog import load_demo_catalog

    settings = get_settings()
    if settings.env == "production":
        raise click.ClickException("demo data is never loaded in production (KAIFANG_ENV=production)")
    factory = _sessions()
    with factory() as session:
        accounts = load_demo(session, settings)
        if not accounts_only:
            click.echo("Publishing the demo catalog and ingesting its data ...")
            created = load_demo_catalog(session, factory, settings)
            click.echo(f"{created} demo catalog entries published")
            from kaifang.demo.access import load_demo_access

            click.echo(f"{load_demo_access(session)} demo conditional-access applications made")
    click.echo(f"\nDemo accounts (password for all: {DEMO_PASSWORD}):")
    for a in accounts:
        click.echo(f"  {a.role:<20} {a.email:<36} {a.name}  {a.org or ''}")


@main.group()
def audit() -> None:
    """The audit trail (A9.4)."""


@audit.command("verify")
def audit_verify() -> None:
    """Walk the hash chain; exit 1 naming the first altered, deleted or reordered event."""
    from kaifang.audit import verify_chain

    with _sessions()() as session:
        result = verify_chain(session)
    if result.ok:
        click.echo(f"audit chain intact: {result.checked} events verified")
        return
    click.echo(f"AUDIT CHAIN BROKEN at event {result.bad_seq}: {result.problem} "
               f"({result.checked} events verified before it)", err=True)
    sys.exit(1)


@main.command("create-operator")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--org", "org_name", default="苏州市信息中心", show_default=True)
@click.password_option()
def create_operator(email: str, name: str, org_name: str, password: str) -> None:
    """Create the first operator account (production bootstrap)."""
    from kaifang.accounts import (
        OrganisationInput,
        Registration,
        add_member,
        create_organisation,
        organisation_id,
        register_user,
    )
    from kaifang.security import ANONYMOUS, SYSTEM, atomic

    with _sessions()() as session:
        try:
            with atomic(session):
                org_id = organisation_id(session, SYSTEM, org_name)
                if org_id is None:
                    org_id = create_organisation(session, SYSTEM, OrganisationInput(
                        name=org_name, kind="operator", region_code="320500")).id
                register_user(session, ANONYMOUS, Registration(
                    kind="natural", email=email, display_name=name, password=password, password_confirm=password,
                    accept_rules=True))
                add_member(session, SYSTEM, org_id, email, "operator", "created from the command line")
        except BusinessRuleError as exc:
            raise _refused(exc) from exc
    click.echo(f"operator {email} created in {org_name}")


@main.group()
def calendar() -> None:
    """The working-day calendar."""


@calendar.command("deadline")
@click.argument("received", type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M"]))
@click.argument("days", type=int)
def calendar_deadline(received: dt.datetime, days: int) -> None:
    """When a deadline of DAYS working days ends for something received at RECEIVED (Shanghai time)."""
    from zoneinfo import ZoneInfo

    from kaifang.security import ANONYMOUS
    from kaifang.workdays import CalendarNotCovered, load_calendar

    with _sessions()() as session:
        cal = load_calendar(session, ANONYMOUS)
    from kaifang.workdays import due_day

    try:
        due = cal.deadline(received.replace(tzinfo=ZoneInfo("Asia/Shanghai")), days)
    except CalendarNotCovered as exc:
        raise _refused(exc) from exc
    click.echo(f"due by 24:00 on {due_day(due).isoformat()} (Asia/Shanghai)")


@calendar.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--declare-year", type=int, help="also declare this year fully loaded")
def calendar_import(path: Path, declare_year: int | None) -> None:
    """Load overrides from a file of lines `YYYY-MM-DD,workday|holiday,note`."""
    from kaifang.security import SYSTEM, atomic
    from kaifang.workdays import ImportErrors, import_overrides
    from kaifang.workdays import declare_year as declare

    with _sessions()() as session:
        try:
            with atomic(session):  # the overrides and the declaration land together, or not at all
                loaded = import_overrides(session, SYSTEM, path.read_text(encoding="utf-8-sig"))
                if declare_year:
                    declare(session, SYSTEM, declare_year, f"imported from {path.name}")
        except ImportErrors as exc:
            lines = "\n".join(f"  {path}:{n}: {translate(Message(msgid, params), 'en')}"
                              for n, msgid, params in exc.errors)
            raise click.ClickException(f"nothing was imported; bad lines:\n{lines}") from exc
        except BusinessRuleError as exc:
            raise _refused(exc) from exc
    click.echo(f"{len(loaded)} overrides loaded" + (f"; {declare_year} declared" if declare_year else ""))


if __name__ == "__main__":
    main()
