"""The README works for a newcomer: its ```sh and ```python blocks run, in order, as written.

Conventions for whoever edits README.md:

- A block fenced ```sh runs verbatim, after every block before it, in ONE bash session
  (`bash -euo pipefail`, in the repository's root, stdin closed), so variables and exports
  carry over from block to block. The session starts with `SCULPTOPS_URL` set to a fresh local
  stack of this test's own and no `SCULPTOPS_TOKEN`: every other name a block uses, an earlier
  line defines.
- A block fenced ```python runs in the same session as `.venv/bin/python` (so it sees what the
  shell exported).
- Blocks that cannot run here (`make run` itself, AWS deploys, agents that run until stopped)
  are fenced ```text or ```console, and are not run.
- A comment line `# -> EXPECTED` stands after a complete command and checks the output
  (stdout and stderr) of the lines since the previous `# ->` line or the block's start
  (consecutive `# ->` lines check the same output). In EXPECTED:
  * a leading HTTP status (`# -> 201 ...`) must appear as `HTTP/1.1 201` (curl -i) or as a word
    of its own (curl -w '%{http_code}');
  * each `"key":value` (a JSON string, number, true, false or null) must appear as written, in
    the compact JSON the API answers with; a string holding `...` checks only what comes before
    it (`"id":"tok_..."` checks `"id":"tok_`);
  * each `` `text` `` in backticks must appear, ignoring case.
  Anything else (`{`, `...`, `[`) is there for the reader. An EXPECTED with none of these is
  checked as plain text: its pieces between `...` must appear in that order, whitespace
  ignored (`# -> /api/v1/demo/executions/exe_.../logs`). A `# ->` line with nothing at all to
  check (`# -> ...`) fails the test: an output the README shows is checked or not shown.
- Each block gets at most BLOCK_SECONDS, the whole README at most TOTAL_SECONDS.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.stack import ROOT, Stack, start_stack, stop_stack

pytestmark = pytest.mark.e2e

README = ROOT / "README.md"
BLOCK_SECONDS = 120
TOTAL_SECONDS = 240
RUN_LANGUAGES = ("sh", "python")
EXPECT = "# -> "
MARK = "@@readme-segment"


@dataclass
class Segment:
    """Lines of one block up to (and with) the `# ->` lines that check their output."""

    block: int
    lines: list[str] = field(default_factory=list)
    expect: list[str] = field(default_factory=list)


@dataclass
class Block:
    index: int
    language: str
    line: int  # in README.md, 1-based, of the opening fence
    text: str
    segments: list[Segment] = field(default_factory=list)


def readme_blocks(text: str) -> list[Block]:
    """The fenced blocks to run, in order, each split into checked segments."""
    blocks: list[Block] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        opening = re.match(r"^(\s*)(```+|~~~+)\s*([\w+-]*)", lines[i])
        if not opening:
            i += 1
            continue
        indent, fence, language, start = *opening.groups(), i
        body: list[str] = []
        i += 1
        while i < len(lines) and not lines[i].strip().startswith(fence):
            # A block inside a list item is indented: its lines lose that indentation.
            line = lines[i]
            body.append(line[len(indent) :] if line.startswith(indent) else line.lstrip())
            i += 1
        i += 1
        if language in RUN_LANGUAGES:
            block = Block(len(blocks), language, start + 1, "\n".join(body))
            block.segments = _segments(block.index, body, language)
            blocks.append(block)
    return blocks


def _segments(index: int, body: list[str], language: str) -> list[Segment]:
    if language != "sh":  # a Python block is one program: its expectations check all of it
        return [
            Segment(
                index,
                body,
                [ln.strip()[len(EXPECT) :] for ln in body if ln.strip().startswith(EXPECT)],
            )
        ]
    segments = [Segment(index)]
    for ln in body:
        current = segments[-1]
        if ln.strip().startswith(EXPECT):
            current.expect.append(ln.strip()[len(EXPECT) :])
            current.lines.append(ln)
            continue
        if current.expect:
            current = Segment(index)
            segments.append(current)
        current.lines.append(ln)
    return segments


_STATUS = re.compile(r"^([1-5]\d\d)\b")
_PAIR = re.compile(r'"[^"\\]+":(?:"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?|true|false|null)')
_LITERAL = re.compile(r"`([^`]+)`")


def checks(expected: str) -> list[tuple[str, str]]:
    """What an expectation line asks for: (kind, text) pairs; see the module's docstring."""
    found: list[tuple[str, str]] = []
    status = _STATUS.match(expected)
    if status:
        found.append(("status", status.group(1)))
    without_literals = _LITERAL.sub("", expected)
    for pair in _PAIR.findall(without_literals):
        found.append(("text", pair.split("...", 1)[0]))
    found += [("literal", text) for text in _LITERAL.findall(expected)]
    if not found:
        pieces = ["".join(p.split()) for p in expected.split("...")]
        if any(pieces):
            found.append(("pieces", "...".join(pieces)))
    return found


def mismatches(expected: str, output: str) -> list[str]:
    wanted = checks(expected)
    if not wanted:
        return [f"nothing to check in `# -> {expected}` (see tests/e2e/test_readme.py)"]
    missing = []
    for kind, text in wanted:
        if kind == "status":
            ok = re.search(rf"(HTTP/[\d.]+ {text}\b|(?<!\S){text}(?!\S))", output) is not None
        elif kind == "literal":
            ok = text.lower() in output.lower()
        elif kind == "pieces":
            pattern = ".*?".join(re.escape(p) for p in text.split("...") if p)
            ok = re.search(pattern, "".join(output.split()), re.DOTALL) is not None
        else:
            ok = text in output
        if not ok:
            missing.append(f"{kind} {text!r}")
    return missing


def script(blocks: list[Block], work: Path) -> str:
    """One bash program: every segment after a marker line, Python blocks through a file."""
    parts = [f"cd {ROOT}", f"__readme_mark() {{ printf '\\n{MARK} %s@@\\n' \"$1\"; }}"]
    number = 0
    for block in blocks:
        for segment in block.segments:
            parts.append(f"__readme_mark {number}")
            number += 1
            if block.language == "sh":
                parts.append("\n".join(segment.lines))
            else:
                program = work / f"block{block.index}.py"
                program.write_text("\n".join(segment.lines) + "\n")
                parts.append(f".venv/bin/python {program}")
    parts.append(f"__readme_mark {number}")
    return "\n".join(parts) + "\n"


@dataclass
class Run:
    outputs: list[str]  # per segment, in order
    returncode: int | None  # None: stopped for taking too long
    reason: str = ""


def run_script(program: str, env: dict[str, str], segments: list[Segment]) -> Run:
    """Run it, cutting it short when a block or the whole takes too long."""
    proc = subprocess.Popen(
        ["bash", "-euo", "pipefail", "-c", program],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        start_new_session=True,
    )
    outputs: list[list[str]] = []
    state = {"segment": -1, "block": -1, "block_started": time.monotonic()}

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            marker = re.fullmatch(rf"{MARK} (\d+)@@\n?", line)
            if marker:
                index = int(marker.group(1))
                state["segment"] = index
                outputs.append([])
                block = segments[index].block if index < len(segments) else -2
                if block != state["block"]:
                    state["block"], state["block_started"] = block, time.monotonic()
            elif outputs:
                outputs[-1].append(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    started = time.monotonic()
    reason = ""
    while proc.poll() is None:
        now = time.monotonic()
        if now - float(state["block_started"]) > BLOCK_SECONDS:
            reason = f"the block took over {BLOCK_SECONDS} s"
        elif now - started > TOTAL_SECONDS:
            reason = f"the README took over {TOTAL_SECONDS} s"
        if reason:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            break
        time.sleep(0.2)
    reader.join(timeout=10)
    assert proc.stdout is not None
    proc.stdout.close()
    texts = ["".join(lines).strip("\n") for lines in outputs]
    return Run(texts[: len(segments)], None if reason else proc.returncode, reason)


def _report(block: Block, segment: Segment, output: str, problem: str) -> str:
    return (
        f"README.md block {block.index} (```{block.language} at line {block.line}): {problem}\n"
        f"--- the lines run ---\n" + "\n".join(segment.lines) + "\n"
        f"--- their output ---\n{output}\n--- the whole block ---\n{block.text}"
    )


@pytest.fixture
def readme_stack(tmp_path: Path) -> Iterator[Stack]:
    """A stack of its own: the README revokes tokens, which the session's stack must keep.

    At the INFO level `make run` logs at, so its log shows what a newcomer sees.
    """
    stack = start_stack(tmp_path, env={"SCULPTOPS_LOG_LEVEL": "INFO"})
    yield stack
    stop_stack(stack)


def test_every_sh_and_python_block_runs_and_prints_what_it_shows(
    readme_stack: Stack, tmp_path: Path
) -> None:
    # Given the README's runnable blocks and a fresh local stack
    blocks = readme_blocks(README.read_text())
    assert blocks, "README.md has no ```sh block"
    segments = [s for b in blocks for s in b.segments]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCULPTOPS_")}
    env["SCULPTOPS_URL"] = readme_stack.url

    # When they run in order in one shell session
    run = run_script(script(blocks, tmp_path), env, segments)

    # Then each ran to its end, and printed what its `# ->` lines say
    by_index = {id(s): i for i, s in enumerate(segments)}
    for block in blocks:
        for segment in block.segments:
            i = by_index[id(segment)]
            output = run.outputs[i] if i < len(run.outputs) else ""
            if i == len(run.outputs) - 1 and (run.returncode != 0):
                problem = run.reason or f"exited with {run.returncode}"
                pytest.fail(_report(block, segment, output, problem), pytrace=False)
            for expected in segment.expect:
                missing = mismatches(expected, output)
                if missing:
                    problem = f"`# -> {expected}`: missing {', '.join(missing)}"
                    pytest.fail(_report(block, segment, output, problem), pytrace=False)
    assert run.returncode == 0, run.reason

    # And the stack said nothing of the agents' idle polls, once per agent that it started them
    log = readme_stack.logs()
    assert "agents/claim 204" not in log, "idle claim polls are logged at INFO"
    assert "HTTP Request:" not in log, "the agents log each of their requests"
    assert log.count("Agent polling") == 0
    assert log.count("embedded agent for demo polling") == 1


@pytest.mark.parametrize(
    ("expected", "output", "missing"),
    [
        ('201 {"id":"tok_...","name":"laptop"}', 'x {"id":"tok_1","name":"laptop"}\n201', 0),
        ('201 {"id":"tok_...","name":"laptop"}', '{"id":"tok_1","name":"laptop"}\n422', 1),
        (
            "401 {...} `WWW-Authenticate: Bearer`",
            "HTTP/1.1 401 Unauthorized\nwww-authenticate: Bearer",
            0,
        ),
        ('{"status":"success","exitCode":0,...}', '{"status":"queued","exitCode":null}', 2),
        ("`Hello, me`", 'ok: [localhost] => {\n    "msg": "Hello, me"\n}', 0),
        ("/api/v1/x/exe_.../logs?t=st_...", "/api/v1/x/exe_1/logs?t=st_2", 0),
        ("retry: 250  id: 1 ...", "retry: 250\n\nid: 1\n", 0),
        ("retry: 250  id: 1 ...", "retry: 250\n\nid: 2\n", 1),
        ("...", "anything", 1),  # nothing to check: refused
    ],
)
def test_expectation_convention(expected: str, output: str, missing: int) -> None:
    assert len(mismatches(expected, output)) == missing


def test_blocks_split_at_expectations() -> None:
    text = "```sh\na\n# -> 204\n# -> `x`\nb\nc\n# -> 401\nd\n```\n```text\nmake run\n```\n"
    (block,) = readme_blocks(text)
    assert [(s.lines, s.expect) for s in block.segments] == [
        (["a", "# -> 204", "# -> `x`"], ["204", "`x`"]),
        (["b", "c", "# -> 401"], ["401"]),
        (["d"], []),
    ]
    (indented,) = readme_blocks("1. Step\n   ```sh\n   echo hi\n   # -> `hi`\n   ```\n")
    assert indented.segments[0].lines == ["echo hi", "# -> `hi`"]
