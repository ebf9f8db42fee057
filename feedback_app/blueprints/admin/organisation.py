"""Units, service points and staff: lists, forms and history (issue 12, item 1)."""
