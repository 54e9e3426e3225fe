"""Credit reports for people who decide on paper: the customer credit report and the monthly
portfolio report, as HTML, PDF and Excel, and their scheduled delivery by e-mail."""
