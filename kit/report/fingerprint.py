"""What a repository's dashboard depends on, as one SHA-256: a team report re-makes only dashboards whose input changed.

A dashboard is a function of (a) the repository's history as the report loads it: its four partition
files, hashed as they are on disk (not as the manifest says they should be, since a file the manifest
does not vouch for is read differently), and its state.json as far as a report reads it: the
warnings its coverage gives for this workflow and window (not the coverage itself, whose end every
fetch moves to "now"), the workflows it covers, a stopped fetch, the sample mark and the manifest;
never the ETags, which only save requests; (b) the report
parameters that shape its content (workflow, since/until, cutover, thresholds, a team taxonomy file's
bytes), never where it is written or read from; (c) the kit's version, the shipped taxonomy's
version and the notebook's bytes. The time a dashboard was made is deliberately not part of it: no
parameter takes "now" (the window is given dates or the whole history), so a scheduled daily run
re-makes exactly the repositories whose history changed since the last one, although its fetch
rewrites every state.json.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path

from kit import __version__
from kit.analysis.completeness import coverage_warnings
from kit.analysis.parameters import ReportParameters
from kit.history import layout
from kit.history.schema import TABLES
from kit.report.run import NOTEBOOK
from kit.taxonomy import load_taxonomy

# Where the dashboard is written, where the cache is, and whether and from where it is refreshed change
# nothing in it once the history is what it is (the history is hashed itself).
NOT_CONTENT = ("out_dir", "cache_dir", "fetch", "api_url")
_CHUNK = 1 << 20


def dashboard_fingerprint(root: Path, params: ReportParameters) -> str:
    """`sha256:<hex>` of everything `params.repo`'s dashboard for `params.workflow` is made from."""
    digest = hashlib.sha256()

    def part(label: str, data: bytes) -> None:
        digest.update(f"{label}:{len(data)}:".encode())
        digest.update(data)

    shaping = {k: v for k, v in asdict(params).items() if k not in NOT_CONTENT}
    part("parameters", json.dumps(shaping, sort_keys=True).encode())
    part("kit", __version__.encode())
    part("taxonomy", str(load_taxonomy().version).encode())
    part("notebook", hashlib.sha256(NOTEBOOK.read_bytes()).digest())
    if params.taxonomy:
        part("team-taxonomy", _file_digest(Path(params.taxonomy)))
    slug = layout.repo_slug(params.repo)
    state = layout.state_folder(root, slug) / layout.STATE
    part("state", _state_content(state, params))
    for table in TABLES:
        part(table, _file_digest(layout.table_file(root, table, slug)))
    return f"sha256:{digest.hexdigest()}"


def _file_digest(path: Path) -> bytes:
    """The file's SHA-256, or a mark that it is absent (an absent table is read as empty: that too is an input)."""
    try:
        with path.open("rb") as handle:
            return hashlib.file_digest(handle, "sha256").digest()
    except FileNotFoundError:
        return b"absent"


def _state_content(path: Path, params: ReportParameters) -> bytes:
    """What of state.json can reach the dashboard (any key not known here is kept: when unsure, re-make)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return b"absent"
    try:
        state = json.loads(raw)
    except ValueError:
        return raw  # a damaged manifest: its bytes (the report will say what is wrong with it)
    if not isinstance(state, dict):
        return raw
    state.pop("etags", None)
    if isinstance(state.get("coverage"), dict):
        try:
            gaps = coverage_warnings(state, params.repo, params)
        except (TypeError, ValueError):
            gaps = [json.dumps(state["coverage"], sort_keys=True)]  # unreadable: the report will say so; keep it all
        state["coverage"] = {"workflows": sorted(state["coverage"]), "warnings": gaps}
    return json.dumps(state, sort_keys=True).encode()
