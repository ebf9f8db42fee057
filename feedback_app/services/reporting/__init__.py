"""Satisfaction figures: the SKM formulas (scoring), how responses add up (aggregates, rollups), figures per
scope (reports), what pages show (dashboards), exports, the official report PDF (documents) and the follow-up
plan (plans). Blueprints call dashboards, reports, exports, documents and plans."""
