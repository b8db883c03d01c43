"""The CLI's commands by group (`src.entrypoints.cli` parses and dispatches)."""
