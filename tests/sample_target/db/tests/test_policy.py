def test_policy_table_exists(conn):
    with conn.cursor() as cur:
        cur.execute("SELECT to_regclass('policies') IS NOT NULL")
        assert cur.fetchone()[0]


def test_single_active_policy(conn):
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM policies WHERE status = 'ACTIVE'")
        (active,) = cur.fetchone()
    assert active == 1, f"expected exactly one ACTIVE policy, found {active}"
