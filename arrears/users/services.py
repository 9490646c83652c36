from __future__ import annotations

from arrears.users.models import Role, Team, User


def user_create(
    *, username: str, password: str, role: str = Role.COLLECTOR, team: Team | None = None, **fields: str
) -> User:
    user = User(username=username, role=role, team=team, **fields)
    user.is_staff = role == Role.ADMIN
    user.is_superuser = role == Role.ADMIN
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    return user
