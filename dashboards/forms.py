from __future__ import annotations

from django import forms

from .services import MAX_TEXT


class ReviewRecordForm(forms.Form):
    decisions = forms.CharField(
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 5, "placeholder": "One decision per line: what, who, by when."}),
        help_text="Saved with this week's snapshot.",
    )
    notes = forms.CharField(required=False, max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 3}))
