"""GitHub Actions history: the client (ghapi), the fetch plan, and the local Parquet cache."""
