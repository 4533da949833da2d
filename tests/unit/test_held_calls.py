"""The engine on tool calls: held calls completed, invented values dropped, listings narrowed."""

from __future__ import annotations

from langchain_core.messages import AIMessage, ToolMessage
from langgraph.checkpoint.memory import InMemorySaver

from agents.argument_rules import support_argument_rules
from agents.arguments import (
    Account,
    Known,
    complete_held,
    fill_call,
    fill_reply,
    item_read_instead,
)
from agents.base import named_slots
from agents.context import Context
from agents.report import held_by
from agents.slots import support_extractor
from agents.state import HeldCall
from app.session import Session
from graphs.support import compile_graph
from tools import billing
from tools.kb import search_kb
from tools.store import open_store
from tools.tech_support import line_status, run_diagnostic


def _known(text: str, facts: dict, turn: int = 2) -> Known:
    return Known(facts=facts, turn=turn, text=text, account=Account(None, ""))


def test_a_result_that_asks_which_line_holds_its_call() -> None:
    call = {"name": "run_diagnostic", "args": {"problem": "slow_data"}, "id": "c1"}
    messages = [
        AIMessage(content="", tool_calls=[call]),
        ToolMessage(
            content="Which line? This account has 2 lines: L1006-1, active; L1006-2, active.",
            tool_call_id="c1",
            name="run_diagnostic",
        ),
    ]
    held = held_by([messages[1]], messages, "tech_support")
    assert held == HeldCall(
        tool="run_diagnostic", args={"problem": "slow_data"}, slot="line", agent="tech_support"
    )


def test_a_plain_result_holds_nothing() -> None:
    result = ToolMessage(content="Line L1001-1 is active.", tool_call_id="c1", name="line_status")
    assert held_by([result], [result], "tech_support") is None


def test_the_answer_that_names_the_line_completes_the_call() -> None:
    held = HeldCall(tool="run_diagnostic", args={"problem": "slow_data"}, slot="line", agent="t")
    facts = {
        "line": {"value": "+12025550110", "turn": 2},
        "issue": {"value": "slow data", "turn": 1},
    }
    call = complete_held(
        held, run_diagnostic, _known("it's +12025550110", facts), support_argument_rules()
    )
    assert call is not None
    assert call["args"] == {"problem": "slow_data", "line": "+12025550110"}


def test_an_answer_without_the_value_leaves_the_turn_to_the_model() -> None:
    held = HeldCall(tool="run_diagnostic", args={"problem": "slow_data"}, slot="line", agent="t")
    facts = {"line": {"value": "+12025550110", "turn": 1}}  # named before, not in this answer
    assert (
        complete_held(
            held, run_diagnostic, _known("why is it slow?", facts), support_argument_rules()
        )
        is None
    )


def test_a_problem_the_customer_did_not_name_is_replaced_by_the_one_they_did() -> None:
    facts = {"issue": {"value": "no data", "turn": 2}}
    known = _known("the internet on my iphone just stopped working", facts)
    call = {"name": "run_diagnostic", "args": {"problem": "no_service"}, "id": "c1"}
    filled = fill_call(call, run_diagnostic, known, support_argument_rules())
    assert filled.call is not None and filled.call["args"]["problem"] == "slow_data"
    assert "dropped invented run_diagnostic.problem=no_service" in filled.events


def test_a_listing_called_for_one_named_bill_becomes_that_bills_read() -> None:
    facts = {"bill": {"value": "B20002", "turn": 2}}
    known = _known("what exactly is on B20002 in my bills?", facts)
    listing = AIMessage(content="", tool_calls=[{"name": "list_bills", "args": {}, "id": "c1"}])
    tools = {tool.name: tool for tool in billing.READ_TOOLS}
    filling = fill_reply(listing, tools, known, support_argument_rules())
    assert [(c["name"], c["args"]) for c in filling.message.tool_calls] == [
        ("explain_bill", {"bill_id": "B20002"})
    ]


def test_a_listing_with_no_item_named_stays_a_listing() -> None:
    listing = AIMessage(content="", tool_calls=[{"name": "list_bills", "args": {}, "id": "c1"}])
    tools = {tool.name: tool for tool in billing.READ_TOOLS}
    filling = fill_reply(listing, tools, _known("show me my bills", {}), support_argument_rules())
    assert filling.message is listing


def test_the_latest_bill_is_a_reference_to_one_bill() -> None:
    facts = support_extractor().apply({}, "What am I charged for on my latest bill?", 1)
    assert facts["bill_ref"]["value"] == "latest"


def test_an_answer_with_no_read_for_a_named_bill_becomes_that_bills_read() -> None:
    facts = support_extractor().apply({}, "Explain bill B99999'; DROP TABLE bills;--", 2)
    known = _known("Explain bill B99999'; DROP TABLE bills;--", facts)
    answer = AIMessage(content="Your bill B99999 is $12.00.")
    tools = {tool.name: tool for tool in billing.READ_TOOLS}
    filling = item_read_instead(answer, tools, known, support_argument_rules())
    assert filling is not None
    assert [(c["name"], c["args"]) for c in filling.message.tool_calls] == [
        ("explain_bill", {"bill_id": "B99999"})
    ]
    assert filling.message.content == ""
    assert item_read_instead(answer, tools, _known("hello", {}), support_argument_rules()) is None


def test_a_device_or_a_word_is_no_line() -> None:
    facts = support_extractor().apply({}, "the internet on my iphone just stopped working", 2)
    known = _known("the internet on my iphone just stopped working", facts)
    call = {"name": "run_diagnostic", "args": {"problem": "slow_data", "line": "iphone"}, "id": "c"}
    filled = fill_call(call, run_diagnostic, known, support_argument_rules())
    assert filled.call is not None and "line" not in filled.call["args"]


def test_a_how_to_question_with_no_problem_named_goes_to_the_knowledge_base() -> None:
    text = "How do I set up an eSIM on my phone?"
    known = Known(facts={}, turn=2, text=text, account=Account(None, ""), act="question")
    guess = {"name": "run_diagnostic", "args": {"problem": "no_service", "line": "eSIM"}, "id": "c"}
    message = AIMessage(content="", tool_calls=[guess])
    tools = {"run_diagnostic": run_diagnostic, "search_kb": search_kb}
    filling = fill_reply(message, tools, known, support_argument_rules())
    assert [(c["name"], c["args"]) for c in filling.message.tool_calls] == [
        ("search_kb", {"query": text})
    ]


def test_with_no_problem_named_the_models_reading_stands() -> None:
    text = "something is off with my phone since yesterday, whats wrong"
    known = Known(facts={}, turn=2, text=text, account=Account(None, ""), act="question")
    call = {"name": "run_diagnostic", "args": {"problem": "mms"}, "id": "c"}
    tools = {"run_diagnostic": run_diagnostic, "search_kb": search_kb}
    filling = fill_reply(
        AIMessage(content="", tool_calls=[call]), tools, known, support_argument_rules()
    )
    assert [(c["name"], c["args"]) for c in filling.message.tool_calls] == [
        ("run_diagnostic", {"problem": "mms"})
    ]


def _searched(text: str, turn: int = 2) -> list[tuple[str, dict]]:
    facts = support_extractor().apply({}, text, turn)
    known = Known(facts=facts, turn=turn, text=text, account=Account(None, ""), act="question")
    search = {"name": "search_kb", "args": {"query": text}, "id": "c"}
    tools = {"run_diagnostic": run_diagnostic, "search_kb": search_kb}
    filling = fill_reply(
        AIMessage(content="", tool_calls=[search]), tools, known, support_argument_rules()
    )
    return [(c["name"], c["args"]) for c in filling.message.tool_calls]


def test_a_fault_report_gets_the_diagnostic_not_a_search() -> None:
    assert _searched("my mum cant receive photos i send her, what is going on") == [
        ("run_diagnostic", {"problem": "mms"})
    ]
    assert _searched("apps take ages to load on mobile, why") == [
        ("run_diagnostic", {"problem": "slow_data"})
    ]


def test_a_how_to_or_a_fault_no_diagnostic_checks_keeps_the_search() -> None:
    text = "how do I fix slow data on my phone?"
    assert _searched(text) == [("search_kb", {"query": text})]
    text = "is roaming free in France?"
    assert _searched(text) == [("search_kb", {"query": text})]


def test_in_the_graph_the_answer_to_which_line_runs_the_held_diagnostic() -> None:
    open_store().reset_to_seed()
    graph = compile_graph(InMemorySaver())
    chat = Session(graph, "held-which-line", Context(model="scripted", customer_id="C1006"))
    first = chat.send("My internet is super slow.")
    assert first.reply.startswith("Which line?")
    second = chat.send("It's the line +12025550110, the internet is slow there.")
    assert [(c["name"], c["args"]) for c in second.tool_calls] == [
        ("run_diagnostic", {"problem": "slow_data", "line": "+12025550110"})
    ]
    turn = max(entry["turn"] for entry in graph.get_state(chat.config).values["ledger"])
    events = [
        event
        for entry in graph.get_state(chat.config).values["ledger"]
        if entry["turn"] == turn
        for event in entry.get("events", [])
    ]
    assert "held call completed: run_diagnostic" in events


def test_an_invented_bill_and_payment_method_are_replaced_by_what_the_account_says() -> None:
    open_store().reset_to_seed()
    text = "could I clear the overdue one today"
    known = Known(facts={}, turn=1, text=text, account=Account("C1001", ""), act="question")
    call = {
        "name": "make_payment",
        "args": {"bill_id": "1234567890", "payment_method_id": "1234567890"},
        "id": "c",
    }
    filled = fill_call(call, billing.make_payment, known, support_argument_rules())
    assert filled.call is not None
    assert filled.call["args"] == {"bill_id": "B20002"}
    assert any("dropped invented make_payment.bill_id" in event for event in filled.events)


def test_a_bill_named_again_is_named_by_the_newest_message() -> None:
    text = "so is B20003 settled or not?"
    facts = {"bill": {"value": "B20003", "turn": 1, "verified": False, "source": "user"}}
    earlier = Known(facts=facts, turn=4, text=text, account=Account(None, ""))
    assert earlier.fact("bill", this_turn=True) is None
    known = Known(
        facts=facts, turn=4, text=text, account=Account(None, ""), said=named_slots(text, facts)
    )
    assert known.fact("bill", this_turn=True) == "B20003"
    reply = item_read_instead(
        AIMessage(content="It is paid."),
        {"explain_bill": billing.explain_bill},
        known,
        support_argument_rules(),
    )
    assert reply is not None
    assert [(c["name"], c["args"]) for c in reply.message.tool_calls] == [
        ("explain_bill", {"bill_id": "B20003"})
    ]


def test_an_overdue_check_for_one_named_bill_becomes_that_bills_read() -> None:
    text = "has B20003 been settled yet or is it still open?"
    facts = support_extractor().apply({}, text, 3)
    known = _known(text, facts, turn=3)
    check = AIMessage(content="", tool_calls=[{"name": "check_overdue", "args": {}, "id": "c1"}])
    tools = {tool.name: tool for tool in billing.READ_TOOLS}
    filling = fill_reply(check, tools, known, support_argument_rules())
    assert [(c["name"], c["args"]) for c in filling.message.tool_calls] == [
        ("explain_bill", {"bill_id": "B20003"})
    ]
    unnamed = _known("anything late on my account?", {}, turn=3)
    assert fill_reply(check, tools, unnamed, support_argument_rules()).message is check


def test_a_status_read_for_a_line_nobody_asked_about_reads_every_line() -> None:
    text = "how are my two numbers doing at the moment?"
    facts = {"line": {"value": "L1001-1", "turn": 1, "verified": True, "source": "tool"}}
    call = {"name": "line_status", "args": {"line": "L1001-1"}, "id": "c"}
    filled = fill_call(call, line_status, _known(text, facts, turn=3), support_argument_rules())
    assert filled.call is not None and filled.call["args"] == {}
    assert "widened line_status: dropped unrequested line=L1001-1" in filled.events


def test_a_status_read_for_the_line_the_customer_gave_keeps_it() -> None:
    facts = {"line": {"value": "L1001-2", "turn": 1, "verified": False, "source": "user"}}
    call = {"name": "line_status", "args": {"line": "L1001-2"}, "id": "c"}
    later = _known("and what is its status now?", facts, turn=3)
    filled = fill_call(call, line_status, later, support_argument_rules())
    assert filled.call is not None and filled.call["args"] == {"line": "L1001-2"}
    text = "is +12025550101 still suspended?"
    said = _known(text, support_extractor().apply({}, text, 3), turn=3)
    phone = {"name": "line_status", "args": {"line": "+12025550101"}, "id": "c"}
    filled = fill_call(phone, line_status, said, support_argument_rules())
    assert filled.call is not None and filled.call["args"] == {"line": "+12025550101"}


def test_a_line_named_by_its_place_on_the_account_is_that_line() -> None:
    open_store().reset_to_seed()
    text = "the new sim for my 2nd number still does nothing, what's going on?"
    facts = support_extractor().apply({}, text, 2)
    assert facts["line_ref"]["value"] == "2"
    known = Known(facts=facts, turn=2, text=text, account=Account("C1005", ""), act="question")
    args = {"problem": "no_service", "line": "L1005-1"}
    call = {"name": "run_diagnostic", "args": args, "id": "c"}
    filled = fill_call(call, run_diagnostic, known, support_argument_rules())
    assert filled.call is not None and filled.call["args"]["line"] == "L1005-2"
    assert "dropped invented run_diagnostic.line=L1005-1" in filled.events


def test_a_way_to_pay_named_makes_the_payment_not_a_request() -> None:
    open_store().reset_to_seed()
    text = "settle whatever is overdue, and use my bank debit for it"
    facts = support_extractor().apply({}, text, 1)
    known = Known(facts=facts, turn=1, text=text, account=Account("C1010", ""), act="request")
    request = {"name": "send_payment_request", "args": {"bill_id": "B20029"}, "id": "c1"}
    reply = AIMessage(content="", tool_calls=[request])
    tools = {tool.name: tool for tool in billing.WRITE_TOOLS}
    filling = fill_reply(reply, tools, known, support_argument_rules())
    assert [(c["name"], c["args"]) for c in filling.message.tool_calls] == [
        ("make_payment", {"bill_id": "B20029", "payment_method_id": "PM1010-2"})
    ]
    expired_card = {
        "name": "make_payment",
        "args": {"bill_id": "B20029", "payment_method_id": "PM1010-1"},
        "id": "c2",
    }
    filled = fill_call(expired_card, billing.make_payment, known, support_argument_rules())
    assert filled.call is not None and filled.call["args"]["payment_method_id"] == "PM1010-2"
    plain = _known("send me a payment request for B20029", {}, turn=1)
    assert fill_reply(reply, tools, plain, support_argument_rules()).message is reply
