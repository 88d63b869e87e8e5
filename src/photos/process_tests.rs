use std::io::Cursor;

use image::{ImageEncoder, Rgb, RgbImage};

use super::*;

/// A photo-like gradient, so JPEG has something to encode.
fn gradient(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        Rgb([(x * 255 / width) as u8, (y * 255 / height) as u8, 128])
    })
}

fn jpeg(image: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 90)
        .encode_image(image)
        .unwrap();
    out
}

fn png(image: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(
            image.as_raw(),
            image.width(),
            image.height(),
            image::ExtendedColorType::Rgb8,
        )
        .unwrap();
    out
}

/// An EXIF block (TIFF, little-endian) with an orientation and a GPS position, as a
/// phone writes it: IFD0 holds Orientation and the GPS IFD's offset.
fn exif_with_gps(orientation: u16) -> Vec<u8> {
    let mut tiff = b"II*\0".to_vec();
    tiff.extend(8u32.to_le_bytes());
    let entry = |tiff: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: [u8; 4]| {
        tiff.extend(tag.to_le_bytes());
        tiff.extend(kind.to_le_bytes());
        tiff.extend(count.to_le_bytes());
        tiff.extend(value);
    };
    const SHORT: u16 = 3;
    const LONG: u16 = 4;
    const ASCII: u16 = 2;
    const RATIONAL: u16 = 5;
    // IFD0 at 8: two entries, then the next-IFD offset; the GPS IFD follows at 38.
    tiff.extend(2u16.to_le_bytes());
    let [o0, o1] = orientation.to_le_bytes();
    entry(&mut tiff, 0x0112, SHORT, 1, [o0, o1, 0, 0]);
    entry(&mut tiff, 0x8825, LONG, 1, 38u32.to_le_bytes());
    tiff.extend(0u32.to_le_bytes());
    assert_eq!(tiff.len(), 38);
    // GPS IFD: four entries (54 bytes), then the two rationals' values at 92 and 116.
    tiff.extend(4u16.to_le_bytes());
    entry(&mut tiff, 0x0001, ASCII, 2, *b"N\0\0\0");
    entry(&mut tiff, 0x0002, RATIONAL, 3, 92u32.to_le_bytes());
    entry(&mut tiff, 0x0003, ASCII, 2, *b"W\0\0\0");
    entry(&mut tiff, 0x0004, RATIONAL, 3, 116u32.to_le_bytes());
    tiff.extend(0u32.to_le_bytes());
    assert_eq!(tiff.len(), 92);
    // 51° 30' 26" N, 0° 7' 39" W.
    for (numerator, denominator) in [(51u32, 1u32), (30, 1), (26, 1), (0, 1), (7, 1), (39, 1)] {
        tiff.extend(numerator.to_le_bytes());
        tiff.extend(denominator.to_le_bytes());
    }
    tiff
}

/// `jpeg` with an APP1 Exif segment right after its SOI marker.
fn with_exif(jpeg: &[u8], tiff: &[u8]) -> Vec<u8> {
    let length = u16::try_from(2 + 6 + tiff.len()).unwrap();
    let mut out = jpeg[..2].to_vec();
    out.extend([0xFF, 0xE1]);
    out.extend(length.to_be_bytes());
    out.extend(b"Exif\0\0");
    out.extend(tiff);
    out.extend(&jpeg[2..]);
    out
}

/// The markers of a JPEG's segments before its image data.
fn markers(jpeg: &[u8]) -> Vec<u8> {
    assert_eq!(&jpeg[..2], &[0xFF, 0xD8], "starts with SOI");
    let mut found = Vec::new();
    let mut at = 2;
    while at + 4 <= jpeg.len() && jpeg[at] == 0xFF {
        let marker = jpeg[at + 1];
        found.push(marker);
        if marker == 0xDA {
            break;
        }
        at += 2 + usize::from(u16::from_be_bytes([jpeg[at + 2], jpeg[at + 3]]));
    }
    found
}

fn gps_latitude(jpeg: &[u8]) -> Option<String> {
    let exif = exif::Reader::new()
        .read_from_container(&mut Cursor::new(jpeg))
        .ok()?;
    let field = exif.get_field(exif::Tag::GPSLatitude, exif::In::PRIMARY)?;
    Some(field.display_value().to_string())
}

fn decoded(jpeg: &[u8]) -> RgbImage {
    image::load_from_memory_with_format(jpeg, ImageFormat::Jpeg)
        .unwrap()
        .to_rgb8()
}

#[test]
fn zero_bytes_are_refused() {
    assert_eq!(process(&[]).unwrap_err(), PhotoError::Empty);
}

#[test]
fn eleven_megabytes_are_refused_before_anything_else() {
    let mut upload = jpeg(&gradient(16, 16));
    upload.resize(11_000_000, 0);
    assert_eq!(
        process(&upload).unwrap_err(),
        PhotoError::TooLarge { bytes: 11_000_000 }
    );
    let mut at_limit = jpeg(&gradient(16, 16));
    at_limit.resize(MAX_UPLOAD_BYTES, 0);
    assert!(
        check_upload(&at_limit).is_ok(),
        "exactly 10 MiB is accepted"
    );
}

#[test]
fn a_pdf_is_refused_by_its_content_whatever_it_is_called() {
    // "scan.jpg" as the phone named it; only the bytes count.
    let pdf = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n";
    let refused = process(pdf).unwrap_err();
    assert_eq!(refused, PhotoError::NotAnImage);
    assert!(refused.is_input());
    assert_eq!(refused.to_string(), "is not a JPEG, PNG or WebP photo");
}

#[test]
fn other_formats_say_what_they_are() {
    let heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic";
    let refused = process(heic).unwrap_err();
    assert_eq!(refused, PhotoError::Heic);
    assert!(
        refused.to_string().contains("JPEG"),
        "says what to send instead"
    );
    assert_eq!(
        process(b"\0\0\0\x1cftypavif\0\0\0\0").unwrap_err(),
        PhotoError::UnsupportedFormat("AVIF")
    );
    assert_eq!(
        process(b"GIF89a\x01\0\x01\0\0\0\0;").unwrap_err(),
        PhotoError::UnsupportedFormat("GIF")
    );
    assert_eq!(
        process(b"\0\0\0\x18ftypisom").unwrap_err(),
        PhotoError::NotAnImage,
        "an MP4 video"
    );
}

/// A real 8x8 JPEG whose frame header claims `width`x`height`: its few bytes of scan data
/// could never fill that, so a refusal naming the claimed size comes from the header.
fn jpeg_claiming(width: u16, height: u16) -> Vec<u8> {
    let mut bomb = jpeg(&gradient(8, 8));
    let sof = bomb
        .windows(2)
        .position(|w| w == [0xFF, 0xC0])
        .expect("a baseline frame header");
    bomb[sof + 5..sof + 7].copy_from_slice(&height.to_be_bytes());
    bomb[sof + 7..sof + 9].copy_from_slice(&width.to_be_bytes());
    bomb
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A real 8x8 PNG whose IHDR (with a valid CRC) claims `width`x`height`.
fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    let mut bomb = png(&gradient(8, 8));
    // Signature (8), IHDR length (4), "IHDR" (4), then width and height.
    assert_eq!(&bomb[12..16], b"IHDR");
    bomb[16..20].copy_from_slice(&width.to_be_bytes());
    bomb[20..24].copy_from_slice(&height.to_be_bytes());
    let crc = crc32(&bomb[12..29]);
    bomb[29..33].copy_from_slice(&crc.to_be_bytes());
    bomb
}

#[test]
fn a_decompression_bomb_is_refused_from_its_header() {
    let too_big = PhotoError::TooManyPixels {
        width: Some(20_000),
        height: Some(20_000),
    };
    let jpeg_bomb = jpeg_claiming(20_000, 20_000);
    assert!(
        jpeg_bomb.len() < 1_000,
        "a few hundred bytes claiming 1.2 GB of pixels"
    );
    assert_eq!(process(&jpeg_bomb).unwrap_err(), too_big);
    assert_eq!(process(&png_claiming(20_000, 20_000)).unwrap_err(), too_big);
    let message = too_big.to_string();
    assert!(
        message.contains("20000x20000") && message.contains("50 megapixels"),
        "{message}"
    );
}

#[test]
fn a_side_over_the_limit_is_refused_even_when_the_area_is_small() {
    assert_eq!(
        process(&png_claiming(MAX_SIDE + 1, 10)).unwrap_err(),
        PhotoError::TooManyPixels {
            width: Some(MAX_SIDE + 1),
            height: Some(10)
        }
    );
    // Within the limits the same truncated file is decoded (the JPEG decoder fills what
    // is missing): so a bomb over them would have been decoded too, had its header not
    // been read first.
    let within = process(&jpeg_claiming(4000, 3000)).unwrap();
    assert_eq!((within.width, within.height), (2048, 1536));
}

#[test]
fn gps_exif_does_not_survive() {
    let upload = with_exif(&jpeg(&gradient(64, 48)), &exif_with_gps(1));
    assert_eq!(
        gps_latitude(&upload).as_deref(),
        Some("51 deg 30 min 26 sec"),
        "the test photo has a position"
    );
    let processed = process(&upload).unwrap();
    for output in [&processed.photo, &processed.thumbnail] {
        assert_eq!(gps_latitude(output), None);
        let segments = markers(output);
        // SOI is followed by JFIF's APP0, quantisation and Huffman tables, the frame and
        // the scan: no APP1 (EXIF, XMP), no other APPn, no comment.
        assert!(
            segments
                .iter()
                .all(|&m| m == 0xE0 || !(0xE1..=0xEF).contains(&m) && m != 0xFE),
            "{segments:x?}"
        );
        assert!(!output.windows(6).any(|w| w == b"Exif\0\0"));
    }
}

#[test]
fn the_photo_and_thumbnail_are_bounded_and_never_enlarged() {
    let landscape = process(&jpeg(&gradient(3000, 1000))).unwrap();
    assert_eq!((landscape.width, landscape.height), (2048, 683));
    assert_eq!(
        (landscape.thumbnail_width, landscape.thumbnail_height),
        (320, 107)
    );
    assert_eq!(decoded(&landscape.photo).dimensions(), (2048, 683));
    assert_eq!(decoded(&landscape.thumbnail).dimensions(), (320, 107));

    let portrait = process(&png(&gradient(1000, 3000))).unwrap();
    assert_eq!((portrait.width, portrait.height), (683, 2048));
    assert_eq!(decoded(&portrait.thumbnail).dimensions(), (107, 320));

    let small = process(&jpeg(&gradient(200, 100))).unwrap();
    assert_eq!(decoded(&small.photo).dimensions(), (200, 100));
    assert_eq!(decoded(&small.thumbnail).dimensions(), (200, 100));
}

#[test]
fn webp_is_accepted_and_comes_back_as_jpeg() {
    let image = gradient(50, 40);
    let mut webp = Vec::new();
    image::codecs::webp::WebPEncoder::new_lossless(&mut webp)
        .write_image(image.as_raw(), 50, 40, image::ExtendedColorType::Rgb8)
        .unwrap();
    let processed = process(&webp).unwrap();
    assert_eq!(
        image::guess_format(&processed.photo).unwrap(),
        ImageFormat::Jpeg
    );
    assert_eq!(decoded(&processed.photo).dimensions(), (50, 40));
}

fn near(pixel: &Rgb<u8>, expected: [u8; 3]) -> bool {
    pixel
        .0
        .iter()
        .zip(expected)
        .all(|(&a, b)| a.abs_diff(b) < 40)
}

#[test]
fn the_exif_orientation_is_applied() {
    // Stored as the sensor saw it: red on the left, blue on the right, 80x40. The tag
    // (6: turn 90° clockwise to view) makes it upright: 40x80, red on top.
    let sideways = RgbImage::from_fn(80, 40, |x, _| {
        if x < 40 {
            Rgb([220, 20, 20])
        } else {
            Rgb([20, 20, 220])
        }
    });
    let upload = with_exif(&jpeg(&sideways), &exif_with_gps(6));
    let processed = process(&upload).unwrap();
    assert_eq!((processed.width, processed.height), (40, 80));
    let upright = decoded(&processed.photo);
    assert_eq!(upright.dimensions(), (40, 80));
    assert!(
        near(upright.get_pixel(20, 10), [220, 20, 20]),
        "{:?}",
        upright.get_pixel(20, 10)
    );
    assert!(
        near(upright.get_pixel(20, 70), [20, 20, 220]),
        "{:?}",
        upright.get_pixel(20, 70)
    );

    // Without the tag the same pixels stay as they are.
    let as_stored = decoded(&process(&jpeg(&sideways)).unwrap().photo);
    assert_eq!(as_stored.dimensions(), (80, 40));
}

#[tokio::test]
async fn the_processor_runs_the_pipeline_off_the_executor() {
    let processor = PhotoProcessor::new(1);
    let processed = processor
        .process(Bytes::from(jpeg(&gradient(300, 200))))
        .await
        .unwrap();
    assert_eq!((processed.width, processed.height), (300, 200));
    assert_eq!(
        processor.process(Bytes::new()).await.unwrap_err(),
        PhotoError::Empty
    );
    let bomb = Bytes::from(png_claiming(20_000, 20_000));
    assert!(matches!(
        processor.process(bomb).await.unwrap_err(),
        PhotoError::TooManyPixels { .. }
    ));
}
