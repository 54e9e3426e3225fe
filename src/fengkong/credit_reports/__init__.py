"""Third-party credit reports: an agency's rating and score of a customer on a date."""
