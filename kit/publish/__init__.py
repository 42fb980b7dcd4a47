"""Publishing the report where a team already looks: a tracking issue, GitHub Pages, a PR comment.

Each target is opt-in and idempotent (found again by a hidden marker, or compared by content), and
talks to GitHub only through ghapi via `kit.history.client`. It reads a finished report folder and
never renders one: a failed publication leaves the report as it was written.
"""
