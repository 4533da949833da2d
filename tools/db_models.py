"""Typed records of the telco store (frozen dataclasses built from database rows)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from data_access import Row


def money(cents: int) -> str:
    """Format integer cents as dollars, e.g. ``10920`` -> ``$109.20``."""
    sign = "-" if cents < 0 else ""
    return f"{sign}${abs(cents) // 100:,}.{abs(cents) % 100:02d}"


def gb(value: float) -> str:
    """Format a data volume without a needless ``.0`` (``15.0`` -> ``15 GB``)."""
    return f"{value:g} GB"


@dataclass(frozen=True)
class StoreInfo:
    """Business constants from the seed metadata."""

    brand: str
    as_of: date
    refuel_price_per_gb_cents: int
    refuel_max_gb: float
    late_fee_cents: int
    cycle_end: date


@dataclass(frozen=True)
class Plan:
    """A rate plan."""

    plan_id: str
    name: str
    monthly_price_cents: int
    data_gb: float | None
    roaming_zone: str
    roaming_day_pass_cents: int
    supports_5g: bool
    description: str

    @classmethod
    def from_row(cls, row: Row) -> Plan:
        """Build from a ``plans`` row."""
        return cls(
            plan_id=row["plan_id"],
            name=row["name"],
            monthly_price_cents=int(row["monthly_price_cents"]),
            data_gb=None if row["data_gb"] is None else float(row["data_gb"]),
            roaming_zone=row["roaming_zone"],
            roaming_day_pass_cents=int(row["roaming_day_pass_cents"]),
            supports_5g=bool(row["supports_5g"]),
            description=row["description"],
        )

    @property
    def data_label(self) -> str:
        """Data allowance in words."""
        return "unlimited data" if self.data_gb is None else gb(self.data_gb)

    @property
    def roaming_label(self) -> str:
        """Roaming terms in words."""
        day = money(self.roaming_day_pass_cents)
        if self.roaming_zone == "worldwide":
            return "roaming included worldwide"
        if self.roaming_zone == "eu":
            return f"roaming included in the EU ({day} per day elsewhere)"
        return f"roaming not included ({day} per day abroad)"


@dataclass(frozen=True)
class Customer:
    """An account holder."""

    customer_id: str
    full_name: str
    date_of_birth: str
    email: str
    contact_phone: str
    customer_since: str

    @classmethod
    def from_row(cls, row: Row) -> Customer:
        """Build from a ``customers`` row."""
        return cls(**{k: row[k] for k in cls.__dataclass_fields__})


@dataclass(frozen=True)
class Device:
    """The handset used on a line."""

    device_id: str
    model: str
    esim_supported: bool
    supports_5g: bool
    sim_type: str
    mms_settings_ok: bool
    apn_ok: bool
    network_mode: str

    @classmethod
    def from_row(cls, row: Row) -> Device:
        """Build from a ``devices`` row."""
        return cls(
            device_id=row["device_id"],
            model=row["model"],
            esim_supported=bool(row["esim_supported"]),
            supports_5g=bool(row["supports_5g"]),
            sim_type=row["sim_type"],
            mms_settings_ok=bool(row["mms_settings_ok"]),
            apn_ok=bool(row["apn_ok"]),
            network_mode=row["network_mode"],
        )


@dataclass(frozen=True)
class Line:
    """A phone line with its plan and device."""

    line_id: str
    customer_id: str
    phone_number: str
    plan: Plan
    status: str
    suspension_reason: str | None
    roaming_enabled: bool
    data_used_gb: float
    data_limit_gb: float | None
    cycle_start: str
    contract_end_date: str
    activation_date: str
    device: Device

    @classmethod
    def from_row(cls, row: Row, plan: Plan, device: Device) -> Line:
        """Build from a ``lines`` row plus its plan and device."""
        return cls(
            line_id=row["line_id"],
            customer_id=row["customer_id"],
            phone_number=row["phone_number"],
            plan=plan,
            status=row["status"],
            suspension_reason=row["suspension_reason"],
            roaming_enabled=bool(row["roaming_enabled"]),
            data_used_gb=float(row["data_used_gb"]),
            data_limit_gb=None if row["data_limit_gb"] is None else float(row["data_limit_gb"]),
            cycle_start=row["cycle_start"],
            contract_end_date=row["contract_end_date"],
            activation_date=row["activation_date"],
            device=device,
        )

    @property
    def label(self) -> str:
        """Short reference, e.g. ``L1001-1 (+12025550100)``."""
        return f"{self.line_id} ({self.phone_number})"

    @property
    def data_exhausted(self) -> bool:
        """Whether the line has used its whole allowance this cycle."""
        return self.data_limit_gb is not None and self.data_used_gb >= self.data_limit_gb

    def data_label(self) -> str:
        """Usage this cycle in words."""
        if self.data_limit_gb is None:
            return f"{gb(self.data_used_gb)} used (unlimited)"
        return f"{self.data_used_gb:g} of {gb(self.data_limit_gb)} used"


@dataclass(frozen=True)
class BillItem:
    """One line item of a bill."""

    position: int
    kind: str
    line_id: str | None
    description: str
    amount_cents: int

    @classmethod
    def from_row(cls, row: Row) -> BillItem:
        """Build from a ``bill_items`` row."""
        return cls(
            position=int(row["position"]),
            kind=row["kind"],
            line_id=row["line_id"],
            description=row["description"],
            amount_cents=int(row["amount_cents"]),
        )


@dataclass(frozen=True)
class Bill:
    """A monthly bill with its line items."""

    bill_id: str
    customer_id: str
    period_start: str
    period_end: str
    issue_date: str
    due_date: str
    status: str
    total_cents: int
    paid_date: str | None
    items: tuple[BillItem, ...]

    @classmethod
    def from_row(cls, row: Row, items: tuple[BillItem, ...]) -> Bill:
        """Build from a ``bills`` row plus its items."""
        return cls(
            bill_id=row["bill_id"],
            customer_id=row["customer_id"],
            period_start=row["period_start"],
            period_end=row["period_end"],
            issue_date=row["issue_date"],
            due_date=row["due_date"],
            status=row["status"],
            total_cents=int(row["total_cents"]),
            paid_date=row["paid_date"],
            items=items,
        )

    @property
    def period_label(self) -> str:
        """Billing month in words, e.g. ``September 2026``."""
        return date.fromisoformat(self.period_start).strftime("%B %Y")

    @property
    def is_open(self) -> bool:
        """Whether the bill still has to be paid."""
        return self.status in ("issued", "overdue", "awaiting_payment")


@dataclass(frozen=True)
class PaymentMethod:
    """A stored card (last four digits only) or bank debit."""

    payment_method_id: str
    customer_id: str
    kind: str
    brand: str | None
    last4: str
    expiry: str | None
    bank_name: str | None
    is_default: bool
    autopay: bool

    @classmethod
    def from_row(cls, row: Row) -> PaymentMethod:
        """Build from a ``payment_methods`` row."""
        return cls(
            payment_method_id=row["payment_method_id"],
            customer_id=row["customer_id"],
            kind=row["kind"],
            brand=row["brand"],
            last4=row["last4"],
            expiry=row["expiry"],
            bank_name=row["bank_name"],
            is_default=bool(row["is_default"]),
            autopay=bool(row["autopay"]),
        )

    @property
    def label(self) -> str:
        """Human description without sensitive digits beyond the last four."""
        if self.kind == "card":
            return f"{self.brand} card ending {self.last4}"
        return f"bank debit {self.bank_name} ending {self.last4}"

    def expired_on(self, today: date) -> bool:
        """Whether a card's ``YYYY-MM`` expiry month is before ``today``'s month."""
        return self.expiry is not None and self.expiry < today.strftime("%Y-%m")


@dataclass(frozen=True)
class UsageEvent:
    """Data used or bought on a line."""

    event_id: str
    line_id: str
    event_date: str
    kind: str
    amount_gb: float
    cost_cents: int

    @classmethod
    def from_row(cls, row: Row) -> UsageEvent:
        """Build from a ``usage_events`` row."""
        return cls(
            event_id=row["event_id"],
            line_id=row["line_id"],
            event_date=row["event_date"],
            kind=row["kind"],
            amount_gb=float(row["amount_gb"]),
            cost_cents=int(row["cost_cents"]),
        )


@dataclass(frozen=True)
class ToolRun:
    """A write that already ran for a tool-call id, with the result it returned."""

    tool_call_id: str
    tool: str
    customer_id: str | None
    result: str
    created_at: str


@dataclass(frozen=True)
class Confirmation:
    """What the customer was asked to confirm for a tool call (kept for the re-check)."""

    tool_call_id: str
    tool: str
    summary: str
    details: dict[str, Any]
