-- CancelRun: who cancelled a run (the caller's API key id; '' without authentication). When is
-- ended_at. A cancelled run is never claimed again: claims take only 'pending' and 'running' runs.
ALTER TABLE runs ADD COLUMN cancelled_by text NOT NULL DEFAULT '';
