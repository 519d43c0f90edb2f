"""Checkups (a 30-minute CHECKUP booking that ends with recommendations) and the promo
codes they issue for sessions (``promo``); completing one is ``service.complete_checkup``."""
