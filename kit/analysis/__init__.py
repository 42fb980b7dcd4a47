"""Analysis over the history tables: failure taxonomy, classification, cutover, criteria, statistics."""
