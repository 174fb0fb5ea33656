"""Lockstep's sandbox engine: run untrusted Python snippets in bubblewrap and measure them.

Plain Python, no Django: take a Job, return a Report.
"""

from .config import EngineConfig
from .job import Job, Limits, Variant
from .probe import isolation_status
from .report import (
    Environment,
    IsolationStatus,
    Noise,
    Repetition,
    Report,
    Status,
    VariantSummary,
)
from .runner import run_job

__all__ = [
    "EngineConfig",
    "Environment",
    "IsolationStatus",
    "Job",
    "Limits",
    "Noise",
    "Repetition",
    "Report",
    "Status",
    "Variant",
    "VariantSummary",
    "isolation_status",
    "run_job",
]
