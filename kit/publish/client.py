"""The GitHub seam for publishing: `kit.history.client.GitHubClient`, with what writing adds.

Reading the Actions history needs only `actions: read`; each publishing target needs a write scope
of its own, so a 403 or 404 here names that scope rather than the history's. A request that creates
something (an issue, a comment) is sent once, never retried: a 502 can come back after GitHub made
the object, and a retry would make a second one. The next run finds whatever was made by its marker.
Issue and comment listings are bare JSON arrays, which the history client's `pages` does not read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlparse

from ghapi.page import parse_link_hdr

from kit.errors import GitHubError
from kit.history.client import GitHubClient, Reply

MAX_PAGES = 200  # 20,000 issues or comments: past that, something is wrong with the listing


@dataclass
class PublishClient(GitHubClient):
    """A GitHubClient for one publishing target, whose errors name the permission it needs."""

    needs: str = "contents: read"  # the workflow permission(s) the target's requests need

    def _explain(self, describe: str, status: int, message: str) -> str:
        said = f" (GitHub says: {message})" if message else ""
        if status == 403:
            return f"{describe}: forbidden (403){said}; the token needs `{self.needs}` on {self.repo}"
        if status == 404:
            return (
                f"{describe}: not found (404){said}; check that {self.repo} exists and that the token can write "
                f"there (`{self.needs}`): GitHub answers 404, not 403, when a token may not see a resource"
            )
        if status == 422:
            return f"{describe}: GitHub refused the request (422){said}"
        return super()._explain(describe, status, message)

    def once(self, describe: str, operation: Callable[..., Any], *args: Any, **kwargs: Any) -> Reply:
        """A request that creates something: sent once, never retried."""
        retries, self.retries = self.retries, 0
        try:
            return self.call(describe, operation, *args, **kwargs)
        finally:
            self.retries = retries

    def _retry(self, describe: str, what: str, attempt: int) -> None:
        if self.retries == 0:  # inside `once`
            raise GitHubError(
                f"{describe}: GitHub failed ({what}); not retried, since a repeat could create a second one "
                "(the next run finds whatever was made, by its marker)"
            )
        return super()._retry(describe, what, attempt)

    def listing(self, describe: str, operation: Callable[..., Any], *args: Any, **kwargs: Any) -> Iterator[dict]:
        """Each item of a bare-array listing, page by page (`Link: rel="next"`), 100 at a time.

        The caller may stop early (the tracking issue is usually on the first page). A server that links
        to a page already read, or past MAX_PAGES, ends the listing.
        """
        number, seen = 1, set()
        while number not in seen and len(seen) < MAX_PAGES:
            seen.add(number)
            reply = self.call(f"{describe} page {number}", operation, *args, per_page=100, page=number, **kwargs)
            if not isinstance(reply.data, list) or not all(isinstance(i, dict) for i in reply.data):
                raise GitHubError(f"{describe} page {number}: the answer is not a listing; is --api-url GitHub's API?")
            yield from reply.data
            following = parse_link_hdr(reply.headers.get("link") or "").get("next") if reply.data else None
            if not following:
                return
            values = parse_qs(urlparse(following[0]).query).get("page")
            if not values:
                return
            number = int(values[0])
