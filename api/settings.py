"""Settings: one class, read from the environment (prefix GOVGRAPH_) when a command or the app
starts, never at import. docs/settings.md lists each one; a test keeps the two equal."""

from __future__ import annotations

from pydantic import Field, SecretStr
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
    neo4j_user: str = Field("neo4j", description="User name for a Neo4j GOVGRAPH_DB.")
    neo4j_password: SecretStr = Field(
        SecretStr(""), description="Password for a Neo4j GOVGRAPH_DB (never logged)."
    )
    neo4j_database: str = Field("neo4j", description="Database name on a Neo4j server.")


def get_settings() -> Settings:
    return Settings()
