"""The web chat page in real headless Chromium: two tabs, two customers, a confirmation clicked."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.server.launcher import ServerProcess, serve_subprocess
from tests.support_helpers import letters_ref

pytestmark = pytest.mark.timeout(600)

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
IDLE = "() => !document.querySelector('.msg.pending') && !document.getElementById('send').disabled"


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    """One worker on the session's SQLite data dir, scripted model, dev login on."""
    if not CHROMIUM.exists():
        message = "Debian's chromium is not installed; scripts/test.sh installs it (apt-get)."
        if os.environ.get("SWITCHBOARD_REQUIRE_SERVICES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    from agents.intent_classifier import IntentClassifier

    IntentClassifier.load()  # train once here; the server reads the cached model
    env = {
        "SWITCHBOARD_MODEL": "scripted",
        "SWITCHBOARD_DATABASE_URL": "",
        "SWITCHBOARD_REDIS_URL": "",
        "SWITCHBOARD_RATE_LIMIT_CUSTOMER": "off",
        "SWITCHBOARD_RATE_LIMIT_IP": "off",
    }
    with serve_subprocess(env, workers=1, extra_args=("--dev-login",)) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


def sign_in(page: Any, url: str, customer: str) -> None:
    page.goto(url)
    page.wait_for_selector("#dev-customer option", state="attached")
    page.select_option("#dev-customer", customer)
    page.click("[data-testid=sign-in]")
    page.wait_for_selector("#chat:not([hidden])")
    page.wait_for_function(IDLE, polling=100)


def send(page: Any, text: str) -> None:
    page.fill("[data-testid=input]", text)
    page.click("[data-testid=send]")
    page.wait_for_function(
        "(text) => [...document.querySelectorAll('.msg.user .body')]"
        ".some(node => node.textContent === text)",
        arg=text,
        polling=100,
    )
    page.wait_for_function(IDLE, polling=100)


def transcript(page: Any) -> str:
    return str(page.inner_text("[data-testid=messages]"))


def test_two_tabs_chat_as_two_customers_and_confirm_a_write(
    server: ServerProcess, browser: Any, artifacts_dir: Path
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    alice, bob = context.new_page(), context.new_page()  # two tabs of one browser window
    errors: list[str] = []
    for page in (alice, bob):
        page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(alice, server.url, "C1001")
    sign_in(bob, server.url, "C1002")
    assert alice.inner_text("[data-testid=customer]") == "C1001"
    assert bob.inner_text("[data-testid=customer]") == "C1002"
    assert alice.inner_text("[data-testid=thread]") != bob.inner_text("[data-testid=thread]")

    send(alice, "show my bills")
    send(bob, "what plans are there")
    assert "list_bills" in transcript(alice) and "Bills on this account" in transcript(alice)
    assert alice.inner_text("[data-testid=agent]").lower() == "billing"
    assert "what plans are there" in transcript(bob)
    assert bob.inner_text("[data-testid=agent]").lower() == "plan change"

    ref = letters_ref(6)
    send(alice, f"please open a ticket, my data is slow (ref {ref})")
    alice.wait_for_selector("[data-testid=confirm]:not([hidden])")
    assert "Open a support ticket" in alice.inner_text("[data-testid=confirm]")
    alice.click("#ledger-panel summary")
    alice.wait_for_selector("#ledger .entry")
    alice.screenshot(path=str(artifacts_dir / "web-chat-confirm.png"))

    alice.click("[data-testid=confirm-yes]")
    alice.wait_for_function(
        "() => document.getElementById('confirm').hidden && "
        "document.querySelector('[data-testid=messages]').innerText.includes('Ticket ')",
        polling=100,
    )
    alice.wait_for_function(IDLE, polling=100)
    assert "opened" in transcript(alice)

    bob.reload()  # the tab keeps its own session across a reload (sessionStorage)
    bob.wait_for_selector("#chat:not([hidden])")
    bob.wait_for_function(IDLE, polling=100)
    assert bob.inner_text("[data-testid=customer]") == "C1002"
    for text in ("show my bills", "Bills on this account", ref, "Ticket"):
        assert text not in transcript(bob)  # Alice's conversation never shows in Bob's tab
    for text in ("what plans are there", "Bluebell Mobile plans"):
        assert text not in transcript(alice)
    alice.screenshot(path=str(artifacts_dir / "web-chat-alice.png"), full_page=True)
    bob.screenshot(path=str(artifacts_dir / "web-chat-bob.png"), full_page=True)
    assert errors == []
    context.close()
