"""Fast tier: the `cnnapp` command and what every command shares (`--verbose`, `--quiet`, a quiet start)."""

import importlib
import os
import sys

import pytest

import cnnapp
from cnnapp import cli, quiet

COMMANDS = cli.commands()
# Every `python -m` of the package, the commands' own sub-commands (`cnnapp.audit.calc`, ...) with them.
ENTRY_POINTS = cli.entry_points()


def test_the_start_up_captured_tensorflows_log():
    # tests/conftest.py starts TensorFlow as a command does after parsing; that the log then stays off a
    # command's stderr is checked on the real command line by tests/test_train.py (one line: ours).
    if os.environ["TF_CPP_MIN_LOG_LEVEL"] == "0":
        pytest.skip("TF_CPP_MIN_LOG_LEVEL=0 in this shell asks for the log uncaptured")
    assert "tensorflow" in sys.modules
    assert quiet.startup_log(), "TensorFlow logged nothing at start-up: capture untested on this machine"


def test_verbose_writes_the_captured_log_to_stderr(monkeypatch, capsys):
    monkeypatch.setattr(quiet._state, "log", "I0000 port.cc:153] oneDNN custom operations are on.\n")
    parser = cli.ArgumentParser(prog="python -m cnnapp.x")
    assert parser.parse_args([]).verbose is False
    assert capsys.readouterr().err == ""
    assert parser.parse_args(["--verbose"]).verbose is True
    assert capsys.readouterr().err == quiet.startup_log()


def test_verbose_and_quiet_exclude_each_other(capsys):
    with pytest.raises(SystemExit):
        cli.ArgumentParser(prog="x").parse_args(["--verbose", "--quiet"])
    assert "not allowed with argument" in capsys.readouterr().err


def test_the_package_has_the_commands_a_user_expects():
    # Found in the package (cli.commands), not listed: this pins only that none of the known ones is lost.
    expected = {"audit", "bench", "data", "demo", "evaluate", "explain", "export", "predict", "story"}
    assert {*expected, "train"} <= set(COMMANDS)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_takes_verbose_and_quiet_and_is_named_cnnapp_name(name, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main([name, "--help"])
    out = capsys.readouterr().out
    assert exit_.value.code == 0 and "--verbose" in out and "--quiet" in out
    assert out.startswith(f"usage: cnnapp {name}")
    assert cli.summary(COMMANDS[name]), f"{name} has no one-line summary in its docstring"


def test_the_entry_points_are_found_in_the_package_not_listed():
    assert {f"cnnapp.{name}": module for name, module in COMMANDS.items()}.items() <= ENTRY_POINTS.items()
    # Sub-commands below a command's package are entry points too, and pinned here only so none is lost.
    assert {"cnnapp.audit.calc", "cnnapp.audit.init_variance", "cnnapp.audit.results"} <= set(ENTRY_POINTS)
    assert "cnnapp" not in ENTRY_POINTS  # `python -m cnnapp` is the `cnnapp` command itself


def test_the_finder_takes_a_main_guard_or_a_main_module_only_inside_packages(tmp_path, monkeypatch):
    package = tmp_path / "cnnapp"
    for folder in (package / "tool", package / "data_only", package / "_private"):
        folder.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "tool" / "__init__.py").write_text("")
    (package / "tool" / "__main__.py").write_text("")
    (package / "_private" / "__init__.py").write_text("")
    (package / "_private" / "__main__.py").write_text("")
    (package / "run.py").write_text('def main():\n    pass\n\n\nif __name__ == "__main__":\n    main()\n')
    (package / "lib.py").write_text('NAME = "__main__"  # the word, not a guard\n')
    (package / "data_only" / "make.py").write_text('if __name__ == "__main__":\n    pass\n')  # not a package
    monkeypatch.setattr(cnnapp, "__path__", [str(package)])
    assert cli.entry_points() == {"cnnapp.run": "cnnapp.run", "cnnapp.tool": "cnnapp.tool.__main__"}
    assert cli.commands() == {"run": "cnnapp.run", "tool": "cnnapp.tool.__main__"}


@pytest.mark.parametrize("name", sorted(ENTRY_POINTS))
def test_every_python_m_answers_help_with_verbose_and_quiet(name, capsys):
    main = importlib.import_module(ENTRY_POINTS[name]).main
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    out = capsys.readouterr().out
    assert exit_.value.code == 0 and out.startswith(f"usage: python -m {name}")
    assert "--verbose" in out and "--quiet" in out


def test_cnnapp_help_lists_every_command_and_version_is_the_packages(capsys):
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert all(f"  {name} " in out for name in COMMANDS)
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out == f"cnnapp {cnnapp.__version__}\n"


def test_an_unknown_command_is_one_line_naming_the_commands(capsys):
    assert cli.main(["trian"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown command 'trian'" in err and "train" in err


def test_a_missing_optional_package_is_one_line_naming_its_install(monkeypatch, capsys):
    from cnnapp import errors
    from cnnapp.deploy import qat

    monkeypatch.setitem(sys.modules, "tensorflow_model_optimization", None)  # import raises, as uninstalled
    qat.output_quantize_config.cache_clear()

    def main(argv):
        qat.output_quantize_config()

    with pytest.raises(SystemExit) as exit_:
        errors.run_cli(main, "cnnapp export", [])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and err.count("\n") == 1, err
    assert (
        "the package tensorflow_model_optimization, for QAT, pruning and clustering, is not installed" in err
    )
    assert errors.TFMOT_INSTALL in err
    qat.output_quantize_config.cache_clear()


def test_a_missing_package_that_is_not_optional_keeps_its_traceback():
    from cnnapp import errors

    def main(argv):
        raise ModuleNotFoundError("No module named 'numpy'", name="numpy")

    with pytest.raises(ModuleNotFoundError):
        errors.run_cli(main, "cnnapp train", [])
