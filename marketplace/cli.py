"""`flask` commands: seed-demo, `flask users grant|revoke` for operators, `flask orders expire` and
`flask opendata aggregate` for cron."""
from __future__ import annotations

from datetime import datetime, timedelta

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from marketplace.accounts import services
from marketplace.accounts.demo_data import DEMO_PASSWORD
from marketplace.accounts.models import ADMIN_GRANTED_ROLES, Role
from marketplace.accounts.seeding import database_is_empty, seed_demo_neighbours, seed_demo_people, seed_places
from marketplace.catalog.demo_data import seed_demo_listings, seed_neighbour_listings
from marketplace.catalog.seeding import ensure_categories
from marketplace.core import jobs
from marketplace.core.errors import DomainError
from marketplace.core.timeutils import utcnow
from marketplace.egov.demo_data import seed_demo_applications
from marketplace.egov.versions import ensure_seeded_services
from marketplace.extensions import db
from marketplace.opendata.aggregate import aggregate
from marketplace.orders.demo_data import seed_demo_collection_point, seed_demo_order
from marketplace.orders.services import UNPAID_ORDER_LIFETIME, expire_unpaid_orders
from marketplace.voice.seeding import ensure_default_routing


@click.command("seed-demo")
@with_appcontext
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has data.")
def seed_demo(if_empty: bool) -> None:
    """Load the demo country, departments and one person per role."""
    if if_empty and not database_is_empty():
        click.echo("Database already has data; demo seed skipped.")
        return
    seed_places()
    ensure_categories(db.session.connection())
    db.session.commit()
    people = seed_demo_people()
    farmer = services.find_user_by_identifier(next(phone for role, phone, _ in people if role == "farmer"))
    listed = seed_demo_listings(farmer)
    neighbours = seed_demo_neighbours()
    listed += seed_neighbour_listings(neighbours)
    buyer = services.find_user_by_identifier(next(phone for role, phone, _ in people if role == "buyer"))
    ordered = seed_demo_order(buyer, farmer)
    forms = ensure_seeded_services()
    ensure_default_routing()
    person = {role: services.find_user_by_identifier(phone) for role, phone, _ in people}
    point = seed_demo_collection_point(person["agent"])
    applications = seed_demo_applications(person["resident"], neighbours[0], person["official"])
    # /prices, the phone's prices and /performance read the same published figures from the start
    aggregate(utcnow().date())
    click.echo(f"Demo people (password for all: {DEMO_PASSWORD}):")
    for role, phone, email in people:
        click.echo(f"  {role:<9} {phone}  {email}")
    if listed:
        click.echo(f"{listed} demo listings are on sale, from the demo farmer and {len(neighbours)} neighbours.")
    if ordered:
        click.echo(f"The demo buyer has order {ordered} to collect from the demo farmer.")
    if point:
        click.echo(f"The demo agent runs the collection point {point}: farmers of the demo district can bring orders there.")
    if forms:
        click.echo(f"Government services published: {', '.join(forms)}.")
    if applications:
        click.echo(f"The demo resident has an approved and a rejected application; {applications - 2} more waits for the demo official.")

egov = AppGroup("egov", help="Government e-services.")

@egov.command("load-forms")
def load_forms() -> None:
    """Publish the shipped form definitions that do not exist yet (safe to rerun)."""
    created = ensure_seeded_services()
    click.echo(f"Published: {', '.join(created)}" if created else "Every shipped form is already there.")

@egov.command("import-xlsform")
@click.argument("workbook", type=click.Path(exists=True, dir_okay=False))
@click.option("--service", "slug", required=True, help="The service's short name; a new one needs --department.")
@click.option("--department", default="", help="Department code (AGR…) for a new service.")
def import_xlsform_command(workbook: str, slug: str, department: str) -> None:
    """Read an XLSForm workbook into the service's draft version (publish it from /admin/services)."""
    from pathlib import Path

    from marketplace.egov.versions import import_xlsform
    from marketplace.egov.xlsform import XLSFormRefused

    try:
        draft, skipped = import_xlsform(None, slug, Path(workbook).read_bytes(), Path(workbook).name, department)
    except XLSFormRefused as error:
        raise click.ClickException("the workbook cannot be imported:\n  " + "\n  ".join(error.reasons)) from None
    except DomainError as error:
        raise click.ClickException(str(error.message)) from None
    click.echo(f"{slug}: draft version {draft.number} holds the workbook; publish it from /admin/services.")
    for item in skipped:
        click.echo(f"skipped: {item}")

@egov.command("verify-qr")
@click.argument("text_or_picture")
def verify_qr(text_or_picture: str) -> None:
    """Check a certificate's signed code: its text (VS1:…) or a picture of the QR code (PNG, JPEG)."""
    from pathlib import Path

    from marketplace.egov import seals

    text = text_or_picture
    if Path(text_or_picture).is_file():
        import zxingcpp
        from PIL import Image

        found = zxingcpp.read_barcodes(Image.open(text_or_picture))
        if not found:
            raise click.ClickException("no QR code could be read in the picture")
        text = found[0].text
    try:
        unsealed, certificate = seals.read_sealed(text)
    except seals.SealRefused as refused:
        raise click.ClickException(f"not genuine: {refused}") from None
    click.echo(seals.describe(unsealed))
    if certificate is not None and seals.revoked_on(certificate):
        raise click.ClickException(f"genuine, but revoked on {seals.revoked_on(certificate)}")
    if certificate is None:
        click.echo("(signed by one of our keys, but no certificate of ours has this code)")


@egov.command("rotate-key")
@click.argument("department_code")
def rotate_key(department_code: str) -> None:
    """Give a department a new signing key; documents signed with the old one still verify."""
    from marketplace.accounts.api import Department
    from marketplace.egov import seals
    from marketplace.extensions import db

    department = db.session.scalar(db.select(Department).where(Department.code == department_code.upper()))
    if department is None:
        raise click.ClickException(f"no department {department_code}")
    key = seals.rotate(department)
    click.echo(f"{department.code}: new key {key.kid}; the key set at /.well-known/jwks.json lists it")

open311_group = AppGroup("open311", help="Open311 GeoReport v2: partner apps' keys.")


@open311_group.command("issue-key")
@click.argument("partner_name")
@click.option("--account", required=True, help="The partner's own Village Square account (phone or email): reports are filed as it.")
def issue_open311_key(partner_name: str, account: str) -> None:
    """Give a partner app an api_key for posting requests; the key is printed once."""
    from marketplace.voice.open311 import issue_key

    try:
        key, secret = issue_key(None, partner_name, account)
    except DomainError as error:
        raise click.ClickException(str(error.message)) from None
    click.echo(f"key {key.id} for {key.partner_name}: {secret}")


@open311_group.command("revoke-key")
@click.argument("key_id", type=int)
def revoke_open311_key(key_id: int) -> None:
    """Stop a partner app's key working."""
    from marketplace.voice.open311 import revoke_key

    try:
        revoke_key(None, key_id)
    except DomainError as error:
        raise click.ClickException(str(error.message)) from None
    click.echo(f"key {key_id} revoked")

places_group = AppGroup("places", help="The gazetteer: where villages are.")


@places_group.command("import")
@click.argument("source", type=click.File("r", encoding="utf-8-sig"))
def import_places(source) -> None:
    """Load a survey's villages and positions from CSV (region_code, region_name, district_code,
    district_name, village, latitude, longitude). New places are added, known villages move; one bad
    row and nothing is written."""
    from marketplace.accounts.places import import_gazetteer

    result = import_gazetteer(source.read())
    if result.errors:
        raise click.ClickException("nothing loaded:\n  " + "\n  ".join(result.errors))
    click.echo(f"{result.added} village(s) added, {result.moved} moved, {result.unchanged} unchanged")


@places_group.command("export")
def export_places() -> None:
    """Print the gazetteer as the CSV `flask places import` reads."""
    from marketplace.accounts.places import gazetteer_csv

    click.echo(gazetteer_csv(), nl=False)


orders = AppGroup("orders", help="Order housekeeping that cron runs.")

@orders.command("expire")
@click.option("--minutes", type=int, default=None, help="How long a card order may wait for payment (default: the orders rule, 30).")
def expire(minutes: int | None) -> None:
    """Cancel unpaid card orders older than MINUTES and release their stock (safe to rerun)."""
    numbers = expire_unpaid_orders(timedelta(minutes=minutes) if minutes else UNPAID_ORDER_LIFETIME)
    click.echo(f"{len(numbers)} unpaid order(s) expired" + (f": {', '.join(numbers)}" if numbers else "."))

opendata = AppGroup("opendata", help="The open data: price index and service performance.")

@opendata.command("aggregate")
@click.option("--day", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="The day (UTC) to compute; default today.")
@click.option("--days", default=1, show_default=True, help="Also recompute this many days before it (for a backfill).")
def aggregate_command(day, days: int) -> None:
    """Compute the day's price index and its month's service figures (idempotent: safe to rerun)."""
    last = (day.date() if day else utcnow().date())
    for offset in range(days - 1, -1, -1):
        result = aggregate(last - timedelta(days=offset))
        click.echo(f"{result.day}: {result.price_cells} price cell(s), {result.service_months} service(s) this month")

@click.command("worker")
@with_appcontext
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker(burst: bool) -> None:
    """Run background jobs from Redis (REDIS_URL) until stopped."""
    try:
        jobs.run_worker(current_app._get_current_object(), burst=burst)
    except RuntimeError as error:
        raise click.ClickException(str(error)) from None

jobs_group = AppGroup("jobs", help="Background jobs: the scheduler and the sweep.")

@jobs_group.command("scheduler")
def scheduler() -> None:
    """Enqueue the scheduled jobs (expiry, open-data figures, the sweep) on time; run one per deployment."""
    app = current_app._get_current_object()
    if not app.config.get("REDIS_URL"):
        raise click.ClickException("REDIS_URL is not set: use the cron lines in the README instead.")
    for name, seconds in sorted(jobs.registry(app).schedule.items()):
        click.echo(f"{name}: every {seconds} s")
    jobs.run_scheduler(app)

@jobs_group.command("sweep")
def sweep() -> None:
    """Queue again the work whose job was lost (safe to rerun)."""
    click.echo(f"{jobs.sweep()} job(s) queued again.")

users = AppGroup("users", help="Grant or revoke the roles only an admin gives.")
role_names = sorted(r.value for r in ADMIN_GRANTED_ROLES)

@users.command("grant")
@click.argument("identifier")
@click.argument("role", type=click.Choice(role_names))
@click.option("--department", help="Department code, for officials (e.g. AGR).")
@click.option("--district", help="District code an official works for (default: the whole department).")
@click.option("--reason", default="granted from the command line")
def grant(identifier: str, role: str, department: str | None, district: str | None, reason: str) -> None:
    """Grant ROLE to the person with this phone number or email."""
    user = services.find_user_by_identifier(identifier)
    if user is None:
        raise click.ClickException(f"no account with phone or email {identifier!r}")
    try:
        services.grant_role(None, user, Role(role), reason, department, district)
    except DomainError as error:
        raise click.ClickException(str(error.message)) from None
    click.echo(f"{user.name} is now {role}.")

@users.command("revoke")
@click.argument("identifier")
@click.argument("role", type=click.Choice(role_names))
@click.option("--reason", default="revoked from the command line")
def revoke(identifier: str, role: str, reason: str) -> None:
    """Remove ROLE from the person with this phone number or email."""
    user = services.find_user_by_identifier(identifier)
    if user is None:
        raise click.ClickException(f"no account with phone or email {identifier!r}")
    services.revoke_role(None, user, Role(role), reason)
    click.echo(f"{user.name} is no longer {role}.")


payments_group = AppGroup("payments", help="Payment providers' one-time set-up, and the daily reconciliation.")


@payments_group.command("register-paybill")
@with_appcontext
def register_paybill() -> None:
    """Tell M-Pesa where this deployment's pay bill validation and confirmation go (once per short code)."""
    from marketplace.core.urls import external_url
    from marketplace.payments.api import MOBILE_MONEY, provider

    secret = current_app.config.get("MPESA_CALLBACK_SECRET")
    if not secret:
        raise click.ClickException("MPESA_* settings are missing: see the README's configuration table")
    validation = external_url("payments.mpesa_paybill_validate", secret=secret)
    confirmation = external_url("payments.mpesa_paybill_confirm", secret=secret)
    provider(MOBILE_MONEY).register_paybill_urls(validation_url=validation, confirmation_url=confirmation)
    click.echo(f"M-Pesa will validate at {validation.rsplit('/', 1)[0]}/… and confirm at {confirmation.rsplit('/', 1)[0]}/…")


@payments_group.command("reconcile")
@click.option("--day", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="The day to hold against M-Pesa's records (in its zone); by default every ended day not yet done.")
@with_appcontext
def reconcile(day: datetime | None) -> None:
    """Hold a day's M-Pesa money against M-Pesa's own records and list the differences for an admin."""
    from marketplace.payments.api import MOBILE_MONEY, ProviderUnavailable, enabled, reconcile_day, reconcile_ended_days

    if not enabled(MOBILE_MONEY):
        raise click.ClickException("MPESA_* settings are missing: see the README's configuration table")
    try:
        if day is None:
            click.echo(f"{reconcile_ended_days()} day(s) reconciled.")
            return
        done = reconcile_day(day.date())
    except ProviderUnavailable as error:
        raise click.ClickException(f"M-Pesa could not be asked: {error.detail}") from None
    click.echo(f"{done.day}: {done.money_in_matched} of {done.money_in_count} transactions in matched, "
               f"{len(done.differences)} difference(s), {len(done.checks)} payout(s) asked about.")


phone_group = AppGroup("phone", help="Basic phones: the voice menus' prompts.")

@phone_group.command("prompts")
def phone_prompts() -> None:
    """Generate the audio of every fixed voice prompt in every language (espeak-ng) and remove the
    audio of words no catalog says any more; run after each release (safe to rerun)."""
    from marketplace.ussd.prompts import generate_all, speech_available

    if not speech_available():
        raise click.ClickException("espeak-ng is not installed (make voice-deps): calls use the gateway's own speech.")
    done = generate_all(list(current_app.config["LANGUAGES"]))
    click.echo(f"{done['made']} prompt(s) generated, {done['kept']} already there, {done['removed']} removed.")


def register_commands(app: Flask) -> None:
    for command in (seed_demo, egov, open311_group, places_group, orders, opendata, worker, jobs_group, users, payments_group, phone_group):
        app.cli.add_command(command)
