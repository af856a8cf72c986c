"""The built-in SQL connector (docs/design §4.1 "SQL systems", README "SQL systems").

- dataset: the YAML dataset parsed and checked as pure code (no database);
- target: the database URL from the environment, the engine, the statement timeout, the schema;
- plan: the reachable rows of one subject, table by table, and their erasure;
- service: checks on save, the dry run, and the worker's run of one task."""
