//! Processing one phone photo: a 4000x3000 JPEG of 4-5 MB (quality 92, a gradient
//! with sensor-like noise, as a 12-megapixel camera writes it) checked, decoded, turned
//! upright, scaled to 2048 px, re-encoded, and its 320 px thumbnail made: the work
//! `photos::process` does on the blocking pool for each upload. Run with:
//!
//!     cargo bench --bench photos
//!
//! `BENCH_RUNS` (50) runs of each variant, one at a time on one thread: a photo stored
//! upright, and one stored sideways with EXIF orientation 6 (how phones keep a portrait
//! photo), which adds the rotation. Prints each variant's median and p99 (nearest rank;
//! with 50 runs the p99 is the slowest run).

#[path = "support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use image::codecs::jpeg::JpegEncoder;
use image::{Rgb, RgbImage};
use smp_aftercare::photos::process;

/// A 12-megapixel frame: smooth light across the scene plus per-pixel noise, which is
/// what makes a camera JPEG weigh megabytes (a clean gradient would compress to little).
fn phone_frame(width: u32, height: u32) -> RgbImage {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut noise = move || {
        // xorshift64*: deterministic, so every run of the bench measures the same photo.
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        (state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 59) as i32 - 16
    };
    RgbImage::from_fn(width, height, |x, y| {
        let base = [
            60 + (x * 140 / width) as i32,
            90 + (y * 110 / height) as i32,
            150 - ((x + y) * 90 / (width + height)) as i32,
        ];
        // Mostly in brightness, as a sensor's noise after the camera's own processing.
        let grain = noise();
        Rgb(base.map(|channel| (channel + grain + noise() / 8).clamp(0, 255) as u8))
    })
}

/// An APP1 Exif segment holding only an orientation, inserted after SOI.
fn with_orientation(jpeg: &[u8], orientation: u16) -> Vec<u8> {
    let mut tiff = b"II*\0\x08\0\0\0\x01\0".to_vec();
    tiff.extend([0x12, 0x01, 3, 0, 1, 0, 0, 0]);
    tiff.extend(orientation.to_le_bytes());
    tiff.extend([0, 0, 0, 0, 0, 0]);
    let mut out = jpeg[..2].to_vec();
    out.extend([0xFF, 0xE1]);
    out.extend(u16::try_from(8 + tiff.len()).unwrap().to_be_bytes());
    out.extend(b"Exif\0\0");
    out.extend(tiff);
    out.extend(&jpeg[2..]);
    out
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn main() {
    let runs = support::env_usize("BENCH_RUNS", 50).max(1);
    println!("machine: {}", support::machine());
    let frame = phone_frame(4000, 3000);
    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(&mut jpeg, 92)
        .encode_image(&frame)
        .unwrap();
    println!(
        "input: 4000x3000 JPEG, quality 92, {:.2} MB; {runs} runs per variant, one thread",
        jpeg.len() as f64 / 1_000_000.0
    );
    println!();
    println!("| photo | output | median ms | p99 ms | min ms |");
    println!("| --- | --- | --- | --- | --- |");
    for (name, upload) in [
        ("upright", jpeg.clone()),
        ("sideways, EXIF orientation 6", with_orientation(&jpeg, 6)),
    ] {
        let warm = process::process(&upload).expect("the bench photo is accepted");
        let output = format!(
            "{}x{} {:.0} KB + {}x{} {:.0} KB",
            warm.width,
            warm.height,
            warm.photo.len() as f64 / 1000.0,
            warm.thumbnail_width,
            warm.thumbnail_height,
            warm.thumbnail.len() as f64 / 1000.0
        );
        let mut times: Vec<f64> = (0..runs)
            .map(|_| {
                let started = Instant::now();
                let processed = process::process(&upload).unwrap();
                let elapsed = started.elapsed();
                assert_eq!(processed.width.max(processed.height), 2048);
                millis(elapsed)
            })
            .collect();
        times.sort_by(f64::total_cmp);
        let p99 = times[(times.len() * 99).div_ceil(100) - 1];
        let median = support::median(&mut times);
        println!(
            "| {name} | {output} | {median:.0} | {p99:.0} | {:.0} |",
            times[0]
        );
    }
}
