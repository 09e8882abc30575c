-- Where each position came from: 'adsb' (DF17/DF18 ADS-B), 'adsr'
-- (ADS-R), 'tisb' (TIS-B) or 'mlat' (multilaterated by the collector).
-- Every position stored before this column was decoded from an extended
-- squitter, most from ADS-B: they are 'adsb'.
ALTER TABLE positions ADD COLUMN source TEXT NOT NULL DEFAULT 'adsb'
    CHECK (source IN ('adsb', 'adsr', 'tisb', 'mlat'));
