"""Settings from the environment: reduced mode, batch cap, data and cache folders."""
from pathlib import Path

import pytest

from d2lcnn import config


@pytest.mark.parametrize("value, expected", [("1", True), ("true", True), ("ON", True),
                                             ("0", False), ("", False), ("no", False)])
def test_reduced_mode_flag(monkeypatch, value, expected):
    monkeypatch.setenv(config.REDUCED_ENV, value)
    assert config.reduced_mode() is expected


def test_reduced_mode_rejects_nonsense(monkeypatch):
    monkeypatch.setenv(config.REDUCED_ENV, "maybe")
    with pytest.raises(ValueError, match="D2LCNN_REDUCED='maybe'.*set it to 1"):
        config.reduced_mode()


def test_reduced_batches(monkeypatch):
    monkeypatch.delenv(config.REDUCED_BATCHES_ENV, raising=False)
    assert config.reduced_batches() == config.DEFAULT_REDUCED_BATCHES
    monkeypatch.setenv(config.REDUCED_BATCHES_ENV, "7")
    assert config.reduced_batches() == 7
    for bad in ("0", "-2", "many"):
        monkeypatch.setenv(config.REDUCED_BATCHES_ENV, bad)
        with pytest.raises(ValueError, match="whole number"):
            config.reduced_batches()


def test_folders(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert config.cache_dir() == tmp_path / "d2lcnn"
    monkeypatch.delenv(config.DATA_ENV, raising=False)
    assert config.data_dir_from_env() is None
    monkeypatch.setenv(config.DATA_ENV, str(tmp_path / "fm"))
    assert config.data_dir_from_env() == tmp_path / "fm"
    # the subset is package data: inside the package, wherever it is installed
    assert config.SUBSET_DIR.is_relative_to(Path(config.__file__).resolve().parent)
    assert (config.SUBSET_DIR / "SHA256SUMS").is_file()
