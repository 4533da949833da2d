"""PII masking of log records: filter, formatter, record factory and trace payloads."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from agents.guards.logging import (
    PiiMaskingFilter,
    PiiMaskingFormatter,
    install_pii_masking,
    mask_payload,
    mask_text,
    masking_installed,
)

CARD = "4111 1111 1111 1111"
DOB = "1988-03-14"


@pytest.fixture
def restore_factory() -> Iterator[None]:
    """Put the process's log-record factory back after the test."""
    previous = logging.getLogRecordFactory()
    yield
    logging.setLogRecordFactory(previous)


def _logger_with(stream: io.StringIO, **handler_setup: object) -> logging.Logger:
    logger = logging.getLogger(f"test.guard.logging.{id(stream)}")
    logger.propagate = False
    handler = logging.StreamHandler(stream)
    if "filter" in handler_setup:
        handler.addFilter(handler_setup["filter"])  # type: ignore[arg-type]
    if "formatter" in handler_setup:
        handler.setFormatter(handler_setup["formatter"])  # type: ignore[arg-type]
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    return logger


def test_mask_text_hides_cards_and_dates_of_birth() -> None:
    masked = mask_text(f"card {CARD}, date of birth {DOB}, date_of_birth: {DOB}")
    assert "4111 1111" not in masked
    assert DOB not in masked
    assert "1111" in masked  # the last four digits stay for the customer


def test_keyed_birth_dates_are_masked_in_json_and_structures() -> None:
    as_json = mask_text(f'{{"date_of_birth": "{DOB}", "birth-date": "14/03/1988"}}')
    assert DOB not in as_json and "14/03/1988" not in as_json
    withheld = mask_payload({"args": {"dob": "14 March 1988", "card_number": "4111"}})
    assert withheld == {"args": {"dob": "[withheld]", "card_number": "[withheld]"}}


def test_words_that_merely_contain_dob_keep_their_dates() -> None:
    assert mask_text(f"adobe invoice {DOB}") == f"adobe invoice {DOB}"


def test_filter_masks_arguments_and_exceptions() -> None:
    stream = io.StringIO()
    logger = _logger_with(stream, filter=PiiMaskingFilter())
    logger.info("payment with %s for customer born %s", CARD, DOB)
    try:
        raise ValueError(f"card {CARD} declined")
    except ValueError:
        logger.exception("failed")
    output = stream.getvalue()
    assert "payment with" in output and "failed" in output
    assert "4111 1111 1111 1111" not in output
    assert DOB not in output


def test_formatter_masks_the_whole_line() -> None:
    stream = io.StringIO()
    formatter = PiiMaskingFormatter("%(message)s %(card)s")
    logger = _logger_with(stream, formatter=formatter)
    logger.info("extra field", extra={"card": CARD})
    assert CARD not in stream.getvalue()
    assert "extra field" in stream.getvalue()


@pytest.mark.usefixtures("restore_factory")
def test_install_masks_every_record_at_creation(caplog: pytest.LogCaptureFixture) -> None:
    install_pii_masking()
    install_pii_masking()  # idempotent
    assert masking_installed()
    with caplog.at_level(logging.INFO):
        logging.getLogger("switchboard.anything").info("dob %s card %s", DOB, CARD)
    assert caplog.records
    text = caplog.text + " ".join(r.getMessage() for r in caplog.records)
    assert CARD not in text and DOB not in text


def test_mask_payload_walks_nested_structures() -> None:
    payload = {"messages": [{"content": f"my card is {CARD}"}], "n": 3, "ok": True, "t": (DOB,)}
    masked = mask_payload(payload)
    assert masked["n"] == 3 and masked["ok"] is True
    assert CARD not in str(masked)
    assert isinstance(masked["t"], tuple)


def test_a_bad_format_string_is_still_logged() -> None:
    stream = io.StringIO()
    logger = _logger_with(stream, filter=PiiMaskingFilter())
    logger.info("two args %s %s", CARD)
    assert CARD not in stream.getvalue()
    assert "two args" in stream.getvalue()


def test_json_log_extras_are_masked() -> None:
    from app.observability.logs import JsonFormatter

    record = logging.LogRecord("t", logging.INFO, __file__, 1, "paid", None, None)
    record.card_number = CARD
    record.note = f"born on {DOB}"
    line = JsonFormatter().format(record)
    assert CARD not in line and DOB not in line and '"card_number": "[withheld]"' in line


def test_http_app_installs_log_masking(restore_factory: None) -> None:
    from app.server.app import create_app
    from app.server.settings import ServerSettings

    logging.setLogRecordFactory(logging.LogRecord)
    create_app(ServerSettings(model="scripted", api_tokens={"t": "C1001"}))
    assert masking_installed()
