from django.contrib.auth.models import AbstractUser
from django.db import models


class Role(models.TextChoices):
    ADMIN = "admin", "Administrator"
    HEAD = "head", "Head of collections"
    LEAD = "lead", "Team lead"
    COLLECTOR = "collector", "Collector"
    AUDITOR = "auditor", "Auditor (read only)"


class Team(models.Model):
    name = models.CharField(max_length=100, unique=True)
    lead = models.ForeignKey(
        "users.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="teams_led"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.COLLECTOR)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="members")

    class Meta:
        ordering = ["username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    # Role questions, asked by every permission gate (ledger selectors, pages and API).
    @property
    def sees_whole_portfolio(self) -> bool:
        return self.is_superuser or self.role in {Role.ADMIN, Role.HEAD, Role.AUDITOR}

    @property
    def is_read_only(self) -> bool:
        return self.role == Role.AUDITOR and not self.is_superuser

    @property
    def can_import(self) -> bool:
        return not self.is_read_only and (self.is_superuser or self.role in {Role.ADMIN, Role.HEAD, Role.LEAD})

    @property
    def can_read_audit(self) -> bool:
        return self.is_superuser or self.role in {Role.ADMIN, Role.HEAD, Role.AUDITOR}

    def visible_collector_ids(self) -> list[int] | None:
        """Collectors whose customers this user sees; None means every customer.

        Cached on the instance: a page asks several times for the same request user.
        """
        if self.sees_whole_portfolio:
            return None
        cached = getattr(self, "_visible_collector_ids", None)
        if cached is None:
            ids = {self.pk}
            if self.role == Role.LEAD:
                ids |= set(User.objects.filter(team__lead=self).values_list("pk", flat=True))
            cached = self._visible_collector_ids = sorted(ids)
        return cached
