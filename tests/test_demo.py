"""The demo regency: realistic, valid and the same on every run."""
from datetime import date

from sqlalchemy import func, select

from feedback_app.extensions import db
from feedback_app.models import Answer, AsnType, Response, ServicePoint, Staff, Unit
from feedback_app.services.organisation.nip import check_nip

from .conftest import _empty_tables


def _fingerprint():
    db.session.rollback()
    return (
        db.session.scalar(select(func.count()).select_from(Response)),
        db.session.scalar(select(func.sum(Answer.value))),
        db.session.scalar(select(func.count()).where(Response.staff_id.is_not(None))),
        tuple(db.session.scalars(select(Staff.nip).order_by(Staff.id).limit(5))),
    )


def test_seed_demo_builds_batanghari_deterministically(runner, app):
    args = ["seed-demo", "--months", "1", "--until", "2026-10-31", "--load", "0.3"]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert "demo regency:" in result.output
    assert "demo sign-in: kadis.dukcapil (unit_head) password demo-batanghari" in result.output
    first = _fingerprint()
    names = set(db.session.scalars(select(Unit.name)))
    assert {"UPTD Puskesmas Muara Bulian", "Dinas Kependudukan dan Pencatatan Sipil", "RSUD Hamba Muara Bulian"} <= names
    assert sum(n.startswith("UPTD Puskesmas") for n in names) == 8
    assert db.session.scalar(select(func.count()).select_from(ServicePoint)) >= 50
    staff = db.session.scalars(select(Staff)).all()
    assert len(staff) >= 200
    for person in staff:
        if person.asn_type != AsnType.NON_ASN:
            assert check_nip(person.nip, person.asn_type, date(2026, 10, 31)).ok, person.nip
    # responses carry nine answers each, within the month asked for
    assert db.session.scalar(select(func.count()).select_from(Answer)) == 9 * first[0]
    # counters with screens, a kiosk and a queue link: services delivered, most unanswered, verified responses
    from feedback_app.models import ServiceDelivered, SurveyToken, Verification
    services = dict(db.session.execute(select(ServiceDelivered.source, func.count())
                                       .group_by(ServiceDelivered.source)).all())
    assert services.keys() == {"screen", "queue", "kiosk"}
    verified = db.session.scalar(select(func.count()).where(Response.verification == Verification.VERIFIED))
    redeemed = db.session.scalar(select(func.count()).where(SurveyToken.response_id.is_not(None)))
    assert 0 < verified == redeemed < sum(services.values())
    assert "nothing done" in runner.invoke(args=args).output  # never seeds twice

    db.session.remove()
    _empty_tables()
    assert runner.invoke(args=args).exit_code == 0
    assert _fingerprint() == first
