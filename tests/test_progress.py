"""The progress bar: when it is on by default, and where it writes."""
import pytest

from d2lcnn.progress import NoBar, progress_bar, progress_default
from training_helpers import run


@pytest.mark.parametrize("env, tty, expected", [
    ({}, True, True),
    ({}, False, False),
    ({"CI": "true"}, True, False),
    ({"D2LCNN_REDUCED": "1"}, True, False),
    ({"D2LCNN_PROGRESS": "1", "CI": "true"}, False, True),
    ({"D2LCNN_PROGRESS": "0"}, True, False),
])
def test_progress_default(env, tty, expected, monkeypatch):
    for name in ("CI", "D2LCNN_REDUCED", "D2LCNN_PROGRESS", "JPY_SESSION_NAME"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    class Stream:
        def isatty(self):
            return tty

        def write(self, s):
            pass

        def flush(self):
            pass
    monkeypatch.setattr("sys.stderr", Stream())
    assert progress_default() is expected


def test_progress_bar_goes_to_stderr_only_when_asked(capsys, no_reduced_mode):
    run(epochs=2, progress=True)
    captured = capsys.readouterr()
    assert "epoch 2/2" in captured.err and "batch" in captured.err
    assert "epoch 2/2" not in captured.out
    run(epochs=1, progress=False)
    assert capsys.readouterr().err == ""
    assert isinstance(progress_bar(False, 10), NoBar)
