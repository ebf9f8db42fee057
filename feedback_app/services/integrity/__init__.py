"""Integrity of responses: the detectors (rules, on_submit on submit, scan by the scheduled scan, delivered for
the services an officer gave) and the review of what they flag (flags). Blueprints call flags and on_submit."""
