"""codex-kit: harden advisory Codex jobs in GitHub Actions and report on their reliability."""

__version__ = "0.1.0"
