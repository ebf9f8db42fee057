"""Citizen-facing wording for the survey's error codes and profile choices, in the citizen's language."""
from flask_babel import lazy_gettext as _l

ERRORS = {
    "answer_required": _l("Please choose one answer."),
    "answer_invalid": _l("That answer is not one of the choices; please choose again."),
    "staff_not_on_duty": _l("That officer is not on duty at this counter; choose again or pick \"I don't know\"."),
    "choice_invalid": _l("Please pick one of the choices."),
    "age_invalid": _l("Age must be a whole number between 10 and 120."),
    "comment_too_long": _l("The comment is too long (2,000 characters at most)."),
    "phone_invalid": _l("Please write the phone number with digits only, for example 0812 3456 7890."),
    "email_invalid": _l("Please write a valid e-mail address, for example nama@contoh.id."),
    "contact_required": _l("To be contacted, please give a phone number or an e-mail address."),
    "consent_required": _l("To be contacted, please tick that you agree to your contact details being stored."),
    "followup_unchecked": _l("Tick \"I want to be contacted\", or leave the phone and e-mail empty."),
    "form_incomplete": _l("The form was incomplete. Please check your answers and send again."),
    "session_expired": _l("Your session expired before sending. Your answers are kept: please send again."),
    "cross_site": _l("This form arrived from another website, so nothing was saved. Your answers are kept: check "
                     "them and send again from this page."),
}

SEX_LABELS = {"L": _l("Male"), "P": _l("Female")}
EDUCATION_LABELS = {
    "SD": _l("Primary school (SD)"), "SMP": _l("Junior high (SMP)"), "SMA": _l("Senior high (SMA/SMK)"),
    "D1-D4": _l("Diploma (D1-D4)"), "S1": _l("Bachelor (S1)"), "S2+": _l("Master or higher (S2, S3)"),
}
OCCUPATION_LABELS = {
    "PNS": _l("Civil servant (PNS)"), "TNI": "TNI", "POLRI": "POLRI", "SWASTA": _l("Private employee"),
    "WIRAUSAHA": _l("Self-employed"), "LAINNYA": _l("Other"),
}
