"""The projector: follows the log by position and keeps the read models current."""

from services.projecting.projector import Projector

__all__ = ["Projector"]
