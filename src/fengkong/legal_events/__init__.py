"""Legal events: lawsuits, judgments, enforcement, dishonest-debtor listings, bankruptcy."""
