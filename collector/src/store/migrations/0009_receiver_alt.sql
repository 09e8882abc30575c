-- The receiver's antenna height above the WGS84 ellipsoid, metres, from
-- its status (NULL when it reports none): multilateration measures
-- distances from the antenna.
ALTER TABLE receivers ADD COLUMN alt_m REAL;
