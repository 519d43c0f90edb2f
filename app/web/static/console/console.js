/*
 * Psyline care console: sign in, live queue, one open conversation, replies.
 *
 * No framework. Every piece of data reaches the DOM through textContent (never
 * an HTML parser). GraphQL over HTTP for queries and mutations; one WebSocket
 * (graphql-transport-ws, the vendored `graphql-ws` client) for both
 * subscriptions. The operations are the contract documents, verbatim, in
 * operations.graphql (built by app/web/console.py from app/contract: console and mobile),
 * then the console's own (console.graphql: "my conversations", the chat header, and for
 * admins the partner's figures with an inline-SVG chart, no chart library).
 * Every text is Russian, and so are the server's messages: Accept-Language: ru over
 * HTTP, locale "ru" in the WebSocket's connectionParams.
 */
(function () {
  "use strict";

  // The operations, by name: /console/operations.graphql, the contract documents (app/contract)
  // verbatim (a test checks it), loaded once at start.
  let OPS = null;

  async function loadOperations() {
    const response = await fetch("/console/operations.graphql", { cache: "no-cache" });
    if (!response.ok) throw new Error(`operations: HTTP ${response.status}`);
    const text = await response.text();
    const starts = [...text.matchAll(/^(query|mutation|subscription|fragment)\s+(\w+)/gm)];
    const blocks = { operation: {}, fragment: {} };
    starts.forEach((m, i) => {
      const endAt = i + 1 < starts.length ? starts[i + 1].index : text.length;
      blocks[m[1] === "fragment" ? "fragment" : "operation"][m[2]] = text.slice(m.index, endAt).trim();
    });
    // Each operation travels with the fragments it spreads (and theirs), each once.
    const ops = {};
    for (const [name, body] of Object.entries(blocks.operation)) {
      const needed = [];
      const pending = [body];
      while (pending.length) {
        for (const m of pending.pop().matchAll(/\.\.\.\s*([A-Za-z_]\w*)/g)) {
          const fragment = blocks.fragment[m[1]];
          if (fragment && !needed.includes(fragment)) {
            needed.push(fragment);
            pending.push(fragment);
          }
        }
      }
      ops[name] = [body, ...needed].join("\n\n");
    }
    return Object.freeze(ops);
  }

  const SESSION_KEY = "psyline.console.session";
  const HTTP_URL = new URL("/graphql", window.location.href).toString();
  const WS_URL = HTTP_URL.replace(/^http/, "ws");
  const QUEUE_PAGE = 100; // the API's cap
  const MINE_PAGE = 30;
  const LOCALE = "ru";
  const HISTORY_PAGE = 30;
  const REFRESH_LEAD_MS = 60 * 1000; // refresh the access token this long before it expires
  const PONG_TIMEOUT_MS = 5000;
  const QUEUE_RESYNC_MS = 60 * 1000;

  // ---------------------------------------------------------------- helpers

  const $ = (id) => document.getElementById(id);

  /** Build an element; strings among the children become text nodes. */
  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "className") node.className = value;
      else if (key === "dataset") Object.assign(node.dataset, value);
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, String(value));
    }
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      node.append(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  /** RFC 4122 v4; crypto.randomUUID needs a secure context, getRandomValues does not. */
  function uuid() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    const b = window.crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  const timeFmt = new Intl.DateTimeFormat("ru-RU", { hour: "2-digit", minute: "2-digit" });
  const dateTimeFmt = new Intl.DateTimeFormat("ru-RU", {
    day: "numeric", month: "short", hour: "2-digit", minute: "2-digit",
  });

  function formatTime(iso) {
    if (!iso) return "";
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return "";
    const today = new Date();
    return d.toDateString() === today.toDateString() ? timeFmt.format(d) : dateTimeFmt.format(d);
  }

  function formatDuration(ms) {
    const total = Math.floor(Math.abs(ms) / 1000);
    const h = Math.floor(total / 3600);
    const m = Math.floor((total % 3600) / 60);
    const s = total % 60;
    const mmss = `${String(m).padStart(2, "0")}:${String(s).padStart(2, "0")}`;
    return h ? `${h}:${mmss}` : mmss;
  }

  let noticeTimer = null;
  function notify(text, kind) {
    const box = $("notice");
    box.textContent = text;
    box.dataset.kind = kind || "info";
    box.hidden = false;
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(() => { box.hidden = true; }, 6000);
  }

  /** The server refused our credentials (vs. a network problem). */
  class SessionEnded extends Error {}
  /** Top-level GraphQL errors. */
  class GraphQLErrors extends Error {
    constructor(errors) {
      super((errors[0] && errors[0].message) || "Ошибка сервера");
      this.errors = errors;
    }
  }

  const errorCodes = (errors) =>
    (Array.isArray(errors) ? errors : []).map((e) => (e && e.extensions && e.extensions.code) || null);
  const isUnauthenticated = (errors) => errorCodes(errors).includes("UNAUTHENTICATED");

  // ---------------------------------------------------------------- session

  const state = {
    session: null, // { accessToken, accessTokenExpiresAt, refreshToken, email }
    client: null, // graphql-ws client
    inbox: null, // the careInbox liveSubscription
    queue: new Map(), // conversation id -> CareQueue node
    queueTotal: 0,
    queueEnd: null,
    queueHasNext: false,
    queueSeq: 0, // the newest first-page reload
    queueDirty: false, // an inbox event arrived since that reload started
    tab: "queue", // "queue" | "mine"
    mine: [], // MyConversations nodes shown, newest message first
    mineEnd: null,
    mineHasNext: false,
    mineSeq: 0, // the newest "my conversations" load (older answers are dropped)
    mineSearch: "",
    open: null, // the open conversation (see openConversation)
    refreshTimer: null,
    tickTimer: null,
    queueTimer: null,
    pongTimer: null,
    socket: null, // the current WebSocket (for the pong watchdog)
    socketToken: null, // the access token the current connection was opened with
    wasConnected: false, // a connection was up before (the next one reloads the queue)
    refreshing: null,
  };

  function loadSession() {
    try {
      const raw = window.sessionStorage.getItem(SESSION_KEY);
      const s = raw ? JSON.parse(raw) : null;
      return s && s.accessToken && s.refreshToken ? s : null;
    } catch (_) {
      return null;
    }
  }

  function saveSession(session) {
    state.session = session;
    try {
      window.sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
    } catch (_) {
      /* storage full or disabled: the session still lives in memory */
    }
    scheduleRefresh();
  }

  function expiresInMs() {
    const s = state.session;
    return s ? Date.parse(s.accessTokenExpiresAt) - Date.now() : -1;
  }

  function scheduleRefresh() {
    clearTimeout(state.refreshTimer);
    if (!state.session) return;
    const delay = Math.max(1000, expiresInMs() - REFRESH_LEAD_MS);
    state.refreshTimer = setTimeout(async () => {
      try {
        await refreshSession();
        restartSocket(); // the open socket was authenticated with the old token
      } catch (err) {
        if (err instanceof SessionEnded) signOut("Сессия завершена, войдите снова.");
        else state.refreshTimer = setTimeout(scheduleRefresh, 10000); // network, server: again
      }
    }, delay);
  }

  /** One refresh at a time; concurrent callers share it. */
  function refreshSession() {
    if (!state.refreshing) {
      state.refreshing = (async () => {
        const current = state.session;
        if (!current) throw new SessionEnded("signed out");
        const body = await postGraphQL(OPS.RefreshSession, { refreshToken: current.refreshToken }, null);
        const payload = body.data && body.data.refreshSession;
        if (!payload) throw new GraphQLErrors(body.errors || []); // a server fault: try later
        if (!payload.session) throw new SessionEnded("refresh refused");
        if (state.session !== current) return; // signed out meanwhile
        saveSession({ ...payload.session, email: current.email });
      })().finally(() => {
        state.refreshing = null;
      });
    }
    return state.refreshing;
  }

  async function ensureFreshToken() {
    if (!state.session) throw new SessionEnded("signed out");
    if (expiresInMs() < 30 * 1000) await refreshSession();
  }

  // ---------------------------------------------------------------- HTTP

  async function postGraphQL(query, variables, token) {
    const headers = {
      "Content-Type": "application/json",
      Accept: "application/json",
      "Accept-Language": LOCALE,
    };
    if (token) headers.Authorization = `Bearer ${token}`;
    const response = await fetch(HTTP_URL, {
      method: "POST",
      headers,
      body: JSON.stringify({ query, variables }),
      credentials: "omit",
      cache: "no-store",
    });
    let body;
    try {
      body = await response.json();
    } catch (_) {
      throw new Error(`HTTP ${response.status}`);
    }
    return body;
  }

  /** An authenticated operation; refreshes once on UNAUTHENTICATED. Returns data. */
  async function gql(query, variables) {
    for (let attempt = 0; ; attempt += 1) {
      await ensureFreshToken();
      const body = await postGraphQL(query, variables, state.session.accessToken);
      if (isUnauthenticated(body.errors) && attempt === 0) {
        await refreshSession();
        continue;
      }
      if (isUnauthenticated(body.errors)) throw new SessionEnded("unauthenticated");
      if (body.errors && body.errors.length) throw new GraphQLErrors(body.errors);
      return body.data;
    }
  }

  function reportError(err, what) {
    if (!state.session) return; // signed out meanwhile: nothing to report
    if (err instanceof SessionEnded) {
      signOut("Сессия завершена, войдите снова.");
    } else if (err instanceof GraphQLErrors) {
      notify(`${what}: ${err.message}`, "error");
    } else {
      notify(`${what}: нет связи с сервером.`, "error");
    }
  }

  // ---------------------------------------------------------------- WebSocket

  function setConn(kind, text) {
    const c = $("conn");
    c.dataset.state = kind;
    c.textContent = text;
  }

  function startSocket() {
    state.wasConnected = false;
    state.client = window.graphqlWs.createClient({
      url: WS_URL,
      lazy: true,
      lazyCloseTimeout: 3000,
      connectionParams: async () => {
        await ensureFreshToken();
        state.socketToken = state.session.accessToken;
        return { Authorization: `Bearer ${state.socketToken}`, locale: LOCALE };
      },
      // Never give up after a network drop: back off up to ~10 s between attempts.
      retryAttempts: Infinity,
      shouldRetry: () => Boolean(state.session),
      retryWait: (retries) => sleep(Math.min(10000, 500 * 2 ** retries) + Math.random() * 500),
      keepAlive: 10000,
      on: {
        connecting: () => setConn("connecting", "подключение…"),
        connected: () => {
          setConn("online", "онлайн");
          // Inbox events sent while we were away are gone: reload the queue.
          // (messageAdded resumes by itself: its `after` is the last cursor shown.)
          if (state.wasConnected) loadQueue();
          state.wasConnected = true;
        },
        closed: (event) => {
          if (!state.session) return;
          setConn("offline", "нет связи, переподключение…");
          // 4403: the server refused the token; refresh it before the next attempt.
          if (event && event.code === 4403) {
            refreshSession().catch((err) => {
              if (err instanceof SessionEnded) signOut("Сессия завершена, войдите снова.");
            });
          }
        },
        // A silently dead connection never closes by itself: no pong in time -> close it.
        ping: (received) => {
          if (received) return;
          clearTimeout(state.pongTimer);
          state.pongTimer = setTimeout(() => {
            if (state.socket && state.socket.readyState === WebSocket.OPEN) {
              state.socket.close(4408, "Pong timeout");
            }
          }, PONG_TIMEOUT_MS);
        },
        pong: (received) => {
          if (received) clearTimeout(state.pongTimer);
        },
        opened: (socket) => {
          state.socket = socket;
        },
      },
    });
  }

  /**
   * A new connection, authenticated with the current token; active subscriptions
   * resume by themselves. Once per token: several callers may ask at the same time.
   */
  function restartSocket() {
    const s = state.session;
    if (!state.client || !s || !state.socketToken || state.socketToken === s.accessToken) {
      return;
    }
    state.socketToken = null;
    state.client.terminate();
  }

  /**
   * A subscription that stays up. The server ends one with an error (in a `next`
   * payload or an `error` message) or completes it (shutdown): an expired or refused
   * token is refreshed and the socket reopened; anything else is retried with back-off,
   * except a refusal (FORBIDDEN, bad input), which is shown and left. Reconnects after
   * a network drop are graphql-ws's own (same payload object, so the same `after`).
   */
  function liveSubscription(what, payload, onData) {
    const sub = { stopped: false, dispose: null, failures: 0 };
    const start = () => {
      if (sub.stopped || !state.client) return;
      let ended = false;
      const end = (errors) => {
        if (ended || sub.stopped) return;
        ended = true;
        if (sub.dispose) sub.dispose();
        onSubscriptionEnd(sub, errors, start, what);
      };
      sub.dispose = state.client.subscribe(payload, {
        next: (result) => {
          if (result.errors && result.errors.length) {
            end(result.errors);
            return;
          }
          sub.failures = 0;
          if (result.data) onData(result.data);
        },
        error: (err) => end(Array.isArray(err) ? err : null),
        complete: () => end(null),
      });
    };
    sub.stop = () => {
      sub.stopped = true;
      if (sub.dispose) sub.dispose();
    };
    start();
    return sub;
  }

  function onSubscriptionEnd(sub, errors, restart, what) {
    if (!state.session) return;
    const codes = errorCodes(errors);
    if (codes.includes("UNAUTHENTICATED")) {
      refreshSession()
        .then(() => {
          restartSocket(); // this connection was opened with the expired token
          restart();
        })
        .catch((err) => reportError(err, what));
      return;
    }
    const message = errors && errors[0] && errors[0].message;
    if (codes.includes("FORBIDDEN") || codes.includes("BAD_USER_INPUT")) {
      notify(`${what}: ${message}`, "error");
      return;
    }
    sub.failures += 1;
    if (message) notify(`${what}: ${message}. Повторяем…`, "error");
    setTimeout(restart, Math.min(30000, 500 * 2 ** Math.min(sub.failures, 6)));
  }

  // ---------------------------------------------------------------- queue

  function subscribeInbox() {
    if (state.inbox) state.inbox.stop();
    state.inbox = liveSubscription(
      "Очередь",
      { query: OPS.CareInbox, operationName: "CareInbox", variables: {} },
      (data) => {
        if (data.careInbox) onInboxEvent(data.careInbox);
      },
    );
  }

  let queueReload = null;
  function scheduleQueueReload() {
    if (queueReload) return;
    queueReload = setTimeout(() => {
      queueReload = null;
      loadQueue();
    }, 150);
  }

  function onInboxEvent(event) {
    const conv = event.conversation;
    if (!conv) return;
    state.queueDirty = true; // matters only while a reload is in flight (see loadQueue)
    const known = state.queue.get(conv.id);
    if (event.kind === "SLA_BREACHED") {
      const who = known && known.client ? known.client.displayName : "";
      notify(`Срок первого ответа истёк${who ? `: ${who}` : ""}.`, "warn");
    }
    if (!conv.waitingSince) {
      // Answered: it leaves the queue.
      if (known) {
        state.queue.delete(conv.id);
        state.queueTotal = Math.max(0, state.queueTotal - 1);
      }
    } else if (known) {
      known.waitingSince = conv.waitingSince;
      known.slaDueAt = conv.slaDueAt;
      known.assignee = conv.assignee;
      if (event.message) known.lastMessage = { text: event.message.text, sentAt: event.message.sentAt };
    } else {
      scheduleQueueReload(); // a new conversation: the event lacks the client's name
    }
    if (state.open && state.open.id === conv.id) {
      state.open.assignee = conv.assignee;
      renderChatHead();
    }
    renderQueue();
    if (state.tab === "mine" && state.mine.some((c) => c.id === conv.id)) scheduleMineReload();
  }

  /**
   * The first page again (or the next one). An inbox event that lands while a reload
   * is in flight may be older news than the reload's snapshot or newer: reload once
   * more afterwards, and let only the newest reload write.
   */
  async function loadQueue(more) {
    const seq = more ? state.queueSeq : ++state.queueSeq;
    if (!more) state.queueDirty = false;
    try {
      const after = more ? state.queueEnd : null;
      const data = await gql(OPS.CareQueue, { first: QUEUE_PAGE, after });
      if (seq !== state.queueSeq) return; // a newer reload is on its way
      const conn = data.careQueue;
      if (!more) state.queue.clear();
      for (const edge of conn.edges) state.queue.set(edge.node.id, edge.node);
      state.queueTotal = conn.totalCount;
      state.queueEnd = conn.pageInfo.endCursor;
      state.queueHasNext = conn.pageInfo.hasNextPage;
      $("queue").dataset.loaded = "true";
      renderQueue();
      if (state.queueDirty) scheduleQueueReload();
    } catch (err) {
      reportError(err, "Очередь");
    }
  }

  function slaState(dueIso) {
    const left = Date.parse(dueIso) - Date.now();
    if (Number.isNaN(left)) return { cls: "", text: "" };
    if (left <= 0) return { cls: "breached", text: `просрочено ${formatDuration(left)}` };
    return { cls: left < 60 * 1000 ? "soon" : "ok", text: formatDuration(left) };
  }

  function renderSla(node, dueIso) {
    const s = slaState(dueIso);
    node.textContent = s.text;
    node.dataset.sla = s.cls;
  }

  const assigneeText = (assignee) => (assignee ? `Ведёт: ${assignee.displayName}` : "Не назначено");

  /** One conversation in a list (the queue, my conversations): opens on click or Enter. */
  function conversationItem(c, testid, ...children) {
    const open = () => openConversation(c.id, c.client);
    return el(
      "li",
      {
        className: `queue-item${state.open && state.open.id === c.id ? " active" : ""}`,
        dataset: { id: c.id, testid },
        tabindex: "0",
        role: "button",
        onclick: open,
        onkeydown: (ev) => {
          if (ev.key === "Enter") open();
        },
      },
      ...children,
    );
  }

  function renderQueue() {
    const list = $("queue");
    const focused = document.activeElement && document.activeElement.closest(".queue-item");
    const focusedId = focused && list.contains(focused) ? focused.dataset.id : null;
    const items = Array.from(state.queue.values()).sort(
      (a, b) => Date.parse(a.waitingSince) - Date.parse(b.waitingSince),
    );
    const rows = items.map((c) => {
      const sla = el("span", { className: "sla", dataset: { due: c.slaDueAt || "" }, title: "До конца 5 минут на ответ" });
      if (c.slaDueAt) renderSla(sla, c.slaDueAt);
      const client = c.client || {};
      const last = c.lastMessage;
      const assignee = assigneeText(c.assignee);
      const take = c.assignee
        ? null
        : el("button", {
          type: "button",
          className: "btn btn-small",
          text: "Взять",
          onclick: (ev) => {
            ev.stopPropagation();
            assign(c.id);
          },
        });
      return conversationItem(c, "queue-item",
        el("div", { className: "qi-top" },
          el("span", { className: "qi-name", text: client.displayName || "Клиент" }),
          el("span", { className: "qi-phone", text: client.maskedPhone || "" }),
          sla),
        el("div", { className: "qi-last", text: last ? last.text : "" }),
        el("div", { className: "qi-meta" },
          el("span", { text: `ждёт с ${formatTime(c.waitingSince)}` }),
          el("span", { className: "qi-assignee", text: assignee }),
          take),
      );
    });
    list.replaceChildren(...rows);
    if (focusedId) {
      const again = rows.find((row) => row.dataset.id === focusedId);
      if (again) again.focus(); // a re-render must not steal the keyboard focus
    }
    $("queue-count").textContent = String(state.queueTotal);
    $("queue-empty").hidden = items.length > 0;
    $("queue-more").hidden = !state.queueHasNext;
  }

  // ---------------------------------------------------------------- my conversations

  /** "Мои диалоги": the first page again (or the next one); the newest load wins. */
  async function loadMine(more) {
    const seq = ++state.mineSeq;
    const search = state.mineSearch;
    try {
      const after = more ? state.mineEnd : null;
      const data = await gql(OPS.MyConversations, { first: MINE_PAGE, after, search: search || null });
      if (seq !== state.mineSeq) return;
      const conn = data.careConversations;
      const nodes = conn.edges.map((edge) => edge.node);
      state.mine = more ? state.mine.concat(nodes.filter((n) => !state.mine.some((m) => m.id === n.id))) : nodes;
      state.mineEnd = conn.pageInfo.endCursor;
      state.mineHasNext = conn.pageInfo.hasNextPage;
      $("mine-count").textContent = String(conn.totalCount);
      $("mine-count").hidden = false;
      $("mine").dataset.loaded = "true";
      renderMine();
    } catch (err) {
      reportError(err, "Мои диалоги");
    }
  }

  let mineReload = null;
  function scheduleMineReload() {
    if (mineReload) return;
    mineReload = setTimeout(() => {
      mineReload = null;
      loadMine();
    }, 300);
  }

  /** "1EY-XKK6 · Клиника · +7 999 ***-**-67": how the care team tells clients apart. */
  function clientLine(client) {
    return [client.reference, client.partnerName, client.maskedPhone].filter(Boolean).join(" · ");
  }

  function renderMine() {
    const list = $("mine");
    const rows = state.mine.map((c) => {
      const client = c.client || {};
      const last = c.lastMessage;
      const badges = [];
      if (c.waitingSince) badges.push(el("span", { className: "badge badge-wait", text: "ждёт ответа" }));
      return conversationItem(c, "mine-item",
        el("div", { className: "qi-top" },
          el("span", { className: "qi-name", text: client.displayName || "Клиент" }),
          el("time", { className: "qi-when", dateTime: c.lastMessageAt, text: formatTime(c.lastMessageAt) })),
        el("div", { className: "qi-ref", dataset: { testid: "client-line" }, text: clientLine(client) }),
        el("div", { className: "qi-last", text: last ? last.text : "" }),
        el("div", { className: "qi-meta" },
          el("span", { className: "qi-assignee", text: assigneeText(c.assignee) }),
          ...badges),
      );
    });
    list.replaceChildren(...rows);
    const empty = $("mine-empty");
    empty.textContent = state.mineSearch
      ? "Ничего не найдено. Проверьте имя или номер клиента."
      : "Здесь появятся диалоги, которые вы вели.";
    empty.hidden = rows.length > 0 || list.dataset.loaded !== "true";
    $("mine-more").hidden = !state.mineHasNext;
  }

  function showTab(tab) {
    state.tab = tab;
    $("tab-queue").setAttribute("aria-selected", String(tab === "queue"));
    $("tab-mine").setAttribute("aria-selected", String(tab === "mine"));
    $("queue-view").hidden = tab !== "queue";
    $("mine-view").hidden = tab !== "mine";
    if (tab === "mine") loadMine();
  }

  let searchTimer = null;
  function onSearchInput() {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => {
      const text = $("mine-search").value.trim();
      if (text === state.mineSearch) return;
      state.mineSearch = text;
      loadMine();
    }, 250);
  }

  /** At phone width the list and the chat take turns (the CSS reads data-view). */
  function showView(view) {
    $("app-view").dataset.view = view;
  }

  function tick() {
    for (const node of document.querySelectorAll(".sla[data-due]")) {
      if (node.dataset.due) renderSla(node, node.dataset.due);
    }
  }

  async function assign(conversationId) {
    try {
      const data = await gql(OPS.AssignConversation, { conversationId });
      const payload = data.assignConversation;
      if (payload.errors && payload.errors.length) {
        notify(payload.errors[0].message, "error");
        return;
      }
      const conv = payload.conversation;
      const queued = state.queue.get(conv.id);
      if (queued) queued.assignee = conv.assignee;
      if (state.open && state.open.id === conv.id) {
        state.open.assignee = conv.assignee;
        renderChatHead();
      }
      renderQueue();
    } catch (err) {
      reportError(err, "Назначение");
    }
  }

  // ---------------------------------------------------------------- conversation

  function closeConversation() {
    const conv = state.open;
    state.open = null;
    if (conv && conv.sub) conv.sub.stop();
  }

  /** Back to the list (phone width): the conversation is closed. */
  function backToList() {
    closeConversation();
    $("chat-body").hidden = true;
    $("chat-placeholder").hidden = false;
    showView("list");
    renderQueue();
    if (state.tab === "mine") loadMine();
  }

  async function openConversation(id, client) {
    if (state.open && state.open.id === id) return;
    closeConversation();
    const queued = state.queue.get(id);
    const conv = {
      id,
      client: client || null,
      assignee: queued ? queued.assignee : null,
      ids: new Set(), // message ids shown: replays and our own replies never show twice
      pending: new Map(), // message id -> bubble shown from the mutation result
      lastCursor: null,
      startCursor: null,
      hasPrevious: false,
      payload: null,
      sub: null, // the messageAdded liveSubscription
      draftId: null, // clientMessageId of the text in the composer (a resend reuses it)
      draftText: null,
    };
    state.open = conv;
    showView("chat");
    $("chat-placeholder").hidden = true;
    $("chat-body").hidden = false;
    $("message-list").replaceChildren();
    $("reply").value = "";
    $("reply-error").hidden = true;
    renderChatHead();
    renderQueue();
    renderMine();
    try {
      const [data, header] = await Promise.all([
        gql(OPS.ConversationHistory, { id, last: HISTORY_PAGE, before: null }),
        gql(OPS.ConversationClient, { id }),
      ]);
      if (state.open !== conv) return;
      const node = data.node;
      if (!node) {
        notify("Обращение не найдено.", "error");
        return;
      }
      conv.client = { ...node.client, ...((header.node && header.node.client) || {}) };
      if (header.node) conv.assignee = header.node.assignee;
      renderChatHead();
      const page = node.messages;
      for (const edge of page.edges) showMessage(conv, edge.node, edge.cursor);
      conv.startCursor = page.pageInfo.startCursor;
      conv.hasPrevious = page.pageInfo.hasPreviousPage;
      $("earlier").hidden = !conv.hasPrevious;
      scrollToEnd(true);
      subscribeMessages(conv);
      $("reply").focus();
    } catch (err) {
      if (state.open === conv) reportError(err, "История");
    }
  }

  function subscribeMessages(conv) {
    if (state.open !== conv) return;
    // graphql-ws sends this same payload object again on every reconnect (and so do
    // our resubscriptions), so keeping `after` at the last cursor shown makes each
    // one replay exactly the gap.
    conv.payload = {
      query: OPS.MessageAdded,
      operationName: "MessageAdded",
      variables: { conversationId: conv.id, after: conv.lastCursor },
    };
    conv.sub = liveSubscription("Сообщения", conv.payload, (data) => {
      const edge = data.messageAdded;
      if (edge && state.open === conv) {
        const atEnd = nearEnd();
        showMessage(conv, edge.node, edge.cursor);
        scrollToEnd(atEnd);
      }
    });
  }

  function renderChatHead() {
    const conv = state.open;
    if (!conv) return;
    const client = conv.client || {};
    $("chat-title").textContent = client.displayName || "Клиент";
    $("chat-sub").textContent = clientLine(client);
    $("chat-assignee").textContent = assigneeText(conv.assignee);
    $("chat-assign").hidden = Boolean(conv.assignee);
  }

  function messageNode(message, pending) {
    const author = message.author || null;
    const role = author ? author.role : "SYSTEM";
    const who = author ? author.displayName || (role === "CLIENT" ? "Клиент" : "Сотрудник") : "Ассистент";
    return el(
      "li",
      {
        className: `msg ${role === "CLIENT" ? "msg-client" : "msg-staff"}${pending ? " pending" : ""}`,
        dataset: { id: message.id, role, testid: "message" },
      },
      el("div", { className: "msg-meta" },
        el("span", { className: "msg-author", text: who }),
        el("time", { dateTime: message.sentAt, text: formatTime(message.sentAt) })),
      el("div", { className: "msg-text", text: message.text }),
    );
  }

  /** Show a message from history or the subscription, at most once. */
  function showMessage(conv, message, cursor) {
    if (cursor) {
      conv.lastCursor = cursor;
      if (conv.payload) conv.payload.variables.after = cursor;
    }
    const pending = conv.pending.get(message.id);
    if (pending) {
      pending.remove(); // our own reply, now in its place in the stream
      conv.pending.delete(message.id);
    } else if (conv.ids.has(message.id)) {
      return;
    }
    conv.ids.add(message.id);
    $("message-list").append(messageNode(message, false));
  }

  async function loadEarlier() {
    const conv = state.open;
    if (!conv || !conv.hasPrevious) return;
    try {
      const data = await gql(OPS.ConversationHistory, { id: conv.id, last: HISTORY_PAGE, before: conv.startCursor });
      if (state.open !== conv || !data.node) return;
      const page = data.node.messages;
      const list = $("message-list");
      const box = $("messages");
      const fromBottom = box.scrollHeight - box.scrollTop;
      const nodes = [];
      for (const edge of page.edges) {
        if (conv.ids.has(edge.node.id)) continue;
        conv.ids.add(edge.node.id);
        nodes.push(messageNode(edge.node, false));
      }
      list.prepend(...nodes);
      box.scrollTop = box.scrollHeight - fromBottom;
      conv.startCursor = page.pageInfo.startCursor;
      conv.hasPrevious = page.pageInfo.hasPreviousPage;
      $("earlier").hidden = !conv.hasPrevious;
    } catch (err) {
      reportError(err, "История");
    }
  }

  function nearEnd() {
    const box = $("messages");
    return box.scrollHeight - box.scrollTop - box.clientHeight < 80;
  }

  function scrollToEnd(force) {
    if (!force) return;
    const box = $("messages");
    box.scrollTop = box.scrollHeight;
  }

  function showReplyError(text) {
    const box = $("reply-error");
    box.textContent = text;
    box.hidden = !text;
  }

  async function sendReply() {
    const conv = state.open;
    const input = $("reply");
    const text = input.value.trim();
    if (!conv || !text) return;
    // The same text after a failed attempt keeps its clientMessageId: no duplicate.
    if (conv.draftText !== text) {
      conv.draftId = uuid();
      conv.draftText = text;
    }
    const button = $("send");
    button.disabled = true;
    showReplyError("");
    try {
      const data = await gql(OPS.AgentReply, {
        conversationId: conv.id,
        text,
        clientMessageId: conv.draftId,
      });
      const payload = data.sendMessage;
      if (payload.errors && payload.errors.length) {
        showReplyError(payload.errors.map((e) => e.message).join(" "));
        return;
      }
      if (state.open === conv) {
        if (input.value.trim() === text) input.value = "";
        conv.draftId = null;
        conv.draftText = null;
        const message = payload.message;
        if (message && !conv.ids.has(message.id) && !conv.pending.has(message.id)) {
          // Shown until the subscription delivers it in stream order.
          const bubble = messageNode(message, true);
          conv.pending.set(message.id, bubble);
          $("message-list").append(bubble);
          scrollToEnd(true);
        }
        if (state.tab === "mine") scheduleMineReload();
      }
    } catch (err) {
      if (err instanceof SessionEnded) reportError(err, "Ответ");
      else if (err instanceof GraphQLErrors) showReplyError(err.message);
      else showReplyError("Не отправлено: нет связи. Отправьте ещё раз, дубля не будет.");
    } finally {
      button.disabled = false;
    }
  }

  // ---------------------------------------------------------------- dashboard (admins)

  // Built for admins only (viewer.role, asked after sign-in): for everyone else the
  // dashboard is not in the page at all. The chart is inline SVG drawn here.
  const SVG_NS = "http://www.w3.org/2000/svg";
  const DASH_DEFAULT_DAYS = 30;
  const DASH_MAX_DAYS = 366; // the API's cap
  const STATUS_LABELS = {
    CONFIRMED: "Предстоят",
    COMPLETED: "Состоялись",
    NO_SHOW: "Неявки",
    CANCELLED: "Отменены вовремя",
    LATE_CANCELLED: "Отменены поздно",
    RESCHEDULED: "Перенесены",
  };
  const percentFmt = new Intl.NumberFormat("ru-RU", { style: "percent", maximumFractionDigits: 1 });
  const numberFmt = new Intl.NumberFormat("ru-RU", { maximumFractionDigits: 1 });
  const dayFmt = new Intl.DateTimeFormat("ru-RU", { day: "numeric", month: "short", timeZone: "UTC" });

  const none = (v) => v === null || v === undefined;
  const pct = (v) => (none(v) ? "—" : percentFmt.format(v));
  const num = (v) => (none(v) ? "—" : numberFmt.format(v));
  const minutesText = (v) => (none(v) ? "—" : v < 120 ? `${num(v)} мин` : `${num(v / 60)} ч`);
  const secondsText = (v) => (none(v) ? "—" : v < 120 ? `${num(v)} с` : `${num(v / 60)} мин`);
  const dayText = (iso) => dayFmt.format(new Date(`${iso}T00:00:00Z`));

  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null) continue;
      if (key === "text") node.textContent = value;
      else node.setAttribute(key, String(value));
    }
    for (const child of children) if (child) node.append(child);
    return node;
  }

  /** A local date as YYYY-MM-DD (the value of <input type="date">). */
  function inputDate(d) {
    const p = (n) => String(n).padStart(2, "0");
    return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
  }

  /** Local midnight of an <input type="date"> value, `plusDays` later. */
  function localMidnight(value, plusDays) {
    const [y, m, d] = value.split("-").map(Number);
    return new Date(y, m - 1, d + (plusDays || 0));
  }

  function mountDashboard() {
    if ($("dashboard-view")) return;
    const today = new Date();
    const from = new Date(today.getFullYear(), today.getMonth(), today.getDate() - DASH_DEFAULT_DAYS + 1);
    const button = el("button", {
      type: "button", className: "btn btn-ghost", id: "open-dashboard",
      dataset: { testid: "open-dashboard" }, onclick: () => showDashboard(true),
    }, "Показатели");
    $("topbar-right").prepend(button);
    const form = el("form", { className: "dash-period", id: "dash-form", novalidate: true },
      el("label", { for: "dash-from" }, "С"),
      el("input", { id: "dash-from", type: "date", value: inputDate(from), required: true }),
      el("label", { for: "dash-to" }, "по"),
      el("input", { id: "dash-to", type: "date", value: inputDate(today), required: true }),
      el("select", {
        id: "dash-partner", "aria-label": "Партнёр", hidden: true,
        dataset: { testid: "dash-partner" }, onchange: () => loadDashboard(),
      }),
      el("button", { type: "submit", className: "btn btn-primary", id: "dash-show" }, "Показать"));
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      loadDashboard();
    });
    const view = el("main", { id: "dashboard-view", className: "dashboard", hidden: true, dataset: { testid: "dashboard" } },
      el("div", { className: "dash-head" },
        el("button", { type: "button", className: "btn btn-ghost", id: "dash-back", onclick: () => showDashboard(false) }, "← К обращениям"),
        el("h1", {}, "Показатели партнёра"),
        el("span", { className: "dash-scope", id: "dash-scope" })),
      form,
      el("p", { className: "form-error", id: "dash-error", role: "alert", hidden: true }),
      el("div", { className: "dash-figures", id: "dash-figures", dataset: { testid: "dash-figures" } }),
      el("section", { className: "card dash-chart-card" },
        el("h2", {}, "Регистрации и время до первой консультации по дням"),
        el("div", { id: "dash-chart", dataset: { testid: "dash-chart" } }),
        el("div", { className: "dash-legend" },
          el("span", { className: "legend-bar" }, "Регистрации"),
          el("span", { className: "legend-line" }, "До первой консультации (медиана)"))));
    $("app-view").after(view);
  }

  function unmountDashboard() {
    for (const id of ["dashboard-view", "open-dashboard"]) {
      const node = $(id);
      if (node) node.remove();
    }
  }

  function showDashboard(open) {
    const view = $("dashboard-view");
    if (!view) return;
    view.hidden = !open;
    $("app-view").hidden = open;
    $("open-dashboard").hidden = open;
    if (open) loadPartners().then(loadDashboard);
  }

  /** The partner choice: every partner together, or one; none to choose when scoped. */
  async function loadPartners() {
    const select = $("dash-partner");
    if (!select || select.dataset.loaded === "true") return;
    try {
      const data = await gql(OPS.ConsolePartners, {});
      if (!$("dash-partner")) return;
      const partners = data.partners || [];
      const options = partners.map((p) => el("option", { value: p.id }, `${p.name} (${p.timeZone})`));
      if (partners.length > 1) options.unshift(el("option", { value: "" }, "Все партнёры"));
      select.replaceChildren(...options);
      select.hidden = partners.length < 2;
      select.dataset.loaded = "true";
    } catch (err) {
      reportError(err, "Партнёры");
    }
  }

  function showDashError(text) {
    const box = $("dash-error");
    box.textContent = text || "";
    box.hidden = !text;
  }

  let dashSeq = 0;
  async function loadDashboard() {
    const fromValue = $("dash-from").value;
    const toValue = $("dash-to").value;
    if (!fromValue || !toValue) {
      showDashError("Укажите начало и конец периода.");
      return;
    }
    const from = localMidnight(fromValue, 0);
    const to = localMidnight(toValue, 1); // the last day included
    if (to <= from) {
      showDashError("Конец периода раньше его начала.");
      return;
    }
    if ((to - from) / 86400000 > DASH_MAX_DAYS + 1) {
      showDashError(`Период не может быть длиннее ${DASH_MAX_DAYS} дней.`);
      return;
    }
    showDashError("");
    const seq = ++dashSeq;
    $("dashboard-view").dataset.loaded = "false";
    try {
      const select = $("dash-partner");
      const partnerId = select && !select.hidden && select.value ? select.value : null;
      const data = await gql(OPS.ConsoleDashboard, { from: from.toISOString(), to: to.toISOString(), partnerId });
      if (seq !== dashSeq || !$("dashboard-view")) return;
      renderDashboard(data.partnerMetrics);
      $("dashboard-view").dataset.loaded = "true";
    } catch (err) {
      if (seq !== dashSeq) return;
      if (err instanceof GraphQLErrors) showDashError(err.message);
      else reportError(err, "Показатели");
    }
  }

  function figure(testid, title, value, ...details) {
    return el("div", { className: "card dash-figure", dataset: { testid } },
      el("div", { className: "dash-title" }, title),
      el("div", { className: "dash-value", dataset: { testid: `${testid}-value` } }, value),
      ...details.filter(Boolean).map((d) => el("div", { className: "dash-detail" }, d)));
  }

  function renderDashboard(m) {
    $("dash-scope").textContent = `${m.partner ? m.partner.name : "все партнёры"} · дни по ${m.timeZone}`;
    const ttfc = m.timeToFirstConsultation;
    const care = m.careFirstResponse;
    const reviews = m.reviews;
    const statuses = el("ul", { className: "dash-statuses" },
      ...m.bookingsByStatus.map((s) => el("li", { dataset: { status: s.status } },
        el("span", {}, STATUS_LABELS[s.status] || s.status), el("span", {}, String(s.count)))));
    $("dash-figures").replaceChildren(
      figure("figure-registrations", "Регистрации", String(m.registrations), "клиенты, впервые вошедшие за период"),
      figure("figure-ttfc", "До первой консультации", minutesText(ttfc.medianMinutes),
        `медиана; 90-й перцентиль ${minutesText(ttfc.p90Minutes)}`, `клиентов: ${ttfc.clients}`),
      figure("figure-repeat", "Повторные сессии", pct(m.repeatRate), "клиенты с двумя и более сессиями"),
      figure("figure-care", "Первый ответ службы заботы", secondsText(care.medianSeconds),
        `медиана; в пределах 5 минут ${pct(care.withinSlaShare)}`, `ответов: ${care.answered}`),
      figure("figure-reviews", "Отзывы", String(reviews.count),
        `средняя оценка ${num(reviews.averageRating)}`, `положительных (4–5) ${pct(reviews.positiveShare)}`),
      figure("figure-conversion", "Из чекапа в сессию", pct(m.checkupToSessionConversion), "запись на сессию в течение 30 дней"),
      figure("figure-bookings", "Записи на период", String(m.bookingsByStatus.reduce((t, s) => t + s.count, 0)),
        `поздние отмены ${pct(m.lateCancellationRate)}`, `неявки ${pct(m.noShowRate)}`, statuses),
    );
    $("dash-chart").replaceChildren(chart(m.registrationsByDay, m.timeToFirstConsultationByDay));
  }

  /** Bars: registrations per day (left scale); line: median minutes to the first
   * consultation on the days that had one (right scale). */
  function chart(registrations, consultations) {
    const W = 760, H = 240, L = 44, R = 56, T = 12, B = 28;
    const n = registrations.length;
    const plotW = W - L - R, plotH = H - T - B;
    const slot = plotW / Math.max(1, n);
    const maxCount = Math.max(1, ...registrations.map((d) => d.count));
    const minutes = consultations.filter((d) => d.clients > 0).map((d) => d.medianMinutes);
    const maxMinutes = Math.max(1, ...minutes);
    const x = (i) => L + slot * i + slot / 2;
    const yCount = (v) => T + plotH - (v / maxCount) * plotH;
    const yMinutes = (v) => T + plotH - (v / maxMinutes) * plotH;
    const root = svg("svg", {
      viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img",
      "aria-label": "Регистрации и время до первой консультации по дням",
    });
    root.append(svg("line", { x1: L, y1: T + plotH, x2: W - R, y2: T + plotH, class: "axis" }));
    root.append(svg("text", { x: L - 6, y: T + 10, class: "tick tick-left", text: String(maxCount) }));
    root.append(svg("text", { x: L - 6, y: T + plotH, class: "tick tick-left", text: "0" }));
    if (minutes.length) {
      root.append(svg("text", { x: W - R + 6, y: T + 10, class: "tick tick-right", text: minutesText(maxMinutes) }));
    }
    const bars = svg("g", { class: "bars" });
    registrations.forEach((d, i) => {
      const top = yCount(d.count);
      bars.append(svg("rect", {
        x: x(i) - Math.max(1, slot * 0.35), y: top, width: Math.max(2, slot * 0.7), height: T + plotH - top,
        class: "bar", "data-date": d.date, "data-count": d.count,
      }, svg("title", { text: `${dayText(d.date)}: ${d.count}` })));
    });
    root.append(bars);
    const points = [];
    const dots = svg("g", { class: "dots" });
    consultations.forEach((d, i) => {
      if (!d.clients || none(d.medianMinutes)) return;
      points.push(`${x(i).toFixed(1)},${yMinutes(d.medianMinutes).toFixed(1)}`);
      dots.append(svg("circle", {
        cx: x(i).toFixed(1), cy: yMinutes(d.medianMinutes).toFixed(1), r: 3, class: "dot", "data-date": d.date,
      }, svg("title", { text: `${dayText(d.date)}: ${minutesText(d.medianMinutes)} (клиентов: ${d.clients})` })));
    });
    if (points.length > 1) root.append(svg("polyline", { points: points.join(" "), class: "line" }));
    root.append(dots);
    const labelAt = n <= 1 ? [0] : [0, Math.floor((n - 1) / 2), n - 1];
    for (const i of new Set(labelAt)) {
      if (!registrations[i]) continue;
      root.append(svg("text", { x: x(i), y: H - 8, class: "tick tick-day", text: dayText(registrations[i].date) }));
    }
    return root;
  }

  // ---------------------------------------------------------------- sign in / out

  function showLogin(message) {
    $("app-view").hidden = true;
    $("topbar-right").hidden = true;
    $("login-view").hidden = false;
    const err = $("login-error");
    err.textContent = message || "";
    err.hidden = !message;
    $("email").focus();
  }

  function startApp() {
    $("login-view").hidden = true;
    $("app-view").hidden = false;
    $("topbar-right").hidden = false;
    $("who").textContent = state.session.email || "";
    showView("list");
    setConn("connecting", "подключение…");
    startSocket();
    subscribeInbox();
    loadQueue();
    scheduleRefresh();
    clearInterval(state.tickTimer);
    state.tickTimer = setInterval(tick, 1000);
    // Pub/sub is at-most-once: an inbox event lost on the server side (a Redis
    // reconnect) would leave the queue stale, so re-read it now and then as well.
    clearInterval(state.queueTimer);
    state.queueTimer = setInterval(() => loadQueue(), QUEUE_RESYNC_MS);
    detectRole();
  }

  /** Admins get the dashboard (built now); nobody else has it in the page. */
  async function detectRole() {
    const session = state.session;
    try {
      const data = await gql(OPS.ConsoleViewer, {});
      if (state.session !== session) return; // signed out meanwhile
      if (data.viewer && data.viewer.role === "ADMIN") mountDashboard();
    } catch (err) {
      reportError(err, "Профиль");
    }
  }

  function signOut(message) {
    closeConversation();
    unmountDashboard();
    dashSeq += 1;
    state.session = null;
    try {
      window.sessionStorage.removeItem(SESSION_KEY);
    } catch (_) {
      /* ignore */
    }
    clearTimeout(state.refreshTimer);
    clearInterval(state.tickTimer);
    clearInterval(state.queueTimer);
    clearTimeout(state.pongTimer);
    if (state.inbox) state.inbox.stop();
    state.inbox = null;
    if (state.client) state.client.dispose();
    state.client = null;
    state.queue.clear();
    state.queueTotal = 0;
    state.queueHasNext = false;
    state.queueSeq += 1; // a reload in flight must not write any more
    delete $("queue").dataset.loaded;
    renderQueue();
    state.mine = [];
    state.mineSeq += 1;
    state.mineSearch = "";
    $("mine-search").value = "";
    delete $("mine").dataset.loaded;
    renderMine();
    showTab("queue");
    $("chat-body").hidden = true;
    $("chat-placeholder").hidden = false;
    showLogin(message);
  }

  async function signIn(event) {
    event.preventDefault();
    const email = $("email").value.trim();
    const password = $("password").value;
    const err = $("login-error");
    if (!email || !password) {
      err.textContent = "Введите email и пароль.";
      err.hidden = false;
      return;
    }
    const button = $("login-submit");
    button.disabled = true;
    err.hidden = true;
    try {
      const body = await postGraphQL(OPS.StaffSignIn, { email, password }, null);
      const payload = body.data && body.data.signInStaff;
      if (!payload) throw new GraphQLErrors(body.errors || []);
      if (payload.errors && payload.errors.length) {
        err.textContent = payload.errors.map((e) => e.message).join(" ");
        err.hidden = false;
        return;
      }
      $("password").value = "";
      saveSession({ ...payload.session, email });
      startApp();
    } catch (e) {
      err.textContent = e instanceof GraphQLErrors ? e.message : "Нет связи с сервером.";
      err.hidden = false;
    } finally {
      button.disabled = false;
    }
  }

  async function init() {
    if (!window.graphqlWs || typeof window.graphqlWs.createClient !== "function") {
      document.body.replaceChildren(el("p", { className: "fatal", text: "Не загружен клиент graphql-ws (python -m app fetch-assets)." }));
      return;
    }
    try {
      OPS = await loadOperations();
    } catch (e) {
      document.body.replaceChildren(el("p", { className: "fatal", text: "Не загружены операции консоли; обновите страницу." }));
      return;
    }
    $("login-form").addEventListener("submit", signIn);
    $("sign-out").addEventListener("click", () => signOut(""));
    $("queue-more").addEventListener("click", () => loadQueue(true));
    $("tab-queue").addEventListener("click", () => showTab("queue"));
    $("tab-mine").addEventListener("click", () => showTab("mine"));
    $("mine-more").addEventListener("click", () => loadMine(true));
    $("mine-search").addEventListener("input", onSearchInput);
    $("mine-search-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      clearTimeout(searchTimer);
      state.mineSearch = $("mine-search").value.trim();
      loadMine();
    });
    $("chat-back").addEventListener("click", backToList);
    $("chat-assign").addEventListener("click", () => state.open && assign(state.open.id));
    $("earlier").addEventListener("click", loadEarlier);
    $("composer").addEventListener("submit", (ev) => {
      ev.preventDefault();
      sendReply();
    });
    $("reply").addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
        ev.preventDefault();
        sendReply();
      }
    });
    const saved = loadSession();
    if (saved) {
      state.session = saved;
      startApp();
    } else {
      showLogin("");
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
