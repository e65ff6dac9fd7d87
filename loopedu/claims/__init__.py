"""Popular claims about loopback, checked: each claim with its verdict, what the primary
sources show and the lesson that shows it live (:mod:`loopedu.claims.catalog`), and,
for the claims one machine can test in a moment, what this machine did beside what the
sources lead us to expect (:mod:`loopedu.claims.here`).

Introduced in notebooks/popular-claims.ipynb.
"""

from .catalog import (
                      CLAIMS,
                      VERDICTS,
                      Claim,
                      claim,
                      claims_table,
                      quiz_table,
                      read_verdicts,
                      verdicts,
)
from .here import Observation, check_here, observations_table

__all__ = ["VERDICTS", "Claim", "CLAIMS", "claim", "claims_table", "quiz_table",
           "read_verdicts", "verdicts", "Observation", "check_here", "observations_table"]
