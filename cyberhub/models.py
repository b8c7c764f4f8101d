"""Database models. The schema itself is owned by the Alembic migrations in `migrations/`;
a test checks that these models and the migrations agree."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class HubSetting(Base):
    """Small facts about this hub decided once by `cyberhub init` (its STIX identity, ...)."""

    __tablename__ = "hub_settings"
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Collection(Base):
    __tablename__ = "collections"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    alias: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    created: Mapped[int] = mapped_column(BigInteger)
    # The newest date_added handed out; rows lock on it so every envelope gets later stamps.
    last_date_added: Mapped[int] = mapped_column(BigInteger, default=0)
    # Signed collections take only objects covered by a valid node signature.
    signed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class StoredObject(Base):
    """One version of one STIX object in one collection, kept as the JSON text received."""

    __tablename__ = "objects"
    pk: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    collection_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("collections.id", ondelete="CASCADE")
    )
    object_id: Mapped[str] = mapped_column(String(300))
    type: Mapped[str] = mapped_column(String(250))
    # `version` is what TAXII shows (modified, else created, else date_added); `version_key`
    # is the same instant in a fixed-width form that sorts and compares exactly.
    version: Mapped[str] = mapped_column(String(40))
    version_key: Mapped[str] = mapped_column(String(40))
    spec_version: Mapped[str] = mapped_column(String(10))
    date_added: Mapped[int] = mapped_column(BigInteger)
    is_first: Mapped[bool] = mapped_column(Boolean)
    is_last: Mapped[bool] = mapped_column(Boolean)
    digest: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint("collection_id", "date_added", name="uq_objects_collection_date_added"),
        UniqueConstraint(
            "collection_id", "object_id", "version_key", name="uq_objects_collection_version"
        ),
        Index("ix_objects_collection_type_date_added", "collection_id", "type", "date_added"),
    )


class Account(Base):
    __tablename__ = "accounts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created: Mapped[int] = mapped_column(BigInteger)


class Permission(Base):
    __tablename__ = "permissions"
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    collection_id: Mapped[str] = mapped_column(
        ForeignKey("collections.id", ondelete="CASCADE"), primary_key=True
    )
    can_read: Mapped[bool] = mapped_column(Boolean, default=False)
    can_write: Mapped[bool] = mapped_column(Boolean, default=False)


class StatusRecord(Base):
    """The TAXII status resource of one POST, kept for `status_retention_hours`."""

    __tablename__ = "statuses"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    collection_id: Mapped[str] = mapped_column(
        ForeignKey("collections.id", ondelete="CASCADE")
    )
    request_timestamp: Mapped[int] = mapped_column(BigInteger, index=True)
    status: Mapped[str] = mapped_column(String(20))
    total_count: Mapped[int] = mapped_column(Integer)
    success_count: Mapped[int] = mapped_column(Integer)
    failure_count: Mapped[int] = mapped_column(Integer)
    pending_count: Mapped[int] = mapped_column(Integer)
    # JSON: {"successes": [...], "failures": [...], "pendings": [...]}
    details: Mapped[str] = mapped_column(Text)


class Node(Base):
    """A member town: its STIX identity, its account, its keys."""

    __tablename__ = "nodes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    land: Mapped[str] = mapped_column(String(2))
    identity_id: Mapped[str] = mapped_column(String(100), unique=True)
    identity: Mapped[str] = mapped_column(Text)  # the STIX identity object, JSON
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created: Mapped[int] = mapped_column(BigInteger)


class NodeKey(Base):
    """A node's Ed25519 public key. Revoked keys stay, so what they signed can be explained."""

    __tablename__ = "node_keys"
    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("nodes.id", ondelete="CASCADE"), index=True)
    jwk: Mapped[str] = mapped_column(Text)
    created: Mapped[int] = mapped_column(BigInteger)
    revoked_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class EnrollmentToken(Base):
    """A one-time token a node presents to enrol. Only its hash is kept; the node's first
    password is kept sealed with the token until enrolment hands it over."""

    __tablename__ = "enrollment_tokens"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("nodes.id", ondelete="CASCADE"), index=True)
    expires: Mapped[int] = mapped_column(BigInteger)
    used_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    sealed_password: Mapped[str | None] = mapped_column(Text, nullable=True)


class AcceptedToken(Base):
    """jti values of accepted signatures, kept until exp + 300 s to refuse replays."""

    __tablename__ = "accepted_tokens"
    jti: Mapped[str] = mapped_column(String(100), primary_key=True)
    expires: Mapped[int] = mapped_column(BigInteger, index=True)


class AdvisoryReceipt(Base):
    """A node's word that it received an advisory version and what it did with it."""

    __tablename__ = "advisory_receipts"
    node_id: Mapped[int] = mapped_column(ForeignKey("nodes.id", ondelete="CASCADE"),
                                         primary_key=True)
    object_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    version: Mapped[str] = mapped_column(String(40), primary_key=True)
    state: Mapped[str] = mapped_column(String(20))  # applied, withdrawn, refused
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)
    at: Mapped[int] = mapped_column(BigInteger)


class Observation(Base):
    """One key (an address, a hash, a technique...) in one incident of one town: the
    correlation index. Its size grows with the reports, never with pairs of them. A later
    stage of the same incident adds no row for a key the incident already had."""

    __tablename__ = "observations"
    __table_args__ = (UniqueConstraint("key", "incident_id"),)
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    # "kind:value"; the unique constraint's index serves the lookups by key.
    key: Mapped[str] = mapped_column(String(450))
    kind: Mapped[str] = mapped_column(String(16))
    node_id: Mapped[int] = mapped_column(ForeignKey("nodes.id", ondelete="CASCADE"))
    incident_id: Mapped[str] = mapped_column(String(100), index=True)
    object_id: Mapped[str] = mapped_column(String(300))
    seen: Mapped[int] = mapped_column(BigInteger)  # when the town saw it, µs
    tlp: Mapped[str | None] = mapped_column(String(16), nullable=True)
    listed: Mapped[str | None] = mapped_column(String(100), nullable=True)  # warning list


class KeyStat(Base):
    """How many incidents carry a key: the rarity of a key, and when it stops linking, are
    decided from this count without counting the postings on every report."""

    __tablename__ = "key_stats"
    key: Mapped[str] = mapped_column(String(450), primary_key=True)
    postings: Mapped[int] = mapped_column(Integer)


class CampaignRecord(Base):
    """A campaign the engine found: its members and why, as last published."""

    __tablename__ = "campaigns"
    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    anchor: Mapped[str] = mapped_column(String(100), index=True)  # its earliest incident
    version: Mapped[str] = mapped_column(String(40))  # modified of the published object
    state: Mapped[str] = mapped_column(String(20))  # active, merged
    merged_into: Mapped[str | None] = mapped_column(String(100), nullable=True)
    first_seen: Mapped[int] = mapped_column(BigInteger)
    last_seen: Mapped[int] = mapped_column(BigInteger)
    score: Mapped[float] = mapped_column(Float)
    towns: Mapped[int] = mapped_column(Integer)
    incidents: Mapped[str] = mapped_column(Text)  # JSON list of incident ids
    explanation: Mapped[str] = mapped_column(Text)  # JSON
    updated: Mapped[int] = mapped_column(BigInteger)
