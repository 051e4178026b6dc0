"""The bad-input catalogue: one table of cases per kind of input, run through the real CLI."""
