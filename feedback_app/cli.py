"""flask commands: roster import, the standard questionnaire, the demo regency, counter QR codes/posters, users,
tokens, rollups, the scheduler and its jobs, performance periods and award rules, backups and the settings check."""
from __future__ import annotations

import json
import signal
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from sqlalchemy import select

from . import jobs as scheduler
from .extensions import db
from .models import AwardCategory, JobRun, Role, ServicePoint, Unit
from .services import backups, demo, leases
from .services.organisation import accounts, roster_import, staff
from .services.performance import appraisal, awards, cycle
from .services.performance.appraisal import PerformanceError
from .services.reporting import rollups
from .services.survey import counters, qr, questionnaires, queue


def register(app: Flask) -> None:
    """Attach the command groups to the app's CLI."""
    app.cli.add_command(roster_group)
    app.cli.add_command(questionnaire_group)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(qr_group)
    app.cli.add_command(staff_group)
    app.cli.add_command(users_group)
    app.cli.add_command(tokens_group)
    app.cli.add_command(rollups_group)
    app.cli.add_command(jobs_group)
    app.cli.add_command(scheduler_command)
    app.cli.add_command(performance_group)
    app.cli.add_command(awards_group)
    app.cli.add_command(queue_group)
    app.cli.add_command(backup_group)
    app.cli.add_command(check_config_command)


@click.group("roster")
def roster_group() -> None:
    """Units, counters, staff and duty roster from HR's spreadsheets."""


@roster_group.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check and count, change nothing.")
def roster_import_command(files: tuple[Path, ...], dry_run: bool) -> None:
    """Import FILES: units.csv, service_points.csv, staff.csv, duty_roster.csv, or one XLSX with those sheets."""
    try:
        tables, problems = roster_import.read_files(list(files))
    except roster_import.ImportFileError as error:
        raise click.ClickException(str(error)) from None
    if dry_run:
        report = roster_import.import_roster(tables, problems, dry_run=True)
    else:
        report = roster_import.apply_import(tables, problems, source=", ".join(f.name for f in files))
    for warning in report.warnings:
        click.echo(f"warning: {warning}")
    if report.problems:
        for problem in report.problems:
            click.echo(f"error: {problem}", err=True)
        click.echo(f"{len(report.problems)} problem(s) found; nothing was imported.", err=True)
        sys.exit(1)
    for table, counts in report.counts.items():
        click.echo(f"{table}: {counts['created']} created, {counts['updated']} updated, "
                   f"{counts['unchanged']} unchanged")
    click.echo("dry run: nothing was changed." if dry_run else "imported.")


@click.group("questionnaire")
def questionnaire_group() -> None:
    """Questionnaire versions."""


@questionnaire_group.command("standard")
@click.option("--order", default="", help="Element codes in asking order, e.g. U1,U2,U3,U4,U5,U6,U7,U9,U8.")
def questionnaire_standard(order: str) -> None:
    """Create the standard nine-element SKM questionnaire if there is none."""
    codes = [c.strip().upper() for c in order.split(",") if c.strip()] or None
    try:
        q = questionnaires.ensure_standard_questionnaire(codes)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"active questionnaire: {q.code} version {q.version} ({len(q.questions)} questions)")


@questionnaire_group.command("create")
@click.argument("definition", type=click.File("r", encoding="utf-8"))
@click.option("--unit", "unit_code", default=None, help="Only for this unit and its sub-units (default: everyone).")
def questionnaire_create(definition, unit_code: str | None) -> None:
    """Create the next questionnaire version from a JSON DEFINITION (see docs/examples/questionnaire.json)."""
    import json

    try:
        data = json.load(definition)
    except json.JSONDecodeError as error:
        raise click.ClickException(f"{definition.name} is not valid JSON: {error}") from None
    unit = None
    if unit_code:
        unit = db.session.scalars(select(Unit).where(Unit.code == unit_code.upper())).first()
        if unit is None:
            raise click.ClickException(f"no unit with code {unit_code}")
    try:
        q = questionnaires.create_version(data, unit)
    except questionnaires.QuestionnaireError as error:
        raise click.ClickException(str(error)) from None
    counters.clear_cache()
    click.echo(f"active questionnaire: {q.code} version {q.version} ({len(q.elements)} elements, "
               f"{len(q.questions) - len(q.elements)} extra question(s))")


@click.command("seed-demo")
@click.option("--months", default=6, show_default=True, help="Months of responses to generate.")
@click.option("--seed", default=2026, show_default=True, help="Random seed: the same seed gives the same data.")
@click.option("--until", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="Last day of responses.")
@click.option("--load", default=1.0, show_default=True, help="Multiplier on the number of responses per day.")
@click.option("--accounts/--no-accounts", default=True, show_default=True,
              help="Also create demo sign-ins (password printed below; never for a real deployment).")
def seed_demo_command(months: int, seed: int, until, load: float, accounts: bool) -> None:
    """Fill an empty database with the Kabupaten Batanghari demo regency."""
    try:
        summary = demo.seed_demo(months=months, seed=seed, until=until.date() if until else None,
                                 load_factor=load, tz_name=current_app.config["TIMEZONE"])
    except demo.DemoDataExists as error:
        click.echo(f"seed-demo: {error}; nothing done.")
        return
    click.echo(f"demo regency: {summary.units} units, {summary.service_points} counters, {summary.staff} staff, "
               f"{summary.shifts} weekly shifts, {summary.responses} responses")
    result = rollups.refresh(current_app.config["TIMEZONE"], tuple(current_app.config["OFFICER_ELEMENTS"]))
    click.echo(f"rollups: {result.days} day(s)")
    opened = cycle.open_current(current_app.config)  # as the scheduler would, so Kinerja has its periods at once
    click.echo(f"performance periods opened: {', '.join(opened) or 'none'}")
    if accounts:
        for username, role in demo.create_demo_accounts():
            click.echo(f"demo sign-in: {username} ({role}) password {demo.DEMO_PASSWORD}")


@click.group("qr")
def qr_group() -> None:
    """QR codes and printable posters for counters."""


def _base_url(base_url: str | None) -> str:
    url = base_url or current_app.config["PUBLIC_BASE_URL"]
    if not url:
        raise click.ClickException("give --base-url or set FEEDBACK_PUBLIC_BASE_URL (the address citizens reach)")
    return url


@qr_group.command("image")
@click.argument("code")
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--base-url", default=None, help="Public address of the service (defaults to PUBLIC_BASE_URL).")
def qr_image_command(code: str, output: Path, base_url: str | None) -> None:
    """Write the QR code of counter CODE as PNG or SVG (by the output's extension)."""
    point = db.session.scalars(select(ServicePoint).where(ServicePoint.code == code.upper())).first()
    if point is None:
        raise click.ClickException(f"no counter with code {code}")
    url = qr.survey_url(point.code, _base_url(base_url))
    output.write_bytes(qr.qr_svg(url) if output.suffix.lower() == ".svg" else qr.qr_png(url))
    click.echo(f"{output}: {url}")


@qr_group.command("posters")
@click.option("--unit", "unit_code", default=None, help="All active counters of this unit and its sub-units.")
@click.option("--counter", "counter_code", default=None, help="One counter.")
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--base-url", default=None, help="Public address of the service (defaults to PUBLIC_BASE_URL).")
def qr_posters_command(unit_code: str | None, counter_code: str | None, output: Path, base_url: str | None) -> None:
    """Write A4 posters (one page per counter) as one PDF."""
    if bool(unit_code) == bool(counter_code):
        raise click.ClickException("give exactly one of --unit or --counter")
    try:
        posters = qr.posters_for(counter_code, unit_code)
    except qr.PosterSelectionError as error:
        raise click.ClickException(str(error)) from None
    output.write_bytes(qr.posters_pdf(posters, _base_url(base_url), current_app.config["REGION_NAME"]))
    click.echo(f"{output}: {len(posters)} poster(s)")


@click.group("staff")
def staff_group() -> None:
    """Staff records."""


@staff_group.command("photo")
@click.argument("key")
@click.argument("image", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def staff_photo_command(key: str, image: Path) -> None:
    """Set the survey photo of the staff member with NIP or code KEY (shrunk to a few KB)."""
    person = staff.find_staff(key)
    if person is None:
        raise click.ClickException(f"no staff member with NIP or code {key}")
    try:
        size = staff.set_photo(person, image.read_bytes(), current_app.config["STAFF_PHOTO_MAX_BYTES"])
    except staff.PhotoError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"photo of {person.name}: {size} bytes")


@click.group("users")
def users_group() -> None:
    """Staff-side accounts."""


@users_group.command("create")
@click.argument("username")
@click.option("--name", default="", help="Full name shown in the dashboard.")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--unit", "unit_code", default=None, help="Unit code (unit heads).")
@click.option("--staff", "staff_key", default=None,
              help="NIP or staff code (officers; a unit head who also serves citizens).")
@click.password_option(help="At least 10 characters; asked twice when not given.")
def users_create(username: str, name: str, role: str, unit_code, staff_key, password: str) -> None:
    """Create an account."""
    try:
        user = accounts.create_user(username, name, Role(role), password, unit_code, staff_key)
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"created {user.username} ({user.role.value}{', ' + user.unit.name if user.unit else ''})")


@users_group.command("reset-password")
@click.argument("username")
@click.password_option(help="At least 10 characters; asked twice when not given.")
def users_reset_password(username: str, password: str) -> None:
    """Set a new password; the account's sessions end."""
    user = accounts.find_user(username)
    if user is None:
        raise click.ClickException(f"no account {username}")
    try:
        accounts.set_password(user, password)
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"password of {user.username} changed; its sessions have ended")


@users_group.command("set-role")
@click.argument("username")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--unit", "unit_code", default=None)
def users_set_role(username: str, role: str, unit_code) -> None:
    """Change an account's role (and unit); its sessions end."""
    user = accounts.find_user(username)
    if user is None:
        raise click.ClickException(f"no account {username}")
    try:
        accounts.set_role(user, Role(role), unit_code)
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{user.username} is now {user.role.value}; its sessions have ended")


@users_group.command("deactivate")
@click.argument("username")
def users_deactivate(username: str) -> None:
    """Close an account; its sessions end at once."""
    user = accounts.find_user(username)
    if user is None:
        raise click.ClickException(f"no account {username}")
    accounts.deactivate(user)
    click.echo(f"{user.username} deactivated")


@click.group("tokens")
def tokens_group() -> None:
    """API tokens (a token sees what its owner sees)."""


@tokens_group.command("create")
@click.argument("username")
@click.option("--name", required=True, help="What the token is for, e.g. SIMPEG BKPSDM.")
def tokens_create(username: str, name: str) -> None:
    """Create a token for USERNAME and print it once."""
    user = accounts.find_user(username)
    if user is None or not user.active:
        raise click.ClickException(f"no active account {username}")
    token, plain = accounts.create_token(user, name)
    click.echo(f"token {token.id} for {user.username} ({name}); it is shown only now:")
    click.echo(plain)


@tokens_group.command("revoke")
@click.argument("token_id", type=int)
def tokens_revoke(token_id: int) -> None:
    """Revoke a token by its number."""
    if accounts.revoke_token(token_id) is None:
        raise click.ClickException(f"no token {token_id}")
    click.echo(f"token {token_id} revoked")


@click.group("rollups")
def rollups_group() -> None:
    """Daily rollups that keep dashboards fast (figures are exact with or without them)."""


@rollups_group.command("refresh")
@click.option("--rebuild", is_flag=True, help="Recompute every day, not only days with new responses.")
def rollups_refresh(rebuild: bool) -> None:
    """Bring the rollups up to the newest response (run it every few minutes, e.g. from the scheduler)."""
    cfg = current_app.config
    result = rollups.refresh(cfg["TIMEZONE"], tuple(cfg["OFFICER_ELEMENTS"]), rebuild=rebuild)
    click.echo(f"rollups: {result.days} day(s) recomputed, up to response {result.watermark}")


@click.group("jobs")
def jobs_group() -> None:
    """The scheduler's jobs, run by hand (each run is recorded like the scheduler's)."""


@jobs_group.command("run")
@click.argument("name", type=click.Choice(sorted(scheduler.SCHEDULE)))
def jobs_run(name: str) -> None:
    """Run one job now: rollups, periods, digest, purge or backup."""
    outcome = scheduler.run_job(current_app._get_current_object(), name)
    click.echo(f"{name}: {outcome.outcome} - {outcome.detail}")
    if outcome.outcome == "failed":
        raise SystemExit(1)


@jobs_group.command("history")
@click.option("--limit", default=20, show_default=True)
def jobs_history(limit: int) -> None:
    """The latest job runs, newest first."""
    # the table, not the mapped class: an ORM query first configures every mapper of the models (a tenth of a
    # second of this command's start), which printing one table's rows does not need
    runs = JobRun.__table__
    for run in db.session.execute(select(runs).order_by(runs.c.id.desc()).limit(limit)):
        ended = f"{run.finished_at:%Y-%m-%d %H:%M:%S}" if run.finished_at else "-"
        click.echo(f"{run.started_at:%Y-%m-%d %H:%M:%S}  {ended}  {run.job:<8} {run.outcome:<8} {run.detail[:80]}")


@click.command("scheduler")
def scheduler_command() -> None:
    """Run the scheduler in the foreground until stopped (its own process, never a web worker)."""
    import logging

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    click.echo("scheduler: " + ", ".join(f"{name} {spec}" for name, spec in scheduler.SCHEDULE.items()))
    app = current_app._get_current_object()
    process = scheduler.build_scheduler(app)
    signal.signal(signal.SIGTERM, lambda *_: process.shutdown(wait=False))  # systemd stop: end the loop cleanly
    try:
        process.start()
    finally:  # a clean stop (SIGTERM from systemd, Ctrl-C) hands the lease over at once
        with app.app_context():
            leases.release(leases.SCHEDULER, process.lease_holder)


@click.group("performance")
def performance_group() -> None:
    """Performance periods, the combined-index formula and award rules."""


@performance_group.command("close")
@click.argument("period")
def performance_close(period: str) -> None:
    """Close PERIOD (e.g. 2026-Q3) now: freeze summaries and nominate. Closing twice changes nothing."""
    try:
        result = cycle.close(period, current_app.config)
    except PerformanceError as error:
        raise click.ClickException(str(error)) from None
    if result.closed:
        click.echo(f"{period} closed: {result.summaries} summaries, {result.nominations} nominations")
    else:
        click.echo(f"{period} was already closed; nothing changed")


@performance_group.command("reproduce")
@click.argument("period")
def performance_reproduce(period: str) -> None:
    """Recompute a closed period's summaries and report every difference (exit 1 if any)."""
    try:
        differences = cycle.reproduce(period, current_app.config)
    except PerformanceError as error:
        raise click.ClickException(str(error)) from None
    for line in differences:
        click.echo(line)
    click.echo(f"{period}: {'no differences' if not differences else f'{len(differences)} difference(s)'}")
    if differences:
        raise SystemExit(1)


@performance_group.command("formula")
@click.option("--predikat-weight", type=float, required=True)
@click.option("--citizen-weight", type=float, required=True)
@click.option("--peer-weight", type=float, default=0.0, show_default=True)
@click.option("--officer-elements", default=None, help="e.g. U6,U7 (default: the current version's)")
@click.option("--minimum", type=int, default=None)
@click.option("--prior-weight", type=float, default=None)
@click.option("--officer-verification", type=click.Choice(["verified+roster", "verified"]), default=None,
              help="Which responses make officer scores (default: the current version's).")
@click.option("--note", required=True, help="Why the formula changes (kept with the version).")
def performance_formula(predikat_weight, citizen_weight, peer_weight, officer_elements, minimum, prior_weight,
                        officer_verification, note) -> None:
    """Add a formula version (periods already closed keep theirs)."""
    current = cycle.ensure_formula(current_app.config).settings
    settings = {"predikat_weight": predikat_weight, "citizen_weight": citizen_weight, "peer_weight": peer_weight,
                "officer_elements": officer_elements or current["officer_elements"],
                "minimum": current["minimum"] if minimum is None else minimum,
                "prior_weight": current["prior_weight"] if prior_weight is None else prior_weight,
                "officer_verification": officer_verification or current.get("officer_verification")}
    try:
        formula = appraisal.new_formula(None, settings, note, current_app.config)
    except PerformanceError as error:
        raise click.ClickException(f"nothing stored: {error}") from None
    click.echo(f"formula version {formula.version}: {formula.settings}")


@click.group("awards")
def awards_group() -> None:
    """Award categories and their rules."""


@awards_group.command("list")
def awards_list() -> None:
    """The award categories with their gates."""
    awards.ensure_categories()
    for category in db.session.scalars(select(AwardCategory).order_by(AwardCategory.code)):
        scope = "per unit" if category.per_unit else "regency-wide"
        click.echo(f"{category.code}: {category.name}, {category.period_kind}, {scope}, "
                   f"{category.nominees} nominee(s), gates {category.gates}")


@awards_group.command("rule")
@click.argument("code")
@click.option("--min-responses", type=int)
@click.option("--predikat", help="Accepted predikat, comma-separated, e.g. 'Sangat Baik,Baik'.")
@click.option("--no-open-flags/--allow-open-flags", default=None)
@click.option("--no-disciplinary/--allow-disciplinary", default=None)
@click.option("--min-service-years", type=float)
@click.option("--nominees", type=int)
def awards_rule(code, min_responses, predikat, no_open_flags, no_disciplinary, min_service_years, nominees) -> None:
    """Change the gates of award category CODE."""
    awards.ensure_categories()
    gates = {"min_responses": min_responses, "predikat": predikat, "no_open_flags": no_open_flags,
             "no_disciplinary": no_disciplinary, "min_service_years": min_service_years}
    try:
        category = awards.set_rule(None, code, {k: v for k, v in gates.items() if v is not None}, nominees)
    except PerformanceError as error:
        raise click.ClickException(f"nothing stored: {error}") from None
    click.echo(f"{category.code}: gates {category.gates}, {category.nominees} nominee(s)")


@click.group("queue")
def queue_group() -> None:
    """Queue tickets served where the queue machine has no live link to this service."""


@queue_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--day", required=True, help="The day the tickets were served, YYYY-MM-DD (local time).")
@click.option("--dry-run", is_flag=True, help="Check and count, change nothing.")
def queue_import_command(file: Path, day: str, dry_run: bool) -> None:
    """Import a day's served tickets from a CSV (',' or ';') or XLSX file with the columns ticket, nip, counter:
    each is one service delivered by that officer at that counter. Any bad line: nothing is imported."""
    from datetime import date

    try:
        served_on = date.fromisoformat(day)
    except ValueError:
        raise click.BadParameter(f"'{day}' is not a date like 2026-12-03", param_hint="--day") from None
    try:
        rows = queue.read_rows(file)
    except queue.QueueRefused as error:
        raise click.ClickException(str(error)) from None
    result = queue.import_tickets(rows, served_on, dry_run=dry_run)
    if result.problems:
        for line, problem in result.problems:
            click.echo(f"error: line {line}: {problem}", err=True)
        click.echo(f"{len(result.problems)} problem(s) found; nothing was imported.", err=True)
        sys.exit(1)
    if dry_run:
        click.echo(f"dry run: {len(rows) - result.already} ticket(s) would be added, {result.already} already there.")
    else:
        click.echo(f"{result.added} ticket(s) added, {result.already} already there.")
@click.group("backup")
def backup_group() -> None:
    """Backups that restore: create, restore into a fresh database, compare fingerprints."""


@backup_group.command("create")
@click.option("--dir", "folder", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for the file (default: BACKUP_DIR, else instance/backups).")
def backup_create(folder: Path | None) -> None:
    """Copy the database now (SQLite online backup; pg_dump -Fc on PostgreSQL) and print the file's path."""
    from datetime import datetime, timezone

    cfg = current_app.config
    folder = folder or Path(cfg["BACKUP_DIR"] or Path(current_app.instance_path) / "backups")
    name = f"manual-{datetime.now(timezone.utc):%Y%m%d-%H%M%S}{backups.SUFFIX[db.engine.dialect.name]}"
    try:
        target = backups.create(db.engine, folder / name)
    except backups.BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{target} ({target.stat().st_size} bytes)")


@backup_group.command("restore")
@click.argument("backup", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--into", "target_url", required=True,
              help="A fresh database: sqlite:///new-file.sqlite3 or postgresql://user@host/new_empty_db.")
def backup_restore(backup: Path, target_url: str) -> None:
    """Restore a backup into a fresh database and print its fingerprint (compare with `flask backup fingerprint`
    on the original)."""
    try:
        engine = backups.restore(backup, target_url)
    except backups.BackupError as error:
        raise click.ClickException(str(error)) from None
    with engine.connect() as connection:
        click.echo(json.dumps(backups.fingerprint(connection), sort_keys=True))
    engine.dispose()


@backup_group.command("fingerprint")
def backup_fingerprint() -> None:
    """Row counts and the closed periods' summary checksum of this database, as one JSON line."""
    with db.engine.connect() as connection:
        click.echo(json.dumps(backups.fingerprint(connection), sort_keys=True))


@click.command("check-config")
@click.option("--lang", type=click.Choice(["en", "id"]), default="en", show_default=True,
              help="Language of the findings.")
def check_config_command(lang: str) -> None:
    """List what is wrong or risky in this configuration (secret key, public address, mail, rate limits, database,
    backups, scheduler); exit 1 when something is wrong, 0 when it is at most risky."""
    from flask_babel import force_locale, gettext

    from .services import configcheck

    findings = configcheck.check(current_app.config, current_app.instance_path)
    labels = {"ok": "ok", "risky": "RISKY", "wrong": "WRONG"} if lang == "en" else \
        {"ok": "baik", "risky": "BERISIKO", "wrong": "SALAH"}
    with force_locale(lang):
        for finding in findings:
            click.echo(f"{labels[finding.severity]:<8} {gettext(finding.topic)}: "
                       f"{gettext(finding.message, **finding.params)}")
    wrong = sum(f.severity == "wrong" for f in findings)
    risky = sum(f.severity == "risky" for f in findings)
    click.echo(f"{wrong} wrong, {risky} risky" if lang == "en" else f"{wrong} salah, {risky} berisiko")
    if configcheck.has_wrong(findings):
        raise SystemExit(1)
