-- Receivers that ever connected, with their last reported status.
CREATE TABLE receivers (
    id            TEXT PRIMARY KEY,
    first_seen_ms INTEGER NOT NULL,
    last_seen_ms  INTEGER NOT NULL,
    online        INTEGER NOT NULL DEFAULT 0,
    lat           REAL,
    lon           REAL,
    version       TEXT,
    frames        INTEGER NOT NULL DEFAULT 0,
    batches       INTEGER NOT NULL DEFAULT 0
);

-- Every batch applied, so a re-sent batch is applied once.
CREATE TABLE applied_batches (
    receiver   TEXT    NOT NULL,
    seq        INTEGER NOT NULL,
    applied_ms INTEGER NOT NULL,
    frames     INTEGER NOT NULL,
    PRIMARY KEY (receiver, seq)
) WITHOUT ROWID;

-- One row per distinct transmission: the same bytes heard by several
-- receivers within a second are one message.
CREATE TABLE messages (
    id        INTEGER PRIMARY KEY,
    time_ms   INTEGER NOT NULL,
    icao      INTEGER,
    df        INTEGER NOT NULL,
    raw       BLOB    NOT NULL,
    receivers INTEGER NOT NULL
);
CREATE INDEX messages_time ON messages (time_ms);

-- One row per frame an agent accepted: which receiver heard which message,
-- when and how loud (what multilateration needs).
CREATE TABLE receptions (
    message_id INTEGER NOT NULL,
    receiver   TEXT    NOT NULL,
    rx_ms      INTEGER NOT NULL,
    timestamp  INTEGER NOT NULL,
    signal     INTEGER NOT NULL,
    seq        INTEGER NOT NULL
);
CREATE INDEX receptions_message ON receptions (message_id);
CREATE INDEX receptions_time ON receptions (rx_ms);

CREATE TABLE aircraft (
    icao          INTEGER PRIMARY KEY,
    first_seen_ms INTEGER NOT NULL,
    last_seen_ms  INTEGER NOT NULL,
    callsign      TEXT,
    squawk        TEXT,
    category      TEXT,
    messages      INTEGER NOT NULL DEFAULT 0
);

-- A flight is an aircraft and callsign seen without a long gap.
CREATE TABLE flights (
    id            INTEGER PRIMARY KEY,
    icao          INTEGER NOT NULL,
    callsign      TEXT    NOT NULL,
    first_seen_ms INTEGER NOT NULL,
    last_seen_ms  INTEGER NOT NULL
);
CREATE INDEX flights_icao ON flights (icao, last_seen_ms);
CREATE INDEX flights_callsign ON flights (callsign, first_seen_ms);

CREATE TABLE positions (
    icao      INTEGER NOT NULL,
    time_ms   INTEGER NOT NULL,
    lat       REAL    NOT NULL,
    lon       REAL    NOT NULL,
    alt_baro  INTEGER,
    alt_geom  INTEGER,
    gs        REAL,
    track     REAL,
    baro_rate INTEGER,
    receivers INTEGER NOT NULL
);
CREATE INDEX positions_icao_time ON positions (icao, time_ms);
CREATE INDEX positions_time ON positions (time_ms);
CREATE INDEX positions_area ON positions (lat, lon);
