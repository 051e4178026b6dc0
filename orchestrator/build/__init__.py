"""``orchestrate build``: build, smoke-test and push every job of a plan, then publish the lists.

The modules, in the order a build runs them (``release.build_release`` is the sequence):

- ``options``: ``BuildOptions``, everything the build was asked to do;
- ``connections``: what a build talks to (docker CLI, registries, the farm, publisher, terminal);
- ``prepare``: steps 1-6: plan, render, build args, routes, preflight, content keys, what is
  already done, and each remaining job's exact commands;
- ``jobs``: the job model (``JobPlan``) and a run's ``Outcome``;
- ``schedule``: step 7's build slots, plan order, interruption;
- ``job``: step 7 for one job: build, PGO evidence, smoke test, push, failure reasons;
- ``journal``: every finished job written down at once, for resume;
- ``progress``: the live table at a terminal, event lines elsewhere;
- ``release``: the whole sequence, with step 8 (publish) and step 9 (reports);
- ``summary``: step 10, the summary text and the exit code.
"""
