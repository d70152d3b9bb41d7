"""BLS period codes: which exist, what they mean, and the date each one starts.

The API mixes frequencies in one `period` column: M01–M12 months and M13 (annual average) for
monthly surveys, Q01–Q04 quarters and Q05 (annual average) for quarterly ones, S01–S02 halves and
S03 (annual average) for semiannual ones, and A01 for annual-only surveys such as OEWS. Other
clients drop M13 or mistake Q05 for a quarter; here every code is named, so a consumer filters by
`kind` instead of by string prefix (the `bls_measures` view carries the same kinds in SQL), and a
code outside the list makes the answer malformed rather than a silent new period.
"""

from __future__ import annotations

import re

PERIOD_REGEX = r"^(M(0[1-9]|1[0-3])|Q0[1-5]|S0[1-3]|A01)$"
_PERIOD = re.compile(PERIOD_REGEX)

ANNUAL_CODES = frozenset({"M13", "Q05", "S03", "A01"})


def is_period(code: str) -> bool:
    return bool(_PERIOD.match(code))


def period_kind(code: str) -> str:
    """month | quarter | half | annual_average | annual; ValueError for a code BLS does not use."""
    if not is_period(code):
        raise ValueError(f"not a BLS period code: {code!r}")
    if code == "A01":
        return "annual"
    if code in ANNUAL_CODES:
        return "annual_average"
    return {"M": "month", "Q": "quarter", "S": "half"}[code[0]]
