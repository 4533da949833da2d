"""The support domain's fact-sheet slots and how to find their values in messages."""

from __future__ import annotations

import re
from functools import cache

from conversation.facts import FactExtractor, SlotPattern, generic_patterns

PLAN_NAMES = {
    "unlimited max": "unlimited_max",
    "unlimited": "unlimited",
    "plus 40": "plus_40",
    "everyday 15": "everyday_15",
    "basic 5": "basic_5",
}
"""Plan names as customers say them → plan ids."""

ISSUES = {
    "no service": "no service",
    "no signal": "no service",
    "bars": "no service",
    "reception": "no service",
    "coverage": "no service",
    "slow": "slow data",
    "crawl": "slow data",
    "sluggish": "slow data",
    "lagg": "slow data",
    "forever": "slow data",
    "take ages": "slow data",
    "takes ages": "slow data",
    "buffering": "slow data",
    "mms": "MMS",
    "picture": "MMS",
    "pic": "MMS",
    "photo": "MMS",
    "image": "MMS",
    "roaming": "roaming",
    "internet": "no data",
    "data": "no data",
    "4g": "no data",
    "5g": "no data",
    "lte": "no data",
}
"""Words of a problem report → the fact sheet's issue label (first match wins)."""
_ISSUE_WORDS = (
    r"no service|no signal|(?:no|zero|0) bars|no (?:reception|coverage)|slow|mms"
    r"|crawl(?:s|ing)?|sluggish|lag(?:gy|ging)|takes? (?:forever|ages)|buffering"
    r"|(?:picture|pic|photo|image)s? "
    r"(?:messages?|texts?|won'?t send|wont send|don'?t send|not sending)"
    r"|(?:send|sending|receive|receiving)\s+(?:pictures?|pics?|photos?|images?)"
    r"|(?:picture|pic|photo|image)s? (?:in|by|via|over|through) (?:texts?|messages?)"
    r"|picture messages?"
    r"|(?:internet|mobile data|data|4g|5g|lte)(?=(?:\s+\S+){0,5}?\s+"
    r"(?:stopped|not working|isn'?t working|doesn'?t work|won'?t work|down|gone|dead)\b)"
    r"|no (?:internet|mobile data|data connection)"
)
_DEVICE_MODEL = r"\d+\w*|pro|max|plus|mini|ultra|se|lite|note|fold|flip|[a-z]\d+\w*"


def _plan_id(raw: str) -> str:
    lowered = raw.lower()
    return next((pid for name, pid in PLAN_NAMES.items() if name in lowered), lowered)


def _method_kind(raw: str) -> str:
    """How the customer wants to pay, as the account's payment methods say it: ``bank_debit``
    or ``card`` (a card brand names the card: ``amex``)."""
    lowered = " ".join(raw.lower().split())
    if lowered.startswith(("bank", "direct")):
        return "bank_debit"
    return {"american express": "amex"}.get(lowered, lowered if " " not in lowered else "card")


def _issue(raw: str) -> str:
    lowered = raw.lower()
    return next((label for word, label in ISSUES.items() if word in lowered), lowered)


ORDINALS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "1st": 1,
    "2nd": 2,
    "3rd": 3,
    "4th": 4,
}
"""Ordinal words → position ("my second line": the account's second line, by line id)."""

SUPPORT_PATTERNS = [
    *generic_patterns(phone_slot="phone_number", email_slot="email", name_slot="name"),
    SlotPattern("bill", re.compile(r"\b(?P<value>B\d{5})\b", re.IGNORECASE), str.upper),
    SlotPattern(
        "bill_ref",
        re.compile(
            r"\b(?P<value>latest|last|newest|most recent|current|this month'?s|recent)\s+"
            r"(?:bill|invoice|statement)\b",
            re.IGNORECASE,
        ),
        lambda _raw: "latest",
    ),
    SlotPattern("line", re.compile(r"\b(?P<value>L\d{4}-\d)\b", re.IGNORECASE), str.upper),
    SlotPattern(
        "line_ref",
        re.compile(
            r"\b(?P<value>first|second|third|fourth|1st|2nd|3rd|4th)\s+"
            r"(?:(?:phone|mobile|cell)\s+)?(?:line|number|sim|phone)\b",
            re.IGNORECASE,
        ),
        lambda raw: str(ORDINALS[raw.lower()]),
    ),
    SlotPattern(
        "payment_method",
        re.compile(
            r"\b(?P<value>bank(?:\s+account|\s+debit|\s+transfer)?|direct\s+debit|"
            r"(?:credit|debit)\s+card|(?<!sim\s)card|amex|american\s+express|visa|mastercard)\b",
            re.IGNORECASE,
        ),
        _method_kind,
    ),
    SlotPattern(
        "requested_plan",
        re.compile(r"\b(?P<value>unlimited max|unlimited|plus 40|everyday 15|basic 5)\b", re.I),
        _plan_id,
    ),
    SlotPattern(
        "device",
        re.compile(
            rf"\b(?P<value>(?:iphone|pixel|galaxy|moto|nokia|xperia)(?:\s+(?:{_DEVICE_MODEL})){{0,2}})\b",
            re.I,
        ),
        str.strip,
    ),
    SlotPattern(
        "issue",
        re.compile(rf"\b(?P<value>{_ISSUE_WORDS})\b", re.I),
        _issue,
    ),
]
"""Slots the support graph extracts from user messages (the engine's extractor applies them)."""


@cache
def support_extractor() -> FactExtractor:
    """The fact extractor of the support domain."""
    return FactExtractor(SUPPORT_PATTERNS)


TOPIC_PHRASES = {
    "requested_plan": "to {value}",
    "bill": "for bill {value}",
    "line": "on line {value}",
    "issue": "about {value}",
    "device": "for your {value}",
}
"""How a task slot reads after the task's name ("plan change" + "to Unlimited")."""
PLAN_TITLES = {plan_id: name.title() for name, plan_id in PLAN_NAMES.items()}
"""Plan ids → the plan as customers call it ("plus_40" → "Plus 40")."""


def topic_phrase(slot: str, value: str) -> str:
    """``value`` of ``slot`` as a phrase that follows a task's name ("" for other slots)."""
    template = TOPIC_PHRASES.get(slot)
    if template is None or not value:
        return ""
    shown = PLAN_TITLES.get(value, value) if slot == "requested_plan" else value
    return template.format(value=shown)


SUPPORT_WORDS = re.compile(
    r"\b(?:bills?|billing|pay(?:ment)?s?|plans?|data|roaming|lines?|phones?|account|sim|"
    r"e-?sim|signal|network|tickets?|charges?|top-?ups?|mms|support|verif\w*|transfer\w*|"
    r"human agent|colleague)\b",
    re.IGNORECASE,
)
"""Words of a reply that serves the support bot's tasks (a reply without any is off topic)."""
ACTION_LABELS = {
    "make_payment": "payment",
    "send_payment_request": "payment link",
    "change_plan": "plan change",
    "refuel_data": "data top-up",
    "toggle_roaming": "roaming change",
    "resume_line": "line reactivation",
    "open_ticket": "support ticket",
}
"""Write tools → how the bot names the change that waits for a yes ("your payment ...")."""
WRITE_PROPOSALS = {
    "send_payment_request": re.compile(r"\bpayment (?:link|request)\b", re.I),
    "make_payment": re.compile(r"\bpay(?:ing|ment)?\b", re.I),
    "change_plan": re.compile(r"\b(?:switch|change|upgrade|downgrade|move|put)\b.*\bplan\b", re.I),
    "refuel_data": re.compile(r"\b(?:add|top(?:-| )?up|refuel|buy)\b.*\b(?:gb|data)\b", re.I),
    "toggle_roaming": re.compile(r"\broaming\b", re.I),
    "resume_line": re.compile(r"\b(?:resume|reactivate|unsuspend|turn\b.*\bback on)\b", re.I),
    "open_ticket": re.compile(r"\bticket\b", re.I),
}
"""Write tools → the words of a free-text question that proposes their change (first wins)."""
WRITE_REQUESTS = {
    "send_payment_request": re.compile(
        r"\bpayment (?:link|request)\b|\blink\b.*\bpay\b|\bpay\b.*\blink\b", re.I
    ),
    "make_payment": re.compile(
        r"\b(?:pay|settle|clear)\b(?:\s+\S+){0,3}?\s+"
        r"(?:bills?|balance|it|off|now|B\d+|(?:what|everything) i owe"
        r"|(?:the )?(?:late|overdue) one)\b"
        r"|\b(?:pay|settle|clear)\b.*\b(?:overdue|late)\b",
        re.I,
    ),
    "change_plan": re.compile(
        r"\b(?:switch|change|upgrade|downgrade|move)\b(?:\s+\S+){0,5}?\s+(?:plan|to)\b", re.I
    ),
    "refuel_data": re.compile(
        r"\b(?:add|top(?:-| )?up|top \S+ up|refuel|buy)\b.*(?:\d|\b)(?:gb|gigs?|gigabytes?|data)\b",
        re.I,
    ),
    "toggle_roaming": re.compile(
        r"\b(?:turn|switch|put|enable|disable|activate|deactivate)\b.*\broaming\b", re.I
    ),
    "resume_line": re.compile(r"\b(?:resume|reactivate|unsuspend|turn\b.*\bback on)\b", re.I),
    "open_ticket": re.compile(
        r"\b(?:open|raise|file|log|create|submit|put in)\b.*\bticket\b", re.I
    ),
}
"""Write tools → the words of a customer's request that asks for their change (first wins).
Stricter than ``WRITE_PROPOSALS``: the customer must name the action, not only its topic."""
RESULT_QUESTIONS = {"line": re.compile(r"Which line\?")}
"""Tool arguments → how a tool's result asks the customer for them (the call is then held and
completed by the answer)."""
PERSON_REQUEST = re.compile(
    r"\b(?:human|person|people|agent|representative|rep|operator|manager|supervisor|colleague|"
    r"staff|team|bot|somebody real|someone real|someone from|somebody from|transfer|escalate)\b",
    re.IGNORECASE,
)
"""Words of a message that asks for a person (a handoff for an off-topic message needs them)."""
HOW_TO = re.compile(
    r"^\W*how (?:do|can|should|would) (?:i|you|we)\b|\bhow to\b|\bwhat(?:'s| is| are) the steps\b"
    r"|\b(?:set ?up|install|activate|configure|transfer|move)\b.*\b(?:e-?sim|sim|phone|number)\b"
    r".*\?",
    re.IGNORECASE,
)
"""A how-to question: the knowledge base answers it; it reports no fault."""
CALL_SLOTS = {"new_plan_id": "requested_plan", "bill_id": "bill", "line": "line"}
"""Tool arguments → the task slot they fill (a pending write's frame names what it will do)."""


WRITE_FACTS = {"change_plan": ("plan", "new_plan_id")}
"""Write tool → (fact slot, argument) recorded as a verified fact once the write succeeded."""
UNCHANGED_MARKER = "Nothing was changed"
"""What every declined, aborted or refused write says in its result."""
