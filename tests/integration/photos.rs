//! The photo store on a local folder and on a real S3-compatible server (moto, started
//! by the test): photos go in cleaned, come out only for their client, and erasing a
//! client leaves no object behind, as the store itself lists it.

use std::path::Path;

use bytes::Bytes;
use image::{Rgb, RgbImage};
use smp_aftercare::config::{PhotoStoreKind, Settings};
use smp_aftercare::photos::{
    PhotoError, PhotoId, PhotoOwner, PhotoProcessor, PhotoStore, PhotoVariant, Photos,
};

use crate::peers::S3Peer;

/// A 2400x1800 phone-like JPEG (bigger than the stored size, so it is scaled).
fn upload() -> Bytes {
    let image = RgbImage::from_fn(2400, 1800, |x, y| {
        Rgb([(x % 251) as u8, (y % 241) as u8, ((x + y) % 256) as u8])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .encode_image(&image)
        .unwrap();
    Bytes::from(out)
}

fn owner(clinic: &str, client: &str) -> PhotoOwner {
    PhotoOwner::new(clinic, client).unwrap()
}

fn dimensions(jpeg: &[u8]) -> (u32, u32) {
    let image = image::load_from_memory_with_format(jpeg, image::ImageFormat::Jpeg).unwrap();
    (image.width(), image.height())
}

/// The same story on any store: three clients (one whose id starts like another's, one
/// at another clinic), photos in and out, one client erased. Returns nothing; `listed`
/// is an independent look at the store for `prefix` (a directory walk, an S3 listing).
async fn photos_live_and_die_with_their_client<F, Fut>(store: PhotoStore, listed: F)
where
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = Vec<String>>,
{
    let photos = Photos::new(PhotoProcessor::new(2), store);
    let erased = owner("clinic-1", "client-1");
    let neighbour = owner("clinic-1", "client-10");
    let elsewhere = owner("clinic-2", "client-1");

    let first = photos.accept(&erased, upload()).await.unwrap();
    let second = photos.accept(&erased, upload()).await.unwrap();
    let kept = photos.accept(&neighbour, upload()).await.unwrap();
    let other_clinic = photos.accept(&elsewhere, upload()).await.unwrap();
    assert_ne!(first.id, second.id, "every photo has an id of its own");
    assert_eq!((first.width, first.height), (2048, 1536));

    let store = photos.store();
    let photo = store
        .get(&erased, &first.id, PhotoVariant::Photo)
        .await
        .unwrap();
    assert_eq!(dimensions(&photo), (2048, 1536));
    let thumbnail = store
        .get(&erased, &first.id, PhotoVariant::Thumbnail)
        .await
        .unwrap();
    assert_eq!(dimensions(&thumbnail), (320, 240));

    // An id is only ever found under its own client.
    for (someone_else, id) in [
        (&neighbour, &first.id),
        (&erased, &kept.id),
        (&erased, &other_clinic.id),
    ] {
        let refused = store
            .get(someone_else, id, PhotoVariant::Photo)
            .await
            .unwrap_err();
        assert_eq!(refused, PhotoError::NotFound);
    }

    // A refused upload stores nothing.
    let pdf = Bytes::from_static(b"%PDF-1.7\n%%EOF\n");
    assert_eq!(
        photos.accept(&erased, pdf).await.unwrap_err(),
        PhotoError::NotAnImage
    );

    let prefix = "clinics/clinic-1/clients/client-1/";
    let mut expected: Vec<String> = [&first.id, &second.id]
        .iter()
        .flat_map(|id| ["photo.jpg", "thumbnail.jpg"].map(|name| format!("{prefix}{id}/{name}")))
        .collect();
    expected.sort();
    assert_eq!(store.list_client(&erased).await.unwrap(), expected);
    let mut seen = listed(prefix.to_string()).await;
    seen.sort();
    assert_eq!(seen, expected, "the store's own listing agrees");

    assert_eq!(store.erase_client(&erased).await.unwrap(), 4);
    assert_eq!(
        store.list_client(&erased).await.unwrap(),
        Vec::<String>::new()
    );
    assert_eq!(
        listed(prefix.to_string()).await,
        Vec::<String>::new(),
        "no object left behind"
    );
    assert_eq!(
        store
            .get(&erased, &first.id, PhotoVariant::Thumbnail)
            .await
            .unwrap_err(),
        PhotoError::NotFound
    );
    assert_eq!(
        store.erase_client(&erased).await.unwrap(),
        0,
        "erasing again is harmless"
    );

    // The client whose id merely starts the same, and the other clinic's, keep theirs.
    assert_eq!(store.list_client(&neighbour).await.unwrap().len(), 2);
    assert_eq!(
        listed("clinics/clinic-2/clients/client-1/".into())
            .await
            .len(),
        2
    );

    // One photo deleted on its own (a check-in that could not be saved).
    store.delete(&neighbour, &kept.id).await.unwrap();
    assert_eq!(
        listed("clinics/clinic-1/clients/client-10/".into()).await,
        Vec::<String>::new()
    );
    store.delete(&neighbour, &kept.id).await.unwrap();
}

/// Every file under `dir/prefix`, as paths relative to `dir`.
fn files_under(dir: &Path, prefix: &str) -> Vec<String> {
    fn walk(root: &Path, at: &Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(at) else {
            return;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                out.push(
                    path.strip_prefix(root)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned(),
                );
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, &dir.join(prefix), &mut out);
    out
}

#[tokio::test]
async fn the_local_store_keeps_photos_per_client_and_erases_them() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("data/photos");
    let mut settings = Settings::load(Path::new("/nonexistent"), None).unwrap();
    assert_eq!(
        settings.photos.store,
        PhotoStoreKind::Local,
        "the default is a local folder"
    );
    settings.photos.dir = dir.clone();
    let store = PhotoStore::from_settings(&settings.photos).unwrap();
    assert!(dir.is_dir(), "the folder is created");
    let walk_dir = dir.clone();
    photos_live_and_die_with_their_client(store, move |prefix| {
        let dir = walk_dir.clone();
        async move { files_under(&dir, &prefix) }
    })
    .await;
    assert!(
        !dir.join("clinics/clinic-1/clients/client-1").exists(),
        "no folder named after an erased client"
    );
}

#[tokio::test]
async fn an_s3_bucket_keeps_photos_per_client_and_erases_them() {
    let peer = S3Peer::start("smp-photos");
    let mut settings = Settings::load(Path::new("/nonexistent"), None).unwrap();
    settings.photos.store = PhotoStoreKind::S3;
    settings.photos.s3.endpoint = peer.endpoint();
    settings.photos.s3.bucket = peer.bucket.clone();
    settings.photos.s3.access_key_id = "smp-test".into();
    settings.photos.s3.secret_access_key = Some("not-a-real-secret-9f2c".to_string().into());
    settings.validate().unwrap();
    assert!(
        !format!("{settings:?}").contains("not-a-real-secret-9f2c"),
        "the secret never prints"
    );
    let store = PhotoStore::from_settings(&settings.photos).unwrap();
    assert_eq!(
        store.description(),
        format!("S3 bucket smp-photos at {}/", peer.endpoint())
    );
    let peer = &peer;
    photos_live_and_die_with_their_client(store, |prefix| async move { peer.keys(&prefix).await })
        .await;
}

#[tokio::test]
async fn a_store_that_does_not_answer_is_unavailable_not_a_bad_photo() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let mut settings = Settings::load(Path::new("/nonexistent"), None).unwrap();
    settings.photos.store = PhotoStoreKind::S3;
    settings.photos.s3.endpoint = format!("http://127.0.0.1:{port}");
    settings.photos.s3.bucket = "photos".into();
    settings.photos.s3.access_key_id = "smp-test".into();
    settings.photos.s3.secret_access_key = Some("secret".to_string().into());
    let photos = Photos::from_settings(&settings.photos).unwrap();
    let refused = photos
        .accept(&owner("clinic-1", "client-1"), upload())
        .await
        .unwrap_err();
    assert!(matches!(refused, PhotoError::Store(_)), "{refused:?}");
    assert!(!refused.is_input());
    let id = PhotoId::parse("0123456789abcdef0123456789abcdef").unwrap();
    let missing = photos
        .store()
        .get(&owner("clinic-1", "client-1"), &id, PhotoVariant::Photo)
        .await;
    assert!(matches!(missing.unwrap_err(), PhotoError::Store(_)));
}

#[test]
fn owners_and_ids_cannot_leave_their_prefix() {
    for (clinic, client) in [
        ("clinic-1", ""),
        ("clinic-1", "../client-2"),
        ("a/b", "c"),
        ("clinic-1", "client 1"),
    ] {
        assert!(
            matches!(
                PhotoOwner::new(clinic, client),
                Err(PhotoError::InvalidOwner(_))
            ),
            "{clinic:?} {client:?}"
        );
    }
    assert_eq!(PhotoId::parse("../../etc/passwd"), None);
    assert_eq!(
        PhotoId::parse("0123456789ABCDEF0123456789abcdef"),
        None,
        "lowercase only"
    );
    let id = PhotoId::random();
    assert_eq!(PhotoId::parse(id.as_str()), Some(id));
}
