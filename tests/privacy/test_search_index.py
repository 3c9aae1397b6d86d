"""User search on a large table: trigram indexes on PostgreSQL, same results, fixed queries.

`icontains` is `UPPER(col::text) LIKE UPPER('%term%')` on PostgreSQL; migration
privacy 0004 adds `pg_trgm` GIN indexes on those two expressions (docs/query-plans.md).
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import UserFactory
from tests.privacy.graph import usernames

pytestmark = pytest.mark.django_db

SEARCH = "/api/v1/users"
INDEXES = {"user_username_trgm", "user_display_name_trgm"}
needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="pg_trgm indexes exist on PostgreSQL only (the migration is a no-op on SQLite)",
)

# Token lookup and the page of users (the block check is a subquery of it).
SEARCH_QUERIES = 2


def _search_sql(client, term: str) -> str:
    """The search statement the view runs for `term`, with its parameters in place."""
    with CaptureQueriesContext(connection) as queries:
        assert client.get(SEARCH, {"search": term}).status_code == 200
    found = [q["sql"] for q in queries.captured_queries if "LIKE UPPER" in q["sql"]]
    assert len(found) == 1, queries.captured_queries
    return found[0]


def _plan(sql: str, *settings: str) -> str:
    with connection.cursor() as cursor:
        for setting in settings:  # SET LOCAL: ends with the test's transaction
            cursor.execute(f"SET LOCAL {setting}")
        cursor.execute("EXPLAIN " + sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        for setting in settings:
            cursor.execute(f"RESET {setting.split('=')[0].strip()}")
    return plan


def test_the_trigram_indexes_exist_on_postgresql_only():
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "accounts_user")
    present = INDEXES & set(constraints)
    if connection.vendor == "postgresql":
        assert present == INDEXES
        assert {constraints[name]["type"] for name in INDEXES} == {"gin"}
    else:
        assert present == set()


@needs_postgresql
def test_search_can_use_both_trigram_indexes(client_for):
    viewer = UserFactory(username="viewer")
    UserFactory(username="okafor1", display_name="Ada Okafor")
    sql = _search_sql(client_for(viewer), "okafor")
    assert 'UPPER("accounts_user"."username"::text) LIKE UPPER(' in sql
    assert 'UPPER("accounts_user"."display_name"::text) LIKE UPPER(' in sql

    # Left with a sequential scan (priced out) or the bitmap scans only an index with a
    # condition can give: the planner must find that the trigram indexes serve the LIKEs.
    plan = _plan(sql, "enable_seqscan = off", "enable_indexscan = off")

    for name in INDEXES:
        assert f"Bitmap Index Scan on {name}" in plan, plan
    assert "Seq Scan on accounts_user" not in plan, plan


# Case, accents, LIKE's own wildcards, a term shorter than a trigram, a space.
TERMS = ["sam", "SAM", "zoë", "ZOË", "o'b", "100%", "a_b", "%", "_", "ok", "x", "sam o", "nobody"]


@needs_postgresql
def test_search_finds_the_same_users_through_the_indexes_as_by_reading_the_table(client_for):
    viewer = UserFactory(username="viewer")
    for username, display_name in [
        ("sam", "Sam"),
        ("samantha", "Sam O'Brien"),
        ("bosam", "Ok Go"),
        ("zoe", "Zoë Adams"),
        ("zoe2", "ZOË BERG"),
        ("a_b", "100% Real"),
        ("axb", "Percent 100"),
        ("okafor", "Ada Okafor"),
        ("nomatch", "Quiet Person"),
    ]:
        UserFactory(username=username, display_name=display_name)
    api = client_for(viewer)

    def found(*settings: str) -> dict[str, list[str]]:
        with connection.cursor() as cursor:
            for setting in settings:
                cursor.execute(f"SET LOCAL {setting}")
        results = {
            term: usernames(api.get(SEARCH, {"search": term, "limit": 100})) for term in TERMS
        }
        with connection.cursor() as cursor:
            cursor.execute("RESET ALL")
        return results

    through_indexes = found("enable_seqscan = off")
    by_reading_the_table = found("enable_bitmapscan = off", "enable_indexscan = off")

    assert through_indexes == by_reading_the_table
    assert through_indexes["zoë"] == ["zoe", "zoe2"]  # UPPER folds the accent's case too
    assert through_indexes["100%"] == ["a_b"]  # `%` is a character here, not a wildcard
    assert through_indexes["a_b"] == ["a_b"]  # and so is `_`
    assert through_indexes["nobody"] == []


@pytest.mark.parametrize("matches", [1, 30])
def test_search_costs_a_fixed_number_of_queries(client_for, django_assert_num_queries, matches):
    viewer = UserFactory(username="viewer")
    UserFactory.create_batch(matches, display_name="Ada Okafor")
    api = client_for(viewer)

    with django_assert_num_queries(SEARCH_QUERIES):
        found = usernames(api.get(SEARCH, {"search": "okafor", "limit": 50}))

    assert len(found) == matches
