"""The playground form: one or two variants of a snippet and a repetition count."""

from collections.abc import Iterable
from typing import Any

from django import forms

from sandbox.engine import Job
from sandbox.engine.job import name_problem, source_problem
from sandbox.jobs import job_build, job_limits, job_problem

# Python must not soft-wrap (indentation is syntax); data-editor asks static/js for CodeMirror.
CODE_ATTRS = {
    "rows": 16,
    "spellcheck": "false",
    "autocapitalize": "off",
    "wrap": "off",
    "data-editor": "python",
}
# The product's limit, stricter than the engine's: a playground run should answer in seconds.
PLAYGROUND_MAX_REPEAT = 10


class PlaygroundForm(forms.Form):
    name_1 = forms.CharField(label="Name", max_length=32, initial="main")
    source_1 = forms.CharField(label="Code", widget=forms.Textarea(attrs=CODE_ATTRS), strip=False)
    name_2 = forms.CharField(label="Name", max_length=32, required=False)
    source_2 = forms.CharField(
        label="Code",
        widget=forms.Textarea(attrs=CODE_ATTRS),
        required=False,
        strip=False,
    )
    repeat = forms.IntegerField(label="Repetitions", min_value=1, max_value=PLAYGROUND_MAX_REPEAT, initial=3)

    def _clean_name(self, field: str) -> str:
        name = self.cleaned_data.get(field, "").strip()
        if name and name_problem(name):
            raise forms.ValidationError("Use 1-32 characters: lower-case letters, digits, '_' or '-'.")
        return name

    def clean_name_1(self) -> str:
        return self._clean_name("name_1")

    def clean_name_2(self) -> str:
        return self._clean_name("name_2")

    def _clean_source(self, field: str) -> str:
        source = self.cleaned_data.get(field, "")
        # The engine's own rules for a source (size, NUL, UTF-8), shown beside the field.
        problem = source_problem(self.cleaned_data.get(field.replace("source", "name")) or "", source, job_limits())
        if problem:
            raise forms.ValidationError(f"{problem} Shorten or fix it and run again.")
        return source

    def clean_source_1(self) -> str:
        return self._clean_source("source_1")

    def clean_source_2(self) -> str:
        return self._clean_source("source_2")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("source_2", "").strip():
            if not data.get("name_2"):
                data["name_2"] = "b" if data.get("name_1") != "b" else "second"
            if data.get("name_1") and data["name_2"] == data["name_1"]:
                self.add_error("name_2", "Give the two variants different names.")
        if not self.errors:
            # Whatever the fields did not catch, the engine's validator does (one set of rules).
            problem = job_problem(self.job(), max_repeat=PLAYGROUND_MAX_REPEAT)
            if problem:
                self.add_error(None, problem)
        return data

    def job(self) -> Job:
        data = self.cleaned_data
        variants = [(data["name_1"], data["source_1"])]
        if data.get("source_2", "").strip():
            variants.append((data["name_2"], data["source_2"]))
        return job_build(variants=variants, repeat=data["repeat"])


def initial_from_variants(variants: Iterable[tuple[str, str]], repeat: int = 3) -> dict:
    """Form initial data from (name, source) pairs: an example, a run or another page."""
    initial: dict = {"repeat": max(1, min(PLAYGROUND_MAX_REPEAT, repeat))}
    for number, (name, source) in enumerate(list(variants)[:2], start=1):
        initial[f"name_{number}"] = name
        initial[f"source_{number}"] = source
    return initial
