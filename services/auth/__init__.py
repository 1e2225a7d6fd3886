"""Bearer tokens, roles and clinic scoping."""

from services.auth.principal import Principal, Role, hash_token, new_token

__all__ = ["Principal", "Role", "hash_token", "new_token"]
