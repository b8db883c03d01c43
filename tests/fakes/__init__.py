"""In-memory fakes of every port, one module per port module. Tiny on purpose: tests assert on
their state.

The integration contract suite runs the same checks against these and the SQL adapters,
so the fakes cannot drift from the real thing.
"""
