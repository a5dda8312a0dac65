//! Bucket operations.

use super::io::system_time;
use super::{LakeboxS3, internal};
use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result, s3_error};

impl LakeboxS3 {
    /// Fails with `NoSuchBucket` unless the bucket exists.
    pub(super) async fn require_bucket(&self, bucket: &str) -> S3Result<()> {
        if self.store.bucket_exists(bucket).await {
            Ok(())
        } else {
            Err(s3_error!(NoSuchBucket, "The specified bucket does not exist"))
        }
    }

    pub(super) async fn list_buckets_impl(
        &self,
        req: S3Request<ListBucketsInput>,
    ) -> S3Result<S3Response<ListBucketsOutput>> {
        let prefix = req.input.prefix.unwrap_or_default();
        let buckets = self
            .store
            .buckets()
            .await
            .map_err(internal)?
            .into_iter()
            .filter(|(name, _, _)| name.starts_with(&prefix))
            .map(|(name, created, region)| Bucket {
                name: Some(name),
                creation_date: Some(Timestamp::from(system_time(created))),
                bucket_region: region,
            })
            .collect();
        Ok(S3Response::new(ListBucketsOutput {
            buckets: Some(buckets),
            owner: Some(super::bucket_owner()),
            ..Default::default()
        }))
    }

    pub(super) async fn create_bucket_impl(
        &self,
        req: S3Request<CreateBucketInput>,
    ) -> S3Result<S3Response<CreateBucketOutput>> {
        let input = req.input;
        let region = input
            .create_bucket_configuration
            .and_then(|c| c.location_constraint)
            .map(|l| l.as_str().to_string())
            .filter(|l| !l.is_empty());
        if !self.store.create_bucket(&input.bucket, region.as_deref()).await.map_err(internal)? {
            return Err(s3_error!(
                BucketAlreadyOwnedByYou,
                "Your previous request to create the named bucket succeeded and you already own it."
            ));
        }
        let output = CreateBucketOutput { location: Some(format!("/{}", input.bucket)) };
        Ok(S3Response::new(output))
    }

    pub(super) async fn head_bucket_impl(
        &self,
        req: S3Request<HeadBucketInput>,
    ) -> S3Result<S3Response<HeadBucketOutput>> {
        self.require_bucket(&req.input.bucket).await?;
        Ok(S3Response::new(HeadBucketOutput::default()))
    }

    pub(super) async fn delete_bucket_impl(
        &self,
        req: S3Request<DeleteBucketInput>,
    ) -> S3Result<S3Response<DeleteBucketOutput>> {
        self.require_bucket(&req.input.bucket).await?;
        if !self.store.delete_bucket(&req.input.bucket).await.map_err(internal)? {
            return Err(s3_error!(BucketNotEmpty, "The bucket you tried to delete is not empty"));
        }
        Ok(S3Response::new(DeleteBucketOutput::default()))
    }

    pub(super) async fn get_bucket_location_impl(
        &self,
        req: S3Request<GetBucketLocationInput>,
    ) -> S3Result<S3Response<GetBucketLocationOutput>> {
        self.require_bucket(&req.input.bucket).await?;
        let region = self
            .store
            .buckets()
            .await
            .map_err(internal)?
            .into_iter()
            .find(|(name, _, _)| *name == req.input.bucket)
            .and_then(|(_, _, region)| region);
        let output = GetBucketLocationOutput { location_constraint: region.map(BucketLocationConstraint::from) };
        Ok(S3Response::new(output))
    }
}
