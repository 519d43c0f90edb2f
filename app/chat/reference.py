"""A client's short reference for the care team: ``1EY-XKK6``, stable, derived from the
user id, never from the phone.

The id is scrambled by a bijection of 32-bit integers (multiplications by an odd
constant modulo 2**32 around a xor-shift) and written in Crockford's base32 (no I, L,
O, U), so references do not reveal how many clients there are or who registered next,
and read back to the id exactly: what one agent writes in a hand-over note another
types into the search (any case, with or without the dash; O for 0, I and L for 1).
"""

from __future__ import annotations

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_VALUE = {char: index for index, char in enumerate(_ALPHABET)}
_VALUE.update({"O": 0, "I": 1, "L": 1})
_MASK = 2**32 - 1
_MULTIPLIER = 0x9E3779B1  # odd: invertible modulo 2**32 (Knuth's golden-ratio constant)
_INVERSE = pow(_MULTIPLIER, -1, 2**32)
_SALT = 0x5DEECE66 & _MASK
LENGTH = 7  # 7 x 5 bits = 35 >= 32


def client_reference(user_id: int) -> str:
    """``XXX-XXXX`` for a user id in 0..2**32-1."""
    if not 0 <= user_id <= _MASK:
        raise ValueError("user id out of range")
    scrambled = _mix(user_id, _MULTIPLIER) ^ _SALT
    chars = []
    for _ in range(LENGTH):
        chars.append(_ALPHABET[scrambled & 31])
        scrambled >>= 5
    text = "".join(reversed(chars))
    return f"{text[:3]}-{text[3:]}"


def parse_client_reference(text: str) -> int | None:
    """The user id a reference stands for; None when the text is not a reference."""
    compact = text.strip().upper().replace("-", "").replace(" ", "")
    if len(compact) != LENGTH or any(char not in _VALUE for char in compact):
        return None
    value = 0
    for char in compact:
        value = value * 32 + _VALUE[char]
    if value > _MASK:
        return None
    return _mix(value ^ _SALT, _INVERSE)


def _mix(value: int, factor: int) -> int:
    """Multiply, fold the high half into the low, multiply: each step is a bijection of
    32-bit integers (``x ^= x >> 16`` is its own inverse), so the whole is one too, and
    the same steps with the inverse factor undo it."""
    value = (value * factor) & _MASK
    value ^= value >> 16
    return (value * factor) & _MASK
