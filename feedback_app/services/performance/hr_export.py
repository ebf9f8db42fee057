"""HR's export of a closed period: one row per ASN keyed by NIP, as XLSX, CSV and JSON, byte-for-byte stable
(the same period and decisions give the same bytes, so a regional HR system can compare versions or ETags)."""
from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from datetime import datetime

from sqlalchemy import select

from ...extensions import db
from ...models import Nomination, PerformancePeriod, PerformanceSummary, Staff, Unit
from ..reporting import exports
from .appraisal import LEVEL_LABELS

HEADERS = ("NIP", "Nama", "Unit kerja", "Jabatan", "Jenis ASN", "Jumlah responden", "Skor warga",
           "Batas bawah 95%", "Batas atas 95%", "Skor warga disesuaikan", "Data cukup", "Hasil kerja",
           "Perilaku kerja", "Predikat", "Skor rekan", "Jumlah rekan", "Respons bertanda belum ditinjau",
           "Catatan disiplin", "Indeks gabungan", "Nominasi", "Versi rumus", "Layanan diberikan",
           "Respons terverifikasi", "Tingkat respons")
TEXT_COLUMNS = frozenset({0})
STATUS = {"nominated": "diusulkan", "confirmed": "dikukuhkan", "rejected": "ditolak"}


class NotClosed(LookupError):
    """The period has no frozen summaries yet."""


def _two(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def records(period: PerformancePeriod) -> list[dict]:
    """One record per ASN of a closed period, ordered by unit code then NIP (the JSON API's items)."""
    if period.state != "closed":
        raise NotClosed(f"{period.token} is {period.state}; summaries are made when it closes")
    nominated: dict[int, list[dict]] = {}
    for n in db.session.scalars(select(Nomination).where(Nomination.period_id == period.id)
                                .order_by(Nomination.category_id, Nomination.id)):
        nominated.setdefault(n.staff_id, []).append({"category": n.category.code, "status": n.status,
                                                      "rank": n.rank, "source": n.source})
    rows = db.session.execute(
        select(PerformanceSummary, Staff, Unit).join(Staff, Staff.id == PerformanceSummary.staff_id)
        .join(Unit, Unit.id == PerformanceSummary.unit_id).where(PerformanceSummary.period_id == period.id)
        .order_by(Unit.code, Staff.nip, Staff.id)
    ).all()
    return [{
        "nip": staff.nip or "", "name": staff.name, "unit_code": unit.code, "unit": unit.name,
        "position": staff.position, "asn_type": staff.asn_type.value,
        "citizen_count": s.citizen_n, "citizen_score": _two(s.citizen_mean),
        "citizen_low": _two(s.citizen_low), "citizen_high": _two(s.citizen_high),
        "citizen_shrunk": _two(s.citizen_shrunk), "sufficient": s.sufficient,
        "hasil_kerja": s.hasil_kerja, "perilaku_kerja": s.perilaku, "predikat": s.predikat,
        "peer_score": _two(s.peer_score), "peer_count": s.peer_n, "open_flags": s.open_flags,
        "disciplinary": s.disciplinary, "combined_index": _two(s.combined_index),
        "nominations": nominated.get(s.staff_id, []), "formula_version": s.formula_version,
        **_services(s.inputs),
    } for s, staff, unit in rows]


def _services(inputs: dict) -> dict:
    """Services delivered, verified responses and their ratio, as frozen in the summary's inputs (0 and None for
    a summary closed before services were counted)."""
    found = (inputs or {}).get("services") or {}
    services, verified = int(found.get("delivered", 0)), int(found.get("verified", 0))
    return {"services_delivered": services, "verified_responses": verified,
            "response_rate": round(verified / services, 4) if services else None}


def table_rows(items: list[dict]) -> list[tuple]:
    """The export's rows (Indonesian words, numbers as numbers, NIP as text)."""
    return [(
        r["nip"], r["name"], r["unit"], r["position"], r["asn_type"], r["citizen_count"], r["citizen_score"],
        r["citizen_low"], r["citizen_high"], r["citizen_shrunk"], "ya" if r["sufficient"] else "tidak",
        LEVEL_LABELS.get(r["hasil_kerja"], ""), LEVEL_LABELS.get(r["perilaku_kerja"], ""), r["predikat"] or "",
        r["peer_score"], r["peer_count"], r["open_flags"], "ada" if r["disciplinary"] else "tidak ada",
        r["combined_index"], "; ".join(f"{n['category']} ({STATUS[n['status']]})" for n in r["nominations"]),
        r["formula_version"], r["services_delivered"], r["verified_responses"], r["response_rate"],
    ) for r in items]


def payload(period: PerformancePeriod) -> dict:
    """The JSON document of a closed period, with a version that changes whenever any figure or decision does."""
    items = records(period)
    body = {"period": period.token, "kind": period.kind, "first_day": period.first.isoformat(),
            "last_day": period.last.isoformat(), "state": period.state,
            "closed_at": period.closed_at.isoformat() if period.closed_at else None,
            "formula_version": period.formula_version, "items": items}
    body["version"] = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:20]
    return body


def csv_bytes(period: PerformancePeriod) -> bytes:
    return "".join(exports.to_csv(HEADERS, table_rows(records(period)))).encode("utf-8")


def xlsx_bytes(period: PerformancePeriod) -> bytes:
    data = exports.to_xlsx([(period.token, HEADERS, table_rows(records(period)), TEXT_COLUMNS)])
    return stable_xlsx(data, period.closed_at)


_STAMPS = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


def stable_xlsx(data: bytes, when: datetime) -> bytes:
    """The same workbook with every timestamp fixed (zip entries and document properties), so that the same
    content always gives the same bytes."""
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    date_time = (when.year, when.month, when.day, when.hour, when.minute, when.second)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = _STAMPS.sub(rb"\g<1>" + stamp + rb"\g<2>", content)
            entry = zipfile.ZipInfo(info.filename, date_time)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            target.writestr(entry, content)
    return out.getvalue()
