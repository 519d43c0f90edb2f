"""psyline: the process and the rules.

``core`` (infrastructure, no domain imports) <- the domains ``identity``, ``catalogue``,
``booking``, ``chat`` and ``policy`` (who may do what) <- ``schema`` (the GraphQL surface,
outside this package) <- ``web`` (the ASGI app) and ``cli``. ``demo`` seeds demo data.
"""
