"""The outbox: an append-only table of business events, written in the same transaction as the
change it describes, which monitoring consumes in order."""
