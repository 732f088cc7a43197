"""The registry against real databases: a SQLite file and a throwaway PostgreSQL.

Every test runs on both (the ``database`` fixture in conftest.py), because the two
disagree in the places that matter here: upserts, row counts, text comparison.
"""

from __future__ import annotations

import asyncio
import stat
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from contract.document import Document
from contract.names import DEFAULT_PROJECT
from registry import (
    OPERATOR,
    Access,
    IdempotencyMismatch,
    InvalidProjectName,
    InvalidRole,
    InvalidSecretName,
    ProjectExists,
    ProjectNotFound,
    Registry,
    SecretKeyError,
    SecretNotFound,
    Template,
    TemplateNotFound,
    TokenNotFound,
    WorkflowNotFound,
)
from registry.database import Database
from registry.idempotency import IdempotencyKeys
from registry.tokens import MAX_LABEL_CHARS, hash_token
from runtime.settings import Settings

P = DEFAULT_PROJECT
SHOP = "shop"


def doc(name: str = "orders", version: int = 1, **respond: object) -> Document:
    return Document.model_validate(
        {"name": name, "version": version, "steps": {"answer": {"respond": respond or {"status": 201}}}}
    )


@pytest.fixture
def settings(database: str, tmp_path: Path) -> Settings:
    return Settings(database=database, data_dir=tmp_path, token="boot-token")


@pytest.fixture
async def registry(settings: Settings) -> AsyncIterator[Registry]:
    reg = await Registry.open(settings)
    try:
        await reg.projects.create(SHOP)
        yield reg
    finally:
        await reg.close()


# --- workflows -------------------------------------------------------------------------


async def test_revisions_count_up_and_identical_source_is_not_a_new_revision(registry: Registry) -> None:
    first = await registry.workflows.put(P, doc(), source="a", format="yaml")
    again = await registry.workflows.put(P, doc(), source="a", format="yaml")
    second = await registry.workflows.put(P, doc(version=7), source="b", format="json")
    assert (first.revision.revision, first.created) == (1, True)
    assert (again.revision.revision, again.created) == (1, False)
    assert (second.revision.revision, second.revision.version, second.revision.format) == (2, 7, "json")
    assert [r.revision for r in await registry.workflows.revisions(P, "orders")] == [1, 2]
    assert (await registry.workflows.revisions(P, "orders"))[0].source == "a"  # revisions are immutable
    [info] = await registry.workflows.list(P)
    assert (info.name, info.revision, info.version) == ("orders", 2, 7)


async def test_document_round_trip_keeps_what_the_author_wrote(registry: Registry) -> None:
    explicit_null = doc(status=200, body=None)
    await registry.workflows.put(P, explicit_null, source="x", format="yaml")
    stored = await registry.workflows.require(P, "orders")
    respond = stored.document.steps["answer"].respond
    assert respond is not None and respond.has_explicit_body
    await registry.workflows.put(P, doc(status=200), source="y", format="yaml")
    respond = (await registry.workflows.require(P, "orders")).document.steps["answer"].respond
    assert respond is not None and not respond.has_explicit_body


async def test_delete_hides_the_workflow_and_a_new_put_continues_numbering(registry: Registry) -> None:
    await registry.workflows.put(P, doc(), source="a", format="yaml")
    await registry.workflows.delete(P, "orders")
    assert await registry.workflows.current(P, "orders") is None
    assert await registry.workflows.list(P) == []
    assert await registry.workflows.current_revisions(P) == []
    assert [r.source for r in await registry.workflows.revisions(P, "orders")] == ["a"]  # still readable
    with pytest.raises(WorkflowNotFound, match="orders"):
        await registry.workflows.require(P, "orders")
    with pytest.raises(WorkflowNotFound):
        await registry.workflows.delete(P, "orders")
    again = await registry.workflows.put(P, doc(), source="a", format="yaml")
    assert (again.revision.revision, again.created) == (2, True)


async def test_current_revisions_are_the_live_workflows_by_name(registry: Registry) -> None:
    await registry.workflows.put(P, doc("zeta"), source="z1", format="yaml")
    await registry.workflows.put(P, doc("zeta", version=2), source="z2", format="yaml")
    await registry.workflows.put(P, doc("alpha"), source="a1", format="yaml")
    await registry.workflows.put(P, doc("gone"), source="g1", format="yaml")
    await registry.workflows.delete(P, "gone")
    current = await registry.workflows.current_revisions(P)
    assert [(r.name, r.revision, r.source) for r in current] == [("alpha", 1, "a1"), ("zeta", 2, "z2")]


async def test_workflows_of_the_same_name_in_two_projects_stay_apart(registry: Registry) -> None:
    await registry.workflows.put(P, doc(version=1), source="default-1", format="yaml")
    await registry.workflows.put(P, doc(version=2), source="default-2", format="yaml")
    shop = await registry.workflows.put(SHOP, doc(version=9), source="shop-1", format="json")
    assert (shop.revision.revision, shop.created) == (1, True)  # numbering is per project
    assert (await registry.workflows.require(P, "orders")).source == "default-2"
    assert (await registry.workflows.require(SHOP, "orders")).source == "shop-1"
    assert [r.source for r in await registry.workflows.revisions(SHOP, "orders")] == ["shop-1"]
    assert [(w.name, w.version) for w in await registry.workflows.list(SHOP)] == [("orders", 9)]
    assert [r.source for r in await registry.workflows.current_revisions(SHOP)] == ["shop-1"]

    # Same source in the other project is still a new revision there, not a no-op.
    copied = await registry.workflows.put(SHOP, doc(version=2), source="default-2", format="yaml")
    assert (copied.revision.revision, copied.created) == (2, True)

    await registry.workflows.delete(SHOP, "orders")
    assert await registry.workflows.current(SHOP, "orders") is None
    assert (await registry.workflows.require(P, "orders")).source == "default-2"
    assert await registry.workflows.current("elsewhere", "orders") is None
    assert await registry.workflows.revisions("elsewhere", "orders") == []
    with pytest.raises(WorkflowNotFound):
        await registry.workflows.delete("elsewhere", "orders")


# --- secrets ---------------------------------------------------------------------------


async def test_secrets_are_encrypted_at_rest_and_listed_without_values(registry: Registry) -> None:
    await registry.secrets.set(P, "ECOM_API_URL", "http://shop.internal/very-secret")
    assert await registry.secrets.get(P, "ECOM_API_URL") == "http://shop.internal/very-secret"
    raw = await registry.db.run(lambda tx: tx.all("SELECT project, name, value FROM secrets"))
    assert raw[0][:2] == (P, "ECOM_API_URL") and "very-secret" not in raw[0][2]
    [info] = await registry.secrets.list(P)
    assert info.name == "ECOM_API_URL" and not hasattr(info, "value")
    await registry.secrets.set(P, "ECOM_API_URL", "second")
    assert await registry.secrets.get(P, "ECOM_API_URL") == "second"
    await registry.secrets.delete(P, "ECOM_API_URL")
    assert await registry.secrets.get(P, "ECOM_API_URL") is None
    with pytest.raises(SecretNotFound):
        await registry.secrets.delete(P, "ECOM_API_URL")


@pytest.mark.parametrize("bad", ["lower", "1ABC", "A-B", "", "A" * 129, "SPACE NAME"])
async def test_secret_names_are_upper_snake_case(registry: Registry, bad: str) -> None:
    with pytest.raises(InvalidSecretName, match="upper-case"):
        await registry.secrets.set(P, bad, "v")


async def test_secrets_of_the_same_name_in_two_projects_stay_apart(registry: Registry) -> None:
    await registry.secrets.set(P, "ECOM_API_URL", "http://default.internal")
    await registry.secrets.set(SHOP, "ECOM_API_URL", "http://shop.internal")
    await registry.secrets.set(SHOP, "SHOP_ONLY", "x")
    assert await registry.secrets.get(P, "ECOM_API_URL") == "http://default.internal"
    assert await registry.secrets.get(SHOP, "ECOM_API_URL") == "http://shop.internal"
    assert await registry.secrets.get(P, "SHOP_ONLY") is None
    assert [s.name for s in await registry.secrets.list(P)] == ["ECOM_API_URL"]
    assert [s.name for s in await registry.secrets.list(SHOP)] == ["ECOM_API_URL", "SHOP_ONLY"]
    with pytest.raises(SecretNotFound):
        await registry.secrets.delete(P, "SHOP_ONLY")
    await registry.secrets.delete(SHOP, "ECOM_API_URL")
    assert await registry.secrets.get(P, "ECOM_API_URL") == "http://default.internal"
    assert await registry.secrets.get(SHOP, "ECOM_API_URL") is None


# --- projects --------------------------------------------------------------------------


async def test_default_exists_from_the_start_and_projects_can_be_made(settings: Settings) -> None:
    reg = await Registry.open(settings)
    try:
        assert [p.name for p in await reg.projects.list()] == [DEFAULT_PROJECT]
        assert await reg.projects.exists(DEFAULT_PROJECT)
        assert not await reg.projects.exists("team-b")
        before = datetime.now(UTC)
        made = await reg.projects.create("team-b")
        assert made.name == "team-b" and before <= made.created_at <= datetime.now(UTC)
        await reg.projects.create("a-team")
        assert await reg.projects.exists("team-b")
        await reg.projects.require("team-b")
        assert [p.name for p in await reg.projects.list()] == ["a-team", DEFAULT_PROJECT, "team-b"]
        [listed] = [p for p in await reg.projects.list() if p.name == "team-b"]
        assert listed == made
        with pytest.raises(ProjectExists, match="team-b"):
            await reg.projects.create("team-b")
        with pytest.raises(ProjectExists):
            await reg.projects.create(DEFAULT_PROJECT)
        with pytest.raises(ProjectNotFound, match="nope"):
            await reg.projects.require("nope")
    finally:
        await reg.close()


async def test_a_project_seen_is_remembered_and_one_not_seen_is_asked_again(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Projects are never removed, so a process keeps the names it found (no read on the
    operator token's hot path) but never a miss: another process may make the project."""
    reg, other = await Registry.open(settings), await Registry.open(settings)
    reads: list[object] = []
    original = Database.read

    async def counted(self: Database, work: object) -> object:
        reads.append(work)
        return await original(self, work)  # type: ignore[arg-type]

    try:
        monkeypatch.setattr(Database, "read", counted)
        assert not await reg.projects.exists("team-c")
        assert not await reg.projects.exists("team-c")
        assert len(reads) == 2  # a miss is asked every time
        await other.projects.create("team-c")  # as another gateway process would
        assert await reg.projects.exists("team-c")
        await reg.projects.require("team-c")
        assert await reg.projects.exists(DEFAULT_PROJECT) and await reg.projects.exists(DEFAULT_PROJECT)
        assert len(reads) == 4  # team-c once when found, default once; then from memory
    finally:
        await reg.close()
        await other.close()


@pytest.mark.parametrize("bad", ["Shop", "-shop", "_shop", "", "a b", "shop/x", "shöp", "a" * 101])
async def test_project_names_are_slugs(registry: Registry, bad: str) -> None:
    with pytest.raises(InvalidProjectName, match="lowercase letters"):
        await registry.projects.create(bad)
    assert not await registry.projects.exists(bad)


@pytest.mark.parametrize("good", ["a", "0shop", "team_b-2", "a" * 100])
async def test_slug_project_names_are_accepted(registry: Registry, good: str) -> None:
    assert (await registry.projects.create(good)).name == good
    assert await registry.projects.exists(good)


# --- tokens ----------------------------------------------------------------------------


async def test_project_tokens_carry_their_project_and_role_and_are_stored_hashed(registry: Registry) -> None:
    made = await registry.tokens.create(SHOP, "deploy", "ci")
    assert made.token.startswith("dsp_") and made.info.id.startswith("tok_")
    assert (made.info.project, made.info.role, made.info.label) == (SHOP, "deploy", "ci")
    assert made.info.last_used_at is None and made.info.revoked_at is None
    assert await registry.tokens.authenticate(made.token) == Access(project=SHOP, role="deploy", token_id=made.info.id)
    assert not (await registry.tokens.authenticate(made.token) or OPERATOR).is_operator

    stored = await registry.db.run(lambda tx: tx.all("SELECT * FROM tokens"))
    assert made.token not in str(stored) and hash_token(made.token) in str(stored)

    other = await registry.tokens.create(P, "read")
    assert other.info.id != made.info.id and other.token != made.token
    assert await registry.tokens.authenticate(other.token) == Access(project=P, role="read", token_id=other.info.id)


@pytest.mark.parametrize("role", ["read", "run", "deploy", "admin"])
async def test_every_role_can_be_given(registry: Registry, role: str) -> None:
    made = await registry.tokens.create(SHOP, role)
    access = await registry.tokens.authenticate(made.token)
    assert access is not None and (access.project, access.role) == (SHOP, role)


@pytest.mark.parametrize("bad", ["owner", "", "Admin", "admin "])
async def test_an_unknown_role_is_refused(registry: Registry, bad: str) -> None:
    with pytest.raises(InvalidRole, match="read, run, deploy, admin"):
        await registry.tokens.create(SHOP, bad)
    assert await registry.tokens.list(SHOP) == []


async def test_the_operator_token_is_admin_of_every_project_and_never_stored(registry: Registry) -> None:
    access = await registry.tokens.authenticate("boot-token")
    assert access == OPERATOR and access is not None and access.is_operator
    assert (access.project, access.role) == (None, "admin")
    assert await registry.tokens.list(P) == []
    for wrong in ["boot-token ", "BOOT-TOKEN", "", None, "dsp_unknown"]:
        assert await registry.tokens.authenticate(wrong) is None


async def test_without_an_operator_token_none_is_accepted(settings: Settings) -> None:
    reg = await Registry.open(settings.model_copy(update={"token": None}))
    try:
        assert await reg.tokens.authenticate("boot-token") is None
        made = await reg.tokens.create(P, "admin")
        assert await reg.tokens.authenticate(made.token) is not None
    finally:
        await reg.close()


async def test_tokens_are_listed_per_project_without_their_values(registry: Registry) -> None:
    first = await registry.tokens.create(SHOP, "read", "dashboard")
    second = await registry.tokens.create(SHOP, "admin", "ops")
    await registry.tokens.create(P, "admin", "elsewhere")
    listed = await registry.tokens.list(SHOP)
    assert listed == [first.info, second.info]
    assert all(not hasattr(info, "token") and not hasattr(info, "hash") for info in listed)
    assert first.token not in repr(listed) and hash_token(first.token) not in repr(listed)
    assert [t.label for t in await registry.tokens.list(P)] == ["elsewhere"]
    assert await registry.tokens.list("nobody") == []


async def test_labels_are_capped(registry: Registry) -> None:
    made = await registry.tokens.create(SHOP, "read", "x" * (MAX_LABEL_CHARS + 50))
    assert made.info.label == "x" * MAX_LABEL_CHARS
    assert [t.label for t in await registry.tokens.list(SHOP)] == ["x" * MAX_LABEL_CHARS]


async def test_a_revoked_token_is_refused_and_stays_listed(registry: Registry) -> None:
    made = await registry.tokens.create(SHOP, "run", "ci")
    keep = await registry.tokens.create(SHOP, "run", "keep")
    revoked = await registry.tokens.revoke(SHOP, made.info.id)
    assert revoked.id == made.info.id and revoked.revoked_at is not None
    assert await registry.tokens.authenticate(made.token) is None
    assert await registry.tokens.authenticate(keep.token) is not None
    again = await registry.tokens.revoke(SHOP, made.info.id)  # no error, and the first time stands
    assert again.revoked_at == revoked.revoked_at
    assert [(t.id, t.revoked_at) for t in await registry.tokens.list(SHOP)] == [
        (made.info.id, revoked.revoked_at), (keep.info.id, None),
    ]


async def test_another_projects_token_cannot_be_revoked_through_this_one(registry: Registry) -> None:
    made = await registry.tokens.create(SHOP, "admin")
    with pytest.raises(TokenNotFound, match=made.info.id):
        await registry.tokens.revoke(P, made.info.id)
    with pytest.raises(TokenNotFound):
        await registry.tokens.revoke(SHOP, "tok_0000000000000000")
    assert await registry.tokens.authenticate(made.token) is not None  # untouched
    assert (await registry.tokens.list(SHOP))[0].revoked_at is None


async def test_last_use_is_noted_at_most_once_a_minute(registry: Registry) -> None:
    made = await registry.tokens.create(SHOP, "read")
    before = datetime.now(UTC)
    await registry.tokens.authenticate(made.token)
    [info] = await registry.tokens.list(SHOP)
    assert info.last_used_at is not None and before <= info.last_used_at <= datetime.now(UTC)

    await registry.tokens.authenticate(made.token)
    [same] = await registry.tokens.list(SHOP)
    assert same.last_used_at == info.last_used_at  # within the minute: no write

    long_ago = (datetime.now(UTC) - timedelta(minutes=5)).isoformat(timespec="microseconds")
    await registry.db.run(lambda tx: tx.execute("UPDATE tokens SET last_used_at = ?", (long_ago,)))
    await registry.tokens.authenticate(made.token)
    [later] = await registry.tokens.list(SHOP)
    assert later.last_used_at is not None and later.last_used_at > info.last_used_at

    await registry.tokens.revoke(SHOP, made.info.id)
    await registry.db.run(lambda tx: tx.execute("UPDATE tokens SET last_used_at = ?", (long_ago,)))
    await registry.tokens.authenticate(made.token)
    [revoked] = await registry.tokens.list(SHOP)
    assert revoked.last_used_at == datetime.fromisoformat(long_ago)  # a refused token is no use


# --- idempotency keys ------------------------------------------------------------------


async def test_idempotency_first_claim_wins_and_bodies_compare_canonically(registry: Registry) -> None:
    first = await registry.idempotency.claim(P, "orders", "k1", body={"a": 1, "b": [1, 2]}, run_id="run_1")
    repeat = await registry.idempotency.claim(P, "orders", "k1", body={"b": [1, 2], "a": 1}, run_id="run_2")
    assert (first.run_id, first.first) == ("run_1", True)
    assert (repeat.run_id, repeat.first) == ("run_1", False)
    with pytest.raises(IdempotencyMismatch, match="different body"):
        await registry.idempotency.claim(P, "orders", "k1", body={"a": 2}, run_id="run_3")
    other = await registry.idempotency.claim(P, "billing", "k1", body=None, run_id="run_4")
    assert other.first  # keys are per workflow


async def test_idempotency_keys_are_per_project(registry: Registry) -> None:
    here = await registry.idempotency.claim(P, "orders", "k1", body={"a": 1}, run_id="run_default")
    there = await registry.idempotency.claim(SHOP, "orders", "k1", body={"a": 2}, run_id="run_shop")
    assert (here.run_id, here.first) == ("run_default", True)
    assert (there.run_id, there.first) == ("run_shop", True)  # a different body is no mismatch there
    again = await registry.idempotency.claim(SHOP, "orders", "k1", body={"a": 2}, run_id="run_x")
    assert (again.run_id, again.first) == ("run_shop", False)
    with pytest.raises(IdempotencyMismatch):
        await registry.idempotency.claim(P, "orders", "k1", body={"a": 2}, run_id="run_y")


async def test_fifty_concurrent_claims_agree_on_one_run(registry: Registry) -> None:
    claims = await asyncio.gather(
        *(registry.idempotency.claim(P, "orders", "same", body={"n": 1}, run_id=f"run_{i}") for i in range(50))
    )
    assert len({c.run_id for c in claims}) == 1
    assert sum(c.first for c in claims) == 1


async def test_expired_keys_can_be_claimed_again(registry: Registry) -> None:
    keys = IdempotencyKeys(registry.db, ttl=timedelta(milliseconds=50))
    await keys.claim(P, "orders", "k", body=1, run_id="run_old")
    await asyncio.sleep(0.1)
    fresh = await keys.claim(P, "orders", "k", body=2, run_id="run_new")
    assert (fresh.run_id, fresh.first) == ("run_new", True)


# --- templates -------------------------------------------------------------------------


def template(owner: str = SHOP, slug: str = "checkout", *, title: str = "Async checkout",
             description: str = "Cart, address, payment.", tags: list[str] | None = None,
             secrets: list[str] | None = None) -> Template:
    document = doc(slug)
    return Template(
        owner=owner, slug=slug, title=title, description=description,
        tags=["ecommerce", "Payments"] if tags is None else tags,
        secrets=["ECOM_API_URL"] if secrets is None else secrets,
        format="json", source=document.model_dump_json(), document_json=document.model_dump_json(exclude_unset=True),
        published_at=datetime(2000, 1, 1, tzinfo=UTC),  # the registry stamps its own time
    )


async def test_a_published_template_reads_back_as_published(registry: Registry) -> None:
    before = datetime.now(UTC)
    published = await registry.templates.publish(template())
    assert published.id == "@shop/checkout"
    assert before <= published.published_at <= datetime.now(UTC)
    expected = template()
    assert (published.title, published.description, published.tags, published.secrets) == (
        expected.title, expected.description, expected.tags, expected.secrets,
    )
    assert (published.format, published.source, published.document_json) == (
        expected.format, expected.source, expected.document_json,
    )
    assert await registry.templates.get(SHOP, "checkout") == published


async def test_publishing_the_same_slug_again_replaces_it(registry: Registry) -> None:
    first = await registry.templates.publish(template())
    other_owner = await registry.templates.publish(template(owner=P))
    second = await registry.templates.publish(template(title="Checkout v2", tags=["new"], secrets=[]))
    assert second.published_at >= first.published_at
    assert await registry.templates.get(SHOP, "checkout") == second
    assert (second.title, second.tags, second.secrets) == ("Checkout v2", ["new"], [])
    assert await registry.templates.get(P, "checkout") == other_owner  # another owner's slug is its own
    assert [t.id for t in await registry.templates.search()] == ["@default/checkout", "@shop/checkout"]


async def test_publish_missing_stores_only_the_new_ones(registry: Registry) -> None:
    kept = await registry.templates.publish(template("dispatched", "async-checkout", title="Edited by hand"))
    stored = await registry.templates.publish_missing(
        [template("dispatched", "async-checkout", title="Built-in"), template("dispatched", "fulfill-order")]
    )
    assert stored == ["@dispatched/fulfill-order"]
    assert await registry.templates.get("dispatched", "async-checkout") == kept
    assert await registry.templates.publish_missing([template("dispatched", "fulfill-order", title="again")]) == []
    assert (await registry.templates.get("dispatched", "fulfill-order")).title == "Async checkout"


async def test_search_is_case_insensitive_over_slug_title_description_and_tags(registry: Registry) -> None:
    await registry.templates.publish(template(SHOP, "checkout", title="Async checkout", description="Cart flow",
                                              tags=["ecommerce"]))
    await registry.templates.publish(template(SHOP, "refunds", title="Money back", description="Undo a PAYMENT",
                                              tags=["finance"]))
    await registry.templates.publish(template("dispatched", "fulfill-order", title="Fulfil",
                                              description="Ship it", tags=["Logistics", "ecommerce"]))

    async def ids(text: str) -> list[str]:
        return [t.id for t in await registry.templates.search(text)]

    assert await ids("") == ["@dispatched/fulfill-order", "@shop/checkout", "@shop/refunds"]
    assert await ids("   ") == await ids("")
    assert await ids("CHECKOUT") == ["@shop/checkout"]           # slug (and title)
    assert await ids("money") == ["@shop/refunds"]               # title only
    assert await ids("payment") == ["@shop/refunds"]             # description, other case
    assert await ids("logistics") == ["@dispatched/fulfill-order"]  # a tag, other case
    assert await ids("eCommerce") == ["@dispatched/fulfill-order", "@shop/checkout"]
    assert await ids(" fulfill-ORDER ") == ["@dispatched/fulfill-order"]
    assert await ids("nothing like it") == []
    assert await ids("shop") == []  # the owner is not searched


async def test_a_withdrawn_template_is_gone(registry: Registry) -> None:
    await registry.templates.publish(template())
    await registry.templates.publish(template(slug="keep"))
    await registry.templates.withdraw(SHOP, "checkout")
    with pytest.raises(TemplateNotFound, match="@shop/checkout"):
        await registry.templates.get(SHOP, "checkout")
    with pytest.raises(TemplateNotFound, match="@shop/checkout"):
        await registry.templates.withdraw(SHOP, "checkout")
    with pytest.raises(TemplateNotFound, match="@default/keep"):
        await registry.templates.withdraw(P, "keep")  # only its owner's slug
    assert [t.id for t in await registry.templates.search()] == ["@shop/keep"]


# --- opening ---------------------------------------------------------------------------


async def test_opening_twice_keeps_the_data(settings: Settings) -> None:
    first = await Registry.open(settings)
    await first.secrets.set(P, "KEPT", "value")
    await first.projects.create(SHOP)
    await first.close()
    second = await Registry.open(settings)
    try:
        assert await second.secrets.get(P, "KEPT") == "value"
        assert [p.name for p in await second.projects.list()] == [DEFAULT_PROJECT, SHOP]
    finally:
        await second.close()


async def test_key_file_is_private_and_a_different_key_cannot_read(settings: Settings, tmp_path: Path) -> None:
    reg = await Registry.open(settings)
    await reg.secrets.set(P, "TOKEN", "value")
    await reg.close()
    assert stat.S_IMODE(settings.secret_key_file.stat().st_mode) == 0o600
    other = await Registry.open(settings.model_copy(update={"data_dir": tmp_path / "elsewhere"}))
    try:
        with pytest.raises(SecretKeyError, match="does not decrypt"):
            await other.secrets.get(P, "TOKEN")
    finally:
        await other.close()


async def test_a_malformed_secret_key_is_refused_with_a_hint(tmp_path: Path) -> None:
    with pytest.raises(SecretKeyError, match=r"Fernet\.generate_key"):
        await Registry.open(Settings(database=str(tmp_path / "r.db"), secret_key="not-a-key"))
