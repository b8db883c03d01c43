"""A simulated YClients speaking the contract in docs/yclients/CONTRACT.md.

Used by the integration tests, the benchmarks and `just run` without real tokens.
"""

from src.entrypoints.simulator.app import create_simulator_app
from src.entrypoints.simulator.faults import FaultConfig
from src.entrypoints.simulator.state import NewRecord, RecordChanges, SimulatorState

__all__ = ["FaultConfig", "NewRecord", "RecordChanges", "SimulatorState", "create_simulator_app"]
