"""QR posters for a counter, a unit or the regency (issue 12, item 5)."""
