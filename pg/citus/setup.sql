-- pg/citus/setup.sql - the tables of the Citus test, on the coordinator
-- (environment: PERSONA_ROOT, the repository; CITUS_TEST_DATA, what
-- pg/test/prepare.sh wrote).
--
-- profiles, results, contacts, journey_results and contacts_direct are
-- distributed on the profile's number and co-located, so that a query
-- joining them on it runs shard by shard on the workers; models is a
-- reference table (a copy on every node).
\set profiles `cat "$PERSONA_ROOT/examples/profiles.jsonl"`
\set lead_src `cat "$PERSONA_ROOT/examples/b2b_lead.persona"`
\set journeys_hex `cat "$CITUS_TEST_DATA/journeys.hex"`
SET client_min_messages = warning;
CREATE EXTENSION persona;      -- on the coordinator: Citus creates it on the workers

CREATE TABLE models (name text PRIMARY KEY, code bytea NOT NULL);
SELECT create_reference_table('models');
INSERT INTO models VALUES ('lead', persona.compile(:'lead_src')),
                          ('journeys', decode(:'journeys_hex', 'hex'));

CREATE TABLE profiles (id bigint PRIMARY KEY, profile jsonb NOT NULL);
SELECT create_distributed_table('profiles', 'id');
INSERT INTO profiles
  SELECT n, line::jsonb FROM regexp_split_to_table(:'profiles', E'\n') WITH ORDINALITY AS t(line, n)
  WHERE line <> '';

CREATE TABLE results (id bigint PRIMARY KEY, result jsonb NOT NULL);
SELECT create_distributed_table('results', 'id', colocate_with => 'profiles');
CREATE TABLE results_json (id bigint PRIMARY KEY, result json NOT NULL);
SELECT create_distributed_table('results_json', 'id', colocate_with => 'profiles');

-- Journeys: the state in a column next to the profile. next_wake is the
-- result's text (RFC 3339 in UTC): Citus refuses the text -> timestamptz
-- cast, which is STABLE, with a column argument in a distributed UPDATE.
CREATE TABLE contacts (id bigint PRIMARY KEY, profile jsonb NOT NULL,
                       state jsonb NOT NULL DEFAULT '{}', next_wake text);
SELECT create_distributed_table('contacts', 'id', colocate_with => 'profiles');
INSERT INTO contacts (id, profile) SELECT id, profile FROM profiles;
CREATE TABLE journey_results (step int, id bigint, result json NOT NULL, PRIMARY KEY (id, step));
SELECT create_distributed_table('journey_results', 'id', colocate_with => 'profiles');
-- The same journeys moved on by one UPDATE per step, without a results table.
CREATE TABLE contacts_direct (id bigint PRIMARY KEY, profile jsonb NOT NULL, state jsonb NOT NULL DEFAULT '{}');
SELECT create_distributed_table('contacts_direct', 'id', colocate_with => 'profiles');
INSERT INTO contacts_direct (id, profile) SELECT id, profile FROM profiles;
