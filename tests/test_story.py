"""`python -m cnnapp.story` writes and prints the parameter story's table."""

from cnnapp.deploy import story


def test_the_story_command_writes_and_prints_the_table(tmp_path, monkeypatch, capsys):
    from cnnapp import story as command

    measured = story.measure(("linear", "mlp"))
    # the ImageNet-size run is the slow test of tests/deploy/test_story.py
    monkeypatch.setattr(story, "measure", lambda verbose=False: measured)
    assert command.main(["--out", str(tmp_path)]) == 0
    assert (tmp_path / "parameter-story.json").is_file()
    assert (tmp_path / "parameter-story.md").read_text() in capsys.readouterr().out + "\n"
