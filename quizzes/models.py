"""Tracks, lessons and practice tests: the content a learner reads and practises."""

import math

from django.db import models
from django.urls import reverse


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"


class Track(models.Model):
    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "title"]

    def __str__(self) -> str:
        return self.title


class PublishedLessonQuerySet(models.QuerySet):
    def published(self) -> "PublishedLessonQuerySet":
        return self.filter(status=Status.PUBLISHED)


class Lesson(models.Model):
    # Words per minute for the reading-time estimate; code reads slower than prose, so a
    # conservative figure keeps the estimate honest for code-heavy lessons.
    WORDS_PER_MINUTE = 200

    track = models.ForeignKey(Track, on_delete=models.PROTECT, related_name="lessons")
    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    order = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    updated_on = models.DateField(null=True, blank=True)
    body_markdown = models.TextField()
    # Rendered and sanitised once at load time; the template marks it safe.
    body_html = models.TextField()
    # [{"level": 2, "title": ..., "anchor": ...}] for the table of contents and question links.
    headings = models.JSONField(default=list)
    words = models.PositiveIntegerField(default=0)
    source_path = models.CharField(max_length=500, blank=True)

    objects = PublishedLessonQuerySet.as_manager()

    class Meta:
        ordering = ["track__order", "order", "title"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("lesson", args=[self.track.slug, self.slug])

    @property
    def reading_minutes(self) -> int:
        return max(1, math.ceil(self.words / self.WORDS_PER_MINUTE))

    @property
    def anchors(self) -> set[str]:
        return {heading["anchor"] for heading in self.headings}


class PracticeTest(models.Model):
    """A timed set of questions announced to subscribers when it goes live."""

    track = models.ForeignKey(Track, on_delete=models.PROTECT, related_name="practice_tests")
    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-published_at", "title"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("practice_test", args=[self.slug])
