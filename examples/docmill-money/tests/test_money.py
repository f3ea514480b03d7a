import docmill_money
from docmill_money import Money

from docmill.testing import run_plugins

PLUGIN = ("money", docmill_money)  # the name settings= and [order] use


def test_amounts_with_symbols_words_and_scales():
    result = run_plugins(PLUGIN, text="It cost $1.2 billion, 300 euros and £5, not 40.\n")
    money = result.records(Money)
    assert [(m.text, m.currency, m.amount) for m in money] == [
        ("$1.2 billion", "USD", 1.2e9),
        ("300 euros", "EUR", 300.0),
        ("£5", "GBP", 5.0),
    ]
    assert all(m.plugin == "money" for m in money)
    assert result.source_text(money[0]) == "$1.2 billion"


def test_min_amount_setting():
    result = run_plugins(
        PLUGIN,
        text="A $5 fee on a $2,000 ticket.\n",
        settings={"money": {"min_amount": 100}},
    )
    assert [m.amount for m in result.records(Money)] == [2000.0]
