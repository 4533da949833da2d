"""llama.cpp runtime: one shared Llama per (path, n_ctx, n_threads), and a measured decode."""

from __future__ import annotations

import atexit
import codecs
import functools
import json
import os
import threading
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from llm.errors import ModelConfigError, PromptTooLongError
from llm.grammar_sampling import GrammarPicker, last_logits

DEFAULT_THREADS = 2
DEFAULT_CTX = 8192
_LOADER_LOCK = threading.Lock()


@dataclass
class LoadedLlama:
    """A loaded model and the lock that serialises its use (llama.cpp is not reentrant)."""

    llama: Any
    path: str
    n_ctx: int
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass(frozen=True)
class DecodeRequest:
    """What to decode: a rendered prompt, an optional JSON-schema constraint, sampling."""

    prompt: str
    schema: dict[str, Any] | None = None
    max_tokens: int = 512
    temperature: float = 0.0
    repeat_penalty: float = 1.0
    seed: int = 0
    deadline: float | None = None


@dataclass(frozen=True)
class DecodeStats:
    """Measurements of one decode."""

    prompt_tokens: int
    completion_tokens: int
    prefix_reused_tokens: int
    prompt_eval_s: float
    generation_s: float
    finish_reason: str


def env_threads() -> int:
    """Threads from SWITCHBOARD_LOCAL_THREADS (default 2)."""
    return _env_int("SWITCHBOARD_LOCAL_THREADS", DEFAULT_THREADS)


def env_ctx() -> int:
    """Context size from SWITCHBOARD_LOCAL_CTX (default 8192)."""
    return _env_int("SWITCHBOARD_LOCAL_CTX", DEFAULT_CTX)


def load_llama(path: str, n_ctx: int, n_threads: int, instance: str = "") -> LoadedLlama:
    """Return the process-wide Llama for (path, n_ctx, n_threads, instance), loading it once.

    A non-empty ``instance`` names a separate context with its own KV cache (and memory).
    """
    with _LOADER_LOCK:
        return _load_cached(path, n_ctx, n_threads, instance)


@functools.cache
def _load_cached(path: str, n_ctx: int, n_threads: int, instance: str) -> LoadedLlama:
    """Load a GGUF model with llama-cpp-python (memoized by its arguments)."""
    try:
        # Lazy: llama_cpp is heavy (it loads the native llama.cpp library).
        from llama_cpp import Llama
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ModelConfigError(
            "llama-cpp-python is not installed; run `uv sync` (it compiles for ~8 minutes)."
        ) from exc
    llama = Llama(
        model_path=path,
        n_ctx=n_ctx,
        n_threads=n_threads,
        n_threads_batch=n_threads,
        n_batch=512,
        verbose=False,
    )
    atexit.register(llama.close)  # free it before interpreter teardown unloads llama.cpp
    return LoadedLlama(llama=llama, path=path, n_ctx=n_ctx)


def count_tokens(loaded: LoadedLlama, text: str) -> int:
    """Number of tokens the model sees for text (special tokens parsed)."""
    with loaded.lock:
        return len(_tokenize(loaded.llama, text))


def decode(
    loaded: LoadedLlama, request: DecodeRequest, on_text: Callable[[str], None] | None = None
) -> tuple[str, DecodeStats]:
    """Run one completion, reusing the KV-cache prefix; call on_text with each text piece."""
    with loaded.lock:
        llama = loaded.llama
        tokens = _tokenize(llama, request.prompt)
        max_tokens = _fit(tokens, request.max_tokens, loaded.n_ctx)
        reused = _reusable_prefix(llama, tokens)
        grammar = _grammar(json.dumps(request.schema)) if request.schema is not None else None
        llama.set_seed(request.seed)
        return _generate(llama, tokens, grammar, request, max_tokens, reused, on_text)


def _generate(
    llama: Any,
    tokens: list[int],
    grammar: Any,
    request: DecodeRequest,
    max_tokens: int,
    reused: int,
    on_text: Callable[[str], None] | None,
) -> tuple[str, DecodeStats]:
    """Sample tokens until end-of-generation, a control token, max_tokens or the deadline."""
    # Lazy: llama_cpp is heavy (it loads the native llama.cpp library).
    import llama_cpp

    vocab = llama._model.vocab
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    pieces: list[str] = []
    produced = 0
    finish = "length"
    start = time.perf_counter()
    first: float | None = None
    generator = _token_stream(llama, tokens, grammar, request, reused)
    try:
        for token in generator:
            first = first if first is not None else time.perf_counter()
            if llama_cpp.llama_vocab_is_eog(vocab, token) or llama_cpp.llama_vocab_is_control(
                vocab, token
            ):
                finish = "stop"
                break
            produced += 1
            piece = decoder.decode(llama.detokenize([token]))
            if piece:
                pieces.append(piece)
                if on_text is not None:
                    on_text(piece)
            if produced >= max_tokens:
                break
            if request.deadline is not None and time.perf_counter() > request.deadline:
                raise TimeoutError(
                    f"local model generation passed its deadline after {produced} tokens"
                )
    finally:
        generator.close()
    end = time.perf_counter()
    first = first if first is not None else end
    stats = DecodeStats(len(tokens), produced, reused, first - start, end - first, finish)
    return "".join(pieces), stats


def _token_stream(
    llama: Any, tokens: list[int], grammar: Any, request: DecodeRequest, reused: int
) -> Generator[int, None, None]:
    """Generated token ids: llama-cpp-python's loop, or the top-k grammar loop when constrained."""
    if grammar is None:
        yield from llama.generate(
            tokens, temp=request.temperature, repeat_penalty=request.repeat_penalty
        )
        return
    yield from _constrained_tokens(llama, tokens, grammar._grammar, request, reused)


def _constrained_tokens(
    llama: Any, tokens: list[int], grammar_text: str, request: DecodeRequest, reused: int
) -> Iterator[int]:
    """Evaluate the prompt past the reused prefix, then pick grammar-valid tokens one by one."""
    if reused > 0 and llama._ctx.kv_cache_seq_rm(-1, reused, -1):
        llama.n_tokens = reused
    else:
        llama.reset()
    llama.eval(tokens[llama.n_tokens :])
    picker = GrammarPicker(llama, grammar_text, request.seed)
    recent: list[int] = []
    try:
        while True:
            scores = last_logits(llama)
            token = picker.pick(scores, request.temperature, recent[-64:], request.repeat_penalty)
            yield token
            recent.append(token)
            llama.eval([token])
    finally:
        picker.close()


def _tokenize(llama: Any, text: str) -> list[int]:
    """Tokenize a rendered prompt, parsing special tokens such as <|im_start|>."""
    add_bos = bool(llama._model.add_bos_token())
    return list(llama.tokenize(text.encode("utf-8"), add_bos=add_bos, special=True))


def _reusable_prefix(llama: Any, tokens: Sequence[int]) -> int:
    """Tokens of this prompt already in the KV cache (what llama.cpp will not re-evaluate)."""
    cached = llama._input_ids
    common = 0
    for old, new in zip(cached, tokens, strict=False):
        if int(old) != new:
            break
        common += 1
    return common - 1 if common == len(tokens) and common > 0 else common


def _fit(tokens: Sequence[int], max_tokens: int, n_ctx: int) -> int:
    """max_tokens clipped to the room left; PromptTooLongError if there is (almost) none."""
    room = n_ctx - len(tokens)
    if room < 16:
        raise PromptTooLongError(
            f"the prompt has {len(tokens)} tokens but the local model's context is {n_ctx}; "
            "raise SWITCHBOARD_LOCAL_CTX or lower the context token budget."
        )
    return min(max_tokens, room)


@functools.lru_cache(maxsize=64)
def _grammar(schema_json: str) -> Any:
    """A llama.cpp grammar for a JSON schema (memoized by the schema text)."""
    # Lazy: llama_cpp is heavy (it loads the native llama.cpp library).
    from llama_cpp import LlamaGrammar

    return LlamaGrammar.from_json_schema(schema_json, verbose=False)


def _env_int(name: str, default: int) -> int:
    """A positive integer from the environment, with a clear error for a bad value."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ModelConfigError(
            f"{name}={raw!r} is not an integer; set it to e.g. {default}."
        ) from exc
    if value <= 0:
        raise ModelConfigError(f"{name} must be positive (got {value}); e.g. {default}.")
    return value


def reset_cache(loaded: LoadedLlama) -> None:
    """Forget the evaluated tokens (the next decode starts cold; used by benchmarks)."""
    with loaded.lock:
        loaded.llama.reset()
