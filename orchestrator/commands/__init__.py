"""One module per ``orchestrate`` subcommand.

Each module exposes ``add_parser(subparsers)``, which adds its subcommand and sets
``func=run`` as the parser default, and ``run(args) -> int``, the exit code. Modules raise
``OrchestratorError``; only ``orchestrator.cli.main`` catches it.
"""
