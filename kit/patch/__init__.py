"""The patch kit: locate what to change, plan edits, splice them into the original text, verify, write."""
