"""Customers: master data, contacts and related parties."""
