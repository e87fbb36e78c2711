from .engine import Engine
from .lifecycle import Step, due_steps
from .records import OrderRecord

__all__ = ["Engine", "OrderRecord", "Step", "due_steps"]
