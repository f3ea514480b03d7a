import pytest

from docmill.testing import prefect_api, run_flow


@pytest.fixture(scope="session")
def prefect():
    with prefect_api():  # PREFECT_API_URL if set, else a temporary Prefect API
        yield


def test_money_gets_its_own_jsonl_file(prefect, tmp_path):
    article = tmp_path / "article.txt"
    article.write_text("Acme paid $1.2 billion for Widgets Ltd.\n")
    result = run_flow([article], tmp_path / "out")
    (money,) = result.records("money")
    assert (money["text"], money["plugin"], money["amount"]) == ("$1.2 billion", "money", 1.2e9)
    assert (result.folder / "moneys.jsonl").is_file()
    assert result.summary["plugins"]["money"] == "0.1.0"
