"""Which failures in a `run:` script after a Codex step are about a *missing* output file.

The kit softens exactly one kind of gate: a script that fails the job because Codex left no output
file, checked with an existence or emptiness test on that file (`[ -f F ]`, `[ ! -s F ]`,
`[[ -e F ]]`, `test -s F`, alone or joined by `&&`/`||`, possibly negated with `!`). Its `exit N`
in the branch taken when the file is missing becomes `exit 0` and its `::error` a `::warning`:
Codex is advisory. A gate on what the output *says* (`grep -q BLOCKER F && exit 1`,
`jq -e .ok F || exit 1`, `test "$(cat F)" = LGTM || exit 1`, a `case` on a value read from it) is
the team's own decision: it is left exactly as it is and reported, so the user knows it can still
fail the job.

To tell the two apart the script is read as shell, not as lines: a small tokenizer (quotes, `$(…)`,
backquotes, comments, heredocs, line continuations) and a parser of the compound commands that
matter (`if`/`elif`/`else`, `&&`/`||` lists, `{ }` and `( )` groups, loops, `case`). Anything it
does not understand is left alone; it never guesses a gate into a warning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

OPERATORS = ("&&", "||", ";;&", ";;", ";&", "|&", ";", "|", "&", "(", ")", "\n")
KEYWORDS = {"if", "then", "elif", "else", "fi", "while", "until", "do", "done", "for", "case", "esac", "{", "}", "!"}
FILE_TESTS = {"-e", "-f", "-s", "-r"}
_EXIT_CODE = re.compile(r"^[1-9][0-9]*$")
_ASSIGNMENT = re.compile(r"^(?:(?:export|local|readonly|declare)\s+)?([A-Za-z_][A-Za-z0-9_]*)=")


@dataclass(frozen=True)
class Token:
    text: str  # as written (quotes kept)
    start: int
    end: int
    op: bool = False

    @property
    def bare(self) -> bool:
        """A word a keyword can be: written without quotes or expansions."""
        return not self.op and not any(c in self.text for c in "'\"\\$`")


def tokenize(script: str) -> list[Token]:
    """Words and operators with their offsets; comments, heredoc bodies and `\\<newline>` dropped."""
    tokens: list[Token] = []
    heredocs: list[tuple[str, bool]] = []
    i, n = 0, len(script)
    while i < n:
        char = script[i]
        if char == "\\" and script.startswith("\\\n", i):
            i += 2
        elif char in " \t\r":
            i += 1
        elif char == "#" and (not tokens or tokens[-1].end < i or tokens[-1].op):
            while i < n and script[i] != "\n":
                i += 1
        elif char == "\n":
            tokens.append(Token("\n", i, i + 1, op=True))
            i += 1
            for delimiter, strip_tabs in heredocs:
                i = _skip_heredoc(script, i, delimiter, strip_tabs)
            heredocs.clear()
        elif script.startswith("<<", i) and not script.startswith("<<<", i):
            i, heredoc = _heredoc_start(script, i)
            if heredoc:
                heredocs.append(heredoc)
        else:
            op = next((o for o in OPERATORS if script.startswith(o, i)), None)
            if op:
                tokens.append(Token(op, i, i + len(op), op=True))
                i += len(op)
            else:
                end = _word_end(script, i)
                tokens.append(Token(script[i:end], i, end))
                i = end
    return tokens


def _word_end(script: str, i: int) -> int:
    n = len(script)
    while i < n:
        char = script[i]
        if char in " \t\r\n;&|()" and not (char in "&" and i > 0 and script[i - 1] in "<>"):
            return i
        if char == "\\":
            i += 2
        elif char == "'":
            close = script.find("'", i + 1)
            i = n if close < 0 else close + 1
        elif char == '"':
            i = _double_quoted_end(script, i + 1)
        elif char == "`":
            close = script.find("`", i + 1)
            i = n if close < 0 else close + 1
        elif char == "$" and script.startswith(("$(", "${"), i):
            i = _balanced_end(script, i + 1)
        else:
            i += 1
    return i


def _double_quoted_end(script: str, i: int) -> int:
    n = len(script)
    while i < n:
        char = script[i]
        if char == "\\":
            i += 2
        elif char == '"':
            return i + 1
        elif char == "$" and script.startswith(("$(", "${"), i):
            i = _balanced_end(script, i + 1)
        elif char == "`":
            close = script.find("`", i + 1)
            i = n if close < 0 else close + 1
        else:
            i += 1
    return n


def _balanced_end(script: str, i: int) -> int:
    """The offset after the `)` or `}` matching the bracket at `i`, quotes inside respected."""
    pairs = {"(": ")", "{": "}"}
    stack = [pairs[script[i]]]
    i += 1
    n = len(script)
    while i < n and stack:
        char = script[i]
        if char == "\\":
            i += 2
            continue
        if char == "'":
            close = script.find("'", i + 1)
            i = n if close < 0 else close + 1
            continue
        if char == '"':
            i = _double_quoted_end(script, i + 1)
            continue
        if char in pairs:
            stack.append(pairs[char])
        elif char == stack[-1]:
            stack.pop()
        i += 1
    return i


def _heredoc_start(script: str, i: int) -> tuple[int, tuple[str, bool] | None]:
    match = re.compile(r"<<(-?)[ \t]*(?:'([^'\n]*)'|\"([^\"\n]*)\"|\\?([A-Za-z0-9_.-]+))").match(script, i)
    if not match:
        return i + 2, None
    delimiter = next(g for g in match.groups()[1:] if g is not None)
    return match.end(), (delimiter, match.group(1) == "-")


def _skip_heredoc(script: str, i: int, delimiter: str, strip_tabs: bool) -> int:
    while i < len(script):
        end = script.find("\n", i)
        end = len(script) if end < 0 else end
        line = script[i:end]
        i = end + 1
        if (line.lstrip("\t") if strip_tabs else line) == delimiter:
            return i
    return len(script)


# --- the parse tree: only what the gates need -------------------------------------------------------
@dataclass
class Simple:
    words: list[Token]

    @property
    def start(self) -> int:
        return self.words[0].start

    @property
    def end(self) -> int:
        return self.words[-1].end


@dataclass
class Pipeline:
    negated: bool
    commands: list[Node]


@dataclass
class AndOr:
    parts: list[Pipeline]
    ops: list[str]  # between consecutive parts: "&&" or "||"


@dataclass
class If:
    clauses: list[tuple[list[AndOr], list[AndOr]]]  # (condition, body) for `if` and each `elif`
    otherwise: list[AndOr] | None


@dataclass
class Block:
    """`{ }`, `( )`, a loop (`condition`; `subject`: a `for` head and the redirections after `done`) or one
    `case` item (`subject`: the word the case is on)."""

    body: list[AndOr]
    condition: list[AndOr] = field(default_factory=list)
    subject: str = ""


Node = Simple | If | Block | list[Block]


class _Unreadable(Exception):
    """The script is not shell this reader follows: nothing in it is softened."""


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def keyword(self, *words: str) -> bool:
        token = self.peek()
        return token is not None and token.bare and token.text in words

    def take(self, text: str) -> Token:
        token = self.peek()
        if token is None or token.text != text:
            raise _Unreadable(f"expected {text!r}")
        self.pos += 1
        return token

    def skip_separators(self) -> None:
        while (token := self.peek()) is not None and token.op and token.text in (";", "\n", "&"):
            self.pos += 1

    def parse_list(self, stop: tuple[str, ...] = ()) -> list[AndOr]:
        found: list[AndOr] = []
        while True:
            self.skip_separators()
            token = self.peek()
            if token is None or (token.bare and token.text in stop) or (token.op and token.text in stop):
                return found
            if token.op and token.text in (")", ";;", ";&", ";;&"):
                return found
            found.append(self.parse_and_or())

    def parse_and_or(self) -> AndOr:
        parts, ops = [self.parse_pipeline()], []
        while (token := self.peek()) is not None and token.op and token.text in ("&&", "||"):
            self.pos += 1
            while self.peek() is not None and self.peek().text == "\n":  # a list may go on on the next line
                self.pos += 1
            ops.append(token.text)
            parts.append(self.parse_pipeline())
        return AndOr(parts, ops)

    def parse_pipeline(self) -> Pipeline:
        negated = False
        while self.keyword("!"):
            negated = not negated
            self.pos += 1
        commands = [self.parse_command()]
        while (token := self.peek()) is not None and token.op and token.text in ("|", "|&"):
            self.pos += 1
            commands.append(self.parse_command())
        return Pipeline(negated, commands)

    def parse_command(self) -> Node:
        token = self.peek()
        if token is None:
            raise _Unreadable("a command is missing")
        if token.op and token.text == "(":
            self.pos += 1
            body = self.parse_list((")",))
            self.take(")")
            return Block(body)
        if not token.bare or token.text not in KEYWORDS:
            return self.parse_simple()
        word = token.text
        self.pos += 1
        if word == "{":
            body = self.parse_list(("}",))
            self.take("}")
            return Block(body)
        if word == "if":
            return self.parse_if()
        if word in ("while", "until", "for"):
            if word == "for":
                head = []
                while not self.keyword("do"):
                    if (token := self.peek()) is None:
                        raise _Unreadable("for without do")
                    head.append(token.text)
                    self.pos += 1
                condition: list[AndOr] = []
            else:
                condition, head = self.parse_list(("do",)), []
            self.take("do")
            body = self.parse_list(("done",))
            self.take("done")
            return Block(body, condition, subject=" ".join(head + self.redirections()))
        if word == "case":
            return self.parse_case()
        raise _Unreadable(f"unexpected {word!r}")

    def redirections(self) -> list[str]:
        """The words after a compound command's end (`done < review.md`): its redirections."""
        words = []
        while (token := self.peek()) is not None and not token.op:
            words.append(token.text)
            self.pos += 1
        return words

    def parse_simple(self) -> Simple:
        words: list[Token] = []
        closing = "]]" if self.keyword("[[") else None
        while (token := self.peek()) is not None:
            if closing is None and token.op:
                break
            if closing is not None and token.op and token.text == "\n":
                raise _Unreadable("[[ without ]]")
            words.append(token)
            self.pos += 1
            if closing is not None and token.text == closing and not token.op:
                closing = None
        if not words:
            raise _Unreadable("an empty command")
        return Simple(words)

    def parse_if(self) -> If:
        clauses = []
        while True:
            condition = self.parse_list(("then",))
            self.take("then")
            body = self.parse_list(("elif", "else", "fi"))
            clauses.append((condition, body))
            token = self.peek()
            self.pos += 1
            if token is None:
                raise _Unreadable("if without fi")
            if token.text == "elif":
                continue
            otherwise = None
            if token.text == "else":
                otherwise = self.parse_list(("fi",))
                self.take("fi")
            return If(clauses, otherwise)

    def parse_case(self) -> list[Block]:
        subject = self.peek()
        if subject is None:
            raise _Unreadable("case without a subject")
        self.pos += 1
        self.skip_separators()
        self.take("in")
        items: list[Block] = []
        while True:
            self.skip_separators()
            if self.keyword("esac"):
                self.pos += 1
                return items
            if self.peek() is not None and self.peek().text == "(":
                self.pos += 1
            while (token := self.peek()) is not None and token.text != ")":
                self.pos += 1
            self.take(")")
            items.append(Block(self.parse_list(("esac",)), subject=subject.text))
            if (token := self.peek()) is not None and token.op and token.text in (";;", ";&", ";;&"):
                self.pos += 1


# --- the review: which exits are about a missing output, which about its content -------------------------
@dataclass
class ScriptReview:
    """What the kit does to one script: its softened text, and the gates on Codex's output it left."""

    text: str
    content_gates: list[str] = field(default_factory=list)  # the line of each, as written


def review_script(script: str, output_file: str) -> ScriptReview:
    """Soften the missing-output gates of `script` (Codex wrote `output_file`) and list its content gates."""
    try:
        tree = _Parser(tokenize(script)).parse_list()
    except _Unreadable:
        return ScriptReview(script)
    names = {output_file}
    if "/" in output_file.rstrip("/"):
        names.add(output_file.rstrip("/").rsplit("/", 1)[1])
    walker = _Walker(script, {name for name in names if name})
    walker.walk_list(tree, missing=False, content=False)
    return ScriptReview(walker.softened(), walker.content_lines())


@dataclass
class _Walker:
    script: str
    names: set[str]
    variables: set[str] = field(default_factory=set)
    soften: list[Token] = field(default_factory=list)  # the code of each `exit N` to turn into 0
    warn: list[tuple[int, int]] = field(default_factory=list)  # spans where ::error becomes ::warning
    gates: list[int] = field(default_factory=list)  # offsets of exits that judge the output's content

    def mentions(self, text: str) -> bool:
        if any(name in text for name in self.names):
            return True
        return any(re.search(rf"\$\{{?{re.escape(var)}\b", text) for var in self.variables)

    def walk_list(self, items: list[AndOr], missing: bool, content: bool) -> None:
        for item in items:
            self.walk_and_or(item, missing, content)

    def walk_and_or(self, item: AndOr, missing: bool, content: bool) -> None:
        first = self.polarity([AndOr(item.parts[:1], [])]) if len(item.parts) > 1 else None
        gate = first is not None and item.ops[0] == ("||" if first == "present" else "&&")
        for index, part in enumerate(item.parts):
            if index and gate:
                self.walk_pipeline(part, missing=True, content=content, span=True)
                continue
            self.walk_pipeline(part, missing, content)
            test = self.polarity([AndOr([part], [])]) is not None
            if index < len(item.parts) - 1 and not test and self.mentions(self.text_of_pipeline(part)):
                content = True  # what follows runs or not on what this part read from the output

    def walk_pipeline(self, part: Pipeline, missing: bool, content: bool, span: bool = False) -> None:
        for command in part.commands:
            if span:
                self.warn.append(self.extent(command))
            self.walk_command(command, missing, content)

    def walk_command(self, command: Node, missing: bool, content: bool) -> None:
        if isinstance(command, Simple):
            self.simple(command, missing, content)
        elif isinstance(command, If):
            self.walk_if(command, missing, content)
        elif isinstance(command, list):  # case items
            for item in command:
                self.walk_list(item.body, missing, content or self.mentions(item.subject))
        else:
            loop_reads = self.mentions(self.text_of(command.condition) + " " + command.subject)
            self.walk_list(command.condition, missing, content)
            self.walk_list(command.body, missing, content or loop_reads)

    def walk_if(self, command: If, missing: bool, content: bool) -> None:
        for number, (condition, body) in enumerate(command.clauses):
            polarity = self.polarity(condition)
            reads = polarity is None and self.mentions(self.text_of(condition))
            self.walk_list(condition, missing, content)
            branch_missing = missing or polarity == "missing"
            if polarity == "missing":
                self.warn.extend(self.extent(item) for item in body)
            self.walk_list(body, branch_missing, content or reads)
            if reads:
                content = True  # an elif or else below runs on what the condition read
            if number == 0 and polarity == "present" and len(command.clauses) == 1 and command.otherwise:
                self.warn.extend(self.extent(item) for item in command.otherwise)
                self.walk_list(command.otherwise, True, content)
                return
        if command.otherwise is not None:
            self.walk_list(command.otherwise, missing, content)

    def simple(self, command: Simple, missing: bool, content: bool) -> None:
        words = [token.text for token in command.words]
        assigned = _ASSIGNMENT.match(" ".join(words))
        if assigned and self.mentions(" ".join(words)):
            self.variables.add(assigned.group(1))
        if len(words) >= 2 and words[0] == "exit" and _EXIT_CODE.match(words[1]):
            if missing:
                self.soften.append(command.words[1])
            elif content:
                self.gates.append(command.start)

    def polarity(self, condition: list[AndOr]) -> str | None:
        """ "missing" when the condition is true exactly when the output is missing or empty, "present"
        when it is true when the output is there, None when it is anything but such tests."""
        if len(condition) != 1:
            return None
        found = set()
        for part in condition[0].parts:
            if len(part.commands) != 1 or not isinstance(part.commands[0], Simple):
                return None
            negated = self.file_test(part.commands[0])
            if negated is None:
                return None
            found.add("missing" if negated != part.negated else "present")
        return found.pop() if len(found) == 1 else None

    def file_test(self, command: Simple) -> bool | None:
        """Whether an existence or emptiness test of the output file is negated; None for anything else."""
        words = [token.text for token in command.words]
        if words[0] in ("[", "[[") and words[-1] == {"[": "]", "[[": "]]"}[words[0]]:
            inner = words[1:-1]
        elif words[0] == "test":
            inner = words[1:]
        else:
            return None
        negated = False
        while inner and inner[0] == "!":
            negated, inner = not negated, inner[1:]
        if len(inner) != 2 or inner[0] not in FILE_TESTS:
            return None
        operand = inner[1].strip("'\"")
        named = any(operand == name or operand.endswith("/" + name) for name in self.names)
        held = any(operand in (f"${var}", f"${{{var}}}") for var in self.variables)  # OUT=review.md; [ -s "$OUT" ]
        return negated if named or held else None

    def extent(self, node: Node | AndOr | Pipeline) -> tuple[int, int]:
        tokens = list(self.tokens_of(node))
        return (min(t.start for t in tokens), max(t.end for t in tokens)) if tokens else (0, 0)

    def tokens_of(self, node: object):
        if isinstance(node, Token):
            yield node
        elif isinstance(node, Simple):
            yield from node.words
        elif isinstance(node, list | tuple):
            for child in node:
                yield from self.tokens_of(child)
        elif isinstance(node, AndOr):
            yield from self.tokens_of(node.parts)
        elif isinstance(node, Pipeline):
            yield from self.tokens_of(node.commands)
        elif isinstance(node, If):
            yield from self.tokens_of(node.clauses)
            yield from self.tokens_of(node.otherwise or [])
        elif isinstance(node, Block):
            yield from self.tokens_of(node.condition)
            yield from self.tokens_of(node.body)

    def text_of(self, items: list[AndOr]) -> str:
        return " ".join(token.text for token in self.tokens_of(items))

    def text_of_pipeline(self, part: Pipeline) -> str:
        return " ".join(token.text for token in self.tokens_of(part))

    def softened(self) -> str:
        text = self.script
        edits = [(token.start, token.end, "0") for token in self.soften]
        for start, end in _merge(self.warn):
            for match in re.finditer(r"::error\b", text[start:end]):
                edits.append((start + match.start(), start + match.end(), "::warning"))
        for start, end, new in sorted(edits, reverse=True):
            text = text[:start] + new + text[end:]
        return text

    def content_lines(self) -> list[str]:
        lines = []
        for offset in self.gates:
            start = self.script.rfind("\n", 0, offset) + 1
            end = self.script.find("\n", offset)
            lines.append(self.script[start : len(self.script) if end < 0 else end].strip())
        return list(dict.fromkeys(lines))


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
