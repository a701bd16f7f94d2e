"""Settings: one class, read from the environment (prefix GOVGRAPH_) when a command or the app
starts, never at import. docs/settings.md lists each one; a test keeps the two equal."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from graph.backend import DEFAULT_DB
from loaders.load import DEFAULT_BATCH_SIZE


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GOVGRAPH_", extra="ignore")

    db: str = Field(
        DEFAULT_DB,
        description="Where the graph is: a file path for the embedded LadybugDB store.",
    )
    batch_size: int = Field(
        DEFAULT_BATCH_SIZE,
        ge=1,
        description="Rows per transaction when loading; a killed load keeps whole batches.",
    )
    query_timeout_ms: int = Field(
        10_000,
        ge=0,
        description="Time limit of one read query in milliseconds (0 for none).",
    )


def get_settings() -> Settings:
    return Settings()
