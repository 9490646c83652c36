"""Scale out: two real Celery worker processes over a real Redis give the in-process run's actions."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from arrears.compliance.models import ComplianceDecision
from arrears.dunning.models import (
    CustomerDunningState,
    DocumentDunningState,
    DunningAction,
    DunningActionItem,
    DunningRun,
    RunStatus,
)
from arrears.dunning.services.nightly_run import dunning_run
from arrears.dunning.tests.conftest import day

REDIS = ("127.0.0.1", 6379)
REPO = Path(__file__).resolve().parents[3]


def _redis_up() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=1):
            return True
    except OSError:
        return False


def _actions() -> set[tuple]:
    return {
        (a.customer_id, a.kind, a.step.key if a.step else "", a.channel, a.level, a.status,
         tuple(sorted(map(tuple, a.items))))
        for a in DunningAction.objects.select_related("step")
    }


def _forget_the_run() -> None:
    for model in (DunningActionItem, DunningAction, DunningRun, DocumentDunningState, CustomerDunningState,
                  ComplianceDecision):
        model.objects.all().delete()


def _connections_forget(app) -> None:
    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    app.amqp._producer_pool = None


def _database_url() -> str:
    db = connection.settings_dict
    return (f"postgresql://{quote(db['USER'])}:{quote(str(db['PASSWORD']))}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}")


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_two_celery_workers_give_the_same_actions_as_the_in_process_run(make_customer, make_invoice, settings,
                                                                      monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: worker processes must share the test database (SQLite is not for concurrency)")
    if not _redis_up():
        pytest.skip("Redis is not reachable at redis://127.0.0.1:6379")
    for i in range(24):
        customer = make_customer(f"Customer {i:02d}")
        for k in range(1 + i % 3):
            make_invoice(customer, f"{100 + 10 * i}.00", due=day(-((i * 4 + k * 9) % 70)))

    in_process, _ = dunning_run(as_of=day(8), partitions=3)
    expected = _actions()
    assert in_process.status == RunStatus.COMPLETED
    assert len(expected) > 10
    _forget_the_run()

    queue = f"dunning-test-{uuid.uuid4().hex[:8]}"
    broker = "redis://127.0.0.1:6379/15"
    env = {**os.environ, "DATABASE_URL": _database_url(), "CELERY_BROKER_URL": broker,
           "CELERY_RESULT_BACKEND": broker, "DJANGO_SETTINGS_MODULE": "config.settings.base",
           "OMP_WAIT_POLICY": "passive"}
    celery = str(Path(sys.executable).with_name("celery"))
    workers = [
        subprocess.Popen([celery, "-A", "config", "worker", "-c", "1", "-n", f"{name}@%h", "-Q", queue,
                          "--without-gossip", "--without-mingle", "--loglevel", "WARNING"],
                         cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for name in ("w1", "w2")
    ]
    try:
        settings.CELERY_BROKER_URL = broker
        # Celery prefers the environment's CELERY_BROKER_URL / CELERY_RESULT_BACKEND over its config
        # (CI exports them): point both at the test broker for this process too.
        monkeypatch.setenv("CELERY_BROKER_URL", broker)
        monkeypatch.setenv("CELERY_RESULT_BACKEND", broker)
        settings.CELERY_TASK_ALWAYS_EAGER = False
        settings.DUNNING_CELERY_QUEUE = queue
        settings.DUNNING_RUN_TIMEOUT_SECONDS = 120
        from config.celery import app

        old = {k: app.conf[k] for k in ("broker_url", "result_backend", "task_always_eager")}
        settings.CELERY_RESULT_BACKEND = broker
        app.conf.update(broker_url=broker, result_backend=broker, task_always_eager=False)
        _connections_forget(app)  # any pool made earlier in the session points at the old broker
        try:
            distributed, _ = dunning_run(as_of=day(8), partitions=6)
        finally:
            app.conf.update(old)
            _connections_forget(app)
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        errors = []
        for worker in workers:
            try:
                _, err = worker.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                worker.kill()
                _, err = worker.communicate()
            errors.append(err.decode(errors="replace")[-2000:])
    assert distributed.status == RunStatus.COMPLETED, errors
    assert (distributed.partitions, distributed.partitions_done) == (6, 6)
    assert _actions() == expected
    assert distributed.action_count == in_process.action_count
