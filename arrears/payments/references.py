"""Reading references and names out of bank data. Plain Python: no Django, no database.

* ISO 11649 creditor references ("RF" + 2 check digits + up to 21 characters). Ours encode a
  document (`RF..D<id>`) or a customer (`RF..C<id>`), so a structured payment names exactly what
  it pays; `creditor_reference_for(document)` makes one for the portal and notices to print.
* Document numbers in free remittance text, which people type in every possible way.
* Company names with the legal form stripped, for the fuzzy name match.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from stdnum import iso11649
from stdnum.iso7064 import mod_97_10

DOCUMENT_TAG = "D"
CUSTOMER_TAG = "C"


def creditor_reference(body: str) -> str:
    """RF + check digits + body (letters and digits, at most 21)."""
    body = re.sub(r"[^A-Za-z0-9]", "", body).upper()
    if not 1 <= len(body) <= 21:
        raise ValueError(f"a creditor reference body has 1 to 21 letters or digits, not {body!r}")
    return f"RF{mod_97_10.calc_check_digits(body + 'RF')}{body}"


def creditor_reference_for(document: Any) -> str:
    """The RF reference printed on a document: it names the document by its id (e.g. RF71D1042)."""
    return creditor_reference(f"{DOCUMENT_TAG}{int(document.pk)}")


def creditor_reference_for_customer(customer: Any) -> str:
    """An RF reference for payments on account: it names the customer, not one document."""
    return creditor_reference(f"{CUSTOMER_TAG}{int(customer.pk)}")


@dataclass(frozen=True, slots=True)
class CreditorRef:
    reference: str  # compact, e.g. RF71D1042
    kind: str  # "document", "customer" or "other" (valid RF, not one of ours)
    target_id: int | None


_RF_IN_TEXT = re.compile(r"R\s?F\s?\d\s?\d(?:\s?[A-Z0-9]){1,21}")


def creditor_ref_parse(text: str) -> CreditorRef | None:
    """A valid RF reference, decoded when it is one of ours; None when the text holds no valid RF."""
    compact = re.sub(r"\s", "", text or "").upper()
    if not compact.startswith("RF") or not iso11649.is_valid(compact):
        return None
    body = compact[4:]
    if len(body) > 1 and body[1:].isdigit() and body[0] in (DOCUMENT_TAG, CUSTOMER_TAG):
        return CreditorRef(compact, "document" if body[0] == DOCUMENT_TAG else "customer", int(body[1:]))
    return CreditorRef(compact, "other", None)


def creditor_ref_find(text: str) -> CreditorRef | None:
    """The first valid RF reference written in free text ("RF71 D104 2", "rf71d1042")."""
    upper = (text or "").upper()
    for m in _RF_IN_TEXT.finditer(upper):
        chunk = re.sub(r"\s", "", m.group(0))
        # The greedy match may run into the next word: try shorter until the check digits agree.
        for end in range(len(chunk), 4, -1):
            ref = creditor_ref_parse(chunk[:end])
            if ref is not None:
                return ref
    return None


# ------------------------------------------------------------------------------------- document numbers

_PREFIXED = re.compile(r"(?<![A-Z0-9])([A-Z]{1,8})[\s\-/#.:_]{0,3}(\d(?:[\d]|[\-/](?=\d))*)")
_DIGITS = re.compile(r"(?<![0-9])\d(?:\d|[\-/](?=\d))*")
_NOT_ALNUM = re.compile(r"[^A-Z0-9]")
_NOT_DIGIT = re.compile(r"\D")
_NOT_ALPHA = re.compile(r"[^A-Z]")
_SEPARATOR = re.compile(r"[\-/]")


def document_number_keys(text: str) -> tuple[list[tuple[str, str]], list[str]]:
    """(prefixed numbers, digit cores) found in a remittance text.

    A prefixed number is (letters, digits without leading zeros), every separator removed:
    "Inv. 2026-0042" -> ("INV", "20260042"), "inv 000101" -> ("INV", "101"). A digit core is any
    run of digits without separators and leading zeros ("0042" -> "42"), for texts that drop the
    prefix or the zeros. A document matches a prefixed number when its own letters and digit core
    (`document_number_letters`, `document_number_core`) are the same.
    """
    upper = (text or "").upper()
    prefixed = []
    for m in _PREFIXED.finditer(upper):
        digits = m.group(2)
        core = (_NOT_DIGIT.sub("", digits) if "-" in digits or "/" in digits else digits).lstrip("0")
        if core:
            prefixed.append((m.group(1), core))
    cores = []
    for m in _DIGITS.finditer(upper):
        run = m.group(0)
        if "-" in run or "/" in run:
            core = _NOT_DIGIT.sub("", run).lstrip("0")
            # "2026-0042" may be one number or two: offer the parts too.
            cores += [p.lstrip("0") for p in _SEPARATOR.split(run) if p.lstrip("0")]
        else:
            core = run.lstrip("0")
        if core:
            cores.append(core)
    return list(dict.fromkeys(prefixed)), list(dict.fromkeys(cores))


def document_number_letters(external_id: str) -> str:
    return _NOT_ALPHA.sub("", (external_id or "").upper())


def document_number_core(external_id: str) -> str:
    """The digits without separators and leading zeros (matching.MatchIndex computes the same in polars)."""
    return _NOT_DIGIT.sub("", external_id or "").lstrip("0")


# ------------------------------------------------------------------------------------------ names

LEGAL_FORMS = (
    "gmbh", "mbh", "ag", "kg", "ohg", "ug", "eg", "ev", "se", "kgaa", "ltd", "limited", "llc", "llp", "lp", "plc",
    "inc", "incorporated", "corp", "corporation", "co", "company", "sa", "sas", "sarl", "srl", "spa", "bv", "nv",
    "oy", "ab", "as", "aps", "pty", "pte", "pvt", "private", "the", "und", "and", "cie",
)
_LEGAL_RE = re.compile(r"\b(?:" + "|".join(LEGAL_FORMS) + r")\b")
# Applied in the same order by polars on whole columns (matching.CustomerNames), so both agree.
NAME_PATTERNS = ((r"[^a-z0-9 ]+", " "), (_LEGAL_RE.pattern, " "), (r"\s+", " "))


def name_normalise(name: str) -> str:
    """'Müller & Söhne GmbH & Co. KG' -> 'muller sohne'."""
    text = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode().lower()
    for pattern, repl in NAME_PATTERNS:
        text = re.sub(pattern, repl, text)
    return text.strip()
