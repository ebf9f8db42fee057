"""Duty rosters: the week view per counter, copy from last week, upload with a preview (issue 12, item 2)."""
