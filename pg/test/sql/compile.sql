-- persona.compile: verified bytecode from a source, and compile errors
-- raised with the diagnostics' line and column.
CREATE EXTENSION persona;
\set lead_src `cat "$PERSONA_ROOT/examples/b2b_lead.persona"`
\set lead_hex `cat "$PERSONA_TEST_DATA/lead.hex"`

-- The bytecode is exactly what `persona compile` writes for the same text
-- (prepare.sh compiles it under the name persona.compile gives it,
-- "source"; psql's backquotes drop the file's last newline), and
-- compiling is deterministic.
SELECT persona.compile(:'lead_src' || E'\n') = decode(:'lead_hex', 'hex') AS same_as_cli,
       persona.compile(:'lead_src') = persona.compile(:'lead_src') AS deterministic;
SELECT persona.model_info(c) - 'source_sha256' - 'bytes' AS info,
       (persona.model_info(c)->>'bytes')::int = octet_length(c) AS bytes_is_the_length
FROM (SELECT persona.compile(:'lead_src') AS c) s;

-- Errors: the message is the first diagnostic with its line and column,
-- the detail the source line, the caret and any further diagnostics.
SELECT persona.compile(E'model x version "1"\nschema {\n  id: string key\n}\ntag a when employes > 3\n');
SELECT persona.compile(E'model x version "1"\nschema {\n  id: string key\n  n: int = 0\n}\ntag a when n > "3"\ntag b when m\n');
SELECT persona.compile(E'model x version "1"\nschema {\n  id: string key\n}\ntag b when 1 +\n');
SELECT persona.compile('');
-- import would read the server's files: refused before anything is read.
SELECT persona.compile(E'model x version "1"\nimport "/etc/passwd"\nschema {\n  id: string key\n}\n');
SELECT persona.compile(E'model x version "1"\nimport "b2b_lead.persona"\n');
-- extern fn … from "lib.so" would load native code: refused.
SELECT persona.compile(E'model x version "1"\nextern fn f(x: number) -> number from "libm.so.6"\nschema {\n  id: string key\n}\n');
-- A model that compiles with warnings: a NOTICE, and the bytecode.
SELECT length(persona.compile(E'model x version "1"\nschema {\n  id: string key\n  n: int = 0\n}\ntag a when (n ?? 0) > 3\n')) > 0 AS compiled;

-- STRICT: NULL in, NULL out.
SELECT persona.compile(NULL) IS NULL AS null_source;

-- The attributes of every function (docs/postgresql.md says why).
SELECT p.proname, pg_get_function_identity_arguments(p.oid) AS args,
       p.provolatile AS vol, p.proisstrict AS strict, p.proparallel AS par, p.procost AS cost
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = 'persona' ORDER BY 1, 2;
-- The extension can only live in schema persona (Citus and every caller
-- qualify the names); 0.1.0 databases update to 0.2.0 (test upgrade).
SELECT extname, extversion, extnamespace::regnamespace, extrelocatable FROM pg_extension WHERE extname = 'persona';
