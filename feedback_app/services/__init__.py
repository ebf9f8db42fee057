"""Domain logic as plain functions: no request, session or flash in here."""
