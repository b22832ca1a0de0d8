-- upgrade: a 0.1.0 database updated with ALTER EXTENSION persona UPDATE has
-- exactly the functions of a fresh 0.2.0 install, and the 0.2.0 behaviour:
-- a NULL state is no state (docs/state.md, "No state"). Then the grants a
-- role without superuser needs (docs/postgresql.md, "Roles and grants").
DROP EXTENSION IF EXISTS persona CASCADE;
CREATE EXTENSION persona;
-- The functions of a fresh install, to compare with.
CREATE TEMP TABLE fresh AS
  SELECT p.oid::regprocedure::text AS fn, p.proisstrict, p.provolatile, p.proparallel, p.procost,
         obj_description(p.oid, 'pg_proc') AS comment
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'persona';
DROP EXTENSION persona;
CREATE EXTENSION persona VERSION '0.1.0';
CREATE TEMP TABLE m AS SELECT persona.compile($$
model upgrade version "1"
schema {
  id: string key
  plan: string = "free"
}
lifecycle account {
  initial trial
  trial -> paying when plan != "free"
}
$$) AS model;
-- 0.1.0: STRICT, a NULL state gave a NULL result.
SELECT persona.eval(model, '{"id":"a"}', NULL, '2026-02-01T00:00:00Z') IS NULL AS null_result_in_010 FROM m;
ALTER EXTENSION persona UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'persona';
-- Updated: the same functions, attributes and comments as a fresh install.
SELECT fn, proisstrict, provolatile, proparallel, procost, comment FROM (
  SELECT p.oid::regprocedure::text AS fn, p.proisstrict, p.provolatile, p.proparallel, p.procost,
         obj_description(p.oid, 'pg_proc') AS comment
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'persona'
  EXCEPT SELECT * FROM fresh) AS differs;
SELECT count(*) AS functions FROM fresh;
-- No state is one rule: SQL NULL, JSON null and {} all give the first sight.
SELECT persona.eval(model, '{"id":"a"}', NULL, '2026-02-01T00:00:00Z') ->> 'transitions' AS first_sight,
       persona.eval(model, '{"id":"a"}', NULL, '2026-02-01T00:00:00Z')
         = persona.eval(model, '{"id":"a"}', '{}', '2026-02-01T00:00:00Z') AS null_is_empty_object,
       persona.eval(model, '{"id":"a"}', 'null', '2026-02-01T00:00:00Z')
         = persona.eval(model, '{"id":"a"}', '{}', '2026-02-01T00:00:00Z') AS json_null_is_empty_object,
       persona.eval_json(model, '{"id":"a"}', NULL, '2026-02-01T00:00:00Z')::text
         = persona.eval_json(model, '{"id":"a"}', '{}', '2026-02-01T00:00:00Z')::text AS eval_json_too
FROM m;
-- Still NULL for a NULL model, profile or time; an object without "v" is an error object.
SELECT persona.eval(NULL, '{"id":"a"}', '{}', '2026-02-01T00:00:00Z') IS NULL AS null_model,
       persona.eval(model, NULL, '{}', '2026-02-01T00:00:00Z') IS NULL AS null_profile,
       persona.eval(model, '{"id":"a"}', '{}', NULL) IS NULL AS null_now,
       persona.eval(model, '{"id":"a"}', '{"lifecycles":[]}', '2026-02-01T00:00:00Z') AS no_version
FROM m;
-- Error objects carry the code and the field path.
SELECT persona.eval(model, '{"id":"b","plan":3}', '2026-02-01T00:00:00Z') AS wrong_type,
       persona.eval(model, '{"plan":"pro"}', '2026-02-01T00:00:00Z') AS no_id
FROM m;
-- Roles and grants: without USAGE on the schema a role cannot call
-- anything; with it (and EXECUTE, which PUBLIC has by default) it can.
CREATE ROLE persona_analyst;
GRANT SELECT ON m TO persona_analyst;
SET ROLE persona_analyst;
SELECT persona.eval(model, '{"id":"a"}', '2026-02-01T00:00:00Z') FROM m;
RESET ROLE;
GRANT USAGE ON SCHEMA persona TO persona_analyst;
SET ROLE persona_analyst;
SELECT persona.eval(model, '{"id":"a"}', '2026-02-01T00:00:00Z') ->> 'stages' AS analyst_can_evaluate FROM m;
RESET ROLE;
REVOKE USAGE ON SCHEMA persona FROM persona_analyst;
REVOKE SELECT ON m FROM persona_analyst;
DROP ROLE persona_analyst;
