"""Request and response bodies of the HTTP API (msgspec Structs) and their mapping from domain
objects, one module per router (import from the module, e.g. `...schemas.users`)."""
