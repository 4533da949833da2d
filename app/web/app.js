// Switchboard web chat: plain JavaScript, no build step. Session data lives in sessionStorage,
// so every browser tab is its own session (its own token and thread).
"use strict";

const KEYS = { token: "sb.token", customer: "sb.customer", thread: "sb.thread" };
const store = {
  get: (key) => sessionStorage.getItem(key),
  set: (key, value) => sessionStorage.setItem(key, value),
  clear: () => Object.values(KEYS).forEach((key) => sessionStorage.removeItem(key)),
};
const $ = (id) => document.getElementById(id);
let busy = false;

function pretty(name) {
  return name ? String(name).replace(/_/g, " ") : "—";
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

function errorText(body, status) {
  if (body && body.error && body.error.message) return body.error.message;
  return `Request failed (${status}).`;
}

async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  const token = store.get(KEYS.token);
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const error = new Error(errorText(data, response.status));
    error.status = response.status;
    throw error;
  }
  return data;
}

// ---- sign-in -------------------------------------------------------------------------------

async function showSignIn() {
  $("chat").hidden = true;
  $("who").hidden = true;
  $("signin").hidden = false;
  const select = $("dev-customer");
  select.replaceChildren();
  try {
    const customers = await api("GET", "/v1/dev/customers");
    for (const customer of customers) {
      const option = el("option", "", `${customer.customer_id} — ${customer.name}`);
      option.value = customer.customer_id;
      select.append(option);
    }
    $("dev-form").hidden = false;
  } catch (error) {
    $("dev-form").hidden = true;
  }
}

async function signInAs(customerId) {
  const login = await api("POST", "/v1/dev/login", { customer_id: customerId });
  store.set(KEYS.token, login.token);
  store.set(KEYS.customer, login.customer_id);
}

async function startChat() {
  $("signin").hidden = true;
  $("chat").hidden = false;
  $("who").hidden = false;
  $("customer-badge").textContent = store.get(KEYS.customer) || "customer";
  if (!store.get(KEYS.thread)) {
    const thread = await api("POST", "/v1/threads");
    store.set(KEYS.thread, thread.thread_id);
  }
  await refresh();
  $("input").focus();
}

// ---- rendering -----------------------------------------------------------------------------

function scrollDown() {
  const list = $("messages");
  list.scrollTop = list.scrollHeight;
}

function addBubble(role, text, agent) {
  const item = el("li", `msg ${role}`);
  item.dataset.role = role;
  if (role === "assistant") item.append(el("span", "who", pretty(agent || "assistant")));
  const body = el("div", "body", text);
  item.append(body);
  $("messages").append(item);
  scrollDown();
  return item;
}

function addToolChip(item, name) {
  let chips = item.querySelector(".chips");
  if (!chips) {
    chips = el("div", "chips");
    item.insertBefore(chips, item.querySelector(".body"));
  }
  chips.append(el("span", "chip", `⚙ ${name}`));
}

function renderMessages(messages) {
  const list = $("messages");
  list.replaceChildren();
  let pendingTools = [];
  for (const message of messages) {
    if (message.role === "user") {
      addBubble("user", message.content);
    } else if (message.role === "assistant") {
      if (message.tool_calls.length) pendingTools.push(...message.tool_calls.map((c) => c.name));
      if (message.content) {
        const item = addBubble("assistant", message.content, message.name);
        pendingTools.forEach((name) => addToolChip(item, name));
        pendingTools = [];
      }
    }
  }
  if (!messages.length) {
    addBubble("assistant", "Hello! Ask me about your bills, your plan or your line.", "switchboard");
  }
}

function setStatus(state) {
  $("st-agent").textContent = pretty(state.agent);
  $("st-phase").textContent = pretty(state.phase);
  $("st-intent").textContent = pretty(state.intent);
  $("st-turn").textContent = String(state.turn ?? 0);
  $("st-thread").textContent = state.thread_id || store.get(KEYS.thread) || "—";
  const stack = $("st-stack");
  stack.replaceChildren();
  for (const frame of state.stack || []) {
    stack.append(el("span", "chip", frame.intent || frame.task || JSON.stringify(frame)));
  }
}

function showConfirm(request) {
  const box = $("confirm");
  if (!request) {
    box.hidden = true;
    return;
  }
  $("confirm-summary").textContent = request.summary || request.prompt || "Go ahead?";
  box.hidden = false;
  scrollDown();
}

function sectionBar(sections, budget) {
  const bar = el("div", "bar");
  const total = Math.max(budget || 0, Object.values(sections || {}).reduce((a, b) => a + b, 0), 1);
  for (const [name, tokens] of Object.entries(sections || {})) {
    if (!tokens) continue;
    const part = el("span", `seg seg-${name}`);
    part.style.width = `${(100 * tokens) / total}%`;
    part.title = `${name}: ${tokens} tokens`;
    bar.append(part);
  }
  return bar;
}

function renderLedger(entries) {
  const box = $("ledger");
  box.replaceChildren();
  const turns = entries.length === 1 ? "1 turn" : `${entries.length} turns`;
  $("ledger-count").textContent = entries.length ? turns : "";
  for (const entry of [...entries].reverse()) {
    const card = el("div", "entry");
    const head = el("div", "entry-head");
    head.append(el("strong", "", `Turn ${entry.turn}`));
    const labels = [entry.intent, entry.agent, entry.classifier_path].filter(Boolean).map(pretty);
    head.append(el("span", "muted", labels.join(" · ")));
    card.append(head);
    card.append(sectionBar(entry.sections, entry.budget));
    const facts = el("ul", "facts");
    const sections = Object.entries(entry.sections || {}).map(([k, v]) => `${k} ${v}`).join(", ");
    facts.append(el("li", "", `prompt ${entry.total_tokens ?? "?"} / ${entry.budget ?? "?"} tokens (${sections || "no model call"})`));
    if (entry.model_calls !== undefined) facts.append(el("li", "", `model calls: ${entry.model_calls}`));
    if (entry.folded) facts.append(el("li", "", `folded into summary: ${entry.folded} messages`));
    for (const cut of entry.cut || []) facts.append(el("li", "cut", `cut — ${cut}`));
    for (const event of entry.events || []) facts.append(el("li", "", event));
    card.append(facts);
    box.append(card);
  }
}

async function refresh() {
  const thread = store.get(KEYS.thread);
  const state = await api("GET", `/v1/threads/${encodeURIComponent(thread)}/state`);
  renderMessages(state.messages);
  setStatus(state);
  renderLedger(state.ledger);
  showConfirm(state.pending_confirmation);
}

// ---- turns (server-sent events over a POST) -----------------------------------------------

function parseEvent(block) {
  let kind = "message";
  const data = [];
  for (const line of block.split("\n")) {
    if (line.startsWith("event:")) kind = line.slice(6).trim();
    else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
  }
  return { kind, data: data.length ? JSON.parse(data.join("\n")) : {} };
}

async function streamTurn(path, body) {
  const response = await fetch(path, {
    method: "POST",
    headers: {
      Authorization: `Bearer ${store.get(KEYS.token)}`,
      "Content-Type": "application/json",
      Accept: "text/event-stream",
    },
    body: JSON.stringify(body),
  });
  if (!response.ok) {
    const data = await response.json().catch(() => null);
    throw new Error(errorText(data, response.status));
  }
  const bubble = addBubble("assistant", "", $("st-agent").textContent.replace("—", "") || "…");
  bubble.classList.add("pending");
  const text = bubble.querySelector(".body");
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let streamed = false;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const { kind, data } = parseEvent(buffer.slice(0, cut));
      buffer = buffer.slice(cut + 2);
      if (kind === "agent") {
        bubble.querySelector(".who").textContent = pretty(data.agent);
        $("st-agent").textContent = pretty(data.agent);
      } else if (kind === "queued") {
        text.textContent = `Waiting for the previous message (${data.ahead} ahead)…`;
      } else if (kind === "token") {
        if (!streamed) text.textContent = "";
        streamed = true;
        text.textContent += data.text;
        scrollDown();
      } else if (kind === "replace") {
        text.textContent = data.text; // the output guard replaced the streamed reply
        streamed = true;
      } else if (kind === "tool") {
        addToolChip(bubble, data.name);
      } else if (kind === "confirm") {
        showConfirm(data);
      } else if (kind === "error") {
        throw new Error(data.message || "The turn failed.");
      } else if (kind === "done") {
        if (data.reply) text.textContent = data.reply; // the final reply is authoritative
      }
    }
  }
  bubble.classList.remove("pending");
}

async function runTurn(path, body, echo) {
  if (busy) return;
  busy = true;
  $("send").disabled = true;
  $("chat-error").textContent = "";
  if (echo) addBubble("user", echo);
  try {
    await streamTurn(path, body);
  } catch (error) {
    $("chat-error").textContent = error.message;
  } finally {
    busy = false;
    $("send").disabled = false;
    await refresh().catch((error) => ($("chat-error").textContent = error.message));
  }
}

function threadPath(suffix) {
  return `/v1/threads/${encodeURIComponent(store.get(KEYS.thread))}/${suffix}`;
}

// ---- wiring --------------------------------------------------------------------------------

function wire() {
  $("dev-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await signInAs($("dev-customer").value);
      await startChat();
    } catch (error) {
      $("signin-error").textContent = error.message;
    }
  });
  $("token-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    store.set(KEYS.token, $("api-token").value.trim());
    store.set(KEYS.customer, "API token");
    try {
      await startChat();
    } catch (error) {
      store.clear();
      $("signin-error").textContent = error.message;
    }
  });
  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("input");
    const value = input.value.trim();
    if (!value) return;
    input.value = "";
    runTurn(threadPath("messages"), { text: value }, value);
  });
  $("input").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      $("composer").requestSubmit();
    }
  });
  $("confirm-yes").addEventListener("click", () => {
    showConfirm(null);
    runTurn(threadPath("confirm"), { approve: true }, "Yes, go ahead.");
  });
  $("confirm-no").addEventListener("click", () => {
    showConfirm(null);
    runTurn(threadPath("confirm"), { approve: false }, "No.");
  });
  $("new-thread").addEventListener("click", async () => {
    sessionStorage.removeItem(KEYS.thread);
    await startChat();
  });
  $("sign-out").addEventListener("click", async () => {
    store.clear();
    await showSignIn();
  });
}

async function main() {
  wire();
  if (!store.get(KEYS.token)) return showSignIn();
  try {
    await startChat();
  } catch (error) {
    store.clear();
    await showSignIn();
    $("signin-error").textContent = error.message;
  }
}

main();
