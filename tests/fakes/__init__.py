"""Shared helpers of the integration tests: the farm's view and fakes pushed to its registry.

``tests.fakes.farm``: :class:`~tests.fakes.farm.Farm` (what ``scripts/farm`` made available,
the ``farm`` fixture's value) and :class:`~tests.fakes.farm.FarmRepository` (a test repository
on the farm's registry with the per-platform images a test pushed into it).
``tests.fakes.windows``: a FAKE Windows image pushed through the registry API (no Windows engine
exists here).
"""
