"""Money amounts ("$5", "€1.2 billion", "300 euros") as docmill `money` records."""

import re
from typing import Literal

from pydantic import BaseModel

from docmill import Span, hookimpl

CURRENCY = {"$": "USD", "€": "EUR", "£": "GBP", "dollars": "USD", "euros": "EUR", "pounds": "GBP"}
SCALE = {None: 1, "thousand": 1e3, "million": 1e6, "billion": 1e9}
PATTERN = re.compile(
    r"(?P<symbol>[$€£])?(?P<number>\d+(?:,\d{3})*(?:\.\d+)?)"
    r"(?:\s(?P<scale>thousand|million|billion))?(?:\s(?P<word>dollars|euros|pounds))?"
)


class Money(Span):
    kind: Literal["money"] = "money"
    currency: str
    amount: float


class MoneySettings(BaseModel):
    min_amount: float = 0.0  # smaller amounts are not reported


@hookimpl
def record_types():
    return [Money]


@hookimpl
def settings_model():
    return MoneySettings


@hookimpl
def extract(doc, settings):
    for m in PATTERN.finditer(doc.text):
        if not (m["symbol"] or m["word"]):
            continue  # a bare number is not money
        amount = float(m["number"].replace(",", "")) * SCALE[m["scale"]]
        if amount >= settings.min_amount:
            currency = CURRENCY[m["symbol"] or m["word"]]
            yield Money(start=m.start(), end=m.end(), currency=currency, amount=amount)
