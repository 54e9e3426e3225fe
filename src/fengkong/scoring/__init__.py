"""Risk scoring as a pure library: point-in-time features, scorecards and grades.

Nothing here touches a database or a request (principle 2): the same functions score one customer
in a request, a whole portfolio in a batch job, or one partition on a distributed engine. The
``risk`` area loads the data into :class:`fengkong.scoring.ledgers.Ledgers` and stores the results.
"""
