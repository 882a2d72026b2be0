"""Settings: flags beat the environment, which beats DATA_DIR/stockhouse.toml."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from stockhouse.config import ConfigError, load_settings


def test_defaults_put_everything_in_the_data_dir(tmp_path: Path) -> None:
    settings = load_settings({"data_dir": str(tmp_path)}, environ={})
    assert settings.database_url == f"sqlite:///{tmp_path / 'stockhouse.db'}"
    assert settings.storage_url == f"file://{tmp_path / 'blobs'}"
    assert settings.redis_url is None
    assert settings.port == 8080
    assert (settings.cliparto_min_interval_s, settings.cliparto_repeat_window_s) == (20.0, 3600.0)


def test_data_dir_comes_from_the_environment(tmp_path: Path) -> None:
    settings = load_settings(environ={"STOCKHOUSE_DATA_DIR": str(tmp_path)})
    assert settings.data_dir == tmp_path


def test_flag_beats_environment_beats_file(tmp_path: Path) -> None:
    (tmp_path / "stockhouse.toml").write_text('port = 9001\nhost = "0.0.0.0"\njob_workers = 5\n')
    env = {"STOCKHOUSE_PORT": "9002", "STOCKHOUSE_HOST": "10.0.0.1"}
    settings = load_settings({"data_dir": str(tmp_path), "port": 9003}, environ=env)
    assert (settings.port, settings.host, settings.job_workers) == (9003, "10.0.0.1", 5)


def test_a_secret_key_is_created_once_and_kept(tmp_path: Path) -> None:
    first = load_settings({"data_dir": str(tmp_path)}, environ={}).secret_key
    second = load_settings({"data_dir": str(tmp_path)}, environ={}).secret_key
    assert len(first) >= 40
    assert first == second
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("STOCKHOUSE_PORT", "eighty", "STOCKHOUSE_PORT"),
        ("STOCKHOUSE_PORT", "70000", "STOCKHOUSE_PORT"),
        ("STOCKHOUSE_DATABASE_URL", "mysql://x", "STOCKHOUSE_DATABASE_URL"),
        ("STOCKHOUSE_STORAGE_URL", "/just/a/path", "STOCKHOUSE_STORAGE_URL"),
        ("STOCKHOUSE_REDIS_URL", "http://redis", "STOCKHOUSE_REDIS_URL"),
        ("STOCKHOUSE_SEARCH", "elastic", "STOCKHOUSE_SEARCH"),
        ("STOCKHOUSE_CLIPARTO_MIN_INTERVAL_S", "-1", "STOCKHOUSE_CLIPARTO_MIN_INTERVAL_S"),
        ("STOCKHOUSE_SEARCH", "postgres", "STOCKHOUSE_SEARCH"),
        ("STOCKHOUSE_FETCH_ALLOWLIST", "10.0.0.0/8,not-a-net", "STOCKHOUSE_FETCH_ALLOWLIST"),
    ],
)
def test_a_wrong_value_names_its_setting(
    tmp_path: Path, variable: str, value: str, named: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({"data_dir": str(tmp_path)}, environ={variable: value})
    assert caught.value.setting == named


def test_an_unknown_setting_in_the_file_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "stockhouse.toml").write_text("prot = 80\n")
    with pytest.raises(ConfigError, match="unknown setting 'prot'"):
        load_settings({"data_dir": str(tmp_path)}, environ={})


def test_a_broken_config_file_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "stockhouse.toml").write_text("port = = 3\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings({"data_dir": str(tmp_path)}, environ={})


def test_a_data_dir_that_is_a_file_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError, match="not a directory"):
        load_settings({"data_dir": str(tmp_path / "file")}, environ={})


def test_the_cli_reports_bad_configuration_in_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "stockhouse.cli", "migrate", "--data-dir", str(tmp_path)],
        env={"STOCKHOUSE_PORT": "eighty", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "stockhouse: configuration error: STOCKHOUSE_PORT: 'eighty' is not a whole number"
    ]


def test_the_cli_reports_an_unreachable_database_in_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "stockhouse.cli", "migrate", "--data-dir", str(tmp_path)],
        env={
            "STOCKHOUSE_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
            "PATH": "/usr/bin:/bin",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("stockhouse: database error:")


def test_fetch_allowlist_is_a_list_of_networks(tmp_path: Path) -> None:
    env = {"STOCKHOUSE_FETCH_ALLOWLIST": "10.1.2.3/16, 192.168.0.10"}
    settings = load_settings({"data_dir": str(tmp_path)}, environ=env)
    assert settings.fetch_allowlist == ("10.1.0.0/16", "192.168.0.10/32")
