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
    # Addressed collections show a node account only what an advisory addresses to its town.
    addressed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


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
    # What the person may do with advisories: analyst, coordinator or admin; None for machines.
    role: Mapped[str | None] = mapped_column(String(20), nullable=True)
    # The console's second factor: the TOTP seed, sealed with the hub's secret key (a seed
    # cannot be hashed: the hub must compute the codes). None until the person enrols one.
    totp_sealed: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The 30-second step of the last code accepted: no code is taken twice, in any session.
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


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


class ApiToken(Base):
    """A token a machine client sends in place of its account's password (TAXII, HTTP Basic).
    Only the SHA-256 of the token is kept: it is 256 random bits, so no slow hash is needed."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"),
                                            index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created: Mapped[int] = mapped_column(BigInteger)
    last_used: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


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
    # Indexed: every request finds the node of the authenticated account.
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"),
                                            index=True)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created: Mapped[int] = mapped_column(BigInteger)
    # Where the hub pushes notice of a new advisory; None: the node only polls.
    callback_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    # The town agreed to be named to other towns; otherwise it is "a town in <Land>".
    share_name: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # When the town's agent last made an authenticated request (µs; None: never). Written at
    # most once a minute per node (`cyberhub.hub.nodes.LastSeen`), never on every request.
    last_seen: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # A downstream hub (a Land hub) enrolled here as a node, not a town.
    hub: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # A town known only through this downstream hub's forwards (`cyberhub.hub.federation`):
    # its keys are those that hub attested; it has no account that can sign in.
    relayed_by: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)


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
    # On an upstream hub's advisory: the `at` of this receipt as last sent up to that hub
    # (`cyberhub.hub.federation.downward`); a changed receipt is sent again.
    sent_up: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


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
    # STIX ids: a type of up to 250 characters, "--" and a UUID.
    incident_id: Mapped[str] = mapped_column(String(300), index=True)
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
    anchor: Mapped[str] = mapped_column(String(300), index=True)  # its earliest incident
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
    # An analyst's verdict: confirmed or dismissed (None: not judged yet). A dismissed
    # campaign keeps the evidence keys it was dismissed on, so that the same evidence does
    # not raise it again; new evidence does.
    verdict: Mapped[str | None] = mapped_column(String(20), nullable=True)
    verdict_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    verdict_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    verdict_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    verdict_keys: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON list


class Advisory(Base):
    """An advisory being written, approved, published or withdrawn. `content` is the current
    draft; what towns read is the published STIX, whose TLP is `published_tlp`."""

    __tablename__ = "advisories"
    id: Mapped[str] = mapped_column(String(100), primary_key=True)  # the STIX report id
    state: Mapped[str] = mapped_column(String(20))  # draft, approved, published, withdrawn
    revision: Mapped[int] = mapped_column(Integer)  # one per edit; approval is of a revision
    title: Mapped[str] = mapped_column(String(250))
    tlp: Mapped[str] = mapped_column(String(16))
    severity: Mapped[str] = mapped_column(String(16))
    campaign_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    content: Mapped[str] = mapped_column(Text)  # JSON: the draft document
    author_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    approver_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), nullable=True)
    created: Mapped[int] = mapped_column(BigInteger)
    updated: Mapped[int] = mapped_column(BigInteger)
    published_version: Mapped[str | None] = mapped_column(String(40), nullable=True)
    published_tlp: Mapped[str | None] = mapped_column(String(16), nullable=True)
    published_content: Mapped[str | None] = mapped_column(Text, nullable=True)  # what towns have
    published_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class AdvisoryObject(Base):
    """Which stored objects of the addressed collection belong to which advisory: the join
    that decides, at query time, who may read them."""

    __tablename__ = "advisory_objects"
    advisory_id: Mapped[str] = mapped_column(
        ForeignKey("advisories.id", ondelete="CASCADE"), primary_key=True)
    object_id: Mapped[str] = mapped_column(String(300), primary_key=True, index=True)


class AdvisoryRecipient(Base):
    """A town an AMBER advisory is addressed to (GREEN ones reach every town without rows
    here), why, and how the push of the newest version went."""

    __tablename__ = "advisory_recipients"
    advisory_id: Mapped[str] = mapped_column(
        ForeignKey("advisories.id", ondelete="CASCADE"), primary_key=True)
    node_id: Mapped[int] = mapped_column(
        ForeignKey("nodes.id", ondelete="CASCADE"), primary_key=True, index=True)
    reason: Mapped[str] = mapped_column(String(20))  # campaign, sighting, named, all
    push_state: Mapped[str] = mapped_column(String(20))  # none, pending, delivered, failed
    push_version: Mapped[str | None] = mapped_column(String(40), nullable=True)
    push_attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt: Mapped[int | None] = mapped_column(BigInteger, nullable=True, index=True)
    pushed_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(300), nullable=True)


class AuditEntry(Base):
    """Who did what, when: every step of an advisory's life, kept for good."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    at: Mapped[int] = mapped_column(BigInteger, index=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(100), index=True)
    detail: Mapped[str] = mapped_column(Text)  # JSON


class AuthVersion(Base):
    """One row: a counter the database's triggers move with every change to accounts, their
    rights, API tokens, town accounts and login locks (migration 0019), so each worker knows
    when who is asking must be looked up again (`cyberhub.hub.principals`)."""

    __tablename__ = "auth_version"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger)


class LoginFailure(Base):
    """Failed logins counted against one key: a username (scope `account`) or a client address
    (scope `address`), and the lock they led to. Kept in the database so that every worker and
    host counts together (`cyberhub.hub.logins`)."""

    __tablename__ = "login_failures"
    scope: Mapped[str] = mapped_column(String(20), primary_key=True)
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)  # in the window that began at window_start
    window_start: Mapped[int] = mapped_column(BigInteger, index=True)  # µs; the purge scans it
    locked_until: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # µs


class ConsoleSession(Base):
    """A signed-in browser at the console. The cookie holds a random value; only its SHA-256
    is kept here. `data` is the session's JSON (CSRF token, language, second factor passed)."""

    __tablename__ = "console_sessions"
    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), nullable=True, index=True)
    created: Mapped[int] = mapped_column(BigInteger)
    last_seen: Mapped[int] = mapped_column(BigInteger, index=True)
    data: Mapped[str] = mapped_column(Text)


class TownReport(Base):
    """The analysts' inbox: one row per town incident, written with the report
    (`cyberhub.hub.inbox`), with what the console filters on and what analysts add."""

    __tablename__ = "town_reports"
    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[str] = mapped_column(String(300), unique=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("nodes.id", ondelete="CASCADE"))
    land: Mapped[str] = mapped_column(String(2))
    name: Mapped[str] = mapped_column(String(300))
    stage: Mapped[str | None] = mapped_column(String(20), nullable=True)
    types: Mapped[str] = mapped_column(String(300))  # incident types, comma-separated
    tlp: Mapped[str | None] = mapped_column(String(16), nullable=True)
    first_reported: Mapped[int] = mapped_column(BigInteger)
    last_reported: Mapped[int] = mapped_column(BigInteger)
    versions: Mapped[int] = mapped_column(Integer)
    triage: Mapped[str] = mapped_column(String(20))  # new, in-progress, done
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), nullable=True)
    search: Mapped[str] = mapped_column(Text)  # lower-case name, description, values

    # The Lagebild counts new reports in a period by Land and type from the index alone, and
    # finds overdue stages by the two stage indexes; Kommunen reads each town's last report
    # with one probe of (node_id, last_reported), which also serves the foreign key.
    __table_args__ = (Index("ix_town_reports_last_reported_pk", "last_reported", "pk"),
                      Index("ix_town_reports_first_land_types", "first_reported", "land",
                            "types"),
                      Index("ix_town_reports_stage_first", "stage", "first_reported"),
                      Index("ix_town_reports_stage_last", "stage", "last_reported"),
                      Index("ix_town_reports_node_last", "node_id", "last_reported"))


class ReportNote(Base):
    """An analyst's internal note on a town report; never sent to the town."""

    __tablename__ = "report_notes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[str] = mapped_column(
        ForeignKey("town_reports.incident_id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    at: Mapped[int] = mapped_column(BigInteger)
    text: Mapped[str] = mapped_column(Text)


class TownAnswer(Base):
    """An analyst's answer to the town that reported an incident (`cyberhub.hub.answers`): a
    hub-signed STIX note in the `answers` collection. `node_id` is its one recipient."""

    __tablename__ = "town_answers"
    id: Mapped[str] = mapped_column(String(100), primary_key=True)  # the STIX note id
    incident_id: Mapped[str] = mapped_column(
        ForeignKey("town_reports.incident_id", ondelete="CASCADE"), index=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("nodes.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    at: Mapped[int] = mapped_column(BigInteger)
    text: Mapped[str] = mapped_column(Text)


class AnswerObject(Base):
    """Which stored objects of the `answers` collection carry which answer (the note, its
    signature, the TLP marking): the join that decides, at query time, who may read them."""

    __tablename__ = "answer_objects"
    answer_id: Mapped[str] = mapped_column(
        ForeignKey("town_answers.id", ondelete="CASCADE"), primary_key=True)
    object_id: Mapped[str] = mapped_column(String(300), primary_key=True, index=True)


class Notification(Base):
    """One event the analysts were told about by e-mail (`cyberhub.hub.notifications`), under
    a key unique per event (`campaign:<id>`, ...). The key is claimed before the mail is sent
    and marked sent only after the mail server took it, so two schedulers on one database
    mail each event once; `skipped` marks what was already there when mail was turned on."""

    __tablename__ = "notifications"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    state: Mapped[str] = mapped_column(String(10))  # pending, sent, skipped
    created: Mapped[int] = mapped_column(BigInteger)
    # A pending mail belongs to the scheduler that claimed it until then (µs); after that,
    # another run may try it (the claimant failed, or died while sending).
    claimed_until: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(300), nullable=True)


class FeedState(Base):
    """One feed the hub knows of (`cyberhub.hub.feeds`): a shipped file's feed (definition
    NULL) or one an operator added (its definition, as JSON); switched on or off (NULL: as the
    file says); its format's cursor and the conditional-GET validators; when it is due next
    and until when a process holds its run; and its health."""

    __tablename__ = "feeds"
    name: Mapped[str] = mapped_column(String(63), primary_key=True)
    # As the feed's definition last said, so that what cites a feed can name it.
    title: Mapped[str | None] = mapped_column(String(200), nullable=True)
    definition: Mapped[str | None] = mapped_column(Text, nullable=True)
    enabled: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    cursor: Mapped[str] = mapped_column(Text, default="{}", server_default="{}")
    next_due: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    running_until: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_attempt: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    last_success: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # When the source last said "nothing changed" (304, or the same bytes): every entry then
    # in force was seen at that moment, without writing a row per entry.
    confirmed: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    last_counts: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)


class FeedEntry(Base):
    """One entry a feed brought and the STIX object it became. `key` is the correlation
    index's key of its value (`ipv4:198.51.100.7`, `cve:CVE-2024-3400`), so a town report
    meets the feeds that list what it saw; `digest` is of what the feed said, so a changed
    entry gets a new version and an unchanged one none."""

    __tablename__ = "feed_entries"
    feed: Mapped[str] = mapped_column(ForeignKey("feeds.name", ondelete="CASCADE"),
                                      primary_key=True)
    object_id: Mapped[str] = mapped_column(String(300), primary_key=True)
    collection: Mapped[str] = mapped_column(String(36))
    key: Mapped[str] = mapped_column(String(420), index=True)
    name: Mapped[str] = mapped_column(String(300))
    # What the entry came in (a MISP event, a CSAF document): an unchanged group is touched
    # as a whole, without reading it again.
    grp: Mapped[str | None] = mapped_column(String(200), nullable=True)
    digest: Mapped[str] = mapped_column(String(64))
    created: Mapped[int] = mapped_column(BigInteger)
    modified: Mapped[int] = mapped_column(BigInteger)  # of the object's latest version
    last_seen: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(10))  # active, expired

    __table_args__ = (
        Index("ix_feed_entries_feed_state_last_seen", "feed", "state", "last_seen"),
    )


class WarninglistRecord(Base):
    """One warning list a feed brought (the community's MISP lists, `feeds/formats/
    warninglists`), converted to the hub's list types; its entries are kept as one JSON array,
    since the hub only ever reads a list whole, into memory."""

    __tablename__ = "warninglists"
    feed: Mapped[str] = mapped_column(ForeignKey("feeds.name", ondelete="CASCADE"),
                                      primary_key=True)
    ident: Mapped[str] = mapped_column(String(100), primary_key=True)  # its folder upstream
    name: Mapped[str] = mapped_column(String(100))       # as the index marks keys with it
    description: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(BigInteger)
    type: Mapped[str] = mapped_column(String(16))        # cidr, hostname, value
    kind: Mapped[str | None] = mapped_column(String(16), nullable=True)  # of a value list
    entries: Mapped[str] = mapped_column(Text)
    count: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(64))      # of the converted entries
    updated: Mapped[int] = mapped_column(BigInteger)     # when its entries last changed


class WarninglistEntry(Base):
    """A value an operator says must never link two reports (the Land's own mail gateway):
    `kind` is "cidr" (an address or network), "hostname" (a name and all below it) or an
    index kind for an exact value ("url", "email", "hash")."""

    __tablename__ = "warninglist_entries"
    __table_args__ = (UniqueConstraint("kind", "value"),)
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(400))
    note: Mapped[str] = mapped_column(String(200))
    added_by: Mapped[str] = mapped_column(String(100))
    added: Mapped[int] = mapped_column(BigInteger)


class Peer(Base):
    """Another hub: an upstream this hub forwards to, or a downstream that forwards here.

    Its JWKS was pinned when it was added (compared out of band by thumbprint). For an
    upstream: the account this hub holds there (the password sealed with the hub's secret)
    and how far forwarding got (`cursor`, the date_added of the last town signature the
    upstream took). For a downstream: its node here (`node_id`)."""

    __tablename__ = "peers"
    name: Mapped[str] = mapped_column(String(63), primary_key=True)
    role: Mapped[str] = mapped_column(String(12))  # upstream, downstream
    url: Mapped[str] = mapped_column(String(500))  # the peer hub's base URL
    identity_id: Mapped[str] = mapped_column(String(100), unique=True)
    identity: Mapped[str] = mapped_column(Text)  # its STIX identity object, JSON
    jwks: Mapped[str] = mapped_column(Text)  # pinned
    node_id: Mapped[int | None] = mapped_column(
        ForeignKey("nodes.id", ondelete="SET NULL"), nullable=True)
    username: Mapped[str | None] = mapped_column(String(100), nullable=True)
    sealed_password: Mapped[str | None] = mapped_column(Text, nullable=True)
    api_root: Mapped[str | None] = mapped_column(String(500), nullable=True)
    collection_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    cursor: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # Downward, from an upstream: the newest date_added of its advisories taken (TAXII
    # timestamp).
    down_cursor: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created: Mapped[int] = mapped_column(BigInteger)
    last_attempt: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    last_success: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # A forwarding run holds the peer until then (one run at a time across processes).
    running_until: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    forwarded: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    refused: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class Relay(Base):
    """A forward accepted from a downstream hub: the chain's middle link, recorded."""

    __tablename__ = "relays"
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    node_id: Mapped[int] = mapped_column(ForeignKey("nodes.id", ondelete="CASCADE"),
                                         index=True)
    jti: Mapped[str] = mapped_column(String(100))
    kid: Mapped[str] = mapped_column(String(64))
    received: Mapped[int] = mapped_column(BigInteger)
    stored: Mapped[int] = mapped_column(Integer)
    duplicates: Mapped[int] = mapped_column(Integer)
    refused: Mapped[int] = mapped_column(Integer)
