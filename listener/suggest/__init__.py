"""`listener personas suggest`: proposals that keep personas in step with what customers say."""

from listener.suggest.proposals import (
    NewAttribute,
    PhraseProposal,
    StaleWording,
    Suggestions,
    suggest,
)
from listener.suggest.render import render_json, render_yaml

__all__ = [
    "NewAttribute",
    "PhraseProposal",
    "StaleWording",
    "Suggestions",
    "render_json",
    "render_yaml",
    "suggest",
]
