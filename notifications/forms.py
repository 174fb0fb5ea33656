from django import forms

from notifications.models import Subscriber
from quizzes.models import Track

FORM_SOURCES = [Subscriber.Source.HOME_FORM, Subscriber.Source.LESSON_FORM]


class TrackChoiceField(forms.ModelChoiceField):
    def __init__(self, **kwargs) -> None:
        super().__init__(queryset=Track.objects.all(), required=False, empty_label="All tracks", **kwargs)


class SubscribeForm(forms.Form):
    email = forms.EmailField(
        max_length=254,
        error_messages={
            "required": "Enter your email address.",
            "invalid": "That is not an email address we can write to; check it, e.g. ada@example.com.",
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email", "placeholder": "you@example.com"}),
    )
    track = TrackChoiceField(label="Which tests")
    source = forms.ChoiceField(choices=[(s.value, s.label) for s in FORM_SOURCES], widget=forms.HiddenInput)


class AccountSubscribeForm(forms.Form):
    track = TrackChoiceField(label="Which tests")
    source = forms.CharField(required=False, widget=forms.HiddenInput)
