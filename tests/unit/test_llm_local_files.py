"""Pinned model files: assembly from parts, sha256/size refusal, verification marker, lookup."""

from __future__ import annotations

import hashlib
import os
from dataclasses import replace
from pathlib import Path

import pytest

from llm.errors import ModelConfigError, ModelFileError
from llm.local_files import (
    PINNED_MODELS,
    QWEN_1_5B,
    PackagePart,
    PinnedModel,
    assemble,
    ensure_model,
    locate_parts,
    verify_file,
)


def make_parts(tmp_path: Path) -> tuple[PinnedModel, list[Path]]:
    """Three small part files and a PinnedModel pinned to their concatenation."""
    chunks = [b"GGUF" + os.urandom(1000), os.urandom(2048), os.urandom(17)]
    parts = []
    for index, chunk in enumerate(chunks, start=1):
        part = tmp_path / f"part{index:02d}.bin"
        part.write_bytes(chunk)
        parts.append(part)
    whole = b"".join(chunks)
    model = PinnedModel(
        key="tiny",
        title="Tiny test model",
        filename="tiny.gguf",
        size=len(whole),
        sha256=hashlib.sha256(whole).hexdigest(),
        parts=(),
        install_hint="reinstall the test parts",
    )
    return model, parts


def test_assemble_concatenates_in_order_and_leaves_no_temp_file(tmp_path: Path) -> None:
    model, parts = make_parts(tmp_path)
    target = tmp_path / "out" / model.filename
    target.parent.mkdir()
    assemble(model, parts, target, progress=False)
    assert target.read_bytes() == b"".join(p.read_bytes() for p in parts)
    assert [p.name for p in target.parent.iterdir()] == [model.filename]


def test_assembly_with_a_wrong_hash_is_refused_and_cleaned_up(tmp_path: Path) -> None:
    model, parts = make_parts(tmp_path)
    wrong = replace(model, sha256="0" * 64)
    target = tmp_path / "out.gguf"
    with pytest.raises(ModelFileError, match=r"sha256 .* expected 0{64}.*refused"):
        assemble(wrong, parts, target, progress=False)
    assert not target.exists()
    assert not list(tmp_path.glob(".out.gguf.*.partial"))


def test_assembly_with_a_missing_part_is_refused_by_size(tmp_path: Path) -> None:
    model, parts = make_parts(tmp_path)
    with pytest.raises(ModelFileError, match="incomplete or corrupted"):
        assemble(model, parts[:2], tmp_path / "out.gguf", progress=False)


def test_verify_writes_a_marker_and_notices_a_changed_file(tmp_path: Path) -> None:
    model, parts = make_parts(tmp_path)
    target = tmp_path / "model.gguf"
    assemble(model, parts, target, progress=False)
    cache = tmp_path / "cache"
    cache.mkdir()
    verify_file(target, model, cache, progress=False)
    assert (cache / ".tiny.sha256-ok").exists()
    verify_file(target, model, cache, progress=False)  # marker hit
    data = bytearray(target.read_bytes())
    data[10] ^= 0xFF
    target.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="sha256"):
        verify_file(target, model, cache, progress=False)


def test_verify_refuses_a_short_file_before_hashing(tmp_path: Path) -> None:
    model, parts = make_parts(tmp_path)
    with pytest.raises(ModelFileError, match=f"has 17 bytes, expected {model.size:,}"):
        verify_file(parts[2], model, tmp_path, progress=False)


def test_locate_parts_names_a_missing_package() -> None:
    missing = replace(QWEN_1_5B, parts=(PackagePart("no-such-dist-xyz", "1.0", "x/part01.bin"),))
    with pytest.raises(
        ModelConfigError, match=r"no-such-dist-xyz==1\.0 is not installed; run `uv sync`"
    ):
        locate_parts(missing)


def test_locate_parts_checks_the_pinned_version() -> None:
    part = PINNED_MODELS["qwen2.5-coder-1.5b"].parts[0]
    wrong = replace(QWEN_1_5B, parts=(replace(part, version="9.9.9"),))
    with pytest.raises(ModelConfigError, match=r"but 9\.9\.9 is pinned"):
        locate_parts(wrong)


def test_the_pinned_1_5b_parts_are_installed_in_order() -> None:
    paths = locate_parts(QWEN_1_5B)
    assert len(paths) == 22
    assert [p.name for p in paths][:2] == ["part01.bin", "part02.bin"]
    assert sum(p.stat().st_size for p in paths) == QWEN_1_5B.size


def test_unknown_pinned_model_lists_the_known_ones() -> None:
    with pytest.raises(ModelConfigError, match=r"qwen2\.5-coder-1\.5b"):
        ensure_model("gpt-5")


def test_model_dir_can_be_shared_across_data_dirs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from llm.local_files import models_dir

    monkeypatch.setenv("SWITCHBOARD_MODEL_CACHE", str(tmp_path / "shared-models"))
    assert models_dir() == tmp_path / "shared-models"
    assert models_dir().is_dir()
