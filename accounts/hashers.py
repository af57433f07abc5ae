"""Password hashing: Argon2id with OWASP's recommended parameters.

Django's default, PBKDF2-SHA256 at 1,000,000 iterations, holds a sync worker for the
whole hash of every sign-in, so a burst of sign-ins queues every other request behind
them (figures in docs/performance.md). OWASP's Password Storage Cheat Sheet lists
Argon2id with m=19 MiB, t=2, p=1 as its first choice, of equivalent strength to
PBKDF2-SHA256 at 600,000 iterations, memory-hard (far costlier on GPUs) and a fraction
of the CPU.

The algorithm name stays Django's `argon2`, so hashes made with other parameters still
verify and are re-hashed to these at the next successful login (Django's must_update);
PBKDF2 hashes of earlier accounts verify through the next hasher in PASSWORD_HASHERS
and are upgraded the same way.
"""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idPasswordHasher(Argon2PasswordHasher):
    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
