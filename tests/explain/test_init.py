"""`cnnapp.explain`'s registration: after `register_run_figures`, a finished run of either task draws its
figures through the trainer's hooks (the trainer imports no figure module), and before it nothing is drawn."""

from types import SimpleNamespace

import pytest

from cnnapp import explain
from cnnapp.explain.run_figures import WorstMistakes
from cnnapp.training import hooks


@pytest.fixture
def clean_hooks(monkeypatch):
    monkeypatch.setattr(hooks, "_DRAW", {})
    monkeypatch.setattr(hooks, "_COLLECT", {})


def test_nothing_is_drawn_before_registration(clean_hooks, tmp_path):
    classifier = SimpleNamespace(figures="classification")
    assert hooks.collector(classifier) is None
    hooks.draw_figures(classifier, tmp_path)
    assert not any(tmp_path.iterdir())


def test_registration_gives_each_task_its_drawer(clean_hooks, monkeypatch, tmp_path):
    explain.register_run_figures()
    assert isinstance(hooks.collector(SimpleNamespace(figures="classification")), WorstMistakes)
    assert (
        hooks.collector(SimpleNamespace(figures="segmentation")) is None
    )  # its report keeps no probabilities
    drawn = []
    monkeypatch.setattr(explain, "write_run_figures", lambda path, evaluated: drawn.append((path, evaluated)))
    hooks.draw_figures(SimpleNamespace(figures="classification"), tmp_path, "evaluated")
    assert drawn == [(tmp_path, "evaluated")]


def test_a_classifier_run_draws_its_curves_and_error_analysis(clean_hooks, tiny_run, tmp_path):
    import shutil

    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    shutil.rmtree(run / "figures", ignore_errors=True)
    explain.register_run_figures()
    hooks.draw_figures(SimpleNamespace(figures="classification"), run)
    assert {"curves.png", "confusion.png", "worst_errors.png"} <= {
        p.name for p in (run / "figures").iterdir()
    }
