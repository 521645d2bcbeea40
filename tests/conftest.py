"""Shared test set-up: MXNet's NumPy mode on (as the book and d2l use it), small helpers."""
import os

import pytest

import d2lcnn  # noqa: F401  (first: the compatibility layer and the runtime choice, as users do)
from mxnet import npx

npx.set_np()


@pytest.fixture
def no_reduced_mode(monkeypatch):
    """Run a test as a normal (not reduced) run even when CI sets D2LCNN_REDUCED."""
    monkeypatch.delenv("D2LCNN_REDUCED", raising=False)
    monkeypatch.delenv("D2LCNN_REDUCED_BATCHES", raising=False)


@pytest.fixture
def reduced_mode(monkeypatch):
    monkeypatch.setenv("D2LCNN_REDUCED", "1")
    monkeypatch.setenv("D2LCNN_REDUCED_BATCHES", "3")


REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
