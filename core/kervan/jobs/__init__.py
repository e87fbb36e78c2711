from .actors import Jobs
from .loop import EngineLoop
from .scheduler import Scheduler

__all__ = ["EngineLoop", "Jobs", "Scheduler"]
