//! A photo as uploaded becomes a clean JPEG and its thumbnail, or is refused.
//!
//! Everything is judged from the bytes, never from a file name or a declared type: the
//! format from its magic bytes, the size, then the dimensions from the header alone, so
//! a decompression bomb (a few KB declaring 20000x20000 pixels) is refused before any
//! pixel buffer exists. The decoded image is turned upright by its EXIF orientation and
//! encoded afresh, which writes no metadata at all: no GPS position, camera serial or
//! capture time survives.

use std::io::Cursor;
use std::sync::Arc;

use bytes::Bytes;
use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits, RgbImage};
use tokio::sync::Semaphore;

use super::PhotoError;

/// The largest upload accepted: 10 MiB, more than any phone's camera JPEG.
pub const MAX_UPLOAD_BYTES: usize = 10 * 1024 * 1024;
/// The largest side accepted, in pixels (a 200-megapixel sensor is 16320 wide).
pub const MAX_SIDE: u32 = 16_384;
/// The most pixels accepted: 50 megapixels (a 48-MP phone's full-resolution mode fits);
/// decoded as 8-bit RGB that is 150 MB, 16-bit RGBA (PNG) 400 MB.
pub const MAX_PIXELS: u64 = 50_000_000;
/// The decoder's allocation budget: the largest accepted image as 16-bit RGBA, plus room
/// for a decoder's own buffers.
const MAX_DECODE_ALLOC: u64 = 512 * 1024 * 1024;
/// The stored photo's longest side.
pub const PHOTO_SIDE: u32 = 2048;
/// The thumbnail's longest side.
pub const THUMBNAIL_SIDE: u32 = 320;
const PHOTO_QUALITY: u8 = 85;
const THUMBNAIL_QUALITY: u8 = 80;

/// A photo ready to store: two JPEGs without metadata, and their sizes in pixels.
#[derive(Clone)]
pub struct ProcessedPhoto {
    pub photo: Bytes,
    pub width: u32,
    pub height: u32,
    pub thumbnail: Bytes,
    pub thumbnail_width: u32,
    pub thumbnail_height: u32,
}

impl std::fmt::Debug for ProcessedPhoto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessedPhoto")
            .field("width", &self.width)
            .field("height", &self.height)
            .field("bytes", &self.photo.len())
            .field("thumbnail_bytes", &self.thumbnail.len())
            .finish()
    }
}

/// Runs [`process`] on the blocking pool, at most `concurrency` at once: decoding takes
/// a core and up to a few hundred MB, so a burst of uploads queues here instead of
/// starving the executor or the machine's memory.
#[derive(Clone)]
pub struct PhotoProcessor {
    slots: Arc<Semaphore>,
}

impl PhotoProcessor {
    pub fn new(concurrency: usize) -> PhotoProcessor {
        PhotoProcessor {
            slots: Arc::new(Semaphore::new(concurrency.max(1))),
        }
    }

    pub async fn process(&self, upload: Bytes) -> Result<ProcessedPhoto, PhotoError> {
        // The refusals that need no decoding answer at once, without waiting for a slot.
        check_upload(&upload)?;
        let permit = self
            .slots
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| PhotoError::Internal(format!("processing slots closed: {e}")))?;
        // The permit moves into the task: a request cancelled while its photo decodes
        // keeps the slot until the decoding really ends, so the bound holds.
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            process(&upload)
        })
        .await
        .map_err(|e| PhotoError::Internal(format!("photo processing stopped: {e}")))?
    }
}

/// The whole pipeline, synchronous: check, decode within bounds, turn upright, scale,
/// encode as JPEG twice.
pub fn process(upload: &[u8]) -> Result<ProcessedPhoto, PhotoError> {
    let format = check_upload(upload)?;
    let image = decode_upright(upload, format)?;
    let photo = fit(image.to_rgb8(), PHOTO_SIDE);
    let thumbnail = fit(photo.clone(), THUMBNAIL_SIDE);
    Ok(ProcessedPhoto {
        width: photo.width(),
        height: photo.height(),
        thumbnail_width: thumbnail.width(),
        thumbnail_height: thumbnail.height(),
        photo: encode(&photo, PHOTO_QUALITY)?,
        thumbnail: encode(&thumbnail, THUMBNAIL_QUALITY)?,
    })
}

/// Size and format, from the bytes alone.
pub fn check_upload(upload: &[u8]) -> Result<ImageFormat, PhotoError> {
    if upload.is_empty() {
        return Err(PhotoError::Empty);
    }
    if upload.len() > MAX_UPLOAD_BYTES {
        return Err(PhotoError::TooLarge {
            bytes: upload.len(),
        });
    }
    sniff(upload)
}

/// The format by magic bytes. `image::guess_format` knows neither HEIC nor HEIF (it
/// would call an iPhone photo unknown data), so the ISO-BMFF brand is read here to say
/// what the photo is and what to do instead.
fn sniff(upload: &[u8]) -> Result<ImageFormat, PhotoError> {
    if upload.len() >= 12 && &upload[4..8] == b"ftyp" {
        return match &upload[8..12] {
            b"heic" | b"heix" | b"hevc" | b"hevx" | b"heim" | b"heis" | b"mif1" | b"msf1" => {
                Err(PhotoError::Heic)
            }
            b"avif" | b"avis" => Err(PhotoError::UnsupportedFormat("AVIF")),
            _ => Err(PhotoError::NotAnImage),
        };
    }
    match image::guess_format(upload) {
        Ok(format @ (ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP)) => Ok(format),
        Ok(ImageFormat::Gif) => Err(PhotoError::UnsupportedFormat("GIF")),
        Ok(ImageFormat::Tiff) => Err(PhotoError::UnsupportedFormat("TIFF")),
        Ok(ImageFormat::Bmp) => Err(PhotoError::UnsupportedFormat("BMP")),
        Ok(_) | Err(_) => Err(PhotoError::NotAnImage),
    }
}

/// Decodes `upload`, refusing it by its header's dimensions before the pixels are
/// allocated, and applies its EXIF orientation.
fn decode_upright(upload: &[u8], format: ImageFormat) -> Result<DynamicImage, PhotoError> {
    let unreadable = |e: image::ImageError| match e {
        image::ImageError::Limits(_) => PhotoError::TooManyPixels {
            width: None,
            height: None,
        },
        other => PhotoError::Unreadable(other.to_string()),
    };
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    let mut reader = ImageReader::with_format(Cursor::new(upload), format);
    reader.limits(limits.clone());
    // Reads the header only.
    let mut decoder = reader.into_decoder().map_err(unreadable)?;
    let (width, height) = decoder.dimensions();
    if width == 0 || height == 0 {
        return Err(PhotoError::Unreadable("the image has no pixels".into()));
    }
    if width > MAX_SIDE || height > MAX_SIDE || u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(PhotoError::TooManyPixels {
            width: Some(width),
            height: Some(height),
        });
    }
    // `DynamicImage::from_decoder` allocates the whole buffer unchecked (only
    // `ImageReader::decode` reserves it against the budget), so it is reserved here.
    limits.reserve(decoder.total_bytes()).map_err(unreadable)?;
    // A photo whose orientation tag cannot be read is shown as stored, not refused.
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(unreadable)?;
    image.apply_orientation(orientation);
    Ok(image)
}

/// Scaled down (never up) so that the longest side is at most `side`.
fn fit(image: RgbImage, side: u32) -> RgbImage {
    let (width, height) = image.dimensions();
    if width <= side && height <= side {
        return image;
    }
    let (new_width, new_height) = if width >= height {
        (side, scaled(height, side, width))
    } else {
        (scaled(width, side, height), side)
    };
    // Catmull-Rom (bicubic): sharp for a photo scaled down, with a kernel two pixels wide
    // where Lanczos3's is three.
    image::imageops::resize(&image, new_width, new_height, FilterType::CatmullRom)
}

/// `short * side / long`, rounded, at least one pixel.
fn scaled(short: u32, side: u32, long: u32) -> u32 {
    let value = (u64::from(short) * u64::from(side) + u64::from(long) / 2) / u64::from(long);
    u32::try_from(value).unwrap_or(side).max(1)
}

/// A baseline JPEG with no metadata segment: the encoder writes only what it is given.
fn encode(image: &RgbImage, quality: u8) -> Result<Bytes, PhotoError> {
    let mut out = Vec::with_capacity(image.as_raw().len() / 8);
    JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(image)
        .map_err(|e| PhotoError::Internal(format!("JPEG encoding: {e}")))?;
    Ok(Bytes::from(out))
}

#[cfg(test)]
#[path = "process_tests.rs"]
mod tests;
