"""File imports (CSV, XLSX) of every kind of customer data: validate, then write all or nothing."""
