"""Bookings, working hours and availability (issue 4)."""
