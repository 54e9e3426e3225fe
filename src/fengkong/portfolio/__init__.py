"""The portfolio's figures for the dashboard: each area's summary, computed together and kept."""
