"""The question editor's request handling: the common form, choices or the prediction editor, and inline actions.

Inline actions (add, remove, move a choice, variant or bucket; preview) re-render the posted
values without validating them, so nothing typed is lost; "Save" validates and shows errors
beside the field at fault, again keeping everything. Every action is a real submit button, so
the editor works without JavaScript; htmx swaps the form in place when it is there.
"""

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect

from config.htmx import HtmxHttpRequest
from quizzes.models import Lesson, Misconception, Question
from quizzes.spec import BOUNDS, METRICS
from studio import services
from studio.forms import (
    BucketFormSet,
    ChoiceFormSet,
    PredictionForm,
    QuestionForm,
    VariantFormSet,
    spec_from_forms,
)

ROWS = {
    "choices": ("id", "text", "correct", "feedback", "misconception"),
    "variants": ("name", "source"),
    "buckets": ("key", "label", *BOUNDS, "misconception"),
}
BLANK = {
    "choices": {"text": "", "correct": False, "feedback": "", "misconception": ""},
    "variants": {"name": "", "source": ""},
    "buckets": {"key": "", "label": ""},
}
MAX_ROWS = {"choices": 12, "variants": 4, "buckets": 8}
FORMSETS = {"choices": ChoiceFormSet, "variants": VariantFormSet, "buckets": BucketFormSet}


def _raw_rows(post: Any, prefix: str) -> list[dict[str, Any]]:
    """The rows of a formset as posted, unvalidated (a number that does not parse stays as typed)."""
    try:
        total = min(int(post.get(f"{prefix}-TOTAL_FORMS", 0)), 50)
    except ValueError:
        total = 0
    rows = []
    for index in range(total):
        row = {name: post.get(f"{prefix}-{index}-{name}", "") for name in ROWS[prefix]}
        if "correct" in row:
            row["correct"] = bool(row["correct"])
        rows.append(row)
    return rows


def _initial_from_question(question: Question | None, kind: str) -> dict[str, Any]:
    if question is None:
        rows: dict[str, Any] = {"choices": [dict(BLANK["choices"]), dict(BLANK["choices"])]}
        rows["variants"] = [{"name": "main", "source": 'print("hello")\n'}]
        rows["buckets"] = []
        return {"form": {}, "prediction": {"repeat": 3, "metric": "output", "variant": "main"}, **rows}
    form = {
        "slug": question.slug,
        "lesson": question.lesson_id,
        "section": question.section,
        "difficulty": question.difficulty,
        "tags": ", ".join(question.tags),
        "prompt": question.prompt_markdown,
        "explanation": question.explanation_markdown,
    }
    choices = [
        {
            "id": c.pk,
            "text": c.text_markdown,
            "correct": c.correct,
            "feedback": c.feedback_markdown,
            "misconception": c.misconception,
        }
        for c in question.choices.all()
    ]
    spec = question.spec or {}
    metric = spec.get("metric", {})
    prediction = {
        "repeat": spec.get("repeat", 3),
        "metric": metric.get("type", "output"),
        "numerator": metric.get("numerator", ""),
        "denominator": metric.get("denominator", ""),
        "variant": metric.get("variant", ""),
        "race_expected": metric.get("expected", ""),
        "tolerance": metric.get("tolerance"),
        "expected": spec.get("expected", ""),
        "needs_cores": (spec.get("needs") or {}).get("cores"),
        "expected_without_gil": next(
            (rule["expected"] for rule in spec.get("expected_when", []) if rule.get("when") == {"gil": False}), ""
        ),
    }
    misconceptions = spec.get("misconceptions") or {}
    buckets = [{**b, "misconception": misconceptions.get(b["key"], "")} for b in spec.get("buckets", [])]
    variants = [{"name": n, "source": s} for n, s in (spec.get("variants") or {}).items()]
    return {"form": form, "prediction": prediction, "choices": choices, "variants": variants, "buckets": buckets}


class Editor:
    def __init__(self, *, request: HtmxHttpRequest, question: Question | None, kind: str) -> None:
        self.request, self.question, self.kind = request, question, kind
        self.is_prediction = kind == Question.Kind.PREDICTION

    def respond(self) -> HttpResponse:
        if self.request.method == "GET":
            initial = _initial_from_question(self.question, self.kind)
            if self.question is None and self.request.GET.get("lesson", "").isdigit():
                initial["form"]["lesson"] = int(self.request.GET["lesson"])
            return self._render(self._unbound(initial))
        action = self.request.POST.get("action", "save")
        if action == "save":
            return self._save()
        return self._render(self._unbound(self._rows_after(action)))

    # -- inline actions -------------------------------------------------------------------

    def _rows_after(self, action: str) -> dict[str, Any]:
        post = self.request.POST
        rows = {prefix: _raw_rows(post, prefix) for prefix in ROWS}
        verb, _, target = action.partition(":")
        prefix, _, index_text = target.partition("-")
        index = int(index_text) if index_text.isdigit() else -1
        if prefix in rows:
            items = rows[prefix]
            if verb == "add" and len(items) < MAX_ROWS[prefix]:
                items.append(dict(BLANK[prefix]))
            elif verb == "remove" and 0 <= index < len(items):
                items.pop(index)
            elif verb == "up" and 0 < index < len(items):
                items[index - 1], items[index] = items[index], items[index - 1]
            elif verb == "down" and 0 <= index < len(items) - 1:
                items[index + 1], items[index] = items[index], items[index + 1]
        form = {name: post.get(name, "") for name in QuestionForm.base_fields}
        prediction = {name: post.get(name, "") for name in PredictionForm.base_fields}
        return {"form": form, "prediction": prediction, **rows}

    def _unbound(self, initial: dict[str, Any]) -> dict[str, Any]:
        editing = self.question is not None
        return {
            "form": QuestionForm(initial=initial["form"], kind=self.kind, editing=editing),
            "prediction": PredictionForm(initial=initial["prediction"], prefix=None),
            "choices": ChoiceFormSet(initial=initial["choices"], prefix="choices"),
            "variants": VariantFormSet(initial=initial["variants"], prefix="variants"),
            "buckets": BucketFormSet(initial=initial["buckets"], prefix="buckets"),
            "previews": initial["form"],
        }

    # -- saving ---------------------------------------------------------------------------

    def _save(self) -> HttpResponse:
        post = self.request.POST
        editing = self.question is not None
        form = QuestionForm(post, kind=self.kind, editing=editing, initial={"slug": getattr(self.question, "slug", "")})
        prediction = PredictionForm(post)
        choices = ChoiceFormSet(post, prefix="choices")
        choices.kind = self.kind
        variants = VariantFormSet(post, prefix="variants")
        buckets = BucketFormSet(post, prefix="buckets")
        forms = {"form": form, "prediction": prediction, "choices": choices, "variants": variants, "buckets": buckets}
        forms["previews"] = {name: post.get(name, "") for name in ("prompt", "explanation")}
        ok = form.is_valid()
        spec = None
        if self.is_prediction:
            spec = spec_from_forms(prediction, variants, buckets)
            ok = ok and spec is not None
        else:
            ok = choices.is_valid() and ok
        if not ok:
            return self._render(forms, status=400)
        data = {**form.cleaned_data, "kind": self.kind, "spec": spec}
        rows = choices.choices() if not self.is_prediction else []
        try:
            if self.question is None:
                question = services.question_create(slug=data["slug"], data=data, choices=rows, user=self.request.user)
                messages.success(self.request, "Saved as a draft.")
            else:
                question = self.question
                was_published = question.status == "published"
                version = services.question_update(question=question, data=data, choices=rows, user=self.request.user)
                messages.success(self.request, f"Saved (version {version.number}).")
                if was_published and question.status != "published":
                    messages.warning(self.request, "The code changed, so it is a draft again: verify it, then publish.")
        except services.StudioError as error:
            form.add_error(None, str(error))
            return self._render(forms, status=400)
        url = reverse("studio:question", args=[question.pk])
        return HttpResponseClientRedirect(url) if self.request.htmx else redirect(url)

    def _render(self, forms: dict[str, Any], status: int = 200) -> HttpResponse:
        context = {
            **forms,
            "question": self.question,
            "kind": self.kind,
            "kind_label": Question.Kind(self.kind).label,
            "is_prediction": self.is_prediction,
            "metrics": METRICS,
            "misconceptions": Misconception.objects.order_by("tag").values_list("tag", "belief"),
            "lessons": Lesson.objects.order_by("slug").values("pk", "slug", "headings"),
        }
        template = "studio/question_form.html#editor" if self.request.htmx else "studio/question_form.html"
        return render(self.request, template, context, status=status)
