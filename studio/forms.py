"""Studio forms: a question's common fields, its choices, and the code-prediction editor.

The prediction editor's fields become a spec dict checked by the same validator as the bank
loader (`PredictionSpec.from_dict`); its errors are put back on the field they name.
"""

import re
from typing import Any

from django import forms
from django.forms import formset_factory

from quizzes.content import SLUG
from quizzes.models import Difficulty, Lesson, Misconception, PracticeTest, Question
from quizzes.spec import BANK_MAX_REPEAT, BOUNDS, METRICS, PredictionSpec, SpecError

TEXTAREA = {"rows": 4}


class QuestionForm(forms.Form):
    slug = forms.CharField(max_length=50, help_text="Lowercase letters, digits and hyphens; the question's URL.")
    lesson = forms.ModelChoiceField(queryset=Lesson.objects.select_related("track").order_by("track__order", "order"))
    section = forms.CharField(max_length=50, help_text="The anchor of the lesson section that teaches it.")
    difficulty = forms.ChoiceField(choices=Difficulty.choices, initial=Difficulty.MEDIUM)
    tags = forms.CharField(required=False, help_text="Comma-separated, e.g. gil, threads")
    prompt = forms.CharField(widget=forms.Textarea(attrs=TEXTAREA))
    explanation = forms.CharField(widget=forms.Textarea(attrs=TEXTAREA), required=False)

    def __init__(self, *args: Any, kind: str, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        if editing:
            self.fields["slug"].disabled = True

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"]
        if not SLUG.fullmatch(slug):
            raise forms.ValidationError("Use lowercase letters, digits and hyphens, e.g. join-order-of-threads.")
        if not self.fields["slug"].disabled and Question.objects.filter(slug=slug).exists():
            raise forms.ValidationError("Another question has this slug.")
        return slug

    def clean_tags(self) -> list[str]:
        tags = [t.strip() for t in self.cleaned_data["tags"].split(",") if t.strip()]
        bad = [t for t in tags if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,31}", t)]
        if bad:
            raise forms.ValidationError(f"Tags are short lowercase words: {bad[0]!r} is not.")
        return tags

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        lesson, section = data.get("lesson"), data.get("section")
        if lesson and section and section not in lesson.anchors:
            anchors = ", ".join(sorted(lesson.anchors)) or "none"
            self.add_error("section", f"Not a section of {lesson.title}. Its sections: {anchors}.")
        return data


class ChoiceForm(forms.Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
    correct = forms.BooleanField(required=False)
    feedback = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    misconception = forms.SlugField(required=False, help_text="The false belief this wrong choice catches.")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        tag = data.get("misconception")
        if tag and data.get("correct"):
            self.add_error("misconception", "A correct choice cannot carry a misconception.")
        elif tag and not Misconception.objects.filter(tag=tag).exists():
            self.add_error("misconception", f"Unknown misconception {tag!r}; define it in a bank file first.")
        return data


class BaseChoiceFormSet(forms.BaseFormSet):
    kind: str = Question.Kind.SINGLE

    def clean(self) -> None:
        if any(self.errors):
            return
        kept = [f.cleaned_data for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        if len(kept) < 2:
            raise forms.ValidationError("Give at least two choices.")
        right = sum(bool(c.get("correct")) for c in kept)
        if self.kind == Question.Kind.SINGLE and right != 1:
            raise forms.ValidationError(f"A single-choice question has exactly one correct choice, not {right}.")
        if self.kind == Question.Kind.MULTIPLE and right < 1:
            raise forms.ValidationError("Mark at least one choice correct.")

    def choices(self) -> list[dict[str, Any]]:
        kept = [f for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        return [
            {
                "id": f.cleaned_data.get("id"),
                "text": f.cleaned_data["text"],
                "correct": bool(f.cleaned_data.get("correct")),
                "feedback": f.cleaned_data.get("feedback", ""),
                "misconception": f.cleaned_data.get("misconception", ""),
            }
            for f in kept
        ]


ChoiceFormSet = formset_factory(ChoiceForm, formset=BaseChoiceFormSet, extra=0, can_delete=True)


class VariantForm(forms.Form):
    name = forms.CharField(max_length=32)
    source = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false", "class": "code"}), strip=False
    )


VariantFormSet = formset_factory(VariantForm, extra=0, can_delete=True)


class BucketForm(forms.Form):
    key = forms.CharField(max_length=32)
    label = forms.CharField(max_length=200)
    above = forms.FloatField(required=False, label="above (>)")
    at_least = forms.FloatField(required=False, label="at least (>=)")
    below = forms.FloatField(required=False, label="below (<)")
    at_most = forms.FloatField(required=False, label="at most (<=)")
    misconception = forms.SlugField(required=False, help_text="For a wrong bucket: the belief it reveals.")


BucketFormSet = formset_factory(BucketForm, extra=0, can_delete=True)


class PredictionForm(forms.Form):
    repeat = forms.IntegerField(min_value=1, max_value=BANK_MAX_REPEAT, initial=3)
    metric = forms.ChoiceField(choices=[(m, m) for m in METRICS])
    numerator = forms.CharField(required=False, help_text="ratio: the variant timed on top")
    denominator = forms.CharField(required=False, help_text="ratio: the variant it is compared with")
    variant = forms.CharField(required=False, help_text="race, output, number: the variant whose output counts")
    race_expected = forms.CharField(
        required=False, label="race-free value", help_text="race: what it prints without a race"
    )
    tolerance = forms.FloatField(required=False, min_value=0, help_text="number: how far a typed number may be off")
    expected = forms.CharField(
        required=False, label="expected bucket", help_text="ratio, race: the bucket key you expect"
    )
    needs_cores = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=64,
        label="needs cores",
        help_text="A run that got fewer is inconclusive.",
    )
    expected_without_gil = forms.CharField(
        required=False,
        label="expected bucket without the GIL",
        help_text="ratio, race: on a free-threaded build, if the answer differs there",
    )


def spec_from_forms(prediction: PredictionForm, variants: forms.BaseFormSet, buckets: forms.BaseFormSet) -> dict | None:
    """Build the spec and validate it with the loader's validator; errors go on the field they name."""
    if not (prediction.is_valid() and variants.is_valid() and buckets.is_valid()):
        return None
    data = prediction.cleaned_data
    kept_variants = [f.cleaned_data for f in variants.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
    kept_buckets = [f for f in buckets.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
    metric: dict[str, Any] = {"type": data["metric"]}
    if data["metric"] == "ratio":
        metric |= {"numerator": data["numerator"], "denominator": data["denominator"]}
    else:
        metric["variant"] = data["variant"]
    if data["metric"] == "race":
        metric["expected"] = data["race_expected"]
    if data["metric"] == "number":
        metric["tolerance"] = data["tolerance"] if data["tolerance"] is not None else 0
    spec: dict[str, Any] = {
        "variants": {v["name"]: v["source"] for v in kept_variants},
        "repeat": data["repeat"],
        "metric": metric,
    }
    if data["metric"] in ("ratio", "race"):
        spec["buckets"] = [
            {"key": f.cleaned_data["key"], "label": f.cleaned_data["label"]}
            | {b: f.cleaned_data[b] for b in BOUNDS if f.cleaned_data.get(b) is not None}
            for f in kept_buckets
        ]
        spec["expected"] = data["expected"]
        spec["misconceptions"] = {
            f.cleaned_data["key"]: f.cleaned_data["misconception"]
            for f in kept_buckets
            if f.cleaned_data["misconception"]
        }
    if data.get("needs_cores"):
        spec["needs"] = {"cores": data["needs_cores"]}
    if data.get("expected_without_gil") and data["metric"] in ("ratio", "race"):
        keys = [b["key"] for b in spec["buckets"]]
        if data["expected_without_gil"] not in keys:
            prediction.add_error("expected_without_gil", f"Must be one of the bucket keys {', '.join(keys)}.")
            return None
        spec["expected_when"] = [{"when": {"gil": False}, "expected": data["expected_without_gil"]}]
    if len(set(spec["variants"])) != len(kept_variants):
        variants._non_form_errors = variants.error_class(["Two variants share a name."])
        return None
    try:
        checked = PredictionSpec.from_dict(spec)
    except SpecError as error:
        _place_error(error, prediction, variants, buckets, kept_buckets)
        return None
    unknown = sorted(set(checked.misconceptions.values()) - set(Misconception.objects.values_list("tag", flat=True)))
    if unknown:
        prediction.add_error(None, f"Unknown misconception {unknown[0]!r}.")
        return None
    result = checked.to_dict()
    for key in ("needs", "expected_when"):
        if key in spec and key not in result:
            # This branch's validator predates these keys (the verdicts branch adds them); keep them.
            result[key] = spec[key]
    return result


def _place_error(
    error: SpecError,
    prediction: PredictionForm,
    variants: forms.BaseFormSet,
    buckets: forms.BaseFormSet,
    kept_buckets: list[forms.Form],
) -> None:
    key = error.key
    found = re.match(r"buckets\[(\d+)\](?:\.(\w+))?", key)
    if found and int(found.group(1)) < len(kept_buckets):
        form, name = kept_buckets[int(found.group(1))], found.group(2)
        form.add_error(name if name in form.fields else None, error.reason)
    elif key.startswith("buckets"):
        buckets._non_form_errors = buckets.error_class([error.reason])
    elif key.startswith("variants."):
        name = key.split(".", 1)[1]
        form = next((f for f in variants.forms if f.cleaned_data and f.cleaned_data.get("name") == name), None)
        if form is not None:
            form.add_error("source", error.reason)
        else:
            variants._non_form_errors = variants.error_class([error.reason])
    elif key == "variants":
        variants._non_form_errors = variants.error_class([error.reason])
    elif key in ("repeat", "expected"):
        prediction.add_error(key, error.reason)
    elif key == "metric.expected":
        prediction.add_error("race_expected", error.reason)
    elif key == "metric.tolerance":
        prediction.add_error("tolerance", error.reason)
    elif key.startswith("metric"):
        prediction.add_error("metric", error.reason)
    elif key == "misconceptions":
        buckets._non_form_errors = buckets.error_class([error.reason])
    else:
        prediction.add_error(None, str(error))


class LessonForm(forms.Form):
    title = forms.CharField(max_length=200)
    summary = forms.CharField(max_length=500, required=False)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 24}), strip=False)


class ImportForm(forms.Form):
    file = forms.FileField()
    format = forms.ChoiceField(
        choices=[
            ("", "from the file name"),
            ("yaml", "Lockstep YAML bank"),
            ("moodle", "Moodle XML"),
            ("gift", "GIFT"),
        ],
        required=False,
    )
    lesson = forms.ModelChoiceField(
        queryset=Lesson.objects.order_by("slug"), required=False, help_text="Moodle and GIFT: where the questions go"
    )
    section = forms.CharField(required=False, help_text="Moodle and GIFT: the section anchor they link to")


class PracticeTestForm(forms.Form):
    slug = forms.CharField(max_length=50)
    title = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


def _words(value: str) -> list[str]:
    return [word.strip() for word in value.split(",") if word.strip()]


class PracticeTestSettingsForm(forms.Form):
    title = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    time_limit_minutes = forms.IntegerField(min_value=1, max_value=240, label="time limit (minutes)")
    pass_mark_percent = forms.IntegerField(min_value=0, max_value=100, label="pass mark (%)")
    feedback = forms.ChoiceField(choices=PracticeTest.Feedback.choices)
    shuffle_questions = forms.BooleanField(required=False, label="shuffle question order per attempt")
    draw_count = forms.IntegerField(
        required=False, min_value=1, max_value=100, label="draw N random questions", help_text="Empty: the fixed list."
    )
    draw_sections = forms.CharField(required=False, help_text="Section anchors, comma-separated")
    draw_tags = forms.CharField(required=False, help_text="Tags, comma-separated")

    @staticmethod
    def initial_for(test: PracticeTest) -> dict[str, Any]:
        return {
            "title": test.title,
            "description": test.description,
            "time_limit_minutes": test.time_limit_minutes,
            "pass_mark_percent": test.pass_mark_percent,
            "feedback": test.feedback,
            "shuffle_questions": test.shuffle_questions,
            "draw_count": test.draw_count,
            "draw_sections": ", ".join(test.draw_sections),
            "draw_tags": ", ".join(test.draw_tags),
        }

    def clean_draw_sections(self) -> list[str]:
        return _words(self.cleaned_data["draw_sections"])

    def clean_draw_tags(self) -> list[str]:
        return _words(self.cleaned_data["draw_tags"])
