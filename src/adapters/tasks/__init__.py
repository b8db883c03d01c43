"""The task runtime: one table of named tasks and one schedule (`table.py`), run by either of
two runners that implement the `TaskQueue` port: taskiq over Redis (`taskiq_runner.py`:
`just worker` / `just scheduler`) or asyncio tasks inside the web process
(`in_process.py`: the embedded run)."""
