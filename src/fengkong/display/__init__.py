"""Presentation shared by the web pages and the reports: locale-aware formatting and labels."""
