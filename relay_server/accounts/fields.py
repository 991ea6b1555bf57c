"""What an account holds: the form of an account ID and the profile fields (pure).

Shared by the accounts registry (over the store) and the admin site's pure rules, which must
not import the store.
"""

from __future__ import annotations

import re

PROFILE_FIELDS = ("name", "title", "company", "phone", "email")
MAX_PROFILE_CHARS = 120
USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
