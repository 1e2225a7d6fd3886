"""Read models folded from the append-only log: pure code, no I/O.

``projections`` imports ``events`` and nothing else of ours; the SQL that stores
these folds lives in ``services.adapters.sql``.
"""

from projections.amendments import Amended, apply_amendments
from projections.history import (
    PatientHistory,
    SessionHistory,
    evolve_patient,
    evolve_session,
    patient_key_of,
    patient_keys,
    session_keys,
)
from projections.profiles import ProfileHistory, ProfileVersion, ProtocolProfile
from projections.projection import PATIENTS, PROFILES, PROJECTIONS, SESSIONS, Projection, fold
from projections.recorded import Recorded

__all__ = [
    "PATIENTS",
    "PROFILES",
    "PROJECTIONS",
    "SESSIONS",
    "Amended",
    "PatientHistory",
    "ProfileHistory",
    "ProfileVersion",
    "Projection",
    "ProtocolProfile",
    "Recorded",
    "SessionHistory",
    "apply_amendments",
    "evolve_patient",
    "evolve_session",
    "fold",
    "patient_key_of",
    "patient_keys",
    "session_keys",
]
