"""The pure matching core (no database): references, document numbers, names, amounts, combinations."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import iso11649

from arrears.payments.matching import Lines, MatchConfig, MatchIndex, OpenDocuments, Payers, match_lines
from arrears.payments.parsers import mt940_details
from arrears.payments.references import (
    creditor_ref_find,
    creditor_ref_parse,
    creditor_reference,
    creditor_reference_for,
    document_number_keys,
    name_normalise,
)


class Doc:
    def __init__(self, pk):
        self.pk = pk


def index_of(rows, names=None, ibans=None):
    """rows: (id, customer, number, open minor, due ordinal)."""
    ids, custs, nums, amounts, due = zip(*rows, strict=True)
    docs = OpenDocuments(np.array(ids, np.int64), np.array(custs, np.int64), list(nums), ["EUR"] * len(rows),
                         np.array(amounts, np.int64), np.array(due, np.int64))
    names = names or {c: f"Customer {c}" for c in set(custs)}
    return MatchIndex(docs, Payers(list(names), list(names.values()), ibans or {}))


def one(index, amount, text="", name="", iban="", ref="", cfg=None):
    return match_lines(Lines([amount], ["EUR"], [True], [name], [iban], [text], [ref]), index, cfg)[0]


def test_creditor_references_are_valid_iso11649_and_decode_to_the_document():
    ref = creditor_reference_for(Doc(1042))

    assert iso11649.is_valid(ref)
    assert creditor_ref_parse(ref).target_id == 1042
    assert creditor_ref_find(f"pay ref {iso11649.format(ref).lower()} thanks").reference == ref
    assert creditor_ref_parse(ref[:-1] + "3") is None  # a typo breaks the check digits
    assert creditor_ref_parse(creditor_reference("ABC123")).kind == "other"


@pytest.mark.parametrize(
    ("text", "full", "core"),
    [
        ("Invoice INV-000123", ("INV", "123"), "123"),
        ("inv 123 thanks", ("INV", "123"), "123"),
        ("Rechnung Nr. 2026-0042", None, "20260042"),
        ("RE 0000456789", ("RE", "456789"), "456789"),
    ],
)
def test_document_numbers_are_found_in_messy_texts(text, full, core):
    keys, cores = document_number_keys(text)
    if full:
        assert full in keys
    assert core in cores


def test_legal_forms_and_punctuation_do_not_change_a_name():
    assert name_normalise("Müller & Söhne GmbH & Co. KG") == name_normalise("MULLER SOHNE")
    assert name_normalise("The Acme Company, Inc.") == "acme"


def test_german_and_tagged_mt940_details_give_name_iban_and_text():
    german = mt940_details("166?00GUTSCHRIFT?20EREF+E2E-1SVWZ+Rechnung 4?21711 danke?31DE89370400440532013000?32Muster GmbH")
    tagged = mt940_details("/TRTP/SEPA/IBAN/NL91ABNA0417164300/BIC/ABNANL2A/NAME/Acme BV/REMI/INV 5/EREF/X1")
    assert (german["name"], german["iban"], german["text"], german["eref"]) == (
        "Muster GmbH", "DE89370400440532013000", "Rechnung 4711 danke", "E2E-1")
    assert (tagged["name"], tagged["iban"], tagged["text"]) == ("Acme BV", "NL91ABNA0417164300", "INV 5")


def test_a_unique_combination_of_the_oldest_documents_identifies_them():
    rows = [(1, 7, "A-1", 1000, 1), (2, 7, "A-2", 2500, 2), (3, 7, "A-3", 4000, 3), (4, 7, "A-4", 700, 4)]

    by_name = one(index_of(rows, names={7: "Acme GmbH"}), 4700, name="ACME")
    by_iban = one(index_of(rows, names={7: "Acme GmbH"}, ibans={"NL91ABNA0417164300": {7}}), 4700,
                  iban="NL91ABNA0417164300")

    assert (by_name.status, by_name.allocations) == ("suggested", [(3, 4000), (4, 700)])  # a name is weaker
    assert (by_iban.status, by_iban.allocations) == ("matched", [(3, 4000), (4, 700)])


def test_two_combinations_that_fit_are_only_a_suggestion():
    index = index_of([(1, 7, "A-1", 1000, 1), (2, 7, "A-2", 2000, 2), (3, 7, "A-3", 3000, 3)], names={7: "Acme"})

    m = one(index, 3000, name="Acme")  # A-3 alone, or A-1 + A-2
    assert m.allocations == [(3, 3000)]  # one document with the exact amount wins over combinations
    m2 = one(index_of([(1, 7, "A-1", 1000, 1), (2, 7, "A-2", 2000, 2), (3, 7, "A-3", 1500, 3), (4, 7, "A-4", 1500, 4)],
                      names={7: "Acme"}), 3000, name="Acme")
    assert m2.status == "suggested"


def test_a_number_claimed_by_two_customers_is_not_posted():
    index = index_of([(1, 7, "INV-5001", 1000, 1), (2, 8, "CN-5001", 1000, 1)], names={7: "Acme", 8: "Beta"})

    m = one(index, 1000, text="payment 5001")

    assert m.status == "suggested"
    assert {c.customer_id for c in m.candidates} == {7, 8}


def test_short_numbers_count_only_within_the_identified_payer():
    index = index_of([(1, 7, "INV-000042", 5000, 1), (2, 8, "INV-000043", 5000, 2)], names={7: "Acme", 8: "Beta"},
                     ibans={"NL91ABNA0417164300": {8}})

    stranger = one(index, 1234, text="42")
    known = one(index, 5000, text="43", iban="NL91ABNA0417164300")

    assert stranger.status == "unmatched"
    assert (known.status, known.allocations) == ("matched", [(2, 5000)])


def test_a_higher_threshold_turns_automatic_matches_into_suggestions():
    index = index_of([(1, 7, "A-1", 1000, 1)], names={7: "Acme"})
    assert one(index, 1000, name="Acme", cfg=MatchConfig(auto_threshold=0.99)).status == "suggested"


@settings(max_examples=60, deadline=None)
@given(
    opens=st.lists(st.integers(1, 10_000), min_size=1, max_size=8),
    payments=st.lists(st.tuples(st.integers(1, 30_000), st.integers(0, 7)), min_size=1, max_size=10),
)
def test_allocations_never_exceed_open_amounts_or_the_payment(opens, payments):
    rows = [(i + 1, 7, f"X-{1000 + i}", amount, i) for i, amount in enumerate(opens)]
    index = index_of(rows, names={7: "Acme"})
    texts = [f"X-{1000 + (k % len(opens))}" for _, k in payments]
    lines = Lines([a for a, _ in payments], ["EUR"] * len(payments), [True] * len(payments), ["Acme"] * len(payments),
                  [""] * len(payments), texts, [""] * len(payments))

    matches = match_lines(lines, index)

    used = dict.fromkeys(range(1, len(opens) + 1), 0)
    for (amount, _), m in zip(payments, matches, strict=True):
        allocated = sum(a for _, a in m.allocations)
        assert allocated + m.unapplied_minor == amount or m.status != "matched"
        assert all(a > 0 for _, a in m.allocations)
        if m.status == "matched":
            for doc_id, a in m.allocations:
                used[doc_id] += a
    for doc_id, total in used.items():
        assert total <= opens[doc_id - 1]
    assert np.array_equal(index.open_left, np.array(opens) - np.array([used[i + 1] for i in range(len(opens))]))
