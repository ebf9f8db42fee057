"""Performance settings: formula versions, award categories, period kinds (issue 12, item 6)."""
