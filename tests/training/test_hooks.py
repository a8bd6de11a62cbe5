"""Fast tier: the figures a run draws are registered from above and called by the task's figure kind."""

import types
from pathlib import Path

import pytest

from cnnapp.training import hooks


@pytest.fixture
def clean_hooks(monkeypatch):
    """The registries empty for one test (the suite's own drawers, if any, come back after it)."""
    monkeypatch.setattr(hooks, "_DRAW", {})
    monkeypatch.setattr(hooks, "_COLLECT", {})


def test_a_registered_drawer_gets_the_run_and_the_reports_pass(clean_hooks, tmp_path):
    drawn = []
    hooks.register_figures("kind-a", lambda run, evaluated: drawn.append((run, evaluated)))
    task_a, task_b = types.SimpleNamespace(figures="kind-a"), types.SimpleNamespace(figures="kind-b")
    hooks.draw_figures(task_a, tmp_path, ("probs", "labels", None))
    hooks.draw_figures(task_b, tmp_path)  # no drawer for its kind: nothing drawn, no error
    assert drawn == [(Path(tmp_path), ("probs", "labels", None))]


def test_a_collector_is_made_fresh_for_each_run_and_only_where_asked(clean_hooks):
    made = []

    def collect():
        kept = []
        made.append(kept)
        return kept.append

    hooks.register_figures("kind-a", lambda run, evaluated: None, collect)
    hooks.register_figures("kind-b", lambda run, evaluated: None)
    first = hooks.collector(types.SimpleNamespace(figures="kind-a"))
    second = hooks.collector(types.SimpleNamespace(figures="kind-a"))
    first("batch")
    assert made == [["batch"], []] and second is not first
    assert hooks.collector(types.SimpleNamespace(figures="kind-b")) is None
