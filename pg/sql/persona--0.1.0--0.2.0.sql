-- persona--0.1.0--0.2.0.sql: from 0.1.0 to 0.2.0, run by
--   ALTER EXTENSION persona UPDATE;            -- (or UPDATE TO '0.2.0')
-- after the new persona.so is installed. The test `upgrade` checks that an
-- updated database has exactly the functions of a fresh 0.2.0 install.
--
-- 0.2.0: a NULL state is no state (a first sight), like null and {}
-- (docs/state.md, "No state"); in 0.1.0 it gave a NULL result. The error
-- objects gain "code" and "field" in the new persona.so itself.

\echo Use "ALTER EXTENSION persona UPDATE TO '0.2.0'" to load this file. \quit

ALTER FUNCTION persona.eval(bytea, jsonb, jsonb, timestamptz) CALLED ON NULL INPUT;
ALTER FUNCTION persona.eval_json(bytea, jsonb, jsonb, timestamptz) CALLED ON NULL INPUT;
COMMENT ON FUNCTION persona.eval(bytea, jsonb, jsonb, timestamptz) IS
  'evaluates a profile with the state its last evaluation left (result->''state''; NULL, null or {} for first sight)';
