-- persona--0.2.0.sql: the functions of the persona extension, version 0.2.0.
-- (0.1.0 databases get here with ALTER EXTENSION persona UPDATE, through
-- persona--0.1.0--0.2.0.sql; the test `upgrade` checks both give the same
-- functions.)
--
-- Every function that evaluates takes the model as bytea (bytecode from
-- persona.compile or `persona compile`) and the evaluation time `now` as an
-- argument. Why each one is IMMUTABLE STRICT PARALLEL SAFE with the COST it
-- has: docs/postgresql.md, "Why the attributes". The two that take a state
-- are not STRICT: a NULL state is no state (a first sight), like null and
-- {} (docs/state.md, "No state"); a NULL model, profile or now still gives
-- NULL.
--
-- COST is in units of cpu_operator_cost (one cheap operator, ~10 ns here):
-- one evaluation of a typical profile (1 KB of JSON, a few dozen rules)
-- takes ~10-20 µs, converting the jsonb profile and the result included.
-- A realistic figure makes the planner run scans that evaluate in
-- parallel workers (with COST 1 it keeps them serial).

\echo Use "CREATE EXTENSION persona" to load this file. \quit

CREATE FUNCTION persona.compile(source text) RETURNS bytea
  AS 'MODULE_PATHNAME', 'pgpersona_compile'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 100000;
COMMENT ON FUNCTION persona.compile(text) IS
  'compiles a self-contained Persona model to verified bytecode; errors raise with line:column diagnostics';

CREATE FUNCTION persona.eval(model bytea, profile jsonb, now timestamptz) RETURNS jsonb
  AS 'MODULE_PATHNAME', 'pgpersona_eval'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 1000;
COMMENT ON FUNCTION persona.eval(bytea, jsonb, timestamptz) IS
  'evaluates a profile as of now (first sight): the result object of persona eval, or {"id","error"}';

CREATE FUNCTION persona.eval(model bytea, profile jsonb, state jsonb, now timestamptz) RETURNS jsonb
  AS 'MODULE_PATHNAME', 'pgpersona_eval_state'
  LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE COST 1000;
COMMENT ON FUNCTION persona.eval(bytea, jsonb, jsonb, timestamptz) IS
  'evaluates a profile with the state its last evaluation left (result->''state''; NULL, null or {} for first sight)';

CREATE FUNCTION persona.eval_json(model bytea, profile jsonb, now timestamptz) RETURNS json
  AS 'MODULE_PATHNAME', 'pgpersona_eval_json'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 1000;
COMMENT ON FUNCTION persona.eval_json(bytea, jsonb, timestamptz) IS
  'persona.eval as json text: the bytes persona eval prints, keys in the order of the spec';

CREATE FUNCTION persona.eval_json(model bytea, profile jsonb, state jsonb, now timestamptz) RETURNS json
  AS 'MODULE_PATHNAME', 'pgpersona_eval_json_state'
  LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE COST 1000;
COMMENT ON FUNCTION persona.eval_json(bytea, jsonb, jsonb, timestamptz) IS
  'persona.eval with a state, as json text';

CREATE FUNCTION persona.tags(model bytea, profile jsonb, now timestamptz) RETURNS text[]
  AS 'MODULE_PATHNAME', 'pgpersona_tags'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 1000;
COMMENT ON FUNCTION persona.tags(bytea, jsonb, timestamptz) IS
  'the tags that hold, in declaration order; NULL when the profile cannot be evaluated';

CREATE FUNCTION persona.score(model bytea, profile jsonb, now timestamptz, name text) RETURNS float8
  AS 'MODULE_PATHNAME', 'pgpersona_score'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 1000;
COMMENT ON FUNCTION persona.score(bytea, jsonb, timestamptz, text) IS
  'one score; NULL when the profile cannot be evaluated, an error for a score the model lacks';

CREATE FUNCTION persona.error(model bytea, profile jsonb, now timestamptz) RETURNS text
  AS 'MODULE_PATHNAME', 'pgpersona_error'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 1000;
COMMENT ON FUNCTION persona.error(bytea, jsonb, timestamptz) IS
  'why the profile cannot be evaluated; NULL when it can';

CREATE FUNCTION persona.model_info(model bytea) RETURNS jsonb
  AS 'MODULE_PATHNAME', 'pgpersona_model_info'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 100;
COMMENT ON FUNCTION persona.model_info(bytea) IS
  'the model''s name, version, source SHA-256 and bytecode size';

-- Diagnostics of this backend's caches: VOLATILE (it changes as queries
-- run) and PARALLEL RESTRICTED (a worker would report its own).
CREATE FUNCTION persona.cache_stats(
    OUT loads bigint, OUT cache_hits bigint, OUT site_hits bigint, OUT evictions bigint,
    OUT evaluations bigint, OUT interrupts bigint, OUT cached int)
  AS 'MODULE_PATHNAME', 'pgpersona_cache_stats'
  LANGUAGE C VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION persona.cache_stats() IS
  'this backend''s model cache: bytecode loads, hits by hash and per call site, evictions, evaluations, interrupts';
