"""Ports: what the use cases need from the outside world, as `typing.Protocol`s, one module
per feature (import from the module, e.g. `src.application.ports.users`)."""
