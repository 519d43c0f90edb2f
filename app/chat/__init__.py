"""Care team chat: conversations, messages, the 5-minute SLA, rate limits, live events.

``service`` holds the rules (who may write where, validation, idempotent sends,
SLA bookkeeping, the care queue), ``live`` the replay-then-live feeds, ``delivery`` the
shared reads behind them, ``ratelimit`` the per-author limit, ``sla`` the breach watcher,
``errors`` the codes, ``runtime`` what the app lifespan opens (pub/sub, limiter, watcher).
"""
