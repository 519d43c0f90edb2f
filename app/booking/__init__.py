"""Availability and booking: pure slot arithmetic (``slots``), loading schedules in batches
(``availability``), the booking rules (``service``), video rooms (``video``) and a booking
as an iCalendar file (``calendar``) behind its secret link (``calendar_link``)."""
