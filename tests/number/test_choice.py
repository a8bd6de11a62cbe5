"""How the glue's touching-digit constants were chosen: the settings (fast) and the train-scene run (slow)."""

import json

import pytest

from cnnapp.number import choice, glue


def test_every_setting_changes_a_constant_of_the_glue_and_the_first_is_the_glues_own():
    assert choice.CHANGES[0] == {} and choice._name({}) == "chosen"
    for change in choice.CHANGES[1:]:
        assert change and set(change) <= set(choice.CONSTANTS)
        assert all(getattr(glue, name) != value for name, value in change.items()), change
    names = [choice._name(c) for c in choice.CHANGES]
    assert len(set(names)) == len(names) and "no cutting" in names


@pytest.mark.slow  # reads train scenes with every setting of the touching-digit constants
def test_the_split_choice_reads_train_scenes_with_each_setting_and_restores_the_glue(tmp_path):
    from cnnapp.number import choice, glue
    from cnnapp.number.__main__ import main

    before = {name: getattr(glue, name) for name in choice.CONSTANTS}
    assert main(["choose", "export/lenet5-phone", "--out", str(tmp_path), "--numbers", "6"]) == 0
    results = json.loads((tmp_path / choice.FILE).read_text())
    assert results["constants"] == before == {name: getattr(glue, name) for name in choice.CONSTANTS}
    rows = {row["setting"]: row for row in results["settings"]}
    assert len(rows) == len(choice.CHANGES) and "chosen" in rows and "no cutting" in rows
    committed = json.loads(open(f"export/number/{choice.FILE}").read())
    best = max(committed["settings"], key=lambda row: row["all_exact"])
    assert best["all_exact"] == committed["settings"][0]["all_exact"]  # the glue's constants read the most
