"""The audit log as people read it: actions, fields and values in the reader's language, changes as a list."""
from __future__ import annotations

from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l

from ...services.audit import changes
from ...services.performance.appraisal import BERAKHLAK, LEVEL_LABELS, PEER_ITEMS
from . import bp

ACTIONS = {
    "access.denied": _l("Access refused"),
    "login.failed": _l("Sign-in failed"),
    "login.throttled": _l("Sign-ins held back"),
    "user.create": _l("Account created"),
    "user.role_change": _l("Role changed"),
    "user.deactivate": _l("Account deactivated"),
    "user.logout": _l("Signed out everywhere"),
    "user.password_reset": _l("Password reset"),
    "user.sessions_ended": _l("Sessions ended"),
    "token.create": _l("API token created"),
    "token.revoke": _l("API token revoked"),
    "rating.create": _l("Rating given"),
    "rating.update": _l("Rating changed"),
    "rating.refused": _l("Rating refused"),
    "peer.create": _l("Peer feedback given"),
    "peer.refused": _l("Peer feedback refused"),
    "period.open": _l("Period opened"),
    "period.closing": _l("Period ended, closing"),
    "period.close": _l("Period closed"),
    "period.reopen": _l("Period reopened"),
    "period.refused": _l("Period change refused"),
    "formula.create": _l("Formula version saved"),
    "period_kind.create": _l("Period kind added"),
    "period_kind.change": _l("Period kind changed"),
    "period_kind.refused": _l("Period kind change refused"),
    "formula.refused": _l("Formula change refused"),
    "award.rule": _l("Award rule changed"),
    "award.rule_refused": _l("Award rule change refused"),
    "award.add": _l("Award candidate added"),
    "award.decide": _l("Award decision"),
    "award.refused": _l("Award decision refused"),
    "integrity.count": _l("Flagged response counted"),
    "integrity.exclude": _l("Flagged response excluded"),
    "integrity.refused": _l("Integrity decision refused"),
    "integrity.scan": _l("Responses flagged by the scan"),
    "plan.save": _l("Follow-up plan saved"),
    "followup.close": _l("Follow-up closed"),
    "contact.purge": _l("Old contact details erased"),
    # the organisation's administration pages (admin.units, admin.counters, admin.staff_list)
    "unit.create": _l("Unit created"),
    "unit.rename": _l("Unit renamed"),
    "unit.move": _l("Unit moved"),
    "unit.deactivate": _l("Unit deactivated"),
    "unit.reactivate": _l("Unit reactivated"),
    "service_point.create": _l("Counter created"),
    "service_point.update": _l("Counter changed"),
    "staff.create": _l("Staff member added"),
    "staff.update": _l("Staff details changed"),
    "staff.photo": _l("Staff photo uploaded"),
    "staff.transfer": _l("Staff member transferred"),
    "staff.deactivate": _l("Staff member deactivated"),
    "staff.reactivate": _l("Staff member reactivated"),
    "questionnaire.create": _l("Questionnaire version published"),
    "questionnaire.refused": _l("Questionnaire version refused"),
}

FIELDS = {
    "state": _l("State"), "formula_version": _l("Formula version"), "summaries": _l("Summaries"),
    "nominations": _l("Nominations"), "role": _l("Role"), "unit": _l("Unit"), "active": _l("Active"),
    "revoked": _l("Revoked"), "name": _l("Name"), "closed": _l("Closed"), "contact_kept": _l("Contact details kept"),
    "deleted": _l("Erased"), "older_than_days": _l("Older than (days)"), "excluded": _l("Excluded from scores"),
    "reviewed": _l("Reviewed"), "note": _l("Note"), "decision": _l("Decision"), "reason": _l("Reason"),
    "hasil_kerja": _l("Work results"), "perilaku": _l("Work behaviour"), "predikat": _l("Predikat"),
    "notes": _l("Notes"), "status": _l("Status"), "decision_reason": _l("Reason for the decision"),
    "category": _l("Award"), "staff": _l("Staff"), "gates": _l("Gates"), "min_responses": _l("Minimum responses"),
    "no_open_flags": _l("No open flags"), "no_disciplinary": _l("No disciplinary note"), "nominees": _l("Nominees"),
    "predikat_weight": _l("Predikat weight"), "citizen_weight": _l("Citizen weight"), "peer_weight": _l("Peer weight"),
    "officer_elements": _l("Officer elements"), "minimum": _l("Minimum responses"),
    "prior_weight": _l("Prior weight"), "service_users": _l("Service users"), "items": _l("Plan lines"),
    "code": _l("Code"), "parent": _l("Under"), "hours": _l("Opening hours"), "service_types": _l("Services"),
    "asn_type": _l("ASN type"), "nip": _l("NIP"), "position": _l("Position"), "shifts": _l("Weekly shifts"),
    "photo": _l("Photo"), "bytes": _l("Size (bytes)"),
    "title": _l("Title"), "order": _l("SKM elements, in asking order"), "version": _l("version"),
    "extra": _l("Extra questions (never in the index)"),
    "label_id": _l("Name (Indonesian)"), "label_en": _l("Name (English)"), "months": _l("Months"),
    "must_change_password": _l("Must change the password"), "owner": _l("Owner"),
}
_NAMES = {**dict(BERAKHLAK), **dict(PEER_ITEMS)}  # BerAKHLAK values and peer items keep their official names

VALUES = {
    "open": _l("open"), "closing": _l("closing"), "closed": _l("closed"),
    "nominated": _l("nominated"), "confirmed": _l("confirmed"), "rejected": _l("rejected"),
    "count": _l("count in the scores"), "exclude": _l("keep excluded"), "confirm": _l("Confirm"),
    "reject": _l("Reject"), "admin": _l("administrator"), "hr": _l("HR (BKPSDM)"), "unit_head": _l("unit head"),
    "officer": _l("officer"),
}

# Fixed details the services write in English; a refusal's detail is its message, which the catalog holds too.
DETAILS = {
    "opened by HR": _l("opened by HR"), "opened by the scheduler": _l("opened by the scheduler"),
    "the period ended": _l("the period ended"), "contact details erased": _l("contact details erased"),
    "integrity review": _l("integrity review"), "follow-up": _l("follow-up"),
    "from PERFORMANCE_PERIOD_KINDS": _l("from PERFORMANCE_PERIOD_KINDS"),
    "only a closed period can be reopened": _l("only a closed period can be reopened"),
    "reopening needs a reason": _l("reopening needs a reason"),
    "from the settings": _l("from the settings"),  # the note of formula version 1 (cycle.ensure_formula)
}


def field_label(field: str) -> str:
    """'gates.min_responses' as 'Gates: Minimum responses'; 'notes.akuntabel' as 'Notes: Akuntabel'."""
    parts = field.split(".")
    return ": ".join(str(FIELDS.get(p) or _NAMES.get(p) or p) for p in parts)


def value_text(field: str, value) -> str:
    """A recorded value as a reader understands it: yes/no, translated states and roles, lists joined."""
    if value is None or value == "" or value == [] or value == {}:
        return "\u2014"
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, list):
        if all(isinstance(v, dict) for v in value):
            return ngettext("%(num)d entry", "%(num)d entries", len(value))
        return "; ".join(" / ".join(value_text(field, x) for x in v) if isinstance(v, list) else value_text(field, v)
                         for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{field_label(k)} {value_text(k, v)}" for k, v in value.items())
    if isinstance(value, str):
        if field.split(".")[-1] in ("hasil_kerja", "perilaku") and value in LEVEL_LABELS:
            return LEVEL_LABELS[value]
        return str(VALUES.get(value, value))
    return str(value)


@bp.app_template_filter("audit_action")
def action_label(action: str) -> str:
    """The action in words (unknown codes as they are)."""
    return str(ACTIONS.get(action, action))


@bp.app_template_filter("audit_detail")
def detail_text(detail: str) -> str:
    """A fixed detail in the reader's language; free text (reasons, paths) as it was written."""
    return str(DETAILS[detail]) if detail in DETAILS else detail


@bp.app_template_filter("audit_changes")
def change_list(event) -> list[tuple[str, str | None, str]]:
    """(field, value before or None for a new record, value after) for each changed field of an audit row."""
    created = event.old is None
    return [(field_label(c.field), None if created else value_text(c.field, c.before), value_text(c.field, c.after))
            for c in changes(event.old, event.new)]
