-- Policies: at most one may be ACTIVE at any time.
CREATE TABLE IF NOT EXISTS policies (
    id         serial PRIMARY KEY,
    name       text NOT NULL,
    status     text NOT NULL CHECK (status IN ('ACTIVE', 'INACTIVE', 'DRAFT')),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE OR REPLACE FUNCTION active_policy_count() RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT count(*) FROM policies WHERE status = 'ACTIVE'
$$;
