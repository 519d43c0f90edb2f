"""Care team chat: conversations, messages, the 5-minute SLA, rate limits, live events.

``service`` holds the rules (who may write where, validation, idempotent sends,
SLA bookkeeping, the care queue), ``live`` the replay-then-live feeds, ``delivery`` the
shared reads behind them (the per-author limit is ``app.core.ratelimit``'s
``chat_message``), ``sla`` the breach watcher, ``errors`` the codes, ``runtime`` what the
app lifespan opens (pub/sub, watcher).
"""
