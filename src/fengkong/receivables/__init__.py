"""The receivables ledger: invoices, payments and how payments settle invoices."""
