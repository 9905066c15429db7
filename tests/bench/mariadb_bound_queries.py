#!/usr/bin/env python3
"""Writes the information_schema queries that connctl's MariaDB extractor sends
for one database (extractors/mysql/mysql_catalog.cpp, MariaDB 10.6+, without
--stats; names as quoted strings where connctl sends hex literals), as SQL
files for the server's own client, so that
tests/bench/mariadb_bound.sh can time the server's share of an extraction with
no client work beside it.

  mariadb_bound_queries.py DB NAMES_FILE FK_FILE OUT_PREFIX SESSIONS SLICE

NAMES_FILE: the database's tables and views, a name and its TABLE_TYPE per
line (tab-separated); FK_FILE: the names of the tables with a foreign key, one
per line. As connctl does, the index and constraint queries leave the views
out, the VIEWS query asks for the views only and REFERENTIAL_CONSTRAINTS for
the tables with a foreign key only. Writes
OUT_PREFIX.whole.sql (each query once over the whole database) and
OUT_PREFIX.<k>.sql for k < SESSIONS: the slices of SLICE byte-ordered names,
dealt round-robin to the sessions, each slice's queries in connctl's order.
Keep the query texts in step with mysql_catalog.cpp.
"""
import sys

IN_LIST_MAX = 500  # in_list(): longer IN lists become subqueries in MariaDB


def literal(s):
    return "'" + s.replace("\\", "\\\\").replace("'", "''") + "'"


def in_list(column, names):
    lists = [names[i:i + IN_LIST_MAX] for i in range(0, len(names), IN_LIST_MAX)]
    parts = [f"{column} IN ({','.join(literal(n) for n in part)})" for part in lists]
    return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"


def queries(db, names, kinds, referencing):
    """connctl's queries of one slice (names None: the whole database); a
    query with no table to read is not sent."""
    everything = lambda n: True
    table = lambda n: kinds[n] != "VIEW"
    view = lambda n: kinds[n] == "VIEW"
    fk = lambda n: n in referencing
    select = [
        ("SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE, ENGINE, ROW_FORMAT, TABLE_COLLATION, "
         "CREATE_OPTIONS, TABLE_COMMENT, CREATE_TIME, UPDATE_TIME, NULL, NULL, NULL, NULL "
         "FROM information_schema.TABLES", "TABLE_SCHEMA", everything),
        ("SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, COLUMN_DEFAULT, "
         "IS_NULLABLE, DATA_TYPE, COLUMN_TYPE, CHARACTER_SET_NAME, COLLATION_NAME, EXTRA, "
         "COLUMN_COMMENT, GENERATION_EXPRESSION FROM information_schema.COLUMNS",
         "TABLE_SCHEMA", everything),
        ("SELECT TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, NON_UNIQUE, SEQ_IN_INDEX, COLUMN_NAME, "
         "COLLATION, SUB_PART, INDEX_TYPE, INDEX_COMMENT, IGNORED, NULL "
         "FROM information_schema.STATISTICS", "TABLE_SCHEMA", table),
        ("SELECT TABLE_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, COLUMN_NAME, ORDINAL_POSITION, "
         "REFERENCED_TABLE_SCHEMA, REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME "
         "FROM information_schema.KEY_COLUMN_USAGE", "TABLE_SCHEMA", table),
        ("SELECT CONSTRAINT_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, UPDATE_RULE, DELETE_RULE "
         "FROM information_schema.REFERENTIAL_CONSTRAINTS", "CONSTRAINT_SCHEMA", fk),
        ("SELECT CONSTRAINT_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE, LEVEL "
         "FROM information_schema.CHECK_CONSTRAINTS", "CONSTRAINT_SCHEMA", table),
        ("SELECT TABLE_SCHEMA, TABLE_NAME, VIEW_DEFINITION, CHECK_OPTION, IS_UPDATABLE, DEFINER, "
         "SECURITY_TYPE, ALGORITHM FROM information_schema.VIEWS", "TABLE_SCHEMA", view),
    ]
    out = []
    for query, schema_column, keep in select:
        where = f"{schema_column} = {literal(db)}"
        if names is not None:
            kept = [n for n in names if keep(n)]
            if not kept:
                continue
            where += " AND " + in_list("TABLE_NAME", kept)
        out.append(f"{query} WHERE {where}")
    return out


def main():
    db, names_file, fk_file, prefix = sys.argv[1:5]
    sessions, slice_size = int(sys.argv[5]), int(sys.argv[6])
    with open(names_file, encoding="utf-8") as f:
        kinds = dict(line.rstrip("\n").split("\t") for line in f if line.strip())
    with open(fk_file, encoding="utf-8") as f:
        referencing = {line.rstrip("\n") for line in f if line.strip()}
    names = sorted(kinds, key=str.encode)
    with open(prefix + ".whole.sql", "w", encoding="utf-8") as f:
        f.writelines(q + ";\n" for q in queries(db, None, kinds, referencing))
    count = max(1, (len(names) + slice_size - 1) // slice_size)
    files = [open(f"{prefix}.{k}.sql", "w", encoding="utf-8") for k in range(sessions)]
    for i in range(count):
        part = names[i * len(names) // count:(i + 1) * len(names) // count]
        files[i % sessions].writelines(q + ";\n" for q in queries(db, part, kinds, referencing))
    for f in files:
        f.close()


if __name__ == "__main__":
    main()
