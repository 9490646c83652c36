"""Statement files built for the tests: one `Entry` list rendered as camt.053, MT940 or CSV."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from xml.sax.saxutils import escape

OUR_IBAN = "DE89370400440532013000"


@dataclass(frozen=True)
class Entry:
    amount: str
    text: str = ""
    name: str = ""
    iban: str = ""
    ref: str = ""  # structured creditor reference (RF...)
    credit: bool = True
    currency: str = "EUR"
    date: dt.date = dt.date(2026, 3, 2)
    bank_ref: str = ""
    e2e: str = ""


def camt053(entries: list[Entry], *, version: str = "02", iban: str = OUR_IBAN, stmt_id: str = "STMT-1") -> bytes:
    ns = f"urn:iso:std:iso:20022:tech:xsd:camt.053.001.{version}"
    rows = []
    for n, e in enumerate(entries, 1):
        party = "Dbtr" if e.credit else "Cdtr"
        name = f"<Nm>{escape(e.name)}</Nm>" if version == "02" else f"<Pty><Nm>{escape(e.name)}</Nm></Pty>"
        parties = ""
        if e.name or e.iban:
            parties = (f"<RltdPties>{f'<{party}>{name}</{party}>' if e.name else ''}"
                       + (f"<{party}Acct><Id><IBAN>{e.iban}</IBAN></Id></{party}Acct>" if e.iban else "")
                       + "</RltdPties>")
        rmt = ""
        if e.text or e.ref:
            rmt = "<RmtInf>" + "".join(f"<Ustrd>{escape(part)}</Ustrd>" for part in ([e.text] if e.text else []))
            if e.ref:
                rmt += ("<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry><Issr>ISO</Issr></Tp>"
                        f"<Ref>{e.ref}</Ref></CdtrRefInf></Strd>")
            rmt += "</RmtInf>"
        refs = f"<Refs><EndToEndId>{e.e2e or 'NOTPROVIDED'}</EndToEndId></Refs>"
        status = "<Sts>BOOK</Sts>" if version == "02" else "<Sts><Cd>BOOK</Cd></Sts>"
        rows.append(f"""
      <Ntry>
        <NtryRef>{n}</NtryRef>
        <Amt Ccy="{e.currency}">{e.amount}</Amt>
        <CdtDbtInd>{'CRDT' if e.credit else 'DBIT'}</CdtDbtInd>
        {status}
        <BookgDt><Dt>{e.date.isoformat()}</Dt></BookgDt>
        <ValDt><Dt>{e.date.isoformat()}</Dt></ValDt>
        {f'<AcctSvcrRef>{e.bank_ref}</AcctSvcrRef>' if e.bank_ref else ''}
        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
        <NtryDtls><TxDtls>{refs}{parties}{rmt}</TxDtls></NtryDtls>
      </Ntry>""")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="{ns}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>MSG-{stmt_id}</MsgId><CreDtTm>2026-03-03T06:00:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>{stmt_id}</Id>
      <CreDtTm>2026-03-03T06:00:00</CreDtTm>
      <Acct><Id><IBAN>{iban}</IBAN></Id><Ccy>EUR</Ccy></Acct>{''.join(rows)}
    </Stmt>
  </BkToCstmrStmt>
</Document>
""".encode()


def mt940(entries: list[Entry], *, account: str = OUR_IBAN, layout: str = "german", stmt_id: str = "STMT-1") -> str:
    """:61: lines with :86: details, in the German ?20 layout or the SWIFT /NAME/ /REMI/ tag layout."""
    out = [":20:" + stmt_id, ":25:" + account, ":28C:1/1", ":60F:C260301EUR1000,00"]
    for e in entries:
        amount = str(Decimal(e.amount)).replace(".", ",")
        ymd = e.date.strftime("%y%m%d")
        ref = e.bank_ref or "NONREF"
        out.append(f":61:{ymd}{e.date.strftime('%m%d')}{'C' if e.credit else 'D'}{amount}NTRF{ref}")
        if layout == "german":
            text = e.text or e.ref
            purpose = f"SVWZ+{text}" if text else ""
            chunks = [purpose[i:i + 27] for i in range(0, len(purpose), 27)] or [""]
            sub = "".join(f"?{20 + i}{chunk}" for i, chunk in enumerate(chunks[:10]))
            out.append(f":86:166?00GUTSCHRIFT{sub}?31{e.iban}?32{e.name[:27]}?33{e.name[27:54]}")
        else:
            remi = e.text or e.ref
            out.append(f":86:/TRTP/SEPA OVERBOEKING/IBAN/{e.iban}/BIC/COBADEFFXXX/NAME/{e.name}/REMI/{remi}/EREF/{e.e2e or 'NOTPROVIDED'}")
    out += [":62F:C260302EUR2000,00", "-"]
    return "\n".join(out) + "\n"


def csv_text(entries: list[Entry], *, delimiter: str = ",", decimal_comma: bool = False) -> str:
    def q(value: str) -> str:
        return '"' + value.replace('"', '""') + '"'

    rows = [delimiter.join(["Date", "Amount", "Currency", "Counterparty", "IBAN", "Remittance", "Bank reference"])]
    for e in entries:
        amount = e.amount if e.credit else f"-{e.amount}"
        if decimal_comma:
            amount = amount.replace(".", ",")
        rows.append(delimiter.join([e.date.isoformat(), amount, e.currency, q(e.name), e.iban, q(e.text or e.ref), e.bank_ref]))
    return "\n".join(rows) + "\n"
