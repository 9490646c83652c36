import pytest

from arrears.audit.models import AuditEvent
from arrears.ledger.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_admin_edit_of_a_customer_is_audited_with_before_and_after(client, admin_user):
    customer = CustomerFactory(name="Old Name", segment="smb")
    client.force_login(admin_user)
    url = f"/admin/ledger/customer/{customer.pk}/change/"
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update({
        "name": "New Name", "business_unit": customer.business_unit_id, "attributes": "{}",
        "contacts-TOTAL_FORMS": "0", "contacts-INITIAL_FORMS": "0", "credit_limit": "", "credit_currency": "",
        "collector": "", "parent": "",
    })
    for flag in ("paused", "cease_communication", "do_not_contact", "bankruptcy", "attorney_represented"):
        data.pop(flag, None)
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    event = AuditEvent.objects.get(action="update", customer_id=customer.pk)
    assert event.actor == admin_user
    assert event.before == {"name": "Old Name"}
    assert event.after == {"name": "New Name"}


def test_user_snapshots_never_contain_the_password_hash(make_user):
    from arrears.audit.services import snapshot

    collector = make_user("cora")
    assert collector.password
    assert "password" not in snapshot(collector)
