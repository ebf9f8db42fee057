"""Questionnaire versions and the preview of the citizen page (issue 12, item 4)."""
