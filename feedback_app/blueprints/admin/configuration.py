"""The settings check: what is wrong or risky in the running configuration (issue 12, item 7)."""
