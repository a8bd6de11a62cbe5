"""`python -m cnnapp COMMAND`: the `cnnapp` command (cnnapp.cli)."""

from cnnapp.cli import console

console()
