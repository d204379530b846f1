-- A fixture schema for the migration runner's specs.
CREATE TABLE notes (
  note_id bigint PRIMARY KEY,
  body    text NOT NULL
);
