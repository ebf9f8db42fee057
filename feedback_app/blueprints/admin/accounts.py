"""Accounts and API tokens (issue 12, item 3)."""
