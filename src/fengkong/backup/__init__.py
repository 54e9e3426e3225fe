"""Backup and restore of the whole database, proven by per-table checksums and the audit chain."""
