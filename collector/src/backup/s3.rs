//! The S3 side: a client for AWS or any S3-compatible endpoint, multipart
//! upload (aborted on any failure, so a broken upload never shows up as a
//! backup), listing, download and deletion. Errors carry S3's own code
//! and message (e.g. `InvalidAccessKeyId`, `NoSuchBucket`).

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, anyhow};
use aws_sdk_s3::Client;
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Part size for multipart uploads (S3's minimum is 5 MiB).
const PART_BYTES: usize = 16 * 1024 * 1024;

/// Where backups go.
#[derive(Debug, Clone)]
pub struct Target {
    /// Bucket.
    pub bucket: String,
    /// Endpoint URL, when not AWS.
    pub endpoint: Option<String>,
    /// Region.
    pub region: String,
    /// Path-style addressing.
    pub path_style: bool,
}

impl Target {
    /// The backup settings of `config`; `None` without a bucket.
    pub fn from_config(config: &crate::config::Config) -> Option<Self> {
        Some(Self {
            bucket: config.backup_bucket.clone()?,
            endpoint: config.backup_endpoint.clone(),
            region: config.backup_region.clone(),
            path_style: config.backup_path_style,
        })
    }
}

/// A client for `target`; credentials come from the standard AWS chain
/// (environment, profile, web identity, instance role).
pub async fn client(target: &Target) -> Client {
    let shared = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(target.region.clone()))
        .load()
        .await;
    let mut b = aws_sdk_s3::config::Builder::from(&shared).force_path_style(target.path_style);
    if let Some(url) = &target.endpoint {
        b = b.endpoint_url(url);
    }
    Client::from_conf(b.build())
}

/// S3's error code and message when it answered, else the whole chain
/// (connection refused, credentials not found, ...).
fn s3_error<E, R>(what: &str, e: SdkError<E, R>) -> anyhow::Error
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match e.code() {
        Some(code) => anyhow!("{what}: {code}: {}", e.message().unwrap_or("(no message)")),
        None => anyhow!("{what}: {}", DisplayErrorContext(e)),
    }
}

/// Checks that the bucket exists and these credentials reach it.
pub async fn check_bucket(client: &Client, bucket: &str) -> anyhow::Result<()> {
    client
        .head_bucket()
        .bucket(bucket)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| match e.raw_response().map(|r| r.status().as_u16()) {
            Some(404) => anyhow!("bucket {bucket}: NoSuchBucket: the bucket does not exist"),
            Some(403) => anyhow!(
                "bucket {bucket}: AccessDenied: check the credentials and their permissions"
            ),
            _ => s3_error(&format!("bucket {bucket}"), e),
        })
}

/// An object to upload: its key, content type and metadata.
#[derive(Debug)]
pub struct Object<'a> {
    /// The key.
    pub key: &'a str,
    /// The `Content-Type`.
    pub content_type: &'a str,
    /// User metadata (`x-amz-meta-*`).
    pub metadata: HashMap<String, String>,
}

/// Uploads `file` as `object`, in parts. On failure the multipart upload
/// is aborted; nothing appears under its key.
pub async fn upload(
    client: &Client,
    bucket: &str,
    object: Object<'_>,
    file: &Path,
) -> anyhow::Result<()> {
    let Object {
        key,
        content_type,
        metadata,
    } = object;
    let created = client
        .create_multipart_upload()
        .bucket(bucket)
        .key(key)
        .set_metadata(Some(metadata))
        .content_type(content_type)
        .send()
        .await
        .map_err(|e| s3_error(&format!("starting upload of s3://{bucket}/{key}"), e))?;
    let upload_id = created
        .upload_id()
        .ok_or_else(|| anyhow!("S3 returned no upload id"))?
        .to_string();
    match upload_parts(client, bucket, key, &upload_id, file).await {
        Ok(parts) => client
            .complete_multipart_upload()
            .bucket(bucket)
            .key(key)
            .upload_id(&upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            )
            .send()
            .await
            .map(|_| ())
            .map_err(|e| s3_error(&format!("completing upload of s3://{bucket}/{key}"), e)),
        Err(e) => {
            if let Err(abort) = client
                .abort_multipart_upload()
                .bucket(bucket)
                .key(key)
                .upload_id(&upload_id)
                .send()
                .await
            {
                tracing::warn!(key, error = %DisplayErrorContext(abort), "aborting the upload failed; the bucket's lifecycle rule removes it");
            }
            Err(e)
        }
    }
}

async fn upload_parts(
    client: &Client,
    bucket: &str,
    key: &str,
    upload_id: &str,
    file: &Path,
) -> anyhow::Result<Vec<CompletedPart>> {
    let mut f = tokio::fs::File::open(file)
        .await
        .with_context(|| format!("opening {}", file.display()))?;
    let mut parts = Vec::new();
    let mut number = 1;
    loop {
        let mut buf = Vec::with_capacity(PART_BYTES);
        let n = (&mut f)
            .take(PART_BYTES as u64)
            .read_to_end(&mut buf)
            .await?;
        if n == 0 && number > 1 {
            break;
        }
        let done = client
            .upload_part()
            .bucket(bucket)
            .key(key)
            .upload_id(upload_id)
            .part_number(number)
            .body(ByteStream::from(buf))
            .send()
            .await
            .map_err(|e| {
                s3_error(
                    &format!("uploading part {number} of s3://{bucket}/{key}"),
                    e,
                )
            })?;
        parts.push(
            CompletedPart::builder()
                .set_e_tag(done.e_tag().map(str::to_string))
                .part_number(number)
                .build(),
        );
        number += 1;
        if n < PART_BYTES {
            break;
        }
    }
    Ok(parts)
}

/// Every key under `prefix/`.
pub async fn list(client: &Client, bucket: &str, prefix: &str) -> anyhow::Result<Vec<String>> {
    let mut keys = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .list_objects_v2()
            .bucket(bucket)
            .prefix(if prefix.is_empty() {
                String::new()
            } else {
                format!("{prefix}/")
            })
            .set_continuation_token(token.take())
            .send()
            .await
            .map_err(|e| s3_error(&format!("listing s3://{bucket}/{prefix}"), e))?;
        keys.extend(
            page.contents()
                .iter()
                .filter_map(|o| o.key().map(str::to_string)),
        );
        match page.next_continuation_token() {
            Some(t) if page.is_truncated() == Some(true) => token = Some(t.to_string()),
            _ => break,
        }
    }
    Ok(keys)
}

/// Downloads `key` into `to`; returns its metadata.
pub async fn download(
    client: &Client,
    bucket: &str,
    key: &str,
    to: &Path,
) -> anyhow::Result<HashMap<String, String>> {
    let got = client
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| s3_error(&format!("downloading s3://{bucket}/{key}"), e))?;
    let metadata = got.metadata().cloned().unwrap_or_default();
    let mut body = got.body;
    let mut out = tokio::fs::File::create(to)
        .await
        .with_context(|| format!("creating {}", to.display()))?;
    while let Some(chunk) = body
        .try_next()
        .await
        .with_context(|| format!("reading s3://{bucket}/{key}"))?
    {
        out.write_all(&chunk).await?;
    }
    out.sync_all().await?;
    Ok(metadata)
}

/// Deletes `key`.
pub async fn delete(client: &Client, bucket: &str, key: &str) -> anyhow::Result<()> {
    client
        .delete_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| s3_error(&format!("deleting s3://{bucket}/{key}"), e))
}
