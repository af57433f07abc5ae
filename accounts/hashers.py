"""Password hashing: Argon2id with OWASP's recommended parameters.

Django's default, PBKDF2-SHA256 at 1,000,000 iterations, costs ~0.3 s of CPU per login
on this machine. With sync workers that blocks a worker per sign-in, and at the load
test's start (100 people signing in) it alone pushed other requests past the queue
limit (docs/performance.md). OWASP's Password Storage Cheat Sheet lists Argon2id with
m=19 MiB, t=2, p=1 as its first choice, of equivalent strength to PBKDF2-SHA256 at
600,000 iterations and memory-hard (far costlier on GPUs): ~27 ms here, 11× less CPU.

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
