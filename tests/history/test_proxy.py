"""A fetch behind a proxy: the environment's proxy is used (httpx would ignore it beside the kit's own
transport), with the same deadline for each request, and NO_PROXY's hosts are asked directly."""

from __future__ import annotations

import base64
import time
from pathlib import Path

import pytest

from kit.cli import main
from kit.errors import GitHubError
from kit.history.client import GitHubClient
from tests.support.fake_github import FakeGitHub
from tests.support.forward_proxy import ForwardProxy
from tests.support.history_builder import REPO, populate

WORKFLOW = "invariants.yml"


def test_a_fetch_goes_through_the_proxy_the_environment_names(tmp_path: Path, monkeypatch, capsys) -> None:
    with FakeGitHub(REPO) as fake, ForwardProxy() as proxy:
        populate(fake, 12)
        monkeypatch.setenv("HTTP_PROXY", proxy.url.replace("http://", "http://kit:s3cret@"))
        code = main(["fetch", "--repo", REPO, "--workflow", WORKFLOW, "--cache", str(tmp_path), "--api-url", fake.url])
        out, err = capsys.readouterr()
        asked = len(fake.requests)
    assert code == 0, err
    assert asked and len(proxy.urls) == asked  # every request went through the proxy
    assert any(url.startswith(f"{fake.url}/repos/{REPO}/actions/") for url in proxy.urls)  # the API and the logs
    assert set(proxy.auth) == {"Basic " + base64.b64encode(b"kit:s3cret").decode()}
    assert "s3cret" not in out + err


def test_no_proxy_hosts_are_asked_directly(tmp_path: Path, monkeypatch, capsys) -> None:
    with FakeGitHub(REPO) as fake, ForwardProxy() as proxy:
        populate(fake, 3)
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        code = main(["fetch", "--repo", REPO, "--workflow", WORKFLOW, "--cache", str(tmp_path), "--api-url", fake.url])
        capsys.readouterr()
    assert code == 0 and proxy.urls == []


def test_a_proxy_that_never_answers_is_stopped_at_the_deadline(monkeypatch) -> None:
    with ForwardProxy(stall=True) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        client = GitHubClient(REPO, api_url="http://127.0.0.1:9", token=None, sleep=lambda s: None, deadline=1.0)
        began = time.monotonic()
        with pytest.raises(GitHubError, match="no complete answer within 1 s"):
            client.call("the workflows", client.api.actions.list_repo_workflows)
        spent = time.monotonic() - began
        client.close()
    assert proxy.urls and spent < 20  # stopped by the 1 s deadline, not by the proxy's 30 s or a read timeout


def test_a_socks_proxy_is_refused_with_what_to_do_and_without_its_password(monkeypatch) -> None:
    monkeypatch.setenv("ALL_PROXY", "socks5://kit:s3cret@127.0.0.1:1080")
    with pytest.raises(Exception) as refused:
        GitHubClient(REPO, api_url="https://api.github.com", token=None)
    assert "socks5 proxy" in str(refused.value) and "s3cret" not in str(refused.value)
