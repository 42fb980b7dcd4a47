"""Putting results where a team already looks: the report as a tracking issue, GitHub Pages or a PR comment,
and the patch as one pull request per repository (`codex-kit patch --pr`).

Each target is opt-in and idempotent (found again by a hidden marker, or compared by content), and
talks to GitHub only through ghapi via `kit.history.client`. Publishing reads a finished report
folder and never renders one: a failed publication leaves the report as it was written. The patch's
pull requests are made by the same pipeline as `codex-kit patch` on a folder (`kit.patch.repo`),
over the repository's files read through the API, and never write to a default branch.
"""
