"""GitHub REST payloads (workflow runs, jobs, steps) built in the shapes of GitHub's OpenAPI schemas.

Used by the sample-history generator and by the tests' fake GitHub server, so both speak exactly
what the live API sends; a test validates these against the schemas in shared/github-api.
"""

from __future__ import annotations

from typing import Any

from kit.history.locations import GITHUB_API_URL

API = GITHUB_API_URL
WEB = "https://github.com"
_REPO_URLS = (
    "archive", "assignees", "blobs", "branches", "collaborators", "comments", "commits", "compare", "contents",
    "contributors", "deployments", "downloads", "events", "forks", "git_commits", "git_refs", "git_tags", "hooks",
    "issue_comment", "issue_events", "issues", "keys", "labels", "languages", "merges", "milestones",
    "notifications", "pulls", "releases", "stargazers", "statuses", "subscribers", "subscription", "tags",
    "teams", "trees",
)  # fmt: skip


def user(login: str, user_id: int, kind: str = "User") -> dict[str, Any]:
    base = f"{API}/users/{login}"
    return {
        "login": login, "id": user_id, "node_id": f"U_{user_id}", "avatar_url": f"{WEB}/{login}.png",
        "gravatar_id": "", "url": base, "html_url": f"{WEB}/{login}", "followers_url": f"{base}/followers",
        "following_url": f"{base}/following{{/other_user}}", "gists_url": f"{base}/gists{{/gist_id}}",
        "starred_url": f"{base}/starred{{/owner}}{{/repo}}", "subscriptions_url": f"{base}/subscriptions",
        "organizations_url": f"{base}/orgs", "repos_url": f"{base}/repos", "events_url": f"{base}/events{{/privacy}}",
        "received_events_url": f"{base}/received_events", "type": kind, "site_admin": False,
    }  # fmt: skip


def repository(full_name: str, repo_id: int, fork: bool = False) -> dict[str, Any]:
    owner, name = full_name.split("/")
    base = f"{API}/repos/{full_name}"
    payload: dict[str, Any] = {
        "id": repo_id, "node_id": f"R_{repo_id}", "name": name, "full_name": full_name,
        "owner": user(owner, repo_id + 1_000_000, "Organization"), "private": False,
        "html_url": f"{WEB}/{full_name}", "description": None, "fork": fork, "url": base,
    }  # fmt: skip
    for part in _REPO_URLS:
        payload[f"{part}_url"] = f"{base}/{part}"
    return payload


def workflow_run(
    *,
    run_id: int,
    run_number: int,
    repo: dict[str, Any],
    head_repo: dict[str, Any],
    workflow_path: str,
    workflow_id: int,
    event: str,
    status: str,
    conclusion: str | None,
    head_branch: str,
    head_sha: str,
    created_at: str,
    updated_at: str,
    run_attempt: int = 1,
    actor: str = "dev",
    title: str = "change",
    pull_requests: list[int] | None = None,
) -> dict[str, Any]:
    base = f"{API}/repos/{repo['full_name']}/actions/runs/{run_id}"
    who = user(actor, 7000 + len(actor))
    prs = [
        {
            "id": 90000 + n, "number": n, "url": f"{API}/repos/{repo['full_name']}/pulls/{n}",
            "head": {"ref": head_branch, "sha": head_sha,
                     "repo": {"id": head_repo["id"], "url": head_repo["url"], "name": head_repo["name"]}},
            "base": {"ref": "main", "sha": "0" * 40,
                     "repo": {"id": repo["id"], "url": repo["url"], "name": repo["name"]}},
        }
        for n in pull_requests or []
    ]  # fmt: skip
    return {
        "id": run_id, "name": workflow_path.rsplit("/", 1)[-1].rsplit(".", 1)[0].title(), "node_id": f"WFR_{run_id}",
        "check_suite_id": run_id * 10, "check_suite_node_id": f"CS_{run_id}", "head_branch": head_branch,
        "head_sha": head_sha, "path": workflow_path, "run_number": run_number, "run_attempt": run_attempt,
        "event": event, "display_title": title, "status": status, "conclusion": conclusion,
        "workflow_id": workflow_id, "url": base, "html_url": f"{WEB}/{repo['full_name']}/actions/runs/{run_id}",
        "pull_requests": prs, "created_at": created_at, "updated_at": updated_at, "run_started_at": created_at,
        "actor": who, "triggering_actor": who, "jobs_url": f"{base}/jobs", "logs_url": f"{base}/logs",
        "check_suite_url": f"{API}/repos/{repo['full_name']}/check-suites/{run_id * 10}",
        "artifacts_url": f"{base}/artifacts", "cancel_url": f"{base}/cancel", "rerun_url": f"{base}/rerun",
        "previous_attempt_url": f"{base}/attempts/{run_attempt - 1}" if run_attempt > 1 else None,
        "workflow_url": f"{API}/repos/{repo['full_name']}/actions/workflows/{workflow_id}",
        "head_commit": {
            "id": head_sha, "tree_id": head_sha[::-1], "message": title, "timestamp": created_at,
            "author": {"name": actor, "email": f"{actor}@example.com"},
            "committer": {"name": actor, "email": f"{actor}@example.com"},
        },
        "repository": repo, "head_repository": head_repo, "head_repository_id": head_repo["id"],
    }  # fmt: skip


def step(number: int, name: str, conclusion: str | None, started: str, completed: str) -> dict[str, Any]:
    return {
        "name": name, "status": "completed" if conclusion else "queued", "conclusion": conclusion,
        "number": number, "started_at": started, "completed_at": completed,
    }  # fmt: skip


def job(
    *,
    job_id: int,
    run: dict[str, Any],
    name: str,
    conclusion: str | None,
    steps: list[dict[str, Any]],
    started_at: str,
    completed_at: str,
    run_attempt: int = 1,
) -> dict[str, Any]:
    full = run["repository"]["full_name"]
    return {
        "id": job_id, "run_id": run["id"], "run_url": run["url"], "run_attempt": run_attempt,
        "node_id": f"J_{job_id}", "head_sha": run["head_sha"], "head_branch": run["head_branch"],
        "url": f"{API}/repos/{full}/actions/jobs/{job_id}",
        "html_url": f"{WEB}/{full}/actions/runs/{run['id']}/job/{job_id}",
        "status": "completed" if conclusion else "in_progress", "conclusion": conclusion,
        "created_at": started_at, "started_at": started_at, "completed_at": completed_at if conclusion else None,
        "name": name, "steps": steps, "check_run_url": f"{API}/repos/{full}/check-runs/{job_id}",
        "labels": ["ubuntu-latest"], "runner_id": 1, "runner_name": "GitHub Actions 1", "runner_group_id": 1,
        "runner_group_name": "GitHub Actions", "workflow_name": run["name"],
    }  # fmt: skip
