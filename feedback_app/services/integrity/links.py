"""shared_link: a one-time link whose survey page several devices drew before its single answer.

A link is minted for one citizen served; exactly one answer is stored for it, and the server cannot tell the
served citizen's answer from a stranger's. What it can see is who opened the link first: a photo of the counter's
QR passed round a group shows as the link's page drawn by many devices (each a daily-rotating keyed hash, no
address) before the answer. More than INTEGRITY_SHARED_LINK["most"] such devices (the answering one included)
flag the answer `shared_link`: it is kept, out of the scores until a unit head or HR reviews it. Two devices are
one citizen as often as not (a QR reader's own browser, then the phone's), so the default allows two. Only the
first few devices of a link are recorded: past the limit the link is shared whatever more come."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ...extensions import db
from ...models import Response, SurveyLinkView, SurveyToken
from .rules import setting

FLAG = "shared_link"


def most_devices(cfg) -> int | None:
    """The most devices a link's page may be drawn by before its answer; None when the rule is off."""
    conf = setting(cfg, "INTEGRITY_SHARED_LINK")
    return int(conf["most"]) if conf is not None else None


def viewers(token_id: int) -> set[str]:
    """The devices (hashes) recorded drawing this link's page. Each drew it while the link was unused (a used
    link's page is refused), so every one of them saw it before its answer."""
    return set(db.session.scalars(select(SurveyLinkView.client_hash).where(SurveyLinkView.token_id == token_id)))


def record_view(cfg, token_id: int, client_hash: str | None, now: datetime) -> None:
    """Note that a device drew the link's page (once per device; nothing past the rule's limit, or when off)."""
    most = most_devices(cfg)
    if most is None or not client_hash:
        return
    seen = viewers(token_id)
    if client_hash in seen or len(seen) > most:
        return
    insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    db.session.execute(insert(SurveyLinkView).values(token_id=token_id, client_hash=client_hash, viewed_at=now)
                       .on_conflict_do_nothing())
    db.session.commit()


def shared(cfg, token_id: int, client_hash: str | None) -> bool:
    """Whether more devices than the rule allows drew the link's page, the answering device counted among them."""
    most = most_devices(cfg)
    if most is None:
        return False
    devices = viewers(token_id) | ({client_hash} if client_hash else set())
    return len(devices) > most


def submit_flags(cfg, token_id: int, client_hash: str | None) -> tuple[str, ...]:
    """The flag the link's answer gets on submit: ('shared_link',) or ()."""
    return (FLAG,) if shared(cfg, token_id, client_hash) else ()


def shared_answers(cfg, since: datetime, until: datetime) -> set[int]:
    """The scan's look at the same rule: the verified responses stored in [since, until] whose link more devices
    drew than the rule allows (a device that drew it while the answer was on its way was not seen on submit).
    Called while the rule is on."""
    most = most_devices(cfg)
    devices: dict[int, set[str]] = defaultdict(set)
    for response_id, own, seen in db.session.execute(
            select(Response.id, Response.client_hash, SurveyLinkView.client_hash)
            .join(SurveyToken, SurveyToken.response_id == Response.id)
            .join(SurveyLinkView, SurveyLinkView.token_id == SurveyToken.id)
            .where(Response.submitted_at >= since, Response.submitted_at <= until)):
        devices[response_id].update({seen, own} - {None})
    return {response_id for response_id, found in devices.items() if len(found) > most}


def drop_views(cutoff: datetime) -> int:
    """Forget the devices that drew links before `cutoff` (the daily purge, as the responses' device hashes)."""
    return db.session.execute(delete(SurveyLinkView).where(SurveyLinkView.viewed_at < cutoff)).rowcount
