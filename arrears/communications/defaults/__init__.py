"""The templates shipped with Arrears: six dunning steps, four channels, English and German.

Plain data (no Django), so the data migration and the `arrears communications load-defaults`
command load the same thing. Each is an ordinary editable template: the first saved edit becomes
version 2.
"""

from __future__ import annotations

STEPS = ("pre_due", "reminder_1", "reminder_2", "reminder_3", "final_notice", "thank_you")

_TEXTS = {
    "en": {
        "labels": {"number": "Invoice", "issued": "Issued", "due": "Due", "overdue": "Days overdue",
                   "open": "Open amount", "total": "Total", "dear": "Dear", "team": "Accounts receivable",
                   "regards": "Kind regards", "portal": "View and pay online", "days": "days overdue",
                   "opt_out": "You can stop receiving these emails at any time",
                   "unsubscribe": "unsubscribe", "sms_stop": "Reply STOP to opt out."},
        "pre_due": ("Upcoming payment: {{ customer.name }}",
                    "This is a friendly note that the following invoices fall due soon. If you have already "
                    "arranged payment, thank you."),
        "reminder_1": ("Payment reminder: {{ customer.name }}",
                       "Our records show that the following invoices are past due. Perhaps this has been "
                       "overlooked; please arrange payment at your earliest convenience."),
        "reminder_2": ("Second reminder: overdue invoices",
                       "We have not yet received payment for the invoices below, despite our earlier reminder. "
                       "Please pay the open amount within 7 days or let us know if there is a problem."),
        "reminder_3": ("Third reminder: immediate payment required",
                       "The invoices below remain unpaid. Please settle the open amount immediately. If you "
                       "cannot pay in full, contact us to agree a payment plan."),
        "final_notice": ("Final notice before further steps",
                         "This is our final notice. Unless the open amount is paid within 10 days, we will "
                         "consider further collection steps, including legal action."),
        "thank_you": ("Thank you for your payment",
                      "Thank you: we have received your payment. The items below are still open, if any."),
        "sms": {
            "pre_due": "{{ sender.from_name }}: {{ documents|length }} invoice(s) fall due soon.",
            "reminder_1": "{{ sender.from_name }}: payment reminder, {{ total_text }} overdue.",
            "reminder_2": "{{ sender.from_name }}: 2nd reminder, {{ total_text }} still overdue.",
            "reminder_3": "{{ sender.from_name }}: 3rd reminder, please pay {{ total_text }} now.",
            "final_notice": "{{ sender.from_name }}: FINAL NOTICE, {{ total_text }} overdue.",
            "thank_you": "{{ sender.from_name }}: thank you for your payment.",
        },
        "call": ("Hello, this is {{ sender.from_name }} accounts receivable calling about your account "
                 "{{ customer.number }}. Our records show {{ documents|length }} open invoice(s), "
                 "oldest due {{ oldest_due_date|date }}, total {{ total_text }}. Ask: can you confirm a payment "
                 "date? Record a promise to pay, or a dispute with its reason."),
    },
    "de": {
        "labels": {"number": "Rechnung", "issued": "Datum", "due": "Fällig", "overdue": "Tage überfällig",
                   "open": "Offener Betrag", "total": "Summe", "dear": "Sehr geehrte Damen und Herren,",
                   "team": "Debitorenbuchhaltung", "regards": "Mit freundlichen Grüßen",
                   "portal": "Online ansehen und bezahlen", "days": "Tage überfällig",
                   "opt_out": "Sie können diese E-Mails jederzeit abbestellen",
                   "unsubscribe": "abmelden", "sms_stop": "Antworten Sie mit STOP zum Abbestellen."},
        "pre_due": ("Anstehende Zahlung: {{ customer.name }}",
                    "wir möchten Sie freundlich darauf hinweisen, dass die folgenden Rechnungen in Kürze fällig "
                    "werden. Falls Sie die Zahlung bereits veranlasst haben, vielen Dank."),
        "reminder_1": ("Zahlungserinnerung: {{ customer.name }}",
                       "sicher haben Sie übersehen, dass die folgenden Rechnungen bereits fällig sind. Bitte "
                       "überweisen Sie den offenen Betrag in den nächsten Tagen."),
        "reminder_2": ("2. Mahnung: überfällige Rechnungen",
                       "leider konnten wir trotz unserer Erinnerung noch keinen Zahlungseingang feststellen. "
                       "Bitte begleichen Sie den offenen Betrag innerhalb von 7 Tagen."),
        "reminder_3": ("3. Mahnung: sofortige Zahlung erforderlich",
                       "die folgenden Rechnungen sind weiterhin offen. Bitte zahlen Sie umgehend. Wenn Sie nicht "
                       "in voller Höhe zahlen können, vereinbaren Sie bitte eine Ratenzahlung mit uns."),
        "final_notice": ("Letzte Mahnung",
                         "dies ist unsere letzte Mahnung. Geht der offene Betrag nicht innerhalb von 10 Tagen "
                         "ein, behalten wir uns weitere Schritte vor, einschließlich gerichtlicher Geltendmachung."),
        "thank_you": ("Vielen Dank für Ihre Zahlung",
                      "vielen Dank, Ihre Zahlung ist bei uns eingegangen. Die folgenden Posten sind ggf. noch offen."),
        "sms": {
            "pre_due": "{{ sender.from_name }}: {{ documents|length }} Rechnung(en) werden bald fällig.",
            "reminder_1": "{{ sender.from_name }}: Zahlungserinnerung, {{ total_text }} überfällig.",
            "reminder_2": "{{ sender.from_name }}: 2. Mahnung, {{ total_text }} weiterhin offen.",
            "reminder_3": "{{ sender.from_name }}: 3. Mahnung, bitte zahlen Sie {{ total_text }} sofort.",
            "final_notice": "{{ sender.from_name }}: LETZTE MAHNUNG, {{ total_text }} überfällig.",
            "thank_you": "{{ sender.from_name }}: vielen Dank für Ihre Zahlung.",
        },
        "call": ("Guten Tag, hier ist die Debitorenbuchhaltung von {{ sender.from_name }} zu Ihrem Konto "
                 "{{ customer.number }}. Offen sind {{ documents|length }} Rechnung(en), älteste fällig am "
                 "{{ oldest_due_date|date }}, insgesamt {{ total_text }}. Frage: Wann dürfen wir mit der Zahlung "
                 "rechnen? Zahlungszusage oder Widerspruch mit Grund erfassen."),
    },
}

# `total_text` is the totals joined, e.g. "1.234,56 € und 10,00 $"; defined once and set at the top.
_TOTAL_TEXT = ("{% set total_text %}{% for t in totals %}{{ t.amount|money(t.currency) }}"
               "{% if not loop.last %} + {% endif %}{% endfor %}{% endset %}")


def _table_html(lb: dict[str, str]) -> str:
    return (
        '<table class="statement">\n<thead><tr>'
        f'<th>{lb["number"]}</th><th>{lb["issued"]}</th><th>{lb["due"]}</th>'
        f'<th class="r">{lb["overdue"]}</th><th class="r">{lb["open"]}</th></tr></thead>\n<tbody>\n'
        "{% for d in documents %}<tr><td>{{ d.number }}</td><td>{{ d.issue_date|date }}</td>"
        "<td>{{ d.due_date|date }}</td><td class=\"r\">{{ d.days_past_due if d.days_past_due > 0 else '' }}</td>"
        '<td class="r">{{ d.open_amount|money(d.currency) }}</td></tr>\n{% endfor %}</tbody>\n<tfoot>'
        '{% for t in totals %}<tr><th colspan="4">' + lb["total"] + " {{ t.currency }}</th>"
        '<th class="r">{{ t.amount|money(t.currency) }}</th></tr>{% endfor %}</tfoot>\n</table>\n'
    )


def _table_text(lb: dict[str, str]) -> str:
    return (
        "{% for d in documents %}- " + lb["number"] + " {{ d.number }}, " + lb["due"]
        + " {{ d.due_date|date }}{% if d.days_past_due > 0 %} ({{ d.days_past_due }} " + lb["days"]
        + "){% endif %}: {{ d.open_amount|money(d.currency) }}\n{% endfor %}"
        + lb["total"] + ": {{ total_text }}\n"
    )


def _greeting(lang: str, lb: dict[str, str]) -> str:
    if lang == "de":
        return "{% if contact.name %}Guten Tag {{ contact.name }},{% else %}" + lb["dear"] + "{% endif %}"
    return lb["dear"] + " {{ contact.name or customer.name }},"


def _email(lang: str, step: str) -> dict[str, str]:
    t = _TEXTS[lang]
    lb = t["labels"]
    subject, intro = t[step]
    html = (
        _TOTAL_TEXT + "\n"
        f"<p>{_greeting(lang, lb)}</p>\n<p>{intro}</p>\n" + _table_html(lb)
        + f'<p><a href="{{{{ portal_link }}}}">{lb["portal"]}</a></p>\n'
        f'<p>{lb["regards"]}<br>{{{{ sender.from_name }}}} · {lb["team"]}</p>\n'
        "{% if disclosure_required %}<p class=\"disclosure\">{{ disclosure }}</p>{% endif %}\n"
        "{% if opt_out_required %}<p class=\"opt-out\">" + lb["opt_out"]
        + ': <a href="{{ opt_out_url }}">' + lb["unsubscribe"] + "</a>.</p>{% endif %}\n"
    )
    text = (
        _TOTAL_TEXT + "\n"
        f"{_greeting(lang, lb)}\n\n{intro}\n\n" + _table_text(lb)
        + f'\n{lb["portal"]}: {{{{ portal_link }}}}\n\n{lb["regards"]}\n{{{{ sender.from_name }}}} · {lb["team"]}\n'
        "{% if disclosure_required %}\n{{ disclosure }}\n{% endif %}"
        "{% if opt_out_required %}\n" + lb["opt_out"] + ": {{ opt_out_url }}\n{% endif %}"
    )
    return {"subject": subject, "html_body": html, "text_body": text}


def _letter(lang: str, step: str) -> dict[str, str]:
    t = _TEXTS[lang]
    lb = t["labels"]
    subject, intro = t[step]
    html = (
        _TOTAL_TEXT + "\n"
        f"<p>{_greeting(lang, lb)}</p>\n<p>{intro}</p>\n" + _table_html(lb)
        + f'<p>{lb["portal"]}: {{{{ portal_link }}}}</p>\n'
        f'<p>{lb["regards"]}<br>{{{{ sender.from_name }}}} · {lb["team"]}</p>\n'
        "{% if disclosure_required %}<p class=\"disclosure\">{{ disclosure }}</p>{% endif %}\n"
    )
    return {"subject": subject, "html_body": html, "text_body": ""}


def _sms(lang: str, step: str) -> dict[str, str]:
    t = _TEXTS[lang]
    text = (_TOTAL_TEXT + t["sms"][step] + " {{ portal_link }}"
            "{% if disclosure_required %} {{ disclosure }}{% endif %}"
            "{% if opt_out_required %} " + t["labels"]["sms_stop"] + "{% endif %}")
    return {"subject": "", "html_body": "", "text_body": text}


def _call(lang: str, step: str) -> dict[str, str]:
    return {"subject": _TEXTS[lang][step][0], "html_body": "", "text_body": _TOTAL_TEXT + _TEXTS[lang]["call"]}


_BUILDERS = {"email": _email, "letter": _letter, "sms": _sms, "phone": _call}


def default_templates() -> list[dict[str, str]]:
    """Every shipped template as a dict: key, channel, language, name, subject, html_body, text_body."""
    out = []
    for lang in ("en", "de"):
        for step in STEPS:
            for channel, build in _BUILDERS.items():
                out.append({"key": step, "channel": channel, "language": lang,
                            "name": f"{step.replace('_', ' ').capitalize()} ({channel}, {lang})", **build(lang, step)})
    return out
