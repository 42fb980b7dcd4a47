-- pgTAP: the policy invariant.
BEGIN;
SELECT plan(2);

SELECT has_function('active_policy_count');

-- The single ACTIVE policy.
SELECT is(
    (SELECT count(*) FROM policies WHERE status = 'ACTIVE'),
    1::bigint,
    'exactly one ACTIVE policy'
);

SELECT * FROM finish();
ROLLBACK;
