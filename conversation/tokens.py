"""Token counting: the active model's tokenizer when one is at hand, a fast estimate otherwise."""

from __future__ import annotations

import atexit
import functools
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import tiktoken
from langchain_core.messages import AIMessage, BaseMessage
from tiktoken.model import encoding_name_for_model

MESSAGE_OVERHEAD = 5
"""Tokens a chat template spends around each message (ChatML: start, role, newline, end,
newline)."""

TOOL_CALL_OVERHEAD = 6
"""Tokens a chat template spends around each tool call (name, id and JSON framing)."""

_CACHE_LIMIT = 4096
"""Texts whose counts one counter remembers (the window is recounted every turn)."""

_WORDISH = re.compile(r"[A-Za-z]+|\d+|\s+|[^\sA-Za-z\d]")


@runtime_checkable
class TokenCounter(Protocol):
    """Counts tokens of texts and of chat messages for one model family."""

    name: str
    """Which tokenizer answers: ``approx``, ``tiktoken:<encoding>`` or ``gguf:<file>``."""

    def count(self, text: str) -> int:
        """Tokens in ``text``."""
        ...

    def count_messages(self, messages: Sequence[BaseMessage]) -> int:
        """Tokens the messages take in a prompt, with per-message and tool-call overhead."""
        ...


def message_text(message: BaseMessage) -> str:
    """The text of a message's content (text blocks of a list content are joined)."""
    content = message.content
    if isinstance(content, str):
        return content
    parts: list[str] = []
    for block in content:
        if isinstance(block, str):
            parts.append(block)
        elif isinstance(block, dict) and isinstance(block.get("text"), str):
            parts.append(block["text"])
    return "\n".join(parts)


def tool_calls_text(message: BaseMessage) -> list[str]:
    """Each tool call of an AI message rendered as ``name {json args}``."""
    if not isinstance(message, AIMessage):
        return []
    return [
        f"{call['name']} {json.dumps(call.get('args', {}), ensure_ascii=False, sort_keys=True)}"
        for call in message.tool_calls
    ]


class _CachedCounter:
    """Shared logic: message overhead, tool calls, and a bounded per-counter text cache."""

    name = "base"

    def __init__(self, encode_len: Callable[[str], int]) -> None:
        self._encode_len = encode_len
        self._cache: dict[str, int] = {}

    def count(self, text: str) -> int:
        """Tokens in ``text`` (remembered for recently seen texts)."""
        if not text:
            return 0
        cached = self._cache.get(text)
        if cached is not None:
            return cached
        value = self._encode_len(text)
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[text] = value
        return value

    def count_message(self, message: BaseMessage) -> int:
        """Tokens one message takes: content, name, tool calls and template overhead."""
        total = MESSAGE_OVERHEAD + self.count(message_text(message))
        if message.name:
            total += self.count(message.name)
        if isinstance(message, AIMessage) and message.tool_calls:
            for call in tool_calls_text(message):
                total += TOOL_CALL_OVERHEAD + self.count(call)
        return total

    def count_messages(self, messages: Sequence[BaseMessage]) -> int:
        """Tokens of all ``messages`` as one prompt."""
        return sum(self.count_message(message) for message in messages)


def approx_token_len(text: str) -> int:
    """Estimate BPE tokens: short words count one, long words one per ~4 letters, one per digit."""
    total = 0
    for piece in _WORDISH.findall(text):
        first = piece[0]
        if first.isspace():
            total += max(0, len(piece) - 1) // 4 + (1 if "\n" in piece else 0)
        elif first.isalpha():
            total += 1 if len(piece) <= 6 else 1 + (len(piece) - 3) // 4
        elif first.isdigit():
            total += len(piece)
        else:
            total += 1
    return total


class ApproxCounter(_CachedCounter):
    """Word-aware estimate close to (and slightly above) common BPE tokenizers on English."""

    name = "approx"

    def __init__(self) -> None:
        super().__init__(approx_token_len)


class TiktokenCounter(_CachedCounter):
    """Exact counts for OpenAI models through a locally cached tiktoken encoding."""

    def __init__(self, encoding: Any) -> None:
        super().__init__(lambda text: len(encoding.encode(text, disallowed_special=())))
        self.name = f"tiktoken:{encoding.name}"


class GGUFCounter(_CachedCounter):
    """Exact counts with a GGUF model's own vocabulary (llama.cpp, vocabulary only)."""

    def __init__(self, tokenize: Callable[[bytes], list[int]], label: str) -> None:
        super().__init__(lambda text: len(tokenize(text.encode("utf-8"))))
        self.name = f"gguf:{label}"


def _tiktoken_cache_dir() -> Path | None:
    """Where tiktoken keeps downloaded encodings (``None`` when caching is turned off)."""
    for var in ("TIKTOKEN_CACHE_DIR", "DATA_GYM_CACHE_DIR"):
        if var in os.environ:
            raw = os.environ[var]
            return Path(raw) if raw else None
    return Path(tempfile.gettempdir()) / "data-gym-cache"


def _tiktoken_offline(encoding_name: str) -> bool:
    """True when the encoding's BPE file is already cached, so loading it needs no network."""
    cache_dir = _tiktoken_cache_dir()
    if cache_dir is None:
        return False
    url = f"https://openaipublic.blob.core.windows.net/encodings/{encoding_name}.tiktoken"
    return (cache_dir / hashlib.sha1(url.encode()).hexdigest()).is_file()


def _tiktoken_counter(model_name: str) -> TokenCounter | None:
    """A tiktoken counter for an OpenAI model name, or ``None`` when it cannot load offline."""
    try:
        encoding_name = encoding_name_for_model(model_name)
    except KeyError:
        encoding_name = "o200k_base"
    if not _tiktoken_offline(encoding_name):
        return None
    return TiktokenCounter(tiktoken.get_encoding(encoding_name))


@functools.lru_cache(maxsize=8)
def _gguf_counter(model_path: str) -> TokenCounter | None:
    """A counter over a GGUF file's vocabulary (loaded once per path), or ``None``."""
    if not Path(model_path).is_file():
        return None
    try:
        # Lazy: llama_cpp is heavy (it loads the native llama.cpp library).
        from llama_cpp import Llama
    except ImportError:
        return None
    llama = Llama(model_path=model_path, vocab_only=True, verbose=False)
    atexit.register(llama.close)  # free it before interpreter teardown unloads llama.cpp
    return GGUFCounter(
        lambda data: llama.tokenize(data, add_bos=False, special=True), Path(model_path).name
    )


def _unwrap(model: Any) -> Any:
    """The chat model inside fallback wrappers (``.primary``) and bindings (``.bound``)."""
    for _ in range(4):
        inner = getattr(model, "primary", None) or getattr(model, "bound", None)
        if inner is None:
            break
        model = inner
    return model


def _resolved_path(model: Any) -> str | None:
    """The GGUF path a local chat model runs (``resolve_path()`` or ``model_path``)."""
    resolve = getattr(model, "resolve_path", None)
    if callable(resolve):
        try:
            return str(resolve())
        except Exception:  # a misconfigured model fails on its own call, with its own message
            return None
    path = getattr(model, "model_path", None)
    return str(path) if isinstance(path, str | Path) else None


def _counter_for_instance(model: Any) -> TokenCounter | None:
    """A tokenizer-backed counter for a chat-model object, when it exposes one."""
    model = _unwrap(model)
    for attr in ("client", "llama", "_llama"):
        inner = getattr(model, attr, None)
        tokenize = getattr(inner, "tokenize", None)
        if callable(tokenize) and hasattr(inner, "n_vocab"):
            label = Path(str(getattr(inner, "model_path", "model"))).name
            return GGUFCounter(functools.partial(tokenize, add_bos=False, special=True), label)
    path = _resolved_path(model)
    if path is not None:
        return _gguf_counter(path)
    name = getattr(model, "model_name", None) or getattr(model, "model", None)
    if isinstance(name, str) and type(model).__name__.lower().startswith(("chatopenai", "azure")):
        return _tiktoken_counter(name)
    return None


def _counter_for_spec(spec: str, model_path: str | None) -> TokenCounter | None:
    """A tokenizer-backed counter for a model spec string, when one is available offline."""
    provider, _, rest = spec.partition(":")
    if provider == "openai" and rest:
        return _tiktoken_counter(rest)
    if provider == "local":
        path = rest or model_path
        return _gguf_counter(path) if path else None
    if spec.endswith(".gguf"):
        return _gguf_counter(spec)
    return None


@functools.lru_cache(maxsize=1)
def _approx() -> TokenCounter:
    """The shared estimate counter (one per process)."""
    return ApproxCounter()


def get_counter(model: Any = None, *, model_path: str | None = None) -> TokenCounter:
    """The token counter for a model spec (``local:/x.gguf``, ``openai:gpt-4o``) or chat model.

    ``local`` with no path uses ``model_path`` when given. Falls back to the word-aware
    estimate when no tokenizer is available offline (no network is ever used).
    """
    counter: TokenCounter | None = None
    if isinstance(model, str):
        counter = _counter_for_spec(model.strip(), model_path)
    elif model is not None:
        counter = _counter_for_instance(model)
    elif model_path:
        counter = _gguf_counter(model_path)
    return counter or _approx()
