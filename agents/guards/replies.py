"""What the bot says instead when a guard stops a message or a reply (no figures, no data)."""

from __future__ import annotations

SCOPE = "your own account, bills, plans and any technical problem with your line"

SAFE_REPLIES: dict[str, str] = {
    "wrong_type": "I can only read text messages. Please type what you need help with.",
    "empty": "Your message was empty. Please type what you need help with.",
    "oversized": (
        "That message is too long for me to handle in one go. Please send a shorter message, "
        "or split it into a few parts."
    ),
    "invalid_encoding": (
        "Part of your message came through garbled, so I couldn't read it. Could you type it "
        "again in plain text?"
    ),
    "binary": (
        "Your message looks like binary data or a file rather than text. I can only read typed "
        "text; please describe what you need help with."
    ),
    "hidden_text": (
        "Your message contains hidden characters that I can't act on. Please type your request "
        f"in plain text. I can help with {SCOPE}."
    ),
    "flood": (
        "I've received the same message several times. I'm here; tell me in one message what "
        "you need and I'll take it from there."
    ),
    "injection": (
        "I can't follow instructions that try to change how I work. I'm the support assistant, "
        f"and I can help with {SCOPE}. What can I do for you?"
    ),
    "jailbreak": (
        "I'm not able to take on other roles or set my rules aside. I'm the support assistant, "
        f"and I can help with {SCOPE}. What can I do for you?"
    ),
    "prompt_leak": (
        "I can't share my internal instructions, but I'm happy to help with "
        f"{SCOPE}. What can I do for you?"
    ),
    "authority": (
        "I can't grant extra access based on a claim made in the chat, and there's no code "
        f"that changes what I may do. I can help with {SCOPE}. What can I do for you?"
    ),
    "confirmation_bypass": (
        "For your protection, I ask you to confirm every change here, right before I make "
        "it; a confirmation given earlier or elsewhere can't be used. Tell me what you'd like "
        "to change and I'll show you the exact details to confirm."
    ),
    "price_tamper": (
        "I can't set or change prices myself. Every change is charged at the price in our "
        "system, and I'll show you that exact price before you confirm anything. Would you "
        "like me to look up the current prices?"
    ),
    "cross_account": (
        "I can only access the account you're signed in with, and I can't look up or change "
        "anyone else's account. If someone else needs help, they can contact us themselves. "
        "What can I do for you on your own account?"
    ),
}
"""Redirect for each blocking input flag (the first flag in ``FLAG_PRIORITY`` order wins)."""

FLAG_PRIORITY: tuple[str, ...] = (
    "wrong_type",
    "empty",
    "oversized",
    "invalid_encoding",
    "binary",
    "hidden_text",
    "flood",
    "cross_account",
    "confirmation_bypass",
    "price_tamper",
    "authority",
    "prompt_leak",
    "jailbreak",
    "injection",
)
"""Which flag's reply is used when several are raised: the most specific, actionable one."""

UNGROUNDED_FALLBACK = (
    "I'm sorry, I couldn't check every detail of my answer against your account records, so "
    "I won't guess. I can look it up again for you, or connect you with a colleague. What "
    "would you prefer?"
)
"""Replaces a reply that stated figures no tool, fact or passage supports (after one retry)."""


def safe_reply_for(flags: list[str]) -> str:
    """The redirect for the highest-priority flag in ``flags``."""
    for flag in FLAG_PRIORITY:
        if flag in flags:
            return SAFE_REPLIES[flag]
    return SAFE_REPLIES["injection"]
