"""Tech-support tools: line status, guided diagnostics, resuming a line, support tickets."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from langchain.tools import ToolRuntime, tool
from langchain_core.messages import ToolMessage
from langchain_core.tools import BaseTool

from tools.auth import Session, open_session, own_line
from tools.store import Line, StoreWriter, money
from tools.write_flow import Quote, confirmed_write

Problem = Literal["no_service", "slow_data", "mms"]
TicketCategory = Literal["no_service", "slow_data", "mms", "device", "billing", "other"]
REASONS = {
    "non_payment": "non-payment",
    "customer_request": "customer request",
    "lost_device": "lost or stolen device",
}
MAX_TICKET_CHARS = 1000
APN_STEP = (
    "Reset the APN: Settings > Mobile network > Access Point Names > Reset to default "
    "(Bluebell APN 'bluebell'), then restart the phone."
)


def _device_label(line: Line) -> str:
    d = line.device
    sim = "eSIM" if d.sim_type == "esim" else "physical SIM"
    return f"{d.model} ({sim}, {'5G' if d.supports_5g else '4G'})"


def describe_line(line: Line) -> str:
    """Full factual status of one line."""
    status = line.status
    if line.suspension_reason:
        status += f" ({REASONS.get(line.suspension_reason, line.suspension_reason)})"
    if line.status == "pending":
        status += f" activation, requested {line.activation_date}"
    return (
        f"{line.label}: {status}. Plan {line.plan.name}, "
        f"{money(line.plan.monthly_price_cents)}/month. Roaming "
        f"{'on' if line.roaming_enabled else 'off'}; {line.plan.roaming_label}. Data this "
        f"cycle (since {line.cycle_start}): {line.data_label()}. Contract ends "
        f"{line.contract_end_date}. Device: {_device_label(line)}."
    )


@tool(parse_docstring=True)
def line_status(line: str | None = None, *, runtime: ToolRuntime[Any, Any]) -> str:
    """Show the status of the customer's lines: active/suspended/pending, plan, data, device.

    Not for a problem (no service, slow or broken mobile data, picture messages that fail):
    use run_diagnostic for those.

    Args:
        line: Line id or phone number as the customer or a tool gave it (never invent
            one); empty = every line on the account.
    """
    session = open_session(runtime, "line_status")
    if isinstance(session, str):
        return session
    if line:
        found = own_line(session, line)
        return found if isinstance(found, str) else describe_line(found)
    lines = session.store.lines(session.customer_id)
    return "\n".join(describe_line(x) for x in lines) or "This account has no phone lines."


def _resume_blockers(session: Session, line: Line) -> list[str]:
    """Why a suspended line cannot be resumed (empty = it can)."""
    blockers = []
    overdue = session.store.overdue_bills(session.customer_id)
    if overdue:
        bills = ", ".join(
            f"{b.bill_id} ({money(b.total_cents)}, due {b.due_date})" for b in overdue
        )
        blockers.append(f"overdue bill(s) {bills} must be paid first (make_payment)")
    today = session.store.today()
    if date.fromisoformat(line.contract_end_date) < today:
        blockers.append(
            f"its contract ended on {line.contract_end_date}, so it needs a new contract "
            "(transfer_to_human)"
        )
    return blockers


def _blocked_service(session: Session, line: Line) -> tuple[list[str], list[str]] | None:
    """Findings and steps when the line itself (not the phone) is why nothing works."""
    if line.status == "suspended":
        reason = REASONS.get(line.suspension_reason or "", "unknown reason")
        blockers = _resume_blockers(session, line)
        steps = [f"Before resuming: {b}." for b in blockers] or [
            "The line can be resumed now (resume_line); then restart the phone."
        ]
        return [f"The line is suspended ({reason}); it has no service until resumed."], steps
    if line.status == "pending":
        return (
            [f"The line is pending activation (requested {line.activation_date})."],
            [
                "Service starts when activation completes; restart the phone after it does.",
                "If it is still pending 24 hours after the request, open a ticket (open_ticket).",
            ],
        )
    return None


def _no_service(line: Line) -> tuple[list[str], list[str]]:
    findings = ["The line is active; no account block."]
    sim_step = (
        "Check that the Bluebell Mobile eSIM profile is turned on (Settings > Mobile network)."
        if line.device.sim_type == "esim"
        else "Take the SIM card out, reinsert it, then restart the phone."
    )
    steps = [
        "Make sure airplane mode is off, then restart the phone.",
        sim_step,
        "Set network selection to automatic (Settings > Mobile network > Network operators).",
    ]
    if line.roaming_enabled:
        findings.append("Roaming is on.")
    else:
        findings.append("Roaming is off on this line.")
        steps.append(
            f"If you are abroad, turn roaming on (toggle_roaming): {line.plan.roaming_label}."
        )
    return findings, steps


def _slow_data(line: Line, cycle_end: date) -> tuple[list[str], list[str]]:
    findings: list[str] = []
    steps: list[str] = []
    if line.data_exhausted and line.data_limit_gb is not None:
        findings.append(
            f"All {line.data_limit_gb:g} GB of this cycle's data is used; speed is reduced "
            f"until the cycle ends on {cycle_end.isoformat()}."
        )
        steps.append(
            "Buy a data refuel (refuel_data: $10.00 per GB, up to 2 GB) or move to a bigger "
            "plan (price_plan_change)."
        )
    if not line.device.apn_ok:
        findings.append(f"The APN settings on the {line.device.model} are wrong.")
        steps.append(APN_STEP)
    if line.device.network_mode == "3g_only":
        findings.append("The phone is set to 3G only.")
        steps.append(
            "Set the preferred network type to automatic (5G/4G): Settings > Mobile network."
        )
    if line.device.supports_5g and not line.plan.supports_5g:
        findings.append(f"{line.plan.name} is a 4G plan; 5G speeds need Everyday 15GB or above.")
    return findings, steps


def _mms(line: Line) -> tuple[list[str], list[str]]:
    findings: list[str] = []
    steps: list[str] = []
    if not line.device.mms_settings_ok:
        findings.append(f"The MMS settings on the {line.device.model} are wrong.")
        steps.append(
            "Reset the MMS settings: Settings > Mobile network > Access Point Names > Reset to "
            "default (MMSC http://mms.bluebell.example), then restart the phone."
        )
    if not line.device.apn_ok:
        findings.append("The data APN, which MMS also uses, is wrong.")
        steps.append(APN_STEP)
    steps.append("Keep mobile data turned on: picture messages do not send over Wi-Fi alone.")
    return findings, steps


def diagnose(session: Session, line: Line, problem: Problem) -> str:
    """Guided troubleshooting for one line, based on its status, plan and device data."""
    blocked = _blocked_service(session, line)
    if blocked is not None:
        findings, steps = blocked
    elif problem == "no_service":
        findings, steps = _no_service(line)
    elif problem == "slow_data":
        findings, steps = _slow_data(line, session.store.info().cycle_end)
    else:
        findings, steps = _mms(line)
    if not findings:
        findings = ["No fault found in the line or device settings."]
    if blocked is None:
        steps.append(
            "If the problem continues, restart the phone and try another location; then open a "
            "ticket (open_ticket) so a technician can check the network."
        )
    numbered = "\n".join(f"{n}. {s}" for n, s in enumerate(steps, start=1))
    return (
        f"Diagnostic ({problem.replace('_', ' ')}) for line {line.label}, "
        f"{_device_label(line)}, plan {line.plan.name}.\nFindings:\n"
        + "\n".join(f"- {f}" for f in findings)
        + f"\nSteps:\n{numbered}"
    )


@tool(parse_docstring=True)
def run_diagnostic(
    problem: Problem, line: str | None = None, *, runtime: ToolRuntime[Any, Any]
) -> str:
    """Troubleshoot a line: finds the cause from line and device data and gives numbered steps.

    Args:
        problem: One of no_service, slow_data, mms (picture messages).
        line: Line id or phone number as the customer or a tool gave it (never invent
            one); may be empty when the account has one active line.
    """
    session = open_session(runtime, "run_diagnostic")
    if isinstance(session, str):
        return session
    found = own_line(session, line, prefer=lambda x: x.status == "active")
    if isinstance(found, str):
        return found
    return diagnose(session, found, problem)


def _resume_quote(session: Session, line_ref: str | None) -> Quote | str:
    line = own_line(session, line_ref, prefer=lambda x: x.status == "suspended")
    if isinstance(line, str):
        return line
    if line.status == "active":
        return f"Line {line.label} is already active; nothing to resume."
    if line.status == "pending":
        return (
            f"Line {line.label} is pending activation, not suspended; it starts when activation "
            "completes."
        )
    blockers = _resume_blockers(session, line)
    if blockers:
        return f"Line {line.label} cannot be resumed: " + "; ".join(blockers) + "."
    return Quote(
        f"Resume line {line.label} on {line.plan.name} at "
        f"{money(line.plan.monthly_price_cents)}/month. No reconnection fee.",
        {
            "line_id": line.line_id,
            "plan_id": line.plan.plan_id,
            "price_cents": line.plan.monthly_price_cents,
            "contract_end_date": line.contract_end_date,
        },
    )


@tool(parse_docstring=True)
def resume_line(line: str | None = None, *, runtime: ToolRuntime[Any, Any]) -> str | ToolMessage:
    """Resume (reactivate) a suspended line.

    Only possible when no bill is overdue and the line's contract has not ended; otherwise
    the reason is returned. Asks the customer to confirm first.

    Args:
        line: Line id or phone number as the customer or a tool gave it (never invent
            one); may be empty when the account has one suspended line.
    """
    session = open_session(runtime, "resume_line")
    if isinstance(session, str):
        return session

    def execute(w: StoreWriter, quote: Quote) -> str:
        d = quote.details
        w.resume_line(d["line_id"])
        return (
            f"Line {d['line_id']} resumed on {w.today.isoformat()} and is active again at "
            f"{money(d['price_cents'])}/month. Restart the phone to reconnect."
        )

    return confirmed_write(session, lambda: _resume_quote(session, line), execute)


def _ticket_quote(
    session: Session, category: str, description: str, line_ref: str | None
) -> Quote | str:
    text = " ".join(description.split())
    if not text:
        return "Describe the problem in a sentence so the ticket can be opened."
    if len(text) > MAX_TICKET_CHARS:
        return f"The description is too long ({len(text)} characters; at most {MAX_TICKET_CHARS})."
    line_id = None
    if line_ref and line_ref.strip():
        line = own_line(session, line_ref)
        if isinstance(line, str):
            return line
        line_id = line.line_id
    where = f", line {line_id}" if line_id else ""
    return Quote(
        f'Open a support ticket ({category}{where}): "{text}".',
        {"category": category, "line_id": line_id, "description": text},
    )


@tool(parse_docstring=True)
def open_ticket(
    category: TicketCategory,
    description: str,
    line: str | None = None,
    *,
    runtime: ToolRuntime[Any, Any],
) -> str | ToolMessage:
    """Open a support ticket for the technical team. Asks the customer to confirm first.

    Args:
        category: One of no_service, slow_data, mms, device, billing, other.
        description: What is wrong and what was already tried, in one or two sentences.
        line: Line id or phone number the ticket is about, as the customer or a tool gave
            it; empty when unknown.
    """
    session = open_session(runtime, "open_ticket")
    if isinstance(session, str):
        return session

    def execute(w: StoreWriter, quote: Quote) -> str:
        d = quote.details
        ticket_id = w.open_ticket(
            session.customer_id, d["line_id"], d["category"], d["description"]
        )
        where = f", line {d['line_id']}" if d["line_id"] else ""
        return (
            f"Ticket {ticket_id} opened on {w.today.isoformat()} ({d['category']}{where}). "
            "Status: open; the technical team follows up by e-mail."
        )

    return confirmed_write(
        session, lambda: _ticket_quote(session, category, description, line), execute
    )


READ_TOOLS: list[BaseTool] = [run_diagnostic, line_status]  # a problem report is the common case
WRITE_TOOLS: list[BaseTool] = [resume_line, open_ticket]
