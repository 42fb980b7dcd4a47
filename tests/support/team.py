"""An organisation of five repositories on the fake GitHub, as the team fetch and report tests need them.

`org/alpha` and `org/echo` are hardened part-way, `org/delta` never was, `org/bravo` has workflows but
none uses codex-action, and every request about `org/charlie` is answered 403. Run ids are distinct
per repository (GraphQL node ids are global); an archived repository that uses Codex is never asked.
"""

from __future__ import annotations

from tests.support.fake_github import FakeGitHub, Fault
from tests.support.history_builder import populate

ORG = "org"
CODEX_WORKFLOW = """name: invariants
on: [push, pull_request]
jobs:
  invariants-review:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v5
      - name: Codex invariants review
        uses: 'openai/codex-action@v1'
        with:
          prompt-file: .github/codex/review.md
"""
PLAIN_WORKFLOW = "name: ci\non: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make test\n"
RUNS = 80
# repository -> (first run id, first hardened run id or None)
HISTORIES = {"org/alpha": (1000, 1030), "org/delta": (3000, None), "org/echo": (5000, 5020)}
FORBIDDEN = "org/charlie"
NO_CODEX = "org/bravo"


def build_org(fake: FakeGitHub, forbidden_message: str = "Resource not accessible by integration") -> None:
    """Add the five repositories (and an archived sixth) to `fake`, whose own repository is `org/alpha`."""
    repos = {"org/alpha": fake}
    for name in ("org/bravo", "org/charlie", "org/delta", "org/echo"):
        repos[name] = fake.add_repo(name)
    fake.add_repo("org/zulu-archived", archived=True).listing.set_files(
        {".github/workflows/invariants.yml": CODEX_WORKFLOW}
    )
    for name, (first, hardened) in HISTORIES.items():
        repos[name].listing.set_files(
            {".github/workflows/invariants.yml": CODEX_WORKFLOW, ".github/workflows/ci.yml": PLAIN_WORKFLOW}
        )
        populate(repos[name], RUNS, seed=first, first_id=first, hardened_after=hardened)
    repos[NO_CODEX].listing.set_files({".github/workflows/ci.yml": PLAIN_WORKFLOW, "README.md": "hello\n"})
    repos[FORBIDDEN].listing.set_files({".github/workflows/invariants.yml": CODEX_WORKFLOW})
    fake.faults.append(Fault(path=rf"^/repos/{FORBIDDEN}(/|$)", status=403, times=10_000,
                             body={"message": forbidden_message}))  # fmt: skip
