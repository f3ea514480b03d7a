import docmill_money


def test_money_gets_its_own_jsonl_file(docmill_run, tmp_path):
    article = tmp_path / "article.txt"
    article.write_text("Acme paid $1.2 billion for Widgets Ltd, and $5 for a pen.\n")
    run = docmill_run(article, ("money", docmill_money), settings={"money": {"min_amount": 10}})
    (money,) = run.records("money")
    assert (money["text"], money["plugin"], money["amount"]) == ("$1.2 billion", "money", 1.2e9)
    assert (run.folder / "moneys.jsonl").is_file()
    assert run.summary["plugins"]["money"] == "0.1.0"
