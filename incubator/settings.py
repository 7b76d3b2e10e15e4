"""One typed settings object, read from the environment once."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

PACKAGE_DIR = Path(__file__).resolve().parent


class SettingsError(RuntimeError):
    """The environment does not describe a runnable portal."""


def _templates_dir() -> Path:
    # A built wheel carries the templates inside the package; a checkout keeps them at the top.
    packaged = PACKAGE_DIR / "templates"
    return packaged if packaged.is_dir() else PACKAGE_DIR.parent / "templates"


@dataclass(frozen=True)
class Settings:
    env: str = "development"
    database_url: str = "sqlite:///./incubator.db"
    redis_url: str | None = None
    secret_key: str = ""
    base_url: str = "http://127.0.0.1:8000"
    smtp_url: str | None = None
    mail_from: str = "Incubator <incubator@localhost>"
    data_dir: Path = Path(".incubator")
    templates_dir: Path = field(default_factory=_templates_dir)
    static_dir: Path = PACKAGE_DIR / "static"
    locale_dir: Path = PACKAGE_DIR / "locale"
    login_failure_limit: int = 5
    login_failure_window_seconds: int = 15 * 60
    run_scheduler: bool = True
    auth_posts_per_minute: int = 30
    db_pool_size: int = 10
    max_body_bytes: int = 1_048_576
    # argon2id cost: OWASP's recommended profile (19 MiB, 2 passes, one lane). RFC 9106's
    # 64 MiB × 3 passes took ~150 ms of a core per sign-in: 20 sign-ins a second needed
    # three cores. This one stays memory-hard at a sixth of the cost, and one lane keeps
    # a hash on one core, so a storm of sign-ins leaves the others to serve pages.
    argon2_time_cost: int = 2
    argon2_memory_kib: int = 19456
    argon2_parallelism: int = 1
    # Hashes at once per worker (the rest of the machine serves pages), and how many
    # sign-ins may wait for one before the next is asked to retry in a few seconds.
    argon2_concurrency: int = 1
    argon2_queue: int = 16
    # How old the pipeline dashboard's figures may be (0: computed for every request).
    pipeline_cache_seconds: int = 60
    # How long a list found past the count cap is taken to still be (incubator.db.pagination).
    long_list_seconds: int = 30

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def secure_cookies(self) -> bool:
        return urlsplit(self.base_url).scheme == "https"

    @property
    def sqlite_path(self) -> str:
        """The file behind a `sqlite:///path` URL (relative paths stay relative to the cwd)."""
        return self.database_url.split("://", 1)[1].removeprefix("/") or "incubator.db"


def _dev_secret(data_dir: Path) -> str:
    """A secret kept on disk so that development sessions survive restarts."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    path.write_text(secret)
    path.chmod(0o600)
    return secret


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ if environ is None else environ)
    mode = env.get("INCUBATOR_ENV", "development")
    if mode not in {"development", "production", "test"}:
        raise SettingsError(f"INCUBATOR_ENV must be development, production or test, not {mode!r}")
    data_dir = Path(env.get("INCUBATOR_DATA_DIR", ".incubator"))
    database_url = env.get("DATABASE_URL", "sqlite:///./incubator.db")
    if not database_url.startswith(("sqlite://", "postgres://", "postgresql://")):
        raise SettingsError("DATABASE_URL must start with sqlite://, postgres:// or postgresql://")
    secret_key = env.get("SECRET_KEY", "")
    if not secret_key:
        if mode == "production":
            raise SettingsError("SECRET_KEY is required when INCUBATOR_ENV=production")
        secret_key = _dev_secret(data_dir)
    if len(secret_key) < 32:
        raise SettingsError("SECRET_KEY must be at least 32 characters long")
    return Settings(
        env=mode,
        database_url=database_url,
        redis_url=env.get("REDIS_URL") or None,
        secret_key=secret_key,
        base_url=env.get("BASE_URL", "http://127.0.0.1:8000").rstrip("/"),
        smtp_url=env.get("SMTP_URL") or None,
        mail_from=env.get("MAIL_FROM", "Incubator <incubator@localhost>"),
        data_dir=data_dir,
        run_scheduler=env.get("INCUBATOR_SCHEDULER", "on") != "off",
        auth_posts_per_minute=int(env.get("INCUBATOR_AUTH_POSTS_PER_MINUTE", "30")),
        db_pool_size=int(env.get("INCUBATOR_DB_POOL_SIZE", "10")),
        argon2_time_cost=int(env.get("INCUBATOR_ARGON2_TIME_COST", "2")),
        argon2_memory_kib=int(env.get("INCUBATOR_ARGON2_MEMORY_KIB", "19456")),
        argon2_parallelism=int(env.get("INCUBATOR_ARGON2_PARALLELISM", "1")),
        argon2_concurrency=int(
            env.get("INCUBATOR_ARGON2_CONCURRENCY", str(max(1, (os.cpu_count() or 2) // 2)))
        ),
        argon2_queue=int(env.get("INCUBATOR_ARGON2_QUEUE", "16")),
        pipeline_cache_seconds=int(env.get("INCUBATOR_PIPELINE_CACHE_SECONDS", "60")),
        long_list_seconds=int(env.get("INCUBATOR_LONG_LIST_SECONDS", "30")),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
