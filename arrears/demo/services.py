"""Load the demo portfolio into the database, and the demo's nightly collections cycle.

`demo_build()` generates the portfolio in memory (arrears.demo.generator), then, in one transaction,
deletes the previous demo business units with everything that hangs off them, makes sure every demo
user exists with the demo password, and writes the rows with bulk inserts. Derived ledger values
(open amounts, statuses, closed dates, unapplied cash) are written as the generator computed them
from the allocations written in the same transaction, which the ledger allows for bulk paths.

The demo owns its rows, so it bypasses the per-row ledger and user services on purpose: the same
data through `payment_allocate()` would take minutes instead of seconds.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from itertools import batched
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.models import Max, Sum

from arrears.audit.services import audit_record
from arrears.common.clock import now
from arrears.common.money import currency_exponent, quantize
from arrears.demo.generator import BUSINESS_UNITS, USERS, Portfolio, UserSpec, portfolio_generate
from arrears.dunning.models import DunningRun
from arrears.dunning.services.strategies import strategy_seed_defaults
from arrears.ledger.aging import aging_report
from arrears.ledger.models import (
    Allocation,
    BusinessUnit,
    ChannelConsent,
    Contact,
    Customer,
    Document,
    DocumentKind,
    FxRate,
    Payment,
    WriteOff,
)
from arrears.nightly.services import nightly_cycle
from arrears.users.models import Team, User

DEMO_PASSWORD = "arrears-demo"
DEMO_BUSINESS_UNIT_CODES = tuple(bu.code for bu in BUSINESS_UNITS)
BATCH_SIZE = 5000
LOADED_MODELS = (Customer, Contact, ChannelConsent, Document, Payment, WriteOff, Allocation)


def demo_build(*, seed: int, customers: int, as_of: dt.date) -> dict[str, Any]:
    """Replace the demo data with the portfolio for (seed, customers, as_of). Safe to run again."""
    started = time.monotonic()
    portfolio = portfolio_generate(seed=seed, customers=customers, as_of=as_of)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:  # a bigger page cache: fewer index page reloads while inserting
            cursor.execute("PRAGMA cache_size = -131072")
    with transaction.atomic(), _foreign_keys_checked_once(LOADED_MODELS):
        _purge(BusinessUnit, BusinessUnit.objects.filter(code__in=DEMO_BUSINESS_UNIT_CODES))
        users = _users_ensure(portfolio.users, portfolio.teams)
        _write(portfolio, users)
        _statistics_refresh(LOADED_MODELS)
        audit_record(
            action="demo_load",
            object_type="demo",
            note=f"demo portfolio: seed {seed}, {customers} customers, as of {as_of.isoformat()}",
        )
    summary = demo_summary(as_of=as_of)
    summary["seed"] = seed
    summary["duration_s"] = round(time.monotonic() - started, 2)
    return summary


def demo_summary(*, as_of: dt.date) -> dict[str, Any]:
    """Counts of the demo data, the demo users, and the open receivables per currency."""
    documents = Document.objects.filter(business_unit__code__in=DEMO_BUSINESS_UNIT_CODES)
    open_balance = {
        row["currency"]: str(quantize(row["total"], row["currency"]))
        for row in documents.exclude(kind=DocumentKind.CREDIT_NOTE)
        .filter(open_amount__gt=0)
        .values("currency")
        .annotate(total=Sum("open_amount"))
        .order_by("currency")
    }
    return {
        "seed": None,
        "as_of": as_of.isoformat(),
        "business_units": BusinessUnit.objects.filter(code__in=DEMO_BUSINESS_UNIT_CODES).count(),
        "customers": Customer.objects.filter(business_unit__code__in=DEMO_BUSINESS_UNIT_CODES).count(),
        "documents": documents.count(),
        "payments": Payment.objects.filter(business_unit__code__in=DEMO_BUSINESS_UNIT_CODES).count(),
        "allocations": Allocation.objects.filter(document__business_unit__code__in=DEMO_BUSINESS_UNIT_CODES).count(),
        "write_offs": WriteOff.objects.filter(document__business_unit__code__in=DEMO_BUSINESS_UNIT_CODES).count(),
        "credit_notes": documents.filter(kind=DocumentKind.CREDIT_NOTE).count(),
        "users": [
            {"username": u.username, "role": u.role}
            for u in User.objects.filter(username__in=[s.username for s in USERS]).order_by("pk")
        ],
        "password": DEMO_PASSWORD,
        "open_balance": open_balance,
        "duration_s": None,
    }


def demo_run_nightly_cycle(as_of: dt.date, *, write: Callable[[str], Any] | None = None) -> dict[str, Any]:
    """The nightly collections cycle on the demo portfolio, then its aging summary.

    The demo replaces the run of its own as-of date (a rebuilt portfolio must be planned afresh);
    every other night's run is left alone. `write` receives a printable summary line by line.
    """
    strategy_seed_defaults()
    DunningRun.objects.filter(as_of=as_of).delete()
    cycle = nightly_cycle(as_of=as_of, say=write)
    report = aging_report(as_of=as_of, by="business-unit")
    result = {"cycle": cycle.as_dict(), "aging": report.as_dict()}
    if write is not None:
        dunning = cycle.steps["dunning"]
        counts = dunning.get("counts", {}).get("channel", {}) if isinstance(dunning.get("counts"), dict) else {}
        if counts:
            write("Actions planned tonight by channel: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
        keys = report.bucket_keys
        write(f"Aging as of {as_of.isoformat()} (days past due):")
        write(f"  {'business unit':<28} {'ccy':<4}" + "".join(f"{k:>16}" for k in (*keys, "total")))
        for row in report.rows:
            cells = "".join(f"{v:>16,}" for v in (*row.buckets, row.total))
            write(f"  {row.label[:28]:<28} {row.currency:<4}{cells}")
    return result


@contextmanager
def _foreign_keys_checked_once(loaded: Sequence[type[models.Model]]) -> Iterator[None]:
    """On PostgreSQL, check foreign keys from and to the loaded tables once, not row by row.

    Each inserted or deleted row's check is an index probe (and a row lock), queued until commit:
    for 300,000 rows that is most of the load time. Dropping the constraints and adding them back
    validates every row in one join per constraint, the way pg_restore does. It runs inside the
    caller's transaction, so a failure leaves the schema as it was; the tables stay locked until
    commit.
    """
    if connection.vendor != "postgresql":
        yield
        return
    tables = [m._meta.db_table for m in loaded]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, quote_ident(conname), pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'f' AND (conrelid = ANY(%s::regclass[]) OR confrelid = ANY(%s::regclass[])) "
            "ORDER BY 1, 2",
            [tables, tables],
        )
        constraints = cursor.fetchall()
        # No deferred checks may be pending on a table we alter: check the other tables' keys as we go.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table, name, _ in constraints:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
    yield
    with connection.cursor() as cursor:
        for table, name, definition in constraints:
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # Django's default for the rest of the transaction


# --- deleting the previous demo ------------------------------------------------------------------------


def _statistics_refresh(loaded: Sequence[type[models.Model]]) -> None:
    """PostgreSQL plans later queries (the next rebuild's purge, the nightly run) from table
    statistics; after a bulk load they still say "empty", and a nested loop over 90,000 rows
    follows. ANALYZE inside the transaction counts its own new rows."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in loaded:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _purge(model: type[models.Model], rows: models.QuerySet[Any]) -> None:
    """Delete `rows` and, first, every row that depends on them, whatever app it lives in.

    Unlike `QuerySet.delete()` this does not load the rows and does not stop at PROTECT: demo data
    is thrown away as a whole. Nullable SET_NULL references (and a model's references to itself)
    are cleared instead, so rows outside the demo survive.
    """
    pks = rows.values("pk")
    # Reverse foreign keys and one-to-ones, hidden ones included: those are the rows of the
    # many-to-many tables (either side) that point here.
    for rel in model._meta.get_fields(include_hidden=True):
        if not (rel.auto_created and not rel.concrete and (rel.one_to_many or rel.one_to_one)):
            continue
        related = rel.related_model
        name = rel.field.name
        dependants = related._base_manager.filter(**{f"{name}__in": pks})
        if rel.field.null and (related is model or rel.on_delete is models.SET_NULL):
            dependants.update(**{name: None})
        elif related is not model:
            _purge(related, dependants)
    # _raw_delete: one DELETE ... WHERE id IN (subquery), no rows loaded, no signals.
    rows._raw_delete(connection.alias)


# --- users ---------------------------------------------------------------------------------------------


def _users_ensure(specs: Sequence[UserSpec], teams: Sequence[str]) -> dict[str, int]:
    """Every demo user with the demo password; returns username -> id. Hashes the password once."""
    password = make_password(DEMO_PASSWORD)
    team_objs = [Team.objects.get_or_create(name=name)[0] for name in teams]
    ids: dict[str, int] = {}
    for spec in specs:
        user = User.objects.filter(username=spec.username).first() or User(username=spec.username)
        user.role = spec.role
        user.first_name, user.last_name = spec.first_name, spec.last_name
        user.email = f"{spec.username}@acme.example"
        user.team = team_objs[spec.team] if spec.team is not None else None
        user.is_active = True
        user.is_staff = user.is_superuser = spec.role == "admin"
        user.password = password
        user.save()
        ids[spec.username] = user.pk
        if spec.leads is not None:
            team = team_objs[spec.leads]
            if team.lead_id != user.pk:
                team.lead = user
                team.save(update_fields=["lead"])
    return ids


# --- bulk inserts --------------------------------------------------------------------------------------


def _insert(model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """INSERT rows with explicit ids in batches; `fields` are attnames, `rows` DB-ready values."""
    qn = connection.ops.quote_name
    columns = [model._meta.get_field(f).column for f in fields]
    stamped = any(f.name == "created_at" for f in model._meta.concrete_fields)
    if stamped:
        columns += ["created_at", "updated_at"]
        stamp = connection.ops.adapt_datetimefield_value(now())
    table = f"{qn(model._meta.db_table)} ({', '.join(qn(c) for c in columns)})"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY is an order of magnitude faster than INSERT on PostgreSQL (psycopg 3 adapts the values).
            with cursor.cursor.copy(f"COPY {table} FROM STDIN") as copy:
                for row in rows:
                    copy.write_row((*row, stamp, stamp) if stamped else row)
            return
        sql = f"INSERT INTO {table} VALUES ({', '.join(['%s'] * len(columns))})"
        for batch in batched(rows, BATCH_SIZE):
            cursor.executemany(sql, [(*row, stamp, stamp) for row in batch] if stamped else batch)


def _next_id(model: type[models.Model]) -> int:
    return (model._base_manager.aggregate(m=Max("pk"))["m"] or 0) + 1


def _json(model: type[models.Model], value: dict[str, Any]) -> Any:
    return model._meta.get_field("attributes").get_db_prep_save(value, connection)


def _write(p: Portfolio, users: dict[str, int]) -> None:
    dbdt = connection.ops.adapt_datetimefield_value

    bu_ids = []
    for spec in p.business_units:
        bu = BusinessUnit.objects.create(
            code=spec.code, name=spec.name, home_currency=spec.currency, country=spec.country,
            subdivision=spec.subdivision, timezone=spec.timezone,
        )
        bu_ids.append(bu.pk)

    base = _next_id(Customer)
    _insert(
        Customer,
        ["id", "business_unit_id", "external_id", "name", "kind", "jurisdiction", "country", "segment", "timezone",
         "language", "preferred_channel", "credit_limit", "credit_currency", "payment_terms_days", "collector_id",
         "parent_id", "paused", "cease_communication", "do_not_contact", "bankruptcy", "attorney_represented",
         "attributes"],
        (
            (base + i, bu_ids[c.bu], c.external_id, c.name, c.kind, c.jurisdiction, c.country, c.segment, c.timezone,
             c.language, c.preferred_channel, _money(c.credit_limit, c.currency), c.currency, c.payment_terms_days,
             users.get(c.collector) if c.collector else None,
             base + c.parent if c.parent is not None else None, c.paused, c.cease_communication, c.do_not_contact,
             c.bankruptcy, c.attorney_represented,
             _json(Customer, {"demo_profile": c.profile, "customer_since": c.since.isoformat()}))
            for i, c in enumerate(p.customers)
        ),
    )
    customer_base = base

    base = _next_id(Contact)
    _insert(
        Contact,
        ["id", "customer_id", "name", "role", "email", "phone", "address_line1", "address_line2", "postal_code",
         "city", "region", "country", "is_primary"],
        (
            (base + i, customer_base + c.customer, c.name, c.role, c.email, c.phone, c.address_line1,
             c.address_line2, c.postal_code, c.city, c.region, c.country, c.is_primary)
            for i, c in enumerate(p.contacts)
        ),
    )
    contact_base = base

    base = _next_id(ChannelConsent)
    _insert(
        ChannelConsent,
        ["id", "contact_id", "channel", "status", "changed_at", "source"],
        (
            (base + i, contact_base + c.contact, c.channel, c.status,
             dbdt(c.changed_at) if c.changed_at else None, c.source)
            for i, c in enumerate(p.consents)
        ),
    )

    doc_base = _next_id(Document)
    empty = _json(Document, {})
    _insert(
        Document,
        ["id", "business_unit_id", "customer_id", "external_id", "kind", "issue_date", "due_date", "amount",
         "currency", "reference", "open_amount", "status", "closed_date", "attributes"],
        (
            (doc_base + i, bu_ids[d.bu], customer_base + d.customer, d.external_id, d.kind, d.issue_date, d.due_date,
             _money(d.amount, d.currency), d.currency, d.reference, _money(d.open_amount, d.currency), str(d.status), d.closed_date,
             _json(Document, d.attributes) if d.attributes else empty)
            for i, d in enumerate(p.documents)
        ),
    )

    pay_base = _next_id(Payment)
    _insert(
        Payment,
        ["id", "business_unit_id", "customer_id", "external_id", "received_date", "amount", "currency", "method",
         "reference", "unapplied_amount"],
        (
            (pay_base + i, bu_ids[x.bu], customer_base + x.customer, x.external_id, x.received_date, _money(x.amount, x.currency),
             x.currency, x.method, x.reference, _money(x.unapplied_amount, x.currency))
            for i, x in enumerate(p.payments)
        ),
    )

    wo_base = _next_id(WriteOff)
    approver = users.get("head")
    _insert(
        WriteOff,
        ["id", "document_id", "amount", "currency", "date", "reason", "approved_by_id"],
        (
            (wo_base + i, doc_base + w.document, _money(w.amount, w.currency), w.currency, w.date, w.reason, approver)
            for i, w in enumerate(p.write_offs)
        ),
    )

    base = _next_id(Allocation)
    _insert(
        Allocation,
        ["id", "document_id", "source", "payment_id", "credit_note_id", "write_off_id", "amount", "currency", "date"],
        (
            (base + i, doc_base + a.document, a.source,
             pay_base + a.payment if a.payment is not None else None,
             doc_base + a.credit_note if a.credit_note is not None else None,
             wo_base + a.write_off if a.write_off is not None else None,
             _money(a.amount, a.currency), a.currency, a.date)
            for i, a in enumerate(p.allocations)
        ),
    )

    FxRate.objects.filter(
        currency__in={r.currency for r in p.fx_rates},
        quote_currency__in={r.quote_currency for r in p.fx_rates},
        date__gte=p.start.replace(day=1),
        date__lte=p.as_of,
    ).delete()
    FxRate.objects.bulk_create(
        [
            FxRate(date=r.date, currency=r.currency, quote_currency=r.quote_currency,
                   rate=Decimal(r.rate_micro).scaleb(-6))
            for r in p.fx_rates
        ],
        batch_size=BATCH_SIZE,
    )

    # Explicit ids leave PostgreSQL's sequences behind; move them past the new rows.
    reset = connection.ops.sequence_reset_sql(no_style(), list(LOADED_MODELS))
    if reset:
        with connection.cursor() as cursor:
            for sql in reset:
                cursor.execute(sql)


def _money(units: int, currency: str) -> Decimal:
    """Minor units to Decimal, exactly."""
    return Decimal(units).scaleb(-currency_exponent(currency))
