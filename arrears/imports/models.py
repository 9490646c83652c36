"""Saved column-mapping profiles and the record of every import run."""

from django.conf import settings
from django.db import models

from arrears.common.models import BaseModel


class ImportProfile(BaseModel):
    """A column mapping kept in the database. It overrides a shipped profile file of the same name."""

    name = models.SlugField(max_length=64, unique=True)
    label = models.CharField(max_length=200, blank=True)
    config = models.JSONField(help_text="the profile as JSON: format, business_unit, fields, attributes (docs/importing.md)")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.label or self.name


class ImportRunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    OK = "ok", "Imported"
    REJECTED = "rejected", "Rejected"
    FAILED = "failed", "Failed"


class ImportRun(BaseModel):
    """One attempt to import one file: what was read, by whom, what it changed or why it was rejected."""

    file_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64, db_index=True)
    size = models.BigIntegerField(default=0)
    profile = models.CharField(max_length=64)
    business_unit_code = models.CharField(max_length=32, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    dry_run = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=ImportRunStatus.choices, default=ImportRunStatus.RUNNING)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    rows = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True)
    errors = models.JSONField(default=list, blank=True, help_text="every issue found (up to a cap), row and column")
    error_count = models.PositiveIntegerField(default=0)
    stored_file = models.CharField(
        max_length=255, blank=True, help_text="upload kept between preview and confirm, relative to MEDIA_ROOT"
    )

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.profile}, {self.status})"
