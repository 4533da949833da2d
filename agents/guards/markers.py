"""Injection, jailbreak and abuse markers, matched on normalised text (see ``normalize``)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from agents.guards.normalize import Normalized

_TOOL_NAMES = (
    "list_bills|explain_bill|check_overdue|make_payment|send_payment_request|change_plan|"
    "refuel_data|toggle_roaming|resume_line|open_ticket|transfer_to_human|verify_customer|"
    "line_status|price_plan_change|run_diagnostic|search_kb|list_plans"
)
_RULES = (
    r"(instructions?|rules?|prompts?|directions?|guidelines?|polic(?:y|ies)|constraints?|"
    r"guardrails?|programming|directives?|safeguards?|restrictions?)"
)
_STAFF = (
    r"(admin(istrator)?|developer|engineer|supervisor|manager|employee|staff( member)?|"
    r"technician|security team|fraud team|ceo|operator|sysadmin|system owner)"
)
_PEOPLE = (
    r"(friend|neighbou?r|wife|husband|partner|boss|mother|father|mom|mum|dad|son|daughter|"
    r"brother|sister|ex|colleague|co-?worker|roommate|flatmate|client)"
)


@dataclass(frozen=True)
class Marker:
    """One pattern and the flag it raises."""

    flag: str
    pattern: re.Pattern[str]


def _m(flag: str, pattern: str) -> Marker:
    return Marker(flag, re.compile(pattern))


MARKERS: tuple[Marker, ...] = (
    # Instruction override and fake conversation structure.
    _m(
        "injection",
        r"\b(ignore|disregard|forget|override|bypass|overrule|drop|abandon|set aside)\b"
        r"[^.!?\n]{0,40}?\b(previous|prior|above|earlier|preceding|all|any|your|the|system|"
        r"original|initial|these|those|every)\b[^.!?\n]{0,30}?\b" + _RULES,
    ),
    _m(
        "injection",
        r"\b(new|updated|revised|real|actual|secret|hidden|true)\s+(system\s+)?"
        r"(instructions?|rules|prompt|directives?|orders)\s*[:\-=]",
    ),
    _m("injection", r"(^|\n)\s*(system|assistant|developer|tool)\s*(message|prompt)?\s*:\s*\S"),
    _m(
        "injection",
        r"<\|?\s*/?\s*(im_start|im_end|system|endoftext|eot_id|start_header_id|"
        r"end_header_id|assistant|user)\s*\|?>",
    ),
    _m(
        "injection",
        r"\[/?\s*(inst|sys|system)\s*\]|<<\s*/?\s*sys\s*>>|"
        r"</?\s*(system|instructions?|admin|tool_call|function_call|policy)\s*>",
    ),
    _m("injection", r"#{2,}\s*(system|instruction|new task|admin)"),
    _m("injection", r"\b(" + _TOOL_NAMES + r")\s*\("),
    _m("injection", r"\"(name|tool|function|tool_name)\"\s*:\s*\"(" + _TOOL_NAMES + r")\""),
    _m(
        "injection",
        r"\b(call|invoke|execute|run|trigger|use)\s+(the\s+)?("
        + _TOOL_NAMES
        + r")\b[^.!?\n]{0,40}\b(customer|c\d{4}|for|with|bill|line)",
    ),
    _m(
        "injection",
        r"\b(note|message|instructions?|memo)s? (to|for) (the |any |all )?"
        r"(ai|assistant|bot|model|llm|chatbot|agent)s?\b",
    ),
    _m(
        "injection",
        r"\b(ai|assistant|bot|model|llm|chatbot|agent)s? (reading|processing|"
        r"seeing|parsing|summari[sz]ing|retrieving) (this|these)\b",
    ),
    _m(
        "injection",
        r"\b(do not|don'?t|never)\s+(tell|inform|mention to|reveal to|alert)\s+"
        r"(the\s+)?(user|customer|human)\b",
    ),
    _m(
        "injection",
        r"\b(end of|ignore the) (conversation|context|document|passage)\b"
        r"[^.!?\n]{0,40}\b(now|new|instead)\b",
    ),
    # Jailbreaks: personas without rules, special modes.
    _m(
        "jailbreak",
        r"\b(you are|you're|you will be|from now on,? you( are|'re)?|you have become)"
        r"\s+(now\s+)?(an?\s+|my\s+|the\s+)?(dan|evil|unfiltered|uncensored|unrestricted|"
        r"jailbroken|rogue|hacker|unaligned)\b",
    ),
    _m(
        "jailbreak",
        r"\bdan\b[^.!?\n]{0,40}\bdo anything now\b|\bstands for\W+do anything now\b|"
        r"\b(as|you are|act as|enable|activate|now) dan\b|\bdan mode\b",
    ),
    _m("jailbreak", r"\b(god|unrestricted|jailbreak|sudo|opposite|evil|chaos|unfiltered)\s+mode\b"),
    _m(
        "jailbreak",
        r"\b(you|your|yourself|assistant|bot|ai)\b[^.!?\n]{0,30}?"
        r"\b(developer|admin|debug|root|maintenance)\s+mode\b",
    ),
    _m(
        "jailbreak",
        r"\b(you|your|yourself|assistant|bot|ai|answer|respond|reply|speak|talk)\b"
        r"[^.!?\n]{0,30}?\b(no|without|free of|free from|ignore( all)?|remove( all)?|"
        r"disable( all)?)\s+(any\s+|your\s+|the\s+|all\s+)?(restrictions|limitations|filters|"
        r"filtering|rules|guidelines|polic(y|ies)|safety|censorship|guardrails|ethics|morals)\b",
    ),
    _m("jailbreak", r"\b(stay|remain|keep) in character\b|\bbreak(ing)? character\b"),
    _m("jailbreak", r"\bjail ?break(s|ing|ed)?\b"),
    _m(
        "jailbreak",
        r"\b(pretend|imagine|roleplay|role-play|role play|act as|acting as|"
        r"play the role|simulate|impersonate|you are playing|let'?s play)\b[^.!?\n]{0,60}?"
        r"\b(no rules|no restrictions|(do|say) anything|another customer|other customer|"
        + _STAFF
        + r"|human agent|bluebell (staff|employee|agent)|system|hacker|unfiltered|"
        r"without (rules|limits))",
    ),
    _m(
        "jailbreak",
        r"\b(grandma|grandmother|granny|nana)\b[^.!?\n]{0,80}\b(used to|would)\b"
        r"[^.!?\n]{0,60}\b(read|tell|recite|say)\b",
    ),
    # Attempts to read the hidden prompt.
    _m(
        "prompt_leak",
        r"\b(reveal|show|print|display|repeat|output|tell me|give me|share|leak|"
        r"dump|recite|copy|what (is|are|were))\b[^.!?\n]{0,30}?\b(your|the)\b[^.!?\n]{0,20}?"
        r"\b(system|initial|original|hidden|secret|internal|developer|full|exact)\s+"
        r"(prompt|instructions?|message|rules|polic(y|ies)|configuration|config)\b",
    ),
    _m(
        "prompt_leak",
        r"\b(repeat|print|output|recite|copy)\b[^.!?\n]{0,25}\b(everything|all|"
        r"the text|the words|verbatim)\b[^.!?\n]{0,25}\b(above|before this|so far)\b",
    ),
    _m("prompt_leak", r"\bwhat (were|are) you (told|instructed|programmed)\b"),
    # Claims of authority that should change what the bot may do.
    _m(
        "authority",
        r"\b(i am|i'm|this is|as|speaking as)\s+(an?\s+|the\s+|your\s+)?"
        r"(bluebell\s+)?" + _STAFF + r"\b[^.!?\n]{0,50}?\b(override|authori[sz]e|grant|"
        r"bypass|permission|clearance|mode|approve|unlock|access to (all|any|every|other))",
    ),
    _m(
        "authority",
        r"\b(override|employee|staff|supervisor|master)\s+(code|token|key|"
        r"password|clearance|pin)\b|\badmin (code|token|clearance|override|access)\b",
    ),
    # Skipping the in-code confirmation.
    _m(
        "confirmation_bypass",
        r"\b(already|previously)\s+(confirmed|approved|agreed|"
        r"authori[sz]ed|said yes|consented|accepted|gave (my )?(consent|approval|confirmation))\b",
    ),
    _m(
        "confirmation_bypass",
        r"\b(skip|bypass|without|no need (for|to)|don'?t need( to)?|"
        r"do not need( to)?|don'?t ask|do not ask|stop asking|never ask|no more)\b"
        r"[^.!?\n]{0,25}?\b(confirm\w*|approv\w*|double.?check\w*|asking me)\b",
    ),
    _m(
        "confirmation_bypass",
        r"\b(consider|treat|take) (it|this|that|my message|this message)"
        r" as (my )?(a )?(confirm\w*|approv\w*|yes)\b",
    ),
    # Rewriting the price.
    _m(
        "price_tamper",
        r"\b(set|change|make|override|adjust|lower|drop|reduce)\s+(the\s+|my\s+)?"
        r"(price|cost|charge|fee|amount|total|bill)\s+(to|down to|at)\s+(\$?\s?\d|zero|nothing|"
        r"free)",
    ),
    _m(
        "price_tamper",
        r"\b(apply|give me|add|use)\s+(an?\s+|the\s+|my\s+)?((100 ?%|full|total|free|"
        r"employee|staff|secret|special|internal)\s+){1,3}(discount|credit|waiver|refund)\b",
    ),
    _m(
        "price_tamper",
        r"\b(waive|cancel|remove|delete|erase|forgive)\s+(all|every|the|my)\s+"
        r"(fees|charges|bills|debts?|balance|late fees?)\b[^.!?\n]{0,20}\b(without|and don'?t|"
        r"no questions)",
    ),
    _m("price_tamper", r"\bcharge me (only|just)?\s*(\$?\s?0\b|\$?\s?1\b|zero|nothing)"),
    # Reaching for other people's data.
    _m(
        "cross_account",
        r"(\b(another|other|different|random|any)\s+(customer|subscriber|user|"
        r"person|caller)('s|s'|s’|’s)|\bsome(one|body) else'?s)\s[^.!?\n]{0,20}?"
        r"\b(account|bills?|line|number|plan|data|payments?|cards?|details|address|"
        r"date of birth|info\w*)",
    ),
    _m(
        "cross_account",
        r"\b(account|bills?|details|data|lines?|numbers?|records?)\s+(of|for|"
        r"belonging to)\s+(another|a different|some other|other|someone else|somebody else|"
        r"all|every)\s*(customers?|subscribers?|persons?|users?|people)?\b",
    ),
    _m(
        "cross_account",
        r"\b(all|every|each|list( of)?( all)?|dump( of)?|export( all)?)\s+"
        r"(the\s+|your\s+)?(customers?|subscribers?|users)('s?)?\b[^.!?\n]{0,30}?"
        r"\b(accounts?|bills?|lines|numbers|data|details|records|database|emails|cards|names)\b",
    ),
    _m("cross_account", r"\b(customer|user|account|subscriber) (database|table|list|records)\b"),
    _m(
        "cross_account",
        r"\b(look ?up|access|open|show|pull up|check)\s+(the\s+)?(account|bills?|"
        r"line|details)\s+(of|for|belonging to)\s+(my\s+)?" + _PEOPLE + r"\b[^.!?\n]{0,20}?"
        r"\b(without|they don'?t know|secretly|behind)",
    ),
)
"""Blocking markers, by flag. Each runs on every normalised view of a message."""

COMPACT_PHRASES: dict[str, tuple[str, ...]] = {
    "injection": (
        "ignorepreviousinstructions",
        "ignoreallpreviousinstructions",
        "ignoreallinstructions",
        "ignoreyourinstructions",
        "disregardpreviousinstructions",
        "disregardallinstructions",
        "forgetyourinstructions",
        "forgetallpreviousinstructions",
        "newsysteminstructions",
    ),
    "prompt_leak": ("revealyoursystemprompt", "printyoursystemprompt", "showmeyoursystemprompt"),
}
"""Strong phrases looked up in the letters-only view (catches ``i-g-n-o-r-e p.r.e.v.i.o.u.s``)."""

ROLE_PLAY_HINT = re.compile(
    r"\b(pretend|imagine|role-?play|role play|act as|acting as|play the role|simulate|"
    r"impersonate|you are now|from now on|let'?s play|hypothetically|in a story|write a story)\b"
)
"""A weak sign of a role-play jailbreak; blocking only when the classifier says off-topic."""

PRICE_CLAIM = re.compile(
    r"\b(for|at|to|only|just|promised( me)?|quoted( me)?|told me( it was)?)\s+(only\s+|just\s+)?"
    r"(\$\s?\d+(\.\d{1,2})?|free\b|nothing\b|half( the)? price|zero dollars)"
)
"""A customer stating their own price: noted (the tools charge the stored price anyway)."""

CUSTOMER_ID = re.compile(r"\bc-?(\d{4})\b")
"""Customer ids as written in messages (``C1002``, ``c-1002``) in folded text."""


def scan(norm: Normalized) -> list[str]:
    """Blocking flags raised by any view of the message, in first-seen order."""
    flags: list[str] = []
    for marker in MARKERS:
        if marker.flag in flags:
            continue
        if any(marker.pattern.search(view) for view in norm.views):
            flags.append(marker.flag)
    for flag, phrases in COMPACT_PHRASES.items():
        if flag not in flags and any(phrase in norm.compact for phrase in phrases):
            flags.append(flag)
    return flags


def scan_plain(text: str) -> list[str]:
    """Flags the raw lower-cased text raises without any normalisation (to spot obfuscation)."""
    lowered = text.lower()
    return [m.flag for m in MARKERS if m.pattern.search(lowered)]


def other_customer_ids(norm: Normalized, customer_id: str | None) -> list[str]:
    """Customer ids named in the message that are not the signed-in customer's."""
    own = (customer_id or "").strip().upper().lstrip("C")
    found = {m.group(1) for view in norm.views for m in CUSTOMER_ID.finditer(view)}
    return sorted(f"C{digits}" for digits in found if digits != own)


def role_play_hint(norm: Normalized) -> bool:
    """True when the message sets up a role play or hypothetical (a weak jailbreak sign)."""
    return any(ROLE_PLAY_HINT.search(view) for view in norm.views)


def price_claim(norm: Normalized) -> bool:
    """True when the customer names a price of their own."""
    return bool(PRICE_CLAIM.search(norm.folded))
