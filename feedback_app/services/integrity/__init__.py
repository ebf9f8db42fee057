"""Integrity of responses: flags raised on submit and by the scheduled scan, and their review (flags)."""
