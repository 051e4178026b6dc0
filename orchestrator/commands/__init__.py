"""One module per ``orchestrate`` subcommand.

Each module exposes ``add_parser(subparsers)``, which adds its subcommand and sets
``func=handle`` as the parser default, and ``handle(args) -> int``, the exit code. Modules raise
``OrchestratorError``; only ``orchestrator.cli.main`` catches it.
"""
