"""Identity: who is asking and how they proved it.

``partner_tokens`` verifies the partner's short-lived JWT, ``signin`` turns it into a
client, ``sessions`` issues and rotates our refresh-token sessions, ``tokens`` signs and
reads our access tokens, ``authenticate`` resolves a request's ``Viewer`` (``viewer``),
``staff`` holds care-team accounts, ``keys`` the partners' keys, ``privacy`` phone masking.
(``app/auth`` was folded in here: tokens and the viewer are identity's own vocabulary.)
"""
