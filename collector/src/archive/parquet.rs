//! Rows as Parquet into any writer (a file, an HTTP body), a record batch
//! at a time: zstd at level [`ZSTD_LEVEL`], row groups of [`CHUNK`] rows,
//! so memory stays bounded whatever the number of rows. Each archived
//! table gives its columns as a [`Columns`] builder.

use std::io::Write;
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_schema::Schema;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, Encoding, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;

/// Rows per record batch and per row group.
pub const CHUNK: usize = 65_536;

/// zstd level 1: on the archive benchmark's receptions, 5–8 % less CPU
/// for the whole archive pass than level 3, for 4 % more bytes (level -1:
/// 3 % less again, 8 % more bytes than level 3).
pub const ZSTD_LEVEL: i32 = 1;

/// Column builders of one table.
pub trait Columns: Default {
    /// The table's schema.
    fn schema() -> Arc<Schema>;
    /// Columns written without a dictionary, in the given encoding: those
    /// with (nearly) a distinct value per row, where building a dictionary
    /// costs CPU only to be thrown away.
    fn encodings() -> &'static [(&'static str, Encoding)] {
        &[]
    }
    /// Columns written without min/max statistics: those whose range tells
    /// a reader nothing to skip row groups by (message bytes), where
    /// comparing every value costs CPU only.
    fn without_statistics() -> &'static [&'static str] {
        &[]
    }
    /// Rows added since the last [`Columns::finish`].
    fn rows(&self) -> usize;
    /// The rows added as one record batch; the builders start empty again.
    fn finish(&mut self) -> anyhow::Result<RecordBatch>;
}

/// A Parquet writer over `W` filling `C`'s columns.
#[allow(missing_debug_implementations)] // ArrowWriter has no Debug
pub struct ParquetSink<W: Write + Send, C: Columns> {
    writer: ArrowWriter<W>,
    cols: C,
    /// Rows written so far.
    pub rows: i64,
}

impl<W: Write + Send, C: Columns> ParquetSink<W, C> {
    /// A sink writing to `out`.
    pub fn new(out: W) -> anyhow::Result<Self> {
        let mut props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::try_new(ZSTD_LEVEL)?))
            .set_max_row_group_row_count(Some(CHUNK));
        for &(column, encoding) in C::encodings() {
            let path = ColumnPath::from(column);
            props = props
                .set_column_dictionary_enabled(path.clone(), false)
                .set_column_encoding(path, encoding);
        }
        for &column in C::without_statistics() {
            props = props
                .set_column_statistics_enabled(ColumnPath::from(column), EnabledStatistics::None);
        }
        let props = props.build();
        Ok(Self {
            writer: ArrowWriter::try_new(out, C::schema(), Some(props))?,
            cols: C::default(),
            rows: 0,
        })
    }

    /// Adds one row through `add`.
    pub fn push(&mut self, add: impl FnOnce(&mut C)) -> anyhow::Result<()> {
        add(&mut self.cols);
        self.rows += 1;
        if self.cols.rows() >= CHUNK {
            self.writer.write(&self.cols.finish()?)?;
        }
        Ok(())
    }

    /// Writes what is left and the footer; returns the rows written and
    /// the writer.
    pub fn finish(mut self) -> anyhow::Result<(i64, W)> {
        if self.cols.rows() > 0 {
            self.writer.write(&self.cols.finish()?)?;
        }
        Ok((self.rows, self.writer.into_inner()?))
    }
}

/// An address as 6 lowercase hex digits, without an allocation.
pub fn hex24(address: i64) -> Hex24 {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0u8; 6];
    for (i, b) in out.iter_mut().enumerate() {
        *b = DIGITS[((address >> (20 - 4 * i)) & 0xf) as usize];
    }
    Hex24(out)
}

/// What [`hex24`] gives: ASCII hex digits.
#[derive(Debug, Clone, Copy)]
pub struct Hex24([u8; 6]);

impl AsRef<str> for Hex24 {
    fn as_ref(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("000000")
    }
}
