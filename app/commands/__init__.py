"""Subcommands of the ``switchboard`` CLI, one module each."""
