"""``switchboard bench local``: turn latency of the embedded model, prefix-stable vs not.

Every turn of ``data/bench/local_conversation.yaml`` is assembled the way the product does it
(policy, fact sheet, summary, then the window; tool instructions at the very front) and sent
to the local model with the conversation's tools bound. In the same run,
interleaved turn by turn (so both feel the same machine load) on a second llama.cpp context
with its own KV cache, the same turns are sent with the volatile parts (turn number, clock,
fact sheet, summary) placed before the policy. Per turn it reports prompt tokens, tokens
reused from llama.cpp's KV cache, prompt-eval and generation seconds, the orchestration
overhead (everything else: assembly, rendering, tokenizing, parsing, LangChain) and the total.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage

from agents.prompting import policy_text
from benchmarks._local_script import Script, load_script, stable_prompt, volatile_first_prompt
from conversation.tokens import get_counter
from llm.errors import ModelConfigError
from llm.factory import make_model
from llm.llama_runtime import reset_cache
from llm.llamacpp_chat import LlamaCppChatModel

Assembler = Callable[[Script, int, str, Any], list[BaseMessage]]


@dataclass(frozen=True)
class TurnResult:
    """Measurements of one turn."""

    turn: int
    prompt_tokens: int
    reused_tokens: int
    prompt_eval_s: float
    generation_s: float
    overhead_s: float
    total_s: float
    completion_tokens: int
    decision: str

    @property
    def reuse_share(self) -> float:
        return self.reused_tokens / self.prompt_tokens if self.prompt_tokens else 0.0

    @property
    def overhead_share(self) -> float:
        return self.overhead_s / self.total_s if self.total_s else 0.0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; print a table (or one JSON object with --json)."""
    args = _parser().parse_args(argv)
    try:
        model = _local_model(args.model, args.max_tokens)
    except ModelConfigError as exc:
        print(f"bench local: {exc}", file=sys.stderr)
        return 2
    script = load_script()
    turns = min(args.turns, len(script.turns))
    report = run(model, script, turns, args.model)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report)
    return 0


def run(model: LlamaCppChatModel, script: Script, turns: int, spec: str) -> dict[str, Any]:
    """Both runs over the first ``turns`` turns, and the summary numbers."""
    baseline_model = model.model_copy(update={"instance": "bench-baseline"})
    counter = get_counter("local", model_path=model.resolve_path())
    policy = policy_text(script.agent_prompt)
    arms: dict[str, tuple[Any, Assembler]] = {
        "stable": (model.bind_tools(list(script.tools)), stable_prompt),
        "baseline": (baseline_model.bind_tools(list(script.tools)), volatile_first_prompt),
    }
    for each in (model, baseline_model):
        reset_cache(each.load())
    results: dict[str, list[TurnResult]] = {name: [] for name in arms}
    for turn in range(1, turns + 1):
        for name, (bound, assembler) in arms.items():
            result = run_turn(bound, script, turn, policy, counter, assembler)
            results[name].append(result)
            print(
                f"bench local: {name} turn {turn}/{turns} {result.total_s:.2f} s", file=sys.stderr
            )
    return build_report(results["stable"], results["baseline"], model, spec)


def run_turn(
    bound: Any, script: Script, turn: int, policy: str, counter: Any, assembler: Assembler
) -> TurnResult:
    """Assemble and send one turn, timing the whole and reading the model's measurements."""
    start = time.perf_counter()
    reply = bound.invoke(assembler(script, turn, policy, counter))
    total = time.perf_counter() - start
    assert isinstance(reply, AIMessage)
    meta = reply.response_metadata
    model_s = float(meta["prompt_eval_s"]) + float(meta["generation_s"])
    decision = f"tool:{reply.tool_calls[0]['name']}" if reply.tool_calls else "reply"
    return TurnResult(
        turn=turn,
        prompt_tokens=int(meta["prompt_tokens"]),
        reused_tokens=int(meta["prefix_reused_tokens"]),
        prompt_eval_s=float(meta["prompt_eval_s"]),
        generation_s=float(meta["generation_s"]),
        overhead_s=max(0.0, total - model_s),
        total_s=total,
        completion_tokens=int(meta["completion_tokens"]),
        decision=decision,
    )


def build_report(
    ours: list[TurnResult], baseline: list[TurnResult], model: LlamaCppChatModel, spec: str
) -> dict[str, Any]:
    """The JSON report: per-turn rows for both runs and their medians."""
    later = slice(1, None)
    return {
        "benchmark": "local",
        "model": spec,
        "model_path": model.resolve_path(),
        "threads": model.n_threads,
        "n_ctx": model.n_ctx,
        "turns": [_row(r) for r in ours],
        "baseline_turns": [_row(r) for r in baseline],
        "median_prefix_reuse_share": _median([r.reuse_share for r in ours[later]]),
        "baseline_median_prefix_reuse_share": _median([r.reuse_share for r in baseline[later]]),
        "median_overhead_share": _median([r.overhead_share for r in ours]),
        "median_overhead_s": _median([r.overhead_s for r in ours]),
        "median_prompt_tokens": _median([r.prompt_tokens for r in ours]),
        "median_prompt_eval_s": _median([r.prompt_eval_s for r in ours]),
        "baseline_median_prompt_eval_s": _median([r.prompt_eval_s for r in baseline]),
        "median_generation_s": _median([r.generation_s for r in ours]),
        "median_turn_s": _median([r.total_s for r in ours]),
        "baseline_median_turn_s": _median([r.total_s for r in baseline]),
    }


def print_report(report: dict[str, Any]) -> None:
    """Human-readable tables for both runs and the medians side by side."""
    print(
        f"bench local · {report['model']} · {report['threads']} threads · n_ctx {report['n_ctx']}"
    )
    for title, key in (
        ("prefix-stable (ours)", "turns"),
        ("volatile first (baseline)", "baseline_turns"),
    ):
        print(f"\n{title}")
        print(TABLE_HEADER)
        for row in report[key]:
            print(_table_line(row))
    print("\nmedians                         ours   baseline")
    pairs = (
        (
            "prefix reuse share (turns 2+)",
            "median_prefix_reuse_share",
            "baseline_median_prefix_reuse_share",
        ),
        ("prompt-eval s", "median_prompt_eval_s", "baseline_median_prompt_eval_s"),
        ("turn s", "median_turn_s", "baseline_median_turn_s"),
    )
    for label, ours, base in pairs:
        print(f"{label:<30} {report[ours]:>6.3f} {report[base]:>10.3f}")
    print(f"{'overhead share':<30} {report['median_overhead_share']:>6.4f}")


TABLE_HEADER = (
    f"{'turn':>4} {'prompt':>7} {'reused':>7} {'share':>6} {'eval s':>7} {'gen s':>7} "
    f"{'ovh s':>7} {'total s':>8}  decision"
)


def _table_line(row: dict[str, Any]) -> str:
    """One turn as a table line."""
    return (
        f"{row['turn']:>4} {row['prompt_tokens']:>7} {row['reused_tokens']:>7} "
        f"{row['reuse_share']:>6.2f} {row['prompt_eval_s']:>7.2f} "
        f"{row['generation_s']:>7.2f} {row['overhead_s']:>7.3f} {row['total_s']:>8.2f}  "
        f"{row['decision']}"
    )


def _row(result: TurnResult) -> dict[str, Any]:
    """A turn as a JSON row with its shares."""
    row = asdict(result)
    row["reuse_share"] = round(result.reuse_share, 4)
    row["overhead_share"] = round(result.overhead_share, 5)
    for key in ("prompt_eval_s", "generation_s", "total_s"):
        row[key] = round(row[key], 4)
    row["overhead_s"] = round(row["overhead_s"], 5)
    return row


def _median(values: list[float] | list[int]) -> float:
    """Median rounded for the report (0.0 when there are no values)."""
    return round(float(statistics.median(values)), 5) if values else 0.0


def _local_model(spec: str, max_tokens: int) -> LlamaCppChatModel:
    """The bare local model for spec; other kinds are refused with the accepted forms."""
    model = make_model(spec, resilient=False, max_tokens=max_tokens)
    if not isinstance(model, LlamaCppChatModel):
        raise ModelConfigError(
            f"{spec!r} is not an embedded model; use --model local, local-0.5b, local-small "
            "or local:/path/to/model.gguf."
        )
    return model


def _parser() -> argparse.ArgumentParser:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        prog="switchboard bench local", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--model", default="local", help="local, local-0.5b, local-small or local:/x.gguf"
    )
    parser.add_argument("--turns", type=int, default=10, help="turns to run (2-10)")
    parser.add_argument("--max-tokens", type=int, default=96, help="generation cap per reply")
    return parser


if __name__ == "__main__":
    raise SystemExit(main())
