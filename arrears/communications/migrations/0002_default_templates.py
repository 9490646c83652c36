"""Load the shipped templates (pre-due, reminders 1-3, final notice, thank-you; en and de).

Existing families are left alone, so the migration is safe on a database that already has templates.
`arrears communications load-defaults` loads the same set later (with an audit record).
"""

from django.db import migrations


def load(apps, schema_editor):
    from arrears.communications.defaults import default_templates

    MessageTemplate = apps.get_model("communications", "MessageTemplate")
    for spec in default_templates():
        exists = MessageTemplate.objects.filter(key=spec["key"], channel=spec["channel"], language=spec["language"])
        if not exists.exists():
            MessageTemplate.objects.create(version=1, active=True, **spec)


def unload(apps, schema_editor):
    MessageTemplate = apps.get_model("communications", "MessageTemplate")
    OutboundMessage = apps.get_model("communications", "OutboundMessage")
    used = set(OutboundMessage.objects.values_list("template_id", flat=True))
    MessageTemplate.objects.filter(version=1, created_by__isnull=True).exclude(pk__in=used).delete()


class Migration(migrations.Migration):
    dependencies = [("communications", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
