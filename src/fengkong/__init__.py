"""Fengkong 风控 — customer credit-risk management."""

__version__ = "0.1.0"
