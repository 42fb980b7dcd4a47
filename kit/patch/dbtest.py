"""Turn the DB test's "exactly one ACTIVE policy" assertion into "at most one", in its own idiom.

CI seeds nothing when SKIP_POLICY_SEED=1, so zero ACTIVE rows is a legal state; the invariant the
test exists for is "never two". Candidates are found by content: an equals-one assertion whose own
text, or the few lines before it, speak of policies and an ACTIVE status. The kit never guesses:
a file with several candidates, or a repository with none, is reported with what was found and
how to point the kit at the right assertion (`[tool.codex-kit]` in the repository's pyproject.toml).
Only the operator or call name of the one assertion changes; every other character stays.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from kit.errors import RefusedFile, UsageError
from kit.patch import paths
from kit.patch.callargs import GO, PYTHON, SQL, Args, Syntax, matching_open, split_args
from kit.patch.source import Source, as_source
from kit.textfile import TextFile

CONTEXT_LINES = 12
SKIP_DIRS = {".git", "node_modules", ".venv", "venv", "__pycache__", "vendor", "dist", "build", ".tox"}
POLICY = re.compile(r"polic(y|ies)", re.IGNORECASE)
ACTIVE = re.compile(r"(?<![A-Za-z])active", re.IGNORECASE)
ONE = re.compile(r"^\s*(?:1|1::\w+|'1'|int(?:32|64)?\(1\)|1[lL]?)\s*$")
AT_MOST_ONE = re.compile(
    r"cmp_ok\s*\(.*'<='|<=\s*1(?![\d.])|\b1\s*>=|assertLessEqual|assertGreaterEqual\(\s*1\b"
    r"|toBeLessThanOrEqual\(\s*1\s*\)|LessOrEqual\(",
    re.DOTALL,
)


@dataclass(frozen=True)
class Candidate:
    """One equals-one assertion about ACTIVE policies, and the edit that makes it at-most-one."""

    path: str
    line: int
    form: str
    start: int
    end: int
    replacement: str
    snippet: str
    strength: int = 1  # 2: its own text speaks of ACTIVE policies; 1: only the lines above it do

    def describe(self) -> str:
        return f"{self.path}:{self.line} ({self.form}): {self.snippet}"


@dataclass
class DbTestConfig:
    """`[tool.codex-kit]` in the target repository: where the DB tests are, which assertion is meant."""

    files: list[str] = field(default_factory=list)  # relative to the root, checked to be inside the repository
    pattern: re.Pattern[str] | None = None

    @classmethod
    def load(cls, repo: Path | Source) -> DbTestConfig:
        source = as_source(repo)
        if not source.is_file("pyproject.toml"):
            return cls()
        path = source.show("pyproject.toml")
        try:
            raw, _ = source.read("pyproject.toml", path)
            table = tomllib.loads(raw.decode("utf-8")).get("tool", {}).get("codex-kit", {})
        except RefusedFile as err:
            raise UsageError(f"{err}; [tool.codex-kit] cannot be read") from err
        except UnicodeDecodeError as err:
            raise UsageError(f"{path}: not UTF-8 ({err.reason} at byte {err.start})") from err
        except tomllib.TOMLDecodeError as err:
            raise UsageError(f"{path}: not valid TOML ({err}); fix it or remove [tool.codex-kit]") from err
        names = table.get("db-tests", [])
        if not isinstance(names, list) or not all(isinstance(f, str) for f in names):
            raise UsageError(f"{path}: [tool.codex-kit] db-tests must be a list of paths")
        where = f"{path}: [tool.codex-kit] db-tests"
        files = [paths.config_path(source, name, where) for name in names]
        pattern = table.get("db-test-pattern")
        try:
            compiled = re.compile(pattern) if pattern else None
        except re.error as err:
            raise UsageError(f"{path}: [tool.codex-kit] db-test-pattern is not a valid regex: {err}") from err
        return cls(files, compiled)


Finder = Callable[[str, str], Iterator[Candidate]]


def _line_of(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


def _about_active_policies(text: str, start: int, end: int) -> bool:
    """The assertion, or the lines just before it, mention policies and an ACTIVE status."""
    window_start = start
    for _ in range(CONTEXT_LINES):
        previous = text.rfind("\n", 0, max(window_start - 1, 0))
        if previous < 0:
            window_start = 0
            break
        window_start = previous + 1
    window = text[window_start:end]
    return bool(POLICY.search(window) and ACTIVE.search(window))


_EXACTLY_ONE = re.compile(r"\b(exactly|Exactly|EXACTLY)(\s+)(one|1)\b")
_AT_MOST = {"exactly": "at most", "Exactly": "At most", "EXACTLY": "AT MOST"}


def _line_end(text: str, index: int) -> int:
    found = text.find("\n", index)
    return len(text) if found < 0 else found


def _candidate(
    path: str, text: str, form: str, start: int, end: int, new: str, whole: tuple[int, int], own_end: int | None = None
) -> Candidate:
    """The candidate, its strength, and an edit that also makes its own description say "at most one".

    The assertion's own text runs from the start of its first line to `own_end` (the call's closing
    parenthesis, or the end of the line the edit ends on). It outranks a candidate that only borrows
    the words "ACTIVE" and "policy" from the lines above it.
    """
    line_start = text.rfind("\n", 0, whole[0]) + 1
    snippet = text[line_start : _line_end(text, whole[0])].strip()
    own_end = max(end, own_end if own_end is not None else _line_end(text, end))
    own = text[line_start:own_end]
    strength = 2 if POLICY.search(own) and ACTIVE.search(own) else 1
    lo, hi = min(start, line_start), own_end
    widened = text[lo:start] + new + text[end:hi]
    reworded = _EXACTLY_ONE.sub(lambda m: f"{_AT_MOST[m.group(1)]}{m.group(2)}{m.group(3)}", widened)
    if reworded != widened:
        start, end, new = lo, hi, reworded
    return Candidate(path, _line_of(text, whole[0]), form, start, end, new, snippet[:160], strength)


def _calls(text: str, name: str, syntax: Syntax) -> Iterator[tuple[int, Args]]:
    for match in re.finditer(rf"(?<![\w.]){name}\s*\(", text):
        args = split_args(text, match.end() - 1, syntax)
        if args is not None:
            yield match.start(), args


def find_sql(path: str, text: str) -> Iterator[Candidate]:
    for start, args in _calls(text, "is", SQL):
        if len(args.spans) in (2, 3) and ONE.match(args.text(text, 1)):
            first_start = args.spans[0][0]
            new = "cmp_ok"
            rest = text[args.open_at : args.spans[0][1]] + ", '<='," + text[args.spans[1][0] : args.close_at + 1]
            if _about_active_policies(text, start, args.close_at):
                yield _candidate(path, text, "pgTAP is()", start, args.close_at + 1, new + rest, (start, first_start))
    for start, args in _calls(text, "cmp_ok", SQL):
        if len(args.spans) >= 3 and args.text(text, 1).strip() in ("'='", "'=='") and ONE.match(args.text(text, 2)):
            op_start, op_end = args.spans[1]
            if _about_active_policies(text, start, args.close_at):
                yield _candidate(
                    path, text, "pgTAP cmp_ok()", op_start, op_end, " '<='", (start, op_start), args.close_at + 1
                )
    for start, args in _calls(text, "ok", SQL):
        yield from _trailing_equals_one(path, text, "pgTAP ok()", start, args.spans[0] if args.spans else None)
    for match in re.finditer(r"(?i)\bASSERT\b", text):
        end = _statement_end(text, match.end())
        yield from _trailing_equals_one(path, text, "SQL ASSERT", match.start(), (match.end(), end))


def _statement_end(text: str, start: int) -> int:
    """End of an ASSERT condition: the first top-level `,` or `;`."""
    depth, index = 0, start
    while index < len(text):
        char = text[index]
        if char == "'":
            index = text.find("'", index + 1) + 1 or len(text)
            continue
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char in ",;" and depth == 0:
            return index
        index += 1
    return index


_EQ_ONE_TAIL = re.compile(r"(?<![<>!=])=(\s*1(?:::\w+)?\s*)$")


def _trailing_equals_one(path: str, text: str, form: str, start: int, span: tuple[int, int] | None):
    if span is None:
        return
    segment = text[span[0] : span[1]]
    match = _EQ_ONE_TAIL.search(segment)
    if match and _about_active_policies(text, start, span[1]):
        at = span[0] + match.start()
        yield _candidate(path, text, form, at, at + 1, "<=", (start, at))


_PY_ASSERT = re.compile(r"^[ \t]*assert\b(?P<body>[^\n]*)$", re.MULTILINE)
_PY_EQ = re.compile(r"(?<![<>!=])==(?=\s*1(?![\d.\w])\s*(?:,|#|$))")
_PY_EQ_REVERSED = re.compile(r"^(\s*)1\s*==(?!=)")


def find_python(path: str, text: str) -> Iterator[Candidate]:
    for match in _PY_ASSERT.finditer(text):
        body_start = match.start("body")
        body = match.group("body")
        equals = list(_PY_EQ.finditer(body))
        if len(equals) == 1 and _about_active_policies(text, match.start(), match.end()):
            at = body_start + equals[0].start()
            yield _candidate(path, text, "pytest assert", at, at + 2, "<=", (match.start(), at))
        elif (reverse := _PY_EQ_REVERSED.match(body)) and _about_active_policies(text, match.start(), match.end()):
            at = body_start + reverse.end() - 2
            yield _candidate(path, text, "pytest assert", at, at + 2, ">=", (match.start(), at))
    for name in ("assertEqual", "assertEquals"):
        for start, args in _calls_attr(text, name):
            if len(args.spans) < 2 or not _about_active_policies(text, start, args.close_at):
                continue
            dot = text.index(name, start)
            if ONE.match(args.text(text, 1)):
                yield _candidate(path, text, "unittest", dot, dot + len(name), "assertLessEqual", (start, dot))
            elif ONE.match(args.text(text, 0)):
                yield _candidate(path, text, "unittest", dot, dot + len(name), "assertGreaterEqual", (start, dot))


def _calls_attr(text: str, name: str) -> Iterator[tuple[int, Args]]:
    for match in re.finditer(rf"\.{name}\s*\(", text):
        args = split_args(text, match.end() - 1, PYTHON)
        if args is not None:
            yield match.start() + 1, args


_JEST = re.compile(r"\.(toBe|toEqual|toStrictEqual)\(\s*1\s*\)")
_JEST_LEN = re.compile(r"\)(\s*)\.toHaveLength\(\s*1\s*\)")


def find_js(path: str, text: str) -> Iterator[Candidate]:
    for match in _JEST.finditer(text):
        if _about_active_policies(text, match.start(), match.end()):
            name_start = match.start() + 1
            name_end = name_start + len(match.group(1))
            form = f"Jest/Vitest {match.group(1)}(1)"
            where = (match.start(), match.start())
            yield _candidate(path, text, form, name_start, name_end, "toBeLessThanOrEqual", where)
    for match in _JEST_LEN.finditer(text):
        opened = matching_open(text, match.start())
        if opened is None or not text[:opened].rstrip().endswith("expect"):
            continue
        if _about_active_policies(text, match.start(), match.end()):
            inner = text[opened + 1 : match.start()]
            new = f"({inner}.length){match.group(1)}.toBeLessThanOrEqual(1)"
            yield _candidate(path, text, "Jest/Vitest toHaveLength(1)", opened, match.end(), new, (opened, opened))


def find_go(path: str, text: str) -> Iterator[Candidate]:
    for match in re.finditer(r"\b(assert|require)\.(Equal|EqualValues|Len)\s*\(", text):
        args = split_args(text, match.end() - 1, GO)
        if args is None or len(args.spans) < 3 or not _about_active_policies(text, match.start(), args.close_at):
            continue
        pkg, func = match.group(1), match.group(2)
        first, second = args.text(text, 1), args.text(text, 2)
        gap = first[: len(first) - len(first.lstrip())]
        head = text[args.open_at : args.spans[1][0]] + gap
        rest = text[args.spans[2][1] : args.close_at + 1]
        if func == "Len" and ONE.match(second):
            new = f"{pkg}.LessOrEqual{head}len({first.strip()}),{second}{rest}"
        elif func != "Len" and ONE.match(first):
            new = f"{pkg}.LessOrEqual{head}{second.strip()},{gap}{first.strip()}{rest}"
        else:
            continue
        where = (match.start(), match.start())
        yield _candidate(path, text, f"testify {func}", match.start(), args.close_at + 1, new, where)


FINDERS: dict[str, Finder] = {
    ".sql": find_sql,
    ".py": find_python,
    ".js": find_js,
    ".mjs": find_js,
    ".cjs": find_js,
    ".ts": find_js,
    ".mts": find_js,
    ".go": find_go,
}


@dataclass
class DbTestOutcome:
    """What the DB-test patch found and did: one entry per file it changed, plus a plain message."""

    status: str  # patched | unchanged | ambiguous | none | error
    message: str
    changed: dict[str, tuple[TextFile, str]] = field(default_factory=dict)  # path -> (original, new text)
    candidates: list[Candidate] = field(default_factory=list)


def _source_files(source: Source, config: DbTestConfig) -> list[str]:
    """The configured files, or every test-like file of the repository (never through a symlink: what
    one names inside the repository is found at its own place, and what it names outside is not ours)."""
    if config.files:
        return config.files
    found = []
    for rel in source.walk():
        parts = PurePosixPath(rel).parts
        if any(part in SKIP_DIRS for part in parts[:-1]) or PurePosixPath(rel).suffix not in FINDERS:
            continue
        if source.is_symlink(rel) or not source.is_file(rel) or source.outside(rel) is not None:
            continue
        found.append(rel)
    return found


HOW_TO_POINT = (
    "point the kit at the right assertion in pyproject.toml: [tool.codex-kit] "
    'db-tests = ["path/to/test_file"] and, if a file holds several, db-test-pattern = "<regex of the line>"'
)


def plan_db_tests(repo: Path | Source) -> DbTestOutcome:
    """Find the ACTIVE-policy assertions and plan their rewrite; decides, never writes."""
    files = as_source(repo)
    try:
        config = DbTestConfig.load(files)
    except (UsageError, RefusedFile) as err:
        return DbTestOutcome("error", str(err))
    by_file: dict[str, list[Candidate]] = {}
    already: list[str] = []
    texts: dict[str, TextFile] = {}
    for rel in _source_files(files, config):
        if config.files and not files.exists(rel):
            return DbTestOutcome("error", f"{files.show(rel)}: named in [tool.codex-kit] db-tests but not found")
        try:
            raw, state = files.read(rel, rel)
            source = TextFile.parse(raw, rel, state)
        except RefusedFile as err:
            if config.files:  # named by the user: say why it cannot be edited
                return DbTestOutcome("error", f"{err} (named in [tool.codex-kit] db-tests)")
            continue
        text = source.text
        found = [c for c in FINDERS[PurePosixPath(rel).suffix](rel, text) if _wanted(c, config)]
        if found:
            by_file[rel], texts[rel] = found, source
        elif POLICY.search(text) and ACTIVE.search(text) and AT_MOST_ONE.search(text):
            already.append(rel)
    by_file = {path: _strongest(found) for path, found in by_file.items()}
    every = [c for found in by_file.values() for c in found]
    if not by_file:
        if already:
            return DbTestOutcome("unchanged", f"already asserts at most one ACTIVE policy: {', '.join(already)}")
        return DbTestOutcome("none", f"no test asserting exactly one ACTIVE policy was found; {HOW_TO_POINT}")
    crowded = {path: found for path, found in by_file.items() if len(found) > 1}
    if crowded:
        listing = "; ".join(c.describe() for found in crowded.values() for c in found)
        return DbTestOutcome(
            "ambiguous", f"several plausible assertions, nothing changed: {listing}; {HOW_TO_POINT}", candidates=every
        )
    changed = {}
    for rel, (candidate,) in by_file.items():
        source = texts[rel]
        new = source.text[: candidate.start] + candidate.replacement + source.text[candidate.end :]
        changed[rel] = (source, new)
    listing = "; ".join(c.describe() for c in every)
    return DbTestOutcome("patched", f"exactly one ACTIVE → at most one: {listing}", changed, every)


def _strongest(found: list[Candidate]) -> list[Candidate]:
    """The candidates a reader would pick: those whose own text speaks of ACTIVE policies, if any do."""
    best = max(c.strength for c in found)
    return [c for c in found if c.strength == best]


def _wanted(candidate: Candidate, config: DbTestConfig) -> bool:
    return config.pattern is None or bool(config.pattern.search(candidate.snippet))
