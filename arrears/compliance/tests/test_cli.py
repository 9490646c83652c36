import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from arrears.compliance.models import ComplianceDecision

REQUEST = {
    "contact": {"at": "2026-11-23T22:00:00-05:00", "channel": "phone", "debt_ids": ["INV-1"], "initiated_by": "manual"},
    "context": {"profile": "us_consumer", "location": {"addresses": [{"country": "US", "region": "NY"}]}},
}


def run(*args, stdin=None):
    """(exit status, stdout, stderr) of `arrears compliance ...` run in-process."""
    out, err = StringIO(), StringIO()
    extra = {"stdin": StringIO(stdin)} if stdin is not None else {}
    try:
        call_command("compliance", *args, stdout=out, stderr=err, **extra)
    except SystemExit as exc:
        return exc.code, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def with_contact(**changes):
    return {**REQUEST, "contact": {**REQUEST["contact"], **changes}}


def test_check_json_on_stdin_prints_a_blocked_decision_and_exits_3():
    status, out, _ = run("check", "--json", stdin=json.dumps(REQUEST))

    decision = json.loads(out)
    assert status == 3
    assert (decision["outcome"], decision["allowed"], decision["blocking_rule_ids"]) == ("BLOCK", False, ["US-TIME"])
    assert decision["next_allowed_at"] == "2026-11-24T13:00:00Z"
    time_hit = next(h for h in decision["hits"] if h["rule_id"] == "US-TIME")
    assert time_hit["message"] == "America/New_York: 22:00 is outside 08:00-21:00"


def test_check_json_allowed_exits_0():
    status, out, _ = run("check", "--json", stdin=json.dumps(with_contact(at="2026-11-23T12:00:00-05:00")))

    assert status == 0
    assert json.loads(out)["outcome"] == "ALLOW"


def test_check_reads_a_file_too(tmp_path):
    path = tmp_path / "request.json"
    path.write_text(json.dumps(REQUEST))

    status, out, _ = run("check", "--json", "--file", str(path))

    assert status == 3
    assert json.loads(out)["blocking_rule_ids"] == ["US-TIME"]


@pytest.mark.parametrize(
    ("text", "field", "words"),
    [
        (json.dumps(with_contact(at="2026-11-23T22:00:00")), "contact.at", "timezone-aware"),
        (json.dumps(with_contact(channel="fax")), "contact.channel", "'fax' is not one of"),
        (json.dumps({**REQUEST, "context": {"profile": "us_consumer", "history": [{"at": "yesterday"}]}}),
         "context.history[0].at", "not an ISO 8601 datetime"),
        (json.dumps({"contact": REQUEST["contact"]}), "request.context", "missing"),
        ('{"contact": ', "request", "not valid JSON"),
    ],
)
def test_bad_input_exits_2_naming_the_field(text, field, words):
    status, out, err = run("check", "--json", stdin=text)

    error = json.loads(out)["error"]
    assert status == 2
    assert error["field"] == field
    assert error["message"].startswith(f"{field}:")
    assert words in error["message"]
    assert field in err


def test_text_output_lists_each_rule_in_words():
    status, out, _ = run("check", stdin=json.dumps(REQUEST))

    assert status == 3
    assert out.splitlines()[0] == "BLOCK (evaluated at 2026-11-24T03:00:00Z)"
    assert any(line.split()[:3] == ["US-TIME", "BLOCK", "INCONVENIENT_TIME"] for line in out.splitlines())
    assert "Earliest allowed: 2026-11-24T13:00:00Z" in out


@pytest.mark.django_db
def test_check_a_ledger_customer_in_its_own_time_zone(consumer):
    consumer.timezone = "America/New_York"
    consumer.save()

    late = run("check", "--customer", str(consumer.pk), "--channel", "phone", "--at", "2026-11-23T22:00", "--json")
    morning = run("check", "--customer", consumer.external_id, "--channel", "phone", "--at", "2026-11-23T10:00",
                  "--json", "--manual")

    assert late[0] == 3
    assert json.loads(late[1])["blocking_rule_ids"] == ["US-TIME"]
    assert morning[0] == 0
    assert json.loads(morning[1])["customer"] == consumer.pk
    assert ComplianceDecision.objects.count() == 0  # a what-if unless --record


@pytest.mark.django_db
def test_check_record_stores_the_decision(consumer):
    status, out, _ = run("check", "--customer", str(consumer.pk), "--channel", "email", "--at",
                         "2026-11-23T15:00:00Z", "--record", "--json")

    assert status == 0
    assert ComplianceDecision.objects.get().pk == json.loads(out)["decision_id"]


@pytest.mark.django_db
def test_check_an_unknown_customer_exits_2():
    status, out, _ = run("check", "--customer", "999999", "--channel", "phone", "--at", "2026-11-23T10:00", "--json")

    assert status == 2
    assert json.loads(out)["error"]["field"] == "customer"


def test_the_real_command_reads_stdin_and_sets_the_exit_status():
    arrears = Path(sys.executable).parent / "arrears"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}

    done = subprocess.run([str(arrears), "compliance", "check", "--json"], input=json.dumps(REQUEST),
                          capture_output=True, text=True, env=env, timeout=60, check=False)

    assert done.returncode == 3, done.stderr
    assert json.loads(done.stdout)["blocking_rule_ids"] == ["US-TIME"]
