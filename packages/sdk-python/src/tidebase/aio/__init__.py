"""Tidebase on asyncio: `AsyncTidebase`, whose workflow and step functions may be `async def` (awaited on the loop)."""

from .client import AsyncTidebase
from .session import AsyncSession
from .workflow_run import AsyncWorkflowRun

__all__ = ["AsyncTidebase", "AsyncSession", "AsyncWorkflowRun"]
