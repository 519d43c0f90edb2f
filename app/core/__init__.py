"""The process's infrastructure, shared by every domain and importing none of them.

``settings`` (environment -> ``Settings``), ``db`` (Tortoise set-up, migrations),
``pubsub`` (in-process or Redis fan-out), ``errors`` (the exceptions services raise and
the schema translates), ``events`` (typed in-process domain events), ``logging``
(JSON-ish lines that never carry phone numbers, message texts or tokens).
"""
