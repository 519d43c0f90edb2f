"""Availability and booking: pure slot arithmetic (``slots``), loading schedules in batches
(``availability``), the booking rules (``service``) and video rooms (``video``)."""
