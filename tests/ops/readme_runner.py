"""A doctest-style runner for README.md: every fenced code block with a language runs, in
order, against one live `gatehouse serve`, as a reader pasting it would run it.

- ```graphql: each operation in the block is sent with the operator key (subscriptions over
  graphql-transport-ws: accepted and, within a few seconds, no error). A top-level error fails;
  so do `userErrors`, unless the block is marked `user-errors`.
- ```sh: run by bash with `gatehouse` on PATH, the server's DATABASE_URL and GATEHOUSE_KEY set
  (the operator key), in a scratch directory; it must exit 0 and print no GraphQL error.
- ```python: run, or only compiled when marked `compile`.
- Blocks without a language (sample output, trees) are illustrations and are not run; any
  other language needs a mark.

Placeholders read as a person would read them: `sk_…` is the operator key, `http://127.0.0.1:8000`
the live server, a few outside addresses the local stand-ins the test names, and `org_…` (or `org_01…`, any
ID prefix) the latest ID of that kind that an earlier block's answer contained (every `org_…` in
one block is the same organization, as a reader would take it). So a section's examples create what they use, and a new
section's blocks are picked up with no change here.

A mark is an HTML comment on the line before the block (invisible on GitHub):
`<!-- readme: skip (why) -->`, `<!-- readme: user-errors (why) -->`, `<!-- readme: compile (why) -->`.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from gql import Client, GraphQLRequest
from gql.transport.websockets import WebsocketsTransport
from graphql import OperationDefinitionNode, OperationType, parse, print_ast

FENCE = re.compile(r"^(?P<indent>\s*)```(?P<lang>[\w+-]*)\s*$")
MARK = re.compile(r"^\s*<!--\s*readme:\s*(?P<kind>[\w-]+)\b(?P<why>.*?)-->\s*$")
MARKS = {"skip", "user-errors", "compile"}
RUNNABLE = {"graphql", "sh", "python"}
ID = re.compile(r"\b([a-z]+)_([0-9A-HJKMNP-TV-Z]{26})\b")
PLACEHOLDER = re.compile(r"\b([a-z]+)_(?:01)?…")
README_SERVER = "http://127.0.0.1:8000"
SUBSCRIPTION_WAIT_S = 3.0


@dataclass
class Block:
    line: int  # 1-based line of the opening fence
    lang: str
    text: str
    mark: str | None = None

    def where(self) -> str:
        return f"README.md:{self.line} ({self.lang})"


def blocks(readme: str) -> list[Block]:
    """The fenced blocks, dedented to their fence, each with the mark on the line before it."""
    found: list[Block] = []
    lines = readme.splitlines()
    i = 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        indent = len(opening["indent"])
        body: list[str] = []
        j = i + 1
        while j < len(lines) and not re.match(r"^\s*```\s*$", lines[j]):
            line = lines[j]
            body.append(line[indent:] if line[:indent].strip() == "" else line.lstrip())
            j += 1
        previous = next((lines[k] for k in range(i - 1, -1, -1) if lines[k].strip()), "")
        mark = MARK.match(previous)
        found.append(
            Block(i + 1, opening["lang"], "\n".join(body) + "\n", mark["kind"] if mark else None)
        )
        i = j + 1
    return found


@dataclass
class Session:
    """What the blocks share: the live server, the operator key, the IDs seen so far."""

    url: str
    key: str
    env: dict[str, str]
    cwd: Path
    # Addresses the README uses that this machine cannot reach (its closed network), mapped
    # to local stand-ins the test runs.
    stand_ins: dict[str, str] = field(default_factory=dict)
    ids: dict[str, list[str]] = field(default_factory=dict)  # per prefix, newest last
    log: list[str] = field(default_factory=list)

    def remember(self, text: str) -> None:
        for prefix, rest in ID.findall(text):
            seen = self.ids.setdefault(prefix, [])
            value = f"{prefix}_{rest}"
            if value in seen:
                seen.remove(value)
            seen.append(value)

    def substitute(self, block: Block, text: str) -> str:
        text = text.replace(README_SERVER, self.url).replace("sk_…", self.key)
        for address, stand_in in self.stand_ins.items():
            text = text.replace(address, stand_in)

        def latest(match: re.Match[str]) -> str:
            prefix = match[1]
            seen = self.ids.get(prefix)
            if not seen:
                raise AssertionError(
                    f"{block.where()}: `{match[0]}` names a {prefix}_ ID, but no earlier "
                    "example returned one: add an example that creates one, before this block"
                )
            return seen[-1]

        return PLACEHOLDER.sub(latest, text)


def check_answer(block: Block, answer: str) -> None:
    try:
        body = json.loads(answer)
    except ValueError:
        body = None
    errors = body.get("errors") if isinstance(body, dict) else None
    # GraphQL's top-level errors, and the HTTP routes' `{"error": "…"}` bodies.
    if errors or re.search(r'"errors"\s*:\s*\[\s*\{|"error"\s*:\s*"', answer):
        raise AssertionError(f"{block.where()}: errors in the answer: {answer[:2000]}")
    if block.mark != "user-errors" and re.search(r'"userErrors"\s*:\s*\[\s*\{', answer):
        raise AssertionError(
            f"{block.where()}: userErrors (mark the block `user-errors` if they are the point): "
            f"{answer[:2000]}"
        )


async def run_graphql(session: Session, block: Block, text: str) -> None:
    document = parse(text)
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    assert operations, f"{block.where()}: no operation"
    async with httpx.AsyncClient(timeout=30) as http:
        for operation in operations:
            # One at a time: an operation may use the ID the one before it returned.
            query = session.substitute(block, print_ast(operation))
            if operation.operation is OperationType.SUBSCRIPTION:
                answer = await _subscribe(session, query)
            else:
                response = await http.post(
                    session.url + "/graphql",
                    json={"query": query},
                    headers={"Authorization": f"Bearer {session.key}"},
                )
                answer = response.text
            session.log.append(f"{block.where()}\n{query}\n-> {answer[:500]}")
            check_answer(block, answer)
            session.remember(answer)


async def _subscribe(session: Session, query: str) -> str:
    """Accepted, and no error within a few seconds; the first message if one came."""
    transport = WebsocketsTransport(
        url=session.url.replace("http", "ws") + "/graphql",
        init_payload={"authorization": f"Bearer {session.key}"},
        subprotocols=["graphql-transport-ws"],
    )
    async with Client(transport=transport) as ws:
        stream = ws.subscribe(GraphQLRequest(query)).__aiter__()
        try:
            first = await asyncio.wait_for(stream.__anext__(), SUBSCRIPTION_WAIT_S)
        except TimeoutError:
            return "{}"  # live, nothing to send yet
        finally:
            await stream.aclose()
    return json.dumps({"data": first})


def run_shell(session: Session, block: Block, text: str) -> None:
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", text],
        env={**session.env, "GATEHOUSE_KEY": session.key},
        cwd=session.cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = result.stdout + result.stderr
    session.log.append(f"{block.where()}\n{text}\n-> {output[:500]}")
    assert result.returncode == 0, f"{block.where()}: exit {result.returncode}\n{output}"
    check_answer(block, result.stdout)
    session.remember(result.stdout)


def run_python(session: Session, block: Block, text: str) -> None:
    code = compile(text, block.where(), "exec")
    if block.mark == "compile":
        return
    exec(code, {"__name__": "__readme__"})  # the README's own example


async def run_block(session: Session, block: Block) -> None:
    if block.lang == "graphql":
        await run_graphql(session, block, block.text)
    elif block.lang == "sh":
        await asyncio.to_thread(run_shell, session, block, session.substitute(block, block.text))
    elif block.lang == "python":
        run_python(session, block, session.substitute(block, block.text))


def runnable(block: Block) -> bool:
    if block.mark is not None and block.mark not in MARKS:
        raise AssertionError(f"{block.where()}: unknown mark {block.mark!r} (one of {MARKS})")
    if not block.lang or block.mark == "skip":
        return False
    if block.lang not in RUNNABLE:
        raise AssertionError(
            f"{block.where()}: no runner for {block.lang!r}: mark it "
            "`<!-- readme: skip (why) -->` and say where it is tested"
        )
    return True


def shell_env(database_url: str, extra: dict[str, str]) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATABASE_URL", "REDIS_URL", "GATEHOUSE_", "TEST_"))
    }
    env.update(extra)
    env["DATABASE_URL"] = database_url
    return env
