//! `frontdesk export` and `frontdesk import`: every table of one database to a JSON-lines file
//! and back, whatever the backends at either end (docs/export-format.md).
//!
//! The file is a header line, then for each table of [`Table::ALL`] a marker line
//! `{"table":"<name>"}` followed by one line per row (a JSON object keyed by column name), then a
//! trailer `{"end":{"<table>":<rows>,…}}` that lets an import detect a truncated file. Rows go
//! through the storage contract ([`Store::export_rows`], [`Store::import_rows`]); nothing here
//! knows which backend is behind it.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Lines, Write};
use std::path::Path;

use anyhow::{bail, ensure, Context};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{json, Value};

use crate::store::{Record, Store, Table};

/// The `format` field of the header line.
pub const FORMAT: &str = "frontdesk-export";
/// The version of the file format this build writes and reads.
pub const VERSION: u64 = 1;
/// Rows inserted per transaction during an import.
const IMPORT_BATCH: usize = 500;

/// Rows per table, as written or read.
pub type RowCounts = BTreeMap<String, u64>;

/// Writes every row of `store` to a new file at `path`; returns the rows per table.
pub async fn export(store: &dyn Store, path: &Path, now_ms: i64) -> anyhow::Result<RowCounts> {
    // Count the rows first so that the progress bar knows its length.
    let mut total = 0u64;
    for table in Table::ALL {
        total += u64::try_from(store.count_rows(table).await?).unwrap_or(0);
    }
    let bar = progress_bar(
        total,
        "{msg:>8} [{bar:40}] {human_pos}/{human_len} rows ({eta})",
    );
    bar.set_message("export");

    // The header names the format and the tables to expect.
    let file = File::create_new(path)
        .with_context(|| format!("creating {} (it must not exist yet)", path.display()))?;
    let mut out = BufWriter::new(file);
    let tables: Vec<&str> = Table::ALL.iter().map(|t| t.name()).collect();
    let header = json!({"format": FORMAT, "version": VERSION, "exported_ms": now_ms,
                        "tables": tables});
    writeln!(out, "{header}")?;

    // Rows arrive table by table; each table's marker goes out before its first row.
    let mut counts = RowCounts::new();
    // Markers written so far, in `Table::ALL` order; an empty table still gets its marker.
    let mut marked = 0usize;
    let mut sink = |record: Record| -> anyhow::Result<()> {
        let table = record.table();
        let index = Table::ALL.iter().position(|t| *t == table).unwrap_or(0);
        ensure!(
            index + 1 >= marked,
            "rows of {} out of table order",
            table.name()
        );

        while marked <= index {
            writeln!(out, "{}", json!({"table": Table::ALL[marked].name()}))?;
            marked += 1;
        }

        writeln!(out, "{}", record.to_json()?)?;
        *counts.entry(table.name().to_owned()).or_default() += 1;
        bar.inc(1);
        Ok(())
    };
    store.export_rows(&mut sink).await?;

    // Markers of the empty tables at the end, then the trailer with every table's count.
    for table in &Table::ALL[marked..] {
        writeln!(out, "{}", json!({"table": table.name()}))?;
    }
    for table in Table::ALL {
        counts.entry(table.name().to_owned()).or_default();
    }
    writeln!(out, "{}", json!({"end": counts}))?;

    out.flush()?;
    out.get_ref().sync_all()?;
    bar.finish_and_clear();
    Ok(counts)
}

/// Loads the file at `path` into `store`, which must hold no rows yet; returns the rows per
/// table. A failed import leaves the rows of the batches committed so far: empty the database
/// (or start from a fresh one) before trying again.
pub async fn import(store: &dyn Store, path: &Path) -> anyhow::Result<RowCounts> {
    ensure_empty(store).await?;

    let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let size = file.metadata()?.len();
    let bar = progress_bar(size, "{msg:>8} [{bar:40}] {bytes}/{total_bytes} ({eta})");
    bar.set_message("import");
    let mut lines = BufReader::new(file).lines();

    let header = read_header(&mut lines, path)?;
    bar.inc(line_bytes(&header));

    // Rows go in batches; a table marker or the end line flushes the batch so far.
    let mut counts = RowCounts::new();
    let mut table: Option<Table> = None;
    let mut batch: Vec<Record> = Vec::with_capacity(IMPORT_BATCH);
    let mut trailer: Option<RowCounts> = None;
    for (index, line) in lines.enumerate() {
        let number = index + 2;
        let line = line?;
        bar.inc(line.len() as u64 + 1);
        if line.trim().is_empty() {
            continue;
        }
        ensure!(trailer.is_none(), "line {number}: data after the end line");

        let value: Value =
            serde_json::from_str(&line).with_context(|| format!("line {number}: not JSON"))?;
        match marker(&value) {
            Some(Marker::Table(name)) => {
                flush(store, &mut batch).await?;
                let next = Table::from_name(name)
                    .with_context(|| format!("line {number}: unknown table {name:?}"))?;
                counts.entry(name.to_owned()).or_default();
                table = Some(next);
            }
            Some(Marker::End(end)) => {
                flush(store, &mut batch).await?;
                trailer = Some(
                    serde_json::from_value(end.clone())
                        .with_context(|| format!("line {number}: the end line"))?,
                );
            }
            None => {
                let table =
                    table.with_context(|| format!("line {number}: a row before any table"))?;
                let record = table
                    .parse(value)
                    .with_context(|| format!("line {number}: a row of {}", table.name()))?;
                *counts.entry(table.name().to_owned()).or_default() += 1;
                batch.push(record);
                if batch.len() >= IMPORT_BATCH {
                    flush(store, &mut batch).await?;
                }
            }
        }
    }
    flush(store, &mut batch).await?;
    store.finish_import().await?;
    bar.finish_and_clear();

    check_trailer(trailer, &counts)?;
    Ok(counts)
}

/// Refuses a target database that holds any row: an import never merges.
async fn ensure_empty(store: &dyn Store) -> anyhow::Result<()> {
    for table in Table::ALL {
        let rows = store.count_rows(table).await?;
        ensure!(
            rows == 0,
            "the target database is not empty ({} holds {rows} rows); import into a fresh one",
            table.name()
        );
    }
    Ok(())
}

/// Reads the first line and checks that it names this format and a version this build reads.
fn read_header(lines: &mut Lines<BufReader<File>>, path: &Path) -> anyhow::Result<Value> {
    let header: Value = match lines.next() {
        Some(line) => serde_json::from_str(&line?).context("line 1: the header")?,
        None => bail!("{} is empty", path.display()),
    };
    ensure!(
        header["format"] == FORMAT,
        "not a Frontdesk export (no \"format\": \"{FORMAT}\" header)"
    );
    ensure!(
        header["version"] == VERSION,
        "export format version {} is not supported (this build reads {VERSION})",
        header["version"]
    );
    Ok(header)
}

/// Checks the row counts the end line announces against the rows read: a file cut short
/// or edited by hand fails here.
fn check_trailer(trailer: Option<RowCounts>, counts: &RowCounts) -> anyhow::Result<()> {
    let Some(trailer) = trailer else {
        bail!("the file ends without its end line: it is truncated");
    };
    for (name, expected) in &trailer {
        let found = counts.get(name).copied().unwrap_or(0);
        ensure!(
            found == *expected,
            "{name}: the end line announces {expected} rows, the file holds {found}"
        );
    }
    Ok(())
}

/// A line that is not a row.
enum Marker<'a> {
    Table(&'a str),
    End(&'a Value),
}

/// Recognises `{"table": "<name>"}` and `{"end": {…}}`, objects with exactly that one key.
fn marker(value: &Value) -> Option<Marker<'_>> {
    let object = value.as_object().filter(|o| o.len() == 1)?;
    if let Some(name) = object.get("table").and_then(Value::as_str) {
        return Some(Marker::Table(name));
    }
    object.get("end").map(Marker::End)
}

/// Inserts the pending rows in one transaction.
async fn flush(store: &dyn Store, batch: &mut Vec<Record>) -> anyhow::Result<()> {
    if !batch.is_empty() {
        store.import_rows(batch).await?;
        batch.clear();
    }
    Ok(())
}

/// The bytes a parsed line took in the file, for the progress bar.
fn line_bytes(value: &Value) -> u64 {
    value.to_string().len() as u64 + 1
}

/// A progress bar on standard error; indicatif hides it when stderr is not a terminal.
fn progress_bar(len: u64, template: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}
