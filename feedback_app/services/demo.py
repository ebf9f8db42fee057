"""A deterministic demo regency: Kabupaten Batanghari's agencies, counters, staff, roster and months of responses."""
from __future__ import annotations

import io
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, insert, select, text

from ..extensions import db
from ..models import (
    Answer, AsnType, DutyShift, FollowUpContact, OpeningHours, Question, Response, ServiceDelivered, ServicePoint,
    ServiceType, Staff, SurveyToken, Unit, Verification,
)
from . import clock
from .clock import zone
from .survey.questionnaires import ensure_standard_questionnaire

KECAMATAN = (  # code, name, population 2020 (domain.md section 5)
    ("MSM", "Mersam", 33393), ("MTB", "Muara Tembesi", 34636), ("MBL", "Muara Bulian", 69733),
    ("BTX", "Batin XXIV", 32276), ("PMY", "Pemayung", 37962), ("MSU", "Maro Sebo Ulu", 40170),
    ("BJB", "Bajubang", 42881), ("MSI", "Maro Sebo Ilir", 15457),
)
OFFICE = "Sen-Kam 07:30-16:00; Jum 07:30-11:30"
CLINIC = "Sen-Sab 08:00-14:00"
HOSPITAL = "Sen-Min 07:00-21:00"

# agency code, agency name, [(counter code, counter name, service types, hours, daily load)]
AGENCIES = (
    ("DISDUKCAPIL", "Dinas Kependudukan dan Pencatatan Sipil", [
        ("DKC-01", "Loket 1 Pendaftaran dan Informasi", ["Informasi administrasi kependudukan"], OFFICE, 9),
        ("DKC-02", "Loket 2 Perekaman KTP-el", ["Perekaman KTP-el"], OFFICE, 12),
        ("DKC-03", "Loket 3 Pencetakan KTP-el", ["Pencetakan KTP-el"], OFFICE, 11),
        ("DKC-04", "Loket 4 Kartu Keluarga dan Pindah-Datang", ["Kartu Keluarga", "Surat Pindah-Datang"], OFFICE, 9),
        ("DKC-05", "Loket 5 Akta Kelahiran dan Kematian", ["Akta Kelahiran", "Akta Kematian"], OFFICE, 7),
        ("DKC-06", "Loket 6 Pengaduan", ["Pengaduan"], OFFICE, 2),
    ]),
    ("DPMPTSP", "Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu", [
        ("PTSP-01", "Loket Perizinan", ["Perizinan berusaha", "Persetujuan Bangunan Gedung"], OFFICE, 5),
        ("PTSP-02", "Loket NIB dan OSS", ["Nomor Induk Berusaha"], OFFICE, 6),
        ("PTSP-03", "Meja Informasi dan Pengaduan", ["Informasi perizinan", "Pengaduan"], OFFICE, 2),
    ]),
    ("RSUD", "RSUD Hamba Muara Bulian", [
        ("RSUD-01", "Pendaftaran Rawat Jalan", ["Pendaftaran pasien"], HOSPITAL, 14),
        ("RSUD-02", "Instalasi Gawat Darurat", ["Gawat darurat"], HOSPITAL, 6),
        ("RSUD-03", "Instalasi Farmasi", ["Pelayanan obat"], HOSPITAL, 10),
        ("RSUD-04", "Kasir dan Layanan BPJS", ["Pembayaran", "Administrasi BPJS"], HOSPITAL, 7),
    ]),
    ("DINSOS", "Dinas Sosial", [
        ("DSO-01", "Layanan DTKS", ["Pendaftaran DTKS"], OFFICE, 4),
        ("DSO-02", "Layanan Bantuan Sosial", ["Bantuan sosial"], OFFICE, 3),
    ]),
    ("BKPSDM", "Badan Kepegawaian dan Pengembangan Sumber Daya Manusia", [
        ("BKP-01", "Layanan Kepegawaian", ["Kenaikan pangkat", "Cuti", "Pensiun"], OFFICE, 4),
    ]),
    ("BAPENDA", "Badan Pendapatan Daerah", [
        ("BPD-01", "Loket PBB-P2", ["Pajak Bumi dan Bangunan"], OFFICE, 6),
        ("BPD-02", "Loket BPHTB", ["BPHTB"], OFFICE, 3),
    ]),
)
# Counters with verified attribution in the demo: counter screens at Disdukcapil's first two counters, its queue
# machine announcing the tickets of counters 3 and 4, and a kiosk at Puskesmas Muara Bulian's registration.
ATTRIBUTED = {"DKC-01": "screen", "DKC-02": "screen", "DKC-03": "queue", "DKC-04": "queue", "PKM-MBL-01": "kiosk"}
PUSKESMAS_COUNTERS = (
    ("01", "Pendaftaran", ["Pendaftaran pasien"], 8),
    ("02", "Poli Umum", ["Pemeriksaan umum"], 6),
    ("03", "Poli KIA dan KB", ["Kesehatan ibu dan anak", "Keluarga berencana"], 4),
    ("04", "Farmasi", ["Pelayanan obat"], 6),
)
POSITIONS_OFFICE = ("Pengadministrasi Umum", "Pranata Komputer Ahli Pertama", "Analis Pelayanan", "Verifikator Data",
                    "Pengolah Data", "Arsiparis Terampil")
POSITIONS_CLINIC = ("Perawat Terampil", "Bidan Terampil", "Dokter Ahli Pertama", "Apoteker Ahli Pertama",
                    "Asisten Apoteker", "Perekam Medis Terampil")
FIRST_M = ("Ahmad", "Muhammad", "Rahmat", "Hendra", "Budi", "Joko", "Agus", "Rizki", "Fajar", "Andi", "Hasan",
           "Syahrul", "Zulkifli", "Irwan", "Yusuf", "Dedi", "Arif", "Hafiz", "Taufik", "Ilham")
FIRST_F = ("Siti", "Nur", "Dewi", "Rina", "Fitri", "Yuliana", "Sri", "Wulan", "Rahmah", "Ayu", "Nurul", "Maya",
           "Lestari", "Indah", "Fatimah", "Mardiana", "Susanti", "Rosmawati", "Aisyah", "Novita")
LAST = ("Saputra", "Hidayat", "Siregar", "Nasution", "Harahap", "Pratama", "Lubis", "Sembiring", "Wijaya",
        "Syahputra", "Kurniawan", "Rahman", "Hasibuan", "Ramadhan", "Setiawan", "Maulana", "Anggraini", "Marlina",
        "Putri", "Handayani", "Yanti", "Sari", "Rambe", "Batubara")
GOOD_COMMENTS = ("Pelayanan cepat dan ramah, terima kasih.", "Petugas sangat membantu.",
                 "Sudah bagus, pertahankan.", "Antrian tertib, ruang tunggu nyaman.",
                 "Prosesnya jelas dan tidak dipungut biaya.")
BAD_COMMENTS = ("Antrian terlalu lama, mohon ditambah petugas.", "Ruang tunggu panas, kipas angin rusak.",
                "Petugas kurang ramah saat menjelaskan persyaratan.", "Informasi persyaratan tidak jelas.",
                "Blanko habis, disuruh datang lagi besok.", "Toilet kotor dan tidak ada air.")


@dataclass
class DemoSummary:
    """What seed-demo created."""

    units: int
    service_points: int
    staff: int
    shifts: int
    responses: int


class DemoDataExists(RuntimeError):
    """The database already holds units; the demo is only seeded into an empty one."""


def _nip(rng: random.Random, asn_type: AsnType, male: bool, used: set[str], today: date) -> str:
    while True:
        born = date(rng.randint(1966, 1999), rng.randint(1, 12), rng.randint(1, 28))
        if asn_type == AsnType.PPPK:
            appointed = f"{rng.randint(2021, min(2024, today.year))}21"
        else:
            year = min(today.year - 1, born.year + rng.randint(20, 32))
            appointed = f"{year}{rng.randint(1, 12):02d}"
        nip = f"{born:%Y%m%d}{appointed}{1 if male else 2}{rng.randint(1, 120):03d}"
        if nip not in used:
            used.add(nip)
            return nip


def _photo(rng: random.Random, name: str) -> bytes:
    """A small JPEG avatar with initials (a stand-in for a real staff photo)."""
    from PIL import Image, ImageDraw

    colour = tuple(rng.randint(40, 160) for _ in range(3))
    image = Image.new("RGB", (64, 64), colour)
    initials = "".join(part[0] for part in name.split()[:2]).upper()
    ImageDraw.Draw(image).text((20, 26), initials, fill=(255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=60, optimize=True)
    return buffer.getvalue()


def seed_demo(months: int = 6, seed: int = 2026, until: date | None = None, load_factor: float = 1.0,
              tz_name: str = "Asia/Jakarta") -> DemoSummary:
    """Create the demo regency and `months` of plausible responses up to `until`; same seed, same data."""
    if db.session.scalar(select(func.count()).select_from(Unit)):
        raise DemoDataExists("the database already has units; seed-demo only fills an empty database")
    rng = random.Random(seed)
    until = until or clock.today(tz_name)
    questionnaire = ensure_standard_questionnaire()
    questions = db.session.scalars(
        select(Question).where(Question.questionnaire_id == questionnaire.id).order_by(Question.position)
    ).all()

    plan: list[tuple[Unit, list[tuple[str, str, list[str], str, int]], bool]] = []
    for code, name, counters in AGENCIES:
        plan.append((Unit(code=code, name=name), counters, code == "RSUD"))
    dinkes = Unit(code="DINKES", name="Dinas Kesehatan")
    plan.append((dinkes, [("DINKES-01", "Layanan Informasi dan Pengaduan Kesehatan", ["Informasi kesehatan"], OFFICE, 1)], False))
    for kcode, kname, population in KECAMATAN:
        puskesmas = Unit(code=f"PKM-{kcode}", name=f"UPTD Puskesmas {kname}", parent=dinkes)
        scale = population / 40000
        plan.append((puskesmas, [(f"PKM-{kcode}-{c}", n, t, CLINIC, max(1, round(load * scale)))
                                 for c, n, t, load in PUSKESMAS_COUNTERS], True))
        plan.append((Unit(code=f"KEC-{kcode}", name=f"Kecamatan {kname}"),
                     [(f"KEC-{kcode}-01", "Pelayanan Administrasi Terpadu Kecamatan (PATEN)",
                       ["Surat keterangan", "Rekomendasi"], OFFICE, max(1, round(3 * scale)))], False))

    from .survey.schedule import parse_hours

    types: dict[str, ServiceType] = {}
    used_nips: set[str] = set()
    counters: list[tuple[ServicePoint, int, float]] = []
    staff_all: list[Staff] = []
    shifts = 0
    honorer = 0
    for unit, specs, clinical in plan:
        db.session.add(unit)
        positions = POSITIONS_CLINIC if clinical else POSITIONS_OFFICE
        unit_staff: list[Staff] = []
        for _ in range(rng.randint(4, 8) + 2 * len(specs)):
            male = rng.random() < 0.45
            first = rng.choice(FIRST_M if male else FIRST_F)
            roll = rng.random()
            asn_type = AsnType.PNS if roll < 0.65 else AsnType.PPPK if roll < 0.88 else AsnType.NON_ASN
            person = Staff(name=f"{first} {rng.choice(LAST)}", asn_type=asn_type, unit=unit,
                           position=rng.choice(positions) if asn_type != AsnType.NON_ASN else "Tenaga Pendukung")
            if asn_type == AsnType.NON_ASN:
                honorer += 1
                person.code = f"HON-{honorer:04d}"
            else:
                person.nip = _nip(rng, asn_type, male, used_nips, until)
            if rng.random() < 0.25:
                person.photo, person.photo_type = _photo(rng, person.name), "image/jpeg"
            db.session.add(person)
            unit_staff.append(person)
        staff_all.extend(unit_staff)
        for code, name, type_names, hours, load in specs:
            point = ServicePoint(code=code, name=name, unit=unit)
            for type_name in type_names:
                point.service_types.append(types.setdefault(type_name, ServiceType(name=type_name)))
            parsed = parse_hours(hours)
            point.hours = [OpeningHours(weekday=d, opens=o, closes=c) for d, o, c in parsed]
            db.session.add(point)
            on_roster = rng.sample(unit_staff, k=min(len(unit_staff), rng.randint(1, 3)))
            for index, person in enumerate(on_roster):
                for weekday, opens, closes in parsed:
                    if len(on_roster) > 1 and hours == HOSPITAL:  # hospital counters run two shifts
                        middle = time(14, 0)
                        starts, ends = (opens, middle) if index % 2 == 0 else (middle, closes)
                    else:
                        starts, ends = opens, closes
                    db.session.add(DutyShift(staff=person, service_point=point, weekday=weekday,
                                             starts=starts, ends=ends))
                    shifts += 1
            counters.append((point, load, rng.uniform(2.85, 3.65)))
    db.session.flush()

    responses = _seed_responses(rng, counters, questions, months, until, load_factor, tz_name)
    db.session.commit()
    return DemoSummary(len(plan), len(counters), len(staff_all), shifts, responses)


def _seed_responses(rng, counters, questions, months, until, load_factor, tz_name) -> int:
    """Insert months of responses in bulk (Core inserts, fixed ids) with plausible scores and profiles."""
    tz = zone(tz_name)
    start = until - timedelta(days=30 * months)
    next_id = (db.session.scalar(select(func.max(Response.id))) or 0) + 1
    staff_effect: dict[int, float] = {}
    roster: dict[int, list[tuple[int, int, time, time]]] = {}
    for shift in db.session.scalars(select(DutyShift)).all():
        roster.setdefault(shift.service_point_id, []).append((shift.staff_id, shift.weekday, shift.starts, shift.ends))
        staff_effect.setdefault(shift.staff_id, rng.gauss(0, 0.25))
    response_rows, answer_rows, contact_rows = [], [], []
    links = _Links(db.session.scalar(select(func.max(SurveyToken.id))) or 0)
    total = 0
    day = start
    while day <= until:
        for point, load, quality in counters:
            hours = [(o, c) for w, o, c in ((h.weekday, h.opens, h.closes) for h in point.hours) if w == day.weekday()]
            if not hours:
                continue
            source = ATTRIBUTED.get(point.code)
            served_today = [s for s, w, _, _ in roster.get(point.id, []) if w == day.weekday()]
            verified_today = 0
            count = max(0, round(rng.gauss(load * load_factor, load * load_factor * 0.4)))
            for _ in range(count):
                opens, closes = hours[0]
                minutes = rng.randint(opens.hour * 60 + opens.minute, closes.hour * 60 + closes.minute - 1)
                local = datetime.combine(day, time(minutes // 60, minutes % 60, rng.randint(0, 59)), tz)
                on_duty = [s for s, w, a, b in roster.get(point.id, []) if w == day.weekday() and a <= local.time() < b]
                staff_id = rng.choice(on_duty) if on_duty and rng.random() < 0.7 else None
                level = quality + (staff_effect.get(staff_id, 0.0) if staff_id else 0.0) + rng.gauss(0, 0.35)
                flags = "too_fast" if rng.random() < 0.004 else ""
                comment = None
                if rng.random() < 0.12:
                    comment = rng.choice(BAD_COMMENTS if level < 3.0 else GOOD_COMMENTS)
                followup = comment is not None and level < 3.0 and rng.random() < 0.3
                verification = Verification.ROSTER if staff_id else Verification.UNATTRIBUTED
                if source and staff_id and rng.random() < 0.8:  # answered through the one-time link
                    verification = Verification.VERIFIED
                    links.add(rng, point, staff_id, source, day, local, next_id)
                    verified_today += 1
                response_rows.append({
                    "id": next_id, "idempotency_key": f"demo-{rng.getrandbits(96):024x}",
                    "questionnaire_id": questions[0].questionnaire_id, "service_point_id": point.id,
                    "unit_id": point.unit_id, "staff_id": staff_id,
                    "verification": verification,
                    "submitted_at": local,
                    "locale": "en" if rng.random() < 0.03 else "id",
                    "service_type_id": rng.choice(point.service_types).id if rng.random() < 0.8 else None,
                    "sex": rng.choice("LP") if rng.random() < 0.9 else None,
                    "age": rng.randint(17, 75) if rng.random() < 0.85 else None,
                    "education": rng.choice(("SD", "SMP", "SMA", "SMA", "SMA", "D1-D4", "S1", "S1", "S2+"))
                    if rng.random() < 0.8 else None,
                    "occupation": rng.choice(("PNS", "TNI", "POLRI", "SWASTA", "WIRAUSAHA", "WIRAUSAHA", "LAINNYA"))
                    if rng.random() < 0.8 else None,
                    "comment": comment, "followup_requested": followup, "integrity_flags": flags,
                    "excluded": bool(flags), "render_seconds": round(rng.uniform(4, 20) if flags else rng.uniform(40, 240), 1),
                    "client_hash": None,
                })
                for q in questions:
                    centre = level
                    if q.code == "U4":
                        centre = 3.7  # most public services are free
                    elif q.code in ("U6", "U7") and staff_id:
                        centre = level + staff_effect[staff_id]
                    value = min(4, max(1, round(rng.gauss(centre, 0.55))))
                    answer_rows.append({"response_id": next_id, "question_id": q.id, "value": value})
                if followup:
                    contact_rows.append({"response_id": next_id, "phone": f"08{rng.randint(11, 59)}{rng.randint(10**7, 10**8 - 1)}",
                                         "email": None, "consent_at": local})
                next_id += 1
                total += 1
            if source and served_today:  # citizens served who did not answer: about a third answer
                opens, closes = hours[0]
                for _ in range(round(verified_today * rng.uniform(1.3, 2.3)) + rng.randint(0, 2)):
                    minutes = rng.randint(opens.hour * 60 + opens.minute, closes.hour * 60 + closes.minute - 1)
                    minted = datetime.combine(day, time(minutes // 60, minutes % 60), tz)
                    links.add(rng, point, rng.choice(served_today), source, day, minted, None)
            if len(response_rows) >= 5000:
                _flush(response_rows, answer_rows, contact_rows)
                links.flush()
        day += timedelta(days=1)
    _flush(response_rows, answer_rows, contact_rows)
    links.flush()
    if db.session.get_bind().dialect.name == "postgresql":
        for table in ("responses", "survey_tokens", "services_delivered"):
            db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                    f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"))
    return total


class _Links:
    """The demo's one-time links and the services delivered they stand for, inserted in bulk with fixed ids."""

    def __init__(self, last_id: int) -> None:
        self.next_id = last_id + 1
        self.tokens: list[dict] = []
        self.services: list[dict] = []
        self.tickets: dict[tuple[int, date], int] = {}

    def add(self, rng, point, staff_id: int, source: str, day: date, at: datetime, response_id: int | None) -> None:
        """One service delivered; redeemed at `at` by `response_id`, or minted then and never answered."""
        minted = at - timedelta(minutes=rng.randint(1, 20)) if response_id else at
        ticket = None
        if source == "queue":
            number = self.tickets[(point.id, day)] = self.tickets.get((point.id, day), 0) + 1
            ticket = f"{point.code[-1]}-{number:03d}"
        self.tokens.append({"id": self.next_id, "token_hash": f"{rng.getrandbits(256):064x}",
                            "service_point_id": point.id, "staff_id": staff_id, "device_id": None, "source": source,
                            "minted_at": minted.replace(second=0, microsecond=0),
                            "expires_at": minted + timedelta(hours=24),
                            "redeemed_at": at if response_id else None, "response_id": response_id})
        self.services.append({"id": self.next_id, "staff_id": staff_id, "service_point_id": point.id,
                              "unit_id": point.unit_id, "day": day, "source": source, "ticket": ticket,
                              "token_id": self.next_id})
        self.next_id += 1

    def flush(self) -> None:
        """Insert what was gathered (after the responses the tokens point at)."""
        if self.tokens:
            db.session.execute(insert(SurveyToken.__table__), self.tokens)
            db.session.execute(insert(ServiceDelivered.__table__), self.services)
        self.tokens.clear()
        self.services.clear()


def _flush(response_rows: list, answer_rows: list, contact_rows: list) -> None:
    if response_rows:
        db.session.execute(insert(Response.__table__), response_rows)
        db.session.execute(insert(Answer.__table__), answer_rows)
    if contact_rows:
        db.session.execute(insert(FollowUpContact.__table__), contact_rows)
    response_rows.clear()
    answer_rows.clear()
    contact_rows.clear()


DEMO_PASSWORD = "demo-batanghari"


def create_demo_accounts() -> list[tuple[str, str]]:
    """Sign-ins for trying the dashboards on the demo regency, one per role."""
    from ..models import Role
    from .organisation import accounts

    first_officer = db.session.scalars(
        select(Staff).join(DutyShift, DutyShift.staff_id == Staff.id)
        .join(ServicePoint, ServicePoint.id == DutyShift.service_point_id)
        .where(ServicePoint.code == "DKC-02").order_by(Staff.name)
    ).first()
    plan = [("admin", Role.ADMIN, None, None), ("bkpsdm", Role.HR, None, None),
            ("kadis.dukcapil", Role.UNIT_HEAD, "DISDUKCAPIL", None),
            ("kadis.dinkes", Role.UNIT_HEAD, "DINKES", None),
            ("kapus.muarabulian", Role.UNIT_HEAD, "PKM-MBL", None),
            ("petugas", Role.OFFICER, None, first_officer.nip or first_officer.code if first_officer else None)]
    created = []
    for username, role, unit, staff_key in plan:
        if role == Role.OFFICER and staff_key is None:
            continue
        accounts.create_user(username, username.replace(".", " ").title(), role, DEMO_PASSWORD, unit, staff_key)
        created.append((username, role.value))
    return created
