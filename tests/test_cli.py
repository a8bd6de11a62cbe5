"""Fast tier: the `cnnapp` command and what every command shares (`--verbose`, `--quiet`, a quiet start)."""

import importlib
import os
import sys

import pytest

import cnnapp
from cnnapp import cli, quiet

COMMANDS = cli.commands()


def test_the_start_up_captured_tensorflows_log():
    # tests/conftest.py starts TensorFlow as a command does after parsing; that the log then stays off a
    # command's stderr is checked on the real command line by tests/training/test_cli.py (one line: ours).
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


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_python_m_is_the_same_command(name, capsys):
    main = importlib.import_module(COMMANDS[name]).main
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0 and f"usage: python -m {COMMANDS[name].removesuffix('.__main__')}" in (
        capsys.readouterr().out
    )


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
    assert "QAT, pruning and clustering need the package tensorflow_model_optimization" in err
    assert errors.TFMOT_INSTALL in err
    qat.output_quantize_config.cache_clear()


def test_a_missing_package_that_is_not_optional_keeps_its_traceback():
    from cnnapp import errors

    def main(argv):
        raise ModuleNotFoundError("No module named 'numpy'", name="numpy")

    with pytest.raises(ModuleNotFoundError):
        errors.run_cli(main, "cnnapp train", [])
