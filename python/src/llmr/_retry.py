"""When to retry and how long to wait: Retry-After when the server says, else backoff with jitter."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Optional

from .errors import LlmrError


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 2
    initial_delay: float = 0.5
    max_delay: float = 8.0
    # A server asking for a longer wait than this is not waited for: the error (with its
    # retry_after) is raised, and the caller decides. Minute-long sleeps inside a call
    # look like hangs.
    max_retry_after: float = 20.0

    def delay(self, attempt: int, error: LlmrError) -> Optional[float]:
        """Seconds to wait before retry number ``attempt`` (1-based), or None: raise."""
        if attempt > self.max_retries or not error.retryable:
            return None
        retry_after = getattr(error, "retry_after", None)
        if retry_after is not None:
            return retry_after if retry_after <= self.max_retry_after else None
        backoff = min(self.max_delay, self.initial_delay * 2 ** (attempt - 1))
        # Full jitter spreads clients that failed together.
        return backoff * (0.5 + random.random() / 2)
