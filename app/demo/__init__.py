"""Demo data, one story: a partner clinic network, its psychologists and their schedules,
a client with bookings and a care conversation, the care team's accounts.

``seed.seed_demo`` is what ``python -m app seed --demo`` runs; the catalogue, identity and
booking modules each add their part. Nothing outside ``app.cli`` and tests imports it.
"""
