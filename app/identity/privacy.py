"""Personal data shown to staff: phone numbers are masked everywhere but the database."""

from __future__ import annotations

import phonenumbers


def mask_phone(e164: str | None) -> str:
    """``+79991234567`` -> ``+7 999 ***-**-67``: country and operator code, last two digits.

    Works for any E.164 number (country code from ``phonenumbers``); an empty or
    unparsable value gives ``""`` rather than leaking the raw string.
    """
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return ""
    national = str(number.national_number)
    if len(national) < 6:
        return f"+{number.country_code} ***"
    return f"+{number.country_code} {national[:3]} ***-**-{national[-2:]}"
