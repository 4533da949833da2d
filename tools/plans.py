"""Plan tools: list and price plans, change plan, refuel data, toggle roaming."""

from __future__ import annotations

from typing import Any

from langchain.tools import ToolRuntime, tool
from langchain_core.messages import ToolMessage
from langchain_core.tools import BaseTool

from tools.auth import Session, open_session, own_line, store_for
from tools.store import Line, Plan, StoreWriter, TelcoStore, money
from tools.store import gb as fmt_gb
from tools.write_flow import Quote, confirmed_write


def _norm(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def find_plan(store: TelcoStore, ref: str) -> Plan | str:
    """Resolve a plan id or plan name (any case/spacing), else list the valid plan ids."""
    plans = store.plans()
    wanted = _norm(ref)
    for plan in plans:
        if wanted in (_norm(plan.plan_id), _norm(plan.name)):
            return plan
    ids = ", ".join(f"{p.plan_id} ({p.name})" for p in plans)
    return f"There is no plan {ref!r}. Plans: {ids}."


def _plan_line(plan: Plan) -> str:
    return (
        f"- {plan.plan_id} {plan.name}: {money(plan.monthly_price_cents)}/month, "
        f"{plan.data_label}, {plan.roaming_label}"
        f"{'' if plan.supports_5g else ', 4G only'}."
    )


@tool
def list_plans(runtime: ToolRuntime[Any, Any]) -> str:
    """List every plan with monthly price, data allowance and roaming terms, plus refuel terms."""
    store = store_for(runtime)
    info = store.info()
    rows = "\n".join(_plan_line(p) for p in store.plans())
    return (
        f"{info.brand} plans:\n{rows}\nData refuel: {money(info.refuel_price_per_gb_cents)} per "
        f"GB, at most {info.refuel_max_gb:g} GB per refuel (not on unlimited plans)."
    )


def _change_quote(session: Session, new_plan_ref: str, line_ref: str | None) -> Quote | str:
    plan = find_plan(session.store, new_plan_ref)
    if isinstance(plan, str):
        return plan
    line = own_line(session, line_ref, prefer=lambda x: x.status == "active")
    if isinstance(line, str):
        return line
    if line.status == "suspended":
        return f"Line {line.label} is suspended; it must be resumed before its plan can change."
    if line.plan.plan_id == plan.plan_id:
        return f"Line {line.label} is already on {plan.name}."
    refuelled = session.store.refuelled_gb(line.line_id, line.cycle_start)
    limit = None if plan.data_gb is None else plan.data_gb + refuelled
    diff = plan.monthly_price_cents - line.plan.monthly_price_cents
    sign = "+" if diff >= 0 else "-"
    data = "unlimited data" if limit is None else f"{fmt_gb(limit)} ({line.data_used_gb:g} GB used)"
    return Quote(
        f"Change line {line.label} from {line.plan.name} "
        f"({money(line.plan.monthly_price_cents)}/month) to {plan.name} "
        f"({money(plan.monthly_price_cents)}/month): {sign}{money(abs(diff))}/month, billed "
        f"from the next bill. Data this cycle becomes {data}; {plan.roaming_label}.",
        {
            "line_id": line.line_id,
            "old_plan_id": line.plan.plan_id,
            "old_plan_name": line.plan.name,
            "old_price_cents": line.plan.monthly_price_cents,
            "new_plan_id": plan.plan_id,
            "new_plan_name": plan.name,
            "new_price_cents": plan.monthly_price_cents,
            "new_limit_gb": limit,
        },
    )


@tool(parse_docstring=True)
def price_plan_change(
    new_plan_id: str, line: str | None = None, *, runtime: ToolRuntime[Any, Any]
) -> str:
    """Price a plan change for a line without changing anything: old vs new monthly price.

    Args:
        new_plan_id: Target plan id or name, e.g. plus_40.
        line: Line id or phone number as the customer or a tool gave it (never invent
            one); may be empty when the account has one active line.
    """
    session = open_session(runtime, "price_plan_change")
    if isinstance(session, str):
        return session
    quote = _change_quote(session, new_plan_id, line)
    if isinstance(quote, str):
        return quote
    return f"Quote (nothing changed yet): {quote.summary}"


@tool(parse_docstring=True)
def change_plan(
    new_plan_id: str, line: str | None = None, *, runtime: ToolRuntime[Any, Any]
) -> str | ToolMessage:
    """Move a line to another plan. Asks the customer to confirm the new price first.

    Args:
        new_plan_id: Target plan id or name, e.g. plus_40.
        line: Line id or phone number as the customer or a tool gave it (never invent
            one); may be empty when the account has one active line.
    """
    session = open_session(runtime, "change_plan")
    if isinstance(session, str):
        return session

    def execute(w: StoreWriter, quote: Quote) -> str:
        d = quote.details
        w.change_plan(
            d["line_id"],
            d["old_plan_id"],
            d["new_plan_id"],
            (d["old_price_cents"], d["new_price_cents"]),
            d["new_limit_gb"],
        )
        limit = d["new_limit_gb"]
        return (
            f"Plan changed on {w.today.isoformat()}: line {d['line_id']} is now on "
            f"{d['new_plan_name']} at {money(d['new_price_cents'])}/month (was "
            f"{d['old_plan_name']} at {money(d['old_price_cents'])}/month), billed from the next "
            f"bill. Data allowance this cycle: "
            f"{'unlimited' if limit is None else fmt_gb(limit)}."
        )

    return confirmed_write(session, lambda: _change_quote(session, new_plan_id, line), execute)


def _refuel_quote(session: Session, amount_gb: float, line_ref: str | None) -> Quote | str:
    info = session.store.info()
    if amount_gb <= 0:
        return "The refuel amount must be more than 0 GB."
    if amount_gb > info.refuel_max_gb:
        return (
            f"Refused: a refuel is at most {info.refuel_max_gb:g} GB (asked for {amount_gb:g} GB). "
            f"Offer {info.refuel_max_gb:g} GB for "
            f"{money(round(info.refuel_max_gb * info.refuel_price_per_gb_cents))} or a bigger plan."
        )
    line = own_line(
        session, line_ref, prefer=lambda x: x.status == "active" and x.data_limit_gb is not None
    )
    if isinstance(line, str):
        return line
    if line.status != "active" or line.data_limit_gb is None:
        why = "is on an unlimited plan" if line.data_limit_gb is None else f"is {line.status}"
        return f"Line {line.label} {why}; data refuels are not available for it."
    cost = round(amount_gb * info.refuel_price_per_gb_cents)
    return Quote(
        f"Add {fmt_gb(amount_gb)} of data to line {line.label} for {money(cost)} "
        f"({money(info.refuel_price_per_gb_cents)} per GB), charged on the next bill. Allowance "
        f"this cycle: {fmt_gb(line.data_limit_gb)} -> {fmt_gb(line.data_limit_gb + amount_gb)} "
        f"({line.data_used_gb:g} GB used).",
        {
            "line_id": line.line_id,
            "gb": amount_gb,
            "cost_cents": cost,
            "old_limit_gb": line.data_limit_gb,
        },
    )


@tool(parse_docstring=True)
def refuel_data(
    gb: float, line: str | None = None, *, runtime: ToolRuntime[Any, Any]
) -> str | ToolMessage:
    """Buy extra data for the current cycle: $10 per GB, at most 2 GB per refuel.

    Asks the customer to confirm the price first.

    Args:
        gb: GB of data to add, more than 0 and at most 2.
        line: Line id or phone number as the customer or a tool gave it (never invent
            one); may be empty when the account has one capped line.
    """
    session = open_session(runtime, "refuel_data")
    if isinstance(session, str):
        return session

    def execute(w: StoreWriter, quote: Quote) -> str:
        d = quote.details
        w.refuel(d["line_id"], d["gb"], d["cost_cents"], d["old_limit_gb"])
        return (
            f"Refuel done on {w.today.isoformat()}: added {fmt_gb(d['gb'])} to line {d['line_id']} "
            f"for {money(d['cost_cents'])}, charged on the next bill. Allowance this cycle is "
            f"now {fmt_gb(d['old_limit_gb'] + d['gb'])}."
        )

    return confirmed_write(session, lambda: _refuel_quote(session, gb, line), execute)


def _roaming_terms(line: Line) -> str:
    return f"on {line.plan.name}, {line.plan.roaming_label}"


def _roaming_quote(session: Session, enabled: bool, line_ref: str | None) -> Quote | str:
    line = own_line(session, line_ref, prefer=lambda x: x.status == "active")
    if isinstance(line, str):
        return line
    if line.status != "active":
        return f"Line {line.label} is {line.status}; roaming can only change on an active line."
    state = "ON" if enabled else "OFF"
    if line.roaming_enabled == enabled:
        return f"Roaming is already {state} for line {line.label} ({_roaming_terms(line)})."
    return Quote(
        f"Turn roaming {state} for line {line.label} ({_roaming_terms(line)}).",
        {
            "line_id": line.line_id,
            "enabled": enabled,
            "plan_id": line.plan.plan_id,
            "roaming_zone": line.plan.roaming_zone,
            "day_pass_cents": line.plan.roaming_day_pass_cents,
        },
    )


@tool(parse_docstring=True)
def toggle_roaming(
    enabled: bool, line: str | None = None, *, runtime: ToolRuntime[Any, Any]
) -> str | ToolMessage:
    """Turn international roaming on or off for a line. Asks the customer to confirm first.

    Args:
        enabled: true to turn roaming on, false to turn it off.
        line: Line id or phone number as the customer or a tool gave it (never invent
            one); may be empty when the account has one active line.
    """
    session = open_session(runtime, "toggle_roaming")
    if isinstance(session, str):
        return session

    def execute(w: StoreWriter, quote: Quote) -> str:
        d = quote.details
        w.set_roaming(d["line_id"], d["enabled"])
        return f"Done on {w.today.isoformat()}: {quote.summary.replace('Turn', 'Turned', 1)}"

    return confirmed_write(session, lambda: _roaming_quote(session, enabled, line), execute)


READ_TOOLS: list[BaseTool] = [list_plans, price_plan_change]
WRITE_TOOLS: list[BaseTool] = [change_plan, refuel_data, toggle_roaming]
