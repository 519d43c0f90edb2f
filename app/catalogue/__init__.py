"""The catalogue: which psychologists a client sees, in what order, with what filters.

``service`` holds the filters, the ordering (rating, price, experience, soonest) and the
statistics refresh; the soonest ordering sits on top of ``app.booking.availability``.
"""
