"""The `bench local` conversation (data/bench/local_conversation.yaml) and its two assemblies."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage

from conversation.assembly import assemble
from conversation.facts import FACTS_HEADER
from conversation.paths import repo_root

SCRIPT = Path("data/bench/local_conversation.yaml")


@dataclass(frozen=True)
class Turn:
    """One scripted turn: the user message, the tool calls with results, the reply."""

    user: str
    calls: tuple[dict[str, Any], ...]
    reply: str


@dataclass(frozen=True)
class Script:
    """The whole conversation with its tools, fact lines and the summary fold."""

    agent_prompt: str
    tools: tuple[dict[str, Any], ...]
    facts: tuple[tuple[int, str], ...]
    fold_before: int
    fold_turns: int
    summary: str
    turns: tuple[Turn, ...]


def load_script(path: Path | None = None) -> Script:
    """Read and check the conversation file."""
    data = yaml.safe_load((path or repo_root() / SCRIPT).read_text(encoding="utf-8"))
    turns = tuple(
        Turn(str(t["user"]), tuple(t.get("calls") or ()), str(t["reply"])) for t in data["turns"]
    )
    if len(turns) < 2:
        raise ValueError(f"{SCRIPT} needs at least two turns")
    return Script(
        agent_prompt=str(data["agent_prompt"]),
        tools=tuple(
            {
                "type": "function",
                "function": {k: tool[k] for k in ("name", "description", "parameters")},
            }
            for tool in data["tools"]
        ),
        facts=tuple((int(f["from"]), str(f["text"])) for f in data["facts"]),
        fold_before=int(data["fold"]["before_turn"]),
        fold_turns=int(data["fold"]["turns"]),
        summary=str(data["fold"]["summary"]),
        turns=turns,
    )


def facts_at(script: Script, turn: int) -> str:
    """Fact-sheet text as the prompt of ``turn`` (1-based) shows it."""
    lines = [text for start, text in script.facts if start <= turn]
    return "\n".join([FACTS_HEADER, *lines]) if lines else ""


def summary_at(script: Script, turn: int) -> str:
    """The running summary at ``turn`` ('' before the fold)."""
    return script.summary if turn >= script.fold_before else ""


def window_at(script: Script, turn: int) -> list[BaseMessage]:
    """Unfolded earlier turns (user, tool calls with results, reply), then the new message."""
    first = script.fold_turns if turn >= script.fold_before else 0
    messages: list[BaseMessage] = []
    for index in range(first, turn - 1):
        messages.extend(_turn_messages(script.turns[index], index + 1))
    messages.append(HumanMessage(script.turns[turn - 1].user))
    return messages


def stable_prompt(script: Script, turn: int, policy: str, counter: Any) -> list[BaseMessage]:
    """Prefix-stable: the product's assembly (policy, facts, summary, then the window)."""
    assembled = assemble(
        system=policy,
        window=window_at(script, turn),
        counter=counter,
        facts=facts_at(script, turn),
        summary=summary_at(script, turn),
    )
    return list(assembled.messages)


def volatile_first_prompt(
    script: Script, turn: int, policy: str, counter: Any
) -> list[BaseMessage]:
    """Baseline: the same content, but turn number, clock, facts and summary before the policy."""
    window = stable_prompt(script, turn, policy, counter)[1:]
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    header = [f"Session turn {turn}, {stamp}.", facts_at(script, turn)]
    if summary := summary_at(script, turn):
        header.append(f"Summary of the earlier conversation:\n{summary}")
    volatile = SystemMessage("\n\n".join(part for part in header if part))
    return [volatile, SystemMessage(policy), *window]


def _turn_messages(turn: Turn, number: int) -> list[BaseMessage]:
    """The messages one finished turn leaves in the history."""
    messages: list[BaseMessage] = [HumanMessage(turn.user)]
    for index, call in enumerate(turn.calls):
        call_id = f"call_t{number}_{index}"
        messages.append(
            AIMessage("", tool_calls=[{"name": call["name"], "args": call["args"], "id": call_id}])
        )
        messages.append(ToolMessage(str(call["result"]), tool_call_id=call_id, name=call["name"]))
    messages.append(AIMessage(turn.reply))
    return messages
