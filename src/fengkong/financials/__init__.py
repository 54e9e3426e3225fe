"""Financial statements (balance sheet, income statement, cash flow) as filed by customers."""
