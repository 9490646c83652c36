"""An explainable classifier for replies to the collections mailbox (English and German).

Each label has a list of weighted regular expressions. The score of a label is the sum of the weights
of its patterns that match the reply's own words (the quoted original is removed first, so our reminder
text does not vote). The best score wins; ties go by PRIORITY. The evidence returned is every matched
phrase with its pattern, so a collector sees *why* a reply was labelled as it was.

Plain Python (no Django): the same function runs in the inbound service, the tests and the evaluation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

PROMISE_TO_PAY = "promise_to_pay"
DISPUTE = "dispute"
REMITTANCE_ADVICE = "remittance_advice"
OUT_OF_OFFICE = "out_of_office"
OTHER = "other"
LABELS = (PROMISE_TO_PAY, DISPUTE, REMITTANCE_ADVICE, OUT_OF_OFFICE, OTHER)
PRIORITY = (OUT_OF_OFFICE, DISPUTE, REMITTANCE_ADVICE, PROMISE_TO_PAY)

_I = re.IGNORECASE

# (pattern, weight). Weights: 3 = decisive phrase, 2 = strong, 1 = supporting.
RULES: dict[str, list[tuple[re.Pattern[str], int]]] = {
    OUT_OF_OFFICE: [
        (re.compile(r"\b(out of (the )?office|automatic reply|auto[- ]?reply|autoreply|away from (the )?office)\b", _I), 3),
        (re.compile(r"\b(on (annual |parental |sick )?leave|on holiday|on vacation|limited access to (my )?e-?mail)\b", _I), 2),
        (re.compile(r"\bI (will|shall) (be )?(back|return)\b|\breturning on\b|\bback in the office\b", _I), 2),
        (re.compile(r"\b(Abwesenheitsnotiz|Automatische Antwort|nicht im (Büro|Hause)|außer Haus|abwesend)\b", _I), 3),
        (re.compile(r"\b(im Urlaub|in Elternzeit|krankheitsbedingt|wieder (im Büro|erreichbar|da))\b", _I), 2),
        (re.compile(r"\b(E-?Mails? (werden|wird) nicht (weitergeleitet|gelesen)|Ihre (E-?Mail|Nachricht) wird nicht)", _I), 2),
    ],
    DISPUTE: [
        (re.compile(r"\b(dispute|disputing|contest(ing)?|we do not (agree|accept)|we disagree|not agree)\b", _I), 3),
        (re.compile(r"\b(incorrect|wrong|inaccurate|error in|mistake|overcharged|charged twice|duplicate (invoice|charge|billing)|billed twice)\b", _I), 2),
        (re.compile(r"\b(never (received|ordered|delivered)|not (been )?(received|ordered|delivered)|did not (receive|order)|didn't (receive|order))\b", _I), 2),
        (re.compile(r"\b(damaged|defective|faulty|broken|returned the (goods|items|shipment)|missing items|short[- ]?shipped)\b", _I), 2),
        (re.compile(r"\b(credit note|refund)\b.{0,40}\b(outstanding|missing|owed|expected|still)\b|\bawaiting (a |the )?credit\b", _I), 2),
        (re.compile(r"\b(Widerspruch|widersprechen|bestreiten|Reklamation|reklamier\w*|beanstand\w*|Einspruch)\b", _I), 3),
        (re.compile(r"\b(fehlerhaft|falsch\w*|nicht korrekt|zu viel berechnet|doppelt (berechnet|in Rechnung))", _I), 2),
        (re.compile(r"\b(will not|won't|refuse to|do not intend to) pay\b|\b(werden|zahlen) (\S+ ){0,3}nicht (zahlen|bezahlen)?\b", _I), 3),
        (re.compile(r"\b(cancel+ed|terminated|should not exist|do(es)?n't owe|do(es)? not owe|gekündigt|storniert)\b", _I), 2),
        (re.compile(r"\b(nie|nicht) (bestellt|erhalten|geliefert|angekommen)\b|\bnicht bei uns eingegangen\b", _I), 2),
        (re.compile(r"\b(beschädigt|defekt|mangelhaft|Mängel|zurückgeschickt|retourniert|unvollständig geliefert)\b", _I), 2),
        (re.compile(r"\bGutschrift\b.{0,60}\b(fehlt|ausstehend|noch nicht|erwarten)\b", _I), 2),
    ],
    REMITTANCE_ADVICE: [
        (re.compile(r"\b(remittance( advice)?|payment advice|proof of payment|payment confirmation)\b", _I), 3),
        (re.compile(r"\b(we|I) ((have|'ve) )?(already |just )?(paid|settled|transferred|remitted|wired)\b", _I), 2),
        (re.compile(r"\b(was|were|is|are) (already |fully |just )?(paid|settled|transferred|cleared|remitted)\b", _I), 2),
        (re.compile(r"\bpayment (was|has been|had been) (made|sent|processed|released|initiated|executed)\b", _I), 2),
        (re.compile(r"\b(has|have) been (paid|settled|transferred|remitted)\b", _I), 2),
        (re.compile(r"\b(value date|transaction (id|reference)|bank reference|SWIFT|payment reference)\b", _I), 1),
        (re.compile(r"\b(Zahlungsavis|Überweisungsbeleg|Zahlungsbeleg|Zahlungsnachweis|Zahlungsbestätigung)\b", _I), 3),
        (re.compile(r"\b(haben|habe) (\S+ ){0,5}(bezahlt|überwiesen|beglichen|angewiesen|ausgeglichen)\b", _I), 2),
        (re.compile(r"\b(wurde|ist) (\S+ ){0,4}(bezahlt|überwiesen|beglichen|angewiesen|ausgeglichen|erfolgt)\b", _I), 2),
        (re.compile(r"\b(Wertstellung|Valuta|Verwendungszweck)\b", _I), 1),
    ],
    PROMISE_TO_PAY: [
        (re.compile(r"\b(we|I)(\s+(will|shall|are going to|am going to|plan to|intend to)|'ll|’ll|'m going to|'re going to)"
                    r"\s+(?!not\b)(\w+ ){0,3}(pay|settle|transfer|remit|clear|process)\b", _I), 3),
        (re.compile(r"\bwill be (paid|settled|transferred|remitted|processed|released|cleared)\b", _I), 3),
        (re.compile(r"\b(payment|transfer) (will|should) (be )?(go|made|sent|reach|arrive|follow|happen)", _I), 3),
        (re.compile(r"\b(scheduled|planned|included|queued) (\w+ ){0,3}(for )?(payment|our (next )?payment run|the next run)\b", _I), 2),
        (re.compile(r"\b(by|before|on|until) (the )?(end of (the |this |next )?(week|month)|(next )?(monday|tuesday|wednesday|thursday|friday)|\d{1,2}(st|nd|rd|th)?\b)", _I), 1),
        (re.compile(r"\b(next week|this week|within (\d+|a few|two|three|ten) (days|business days|working days))\b", _I), 1),
        (re.compile(r"\b(payment plan|instal?lments?|pay in (parts|two|three))\b", _I), 2),
        (re.compile(r"\b(werden|werde) (\S+ ){0,8}(zahlen|bezahlen|überweisen|begleichen|anweisen|ausgleichen)\b", _I), 3),
        (re.compile(r"\b(ich|wir) (zahle|zahlen|überweise|überweisen|begleiche|begleichen)\b(?!.{0,20}\bnicht\b)", _I), 2),
        (re.compile(r"\b(wird|werden) (\S+ ){0,5}(bezahlt|überwiesen|beglichen|angewiesen|ausgeglichen) werden\b", _I), 3),
        (re.compile(r"\b(Zahlung|Überweisung) (\w+ ){0,3}(erfolgt|geht|folgt) (\w+ ){0,3}(bis|am|zum|nächste|Ende|spätestens|in)\b", _I), 3),
        (re.compile(r"\b(Zahlungslauf|Ratenzahlung|Raten)\b", _I), 2),
        (re.compile(r"\b(bis|spätestens) (Ende (der|dieser|nächster) (Woche|Monats)|zum \d{1,2}\.|nächste[nr]? Woche|Freitag|Montag)", _I), 1),
        (re.compile(r"\b(nächste Woche|in den nächsten (Tagen|\d+ Tagen))\b", _I), 1),
    ],
}

# Headers of machine replies (RFC 3834 and the common vendor ones).
_AUTO_HEADERS = ("auto-submitted", "x-autoreply", "x-autorespond", "x-auto-response-suppress", "precedence")
_AUTO_VALUES = re.compile(r"auto-replied|auto-generated|auto_reply|autoreply|yes|true|all|oof", _I)

_QUOTE_START = re.compile(
    r"^(On .{0,200}wrote:|Am .{0,200}schrieb.{0,80}:|-{2,} ?(Original Message|Ursprüngliche Nachricht) ?-{2,}|"
    r"From: .*|Von: .*|_{10,})\s*$",
    re.MULTILINE,
)


def own_words(body: str) -> str:
    """The reply without the quoted original: drop '>' lines and everything after a quote header."""
    match = _QUOTE_START.search(body or "")
    text = body[: match.start()] if match else (body or "")
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith(">"))


@dataclass(frozen=True, slots=True)
class Evidence:
    label: str
    pattern: str
    text: str
    weight: int
    where: str  # subject, body or header

    def to_dict(self) -> dict[str, object]:
        return {"label": self.label, "pattern": self.pattern, "text": self.text, "weight": self.weight,
                "where": self.where}


@dataclass(frozen=True, slots=True)
class Classification:
    label: str
    scores: dict[str, int] = field(default_factory=dict)
    evidence: tuple[Evidence, ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {"label": self.label, "scores": dict(self.scores), "evidence": [e.to_dict() for e in self.evidence]}


def classify(*, subject: str = "", body: str = "", headers: dict[str, str] | None = None) -> Classification:
    """Label one reply; `headers` (lower-case names) let machine replies be recognised as out of office."""
    evidence: list[Evidence] = []
    for name in _AUTO_HEADERS:
        value = (headers or {}).get(name, "")
        if value and _AUTO_VALUES.search(value) and not (name == "precedence" and value.lower() == "bulk"):
            if name == "x-auto-response-suppress":
                continue  # set by senders of auto mail; it says nothing about this message being one
            evidence.append(Evidence(OUT_OF_OFFICE, f"header {name}", f"{name}: {value}", 3, "header"))
    texts = (("subject", subject or ""), ("body", own_words(body)))
    for label, rules in RULES.items():
        for pattern, weight in rules:
            for where, text in texts:
                match = pattern.search(text)
                if match:
                    evidence.append(Evidence(label, pattern.pattern, match.group(0), weight, where))
                    break
    scores = dict.fromkeys(PRIORITY, 0)
    for item in evidence:
        scores[item.label] += item.weight
    best = max(PRIORITY, key=lambda label: (scores[label], -PRIORITY.index(label)))
    if scores[best] < 2:
        return Classification(OTHER, scores, tuple(evidence))
    ordered = sorted(evidence, key=lambda e: (e.label != best, -e.weight))
    return Classification(best, scores, tuple(ordered))
